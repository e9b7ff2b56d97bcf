# Schemas × JSON texts, each text judged valid or invalid by Python `jsonschema` (Draft 2020-12), for the
# structured-output tests (Tests/QuillAssistantTests/JSONSchemaGrammarTests.swift): the grammar a schema
# compiles to must accept exactly the valid texts. Valid texts list object keys in the schema's order
# (the grammar emits keys in that order) and numbers in plain JSON form.
#   python3 Scripts/reference/json_schema_cases.py     (needs `pip install jsonschema`)
# Writes Tests/QuillAssistantTests/JSONSchemaCases.swift (a Swift string literal, so no resource bundle).
import json
import os

import jsonschema

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "QuillAssistantTests", "JSONSchemaCases.swift")

CASES = [
    ("strict object", {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                       "required": ["name", "age"], "additionalProperties": False},
     ['{"name":"Ann","age":31}', '{ "name" : "Ann" , "age" : -4 }', '{"name":"","age":0}',
      '{"name":"Ann"}', '{"name":"Ann","age":31,"x":1}', '{"name":"Ann","age":3.5}',
      '{"name":"Ann","age":"31"}', '{"name":"Ann","age":031}', '{"name":"Ann","age":31,}', '[]', '{"name":Ann,"age":1}']),
    ("optional properties", {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"},
                                                            "c": {"type": "null"}},
                             "required": ["b"], "additionalProperties": False},
     ['{"b":true}', '{"a":1,"b":false}', '{"b":true,"c":null}', '{"a":1,"b":true,"c":null}',
      '{}', '{"a":1}', '{"a":1,"c":null}', '{"b":1}', '{"b":true,,"c":null}', '{"b":true,"d":1}']),
    ("nested arrays", {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "minItems": 1, "maxItems": 3},
        "points": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "number"}},
                                               "required": ["x"], "additionalProperties": False}}},
        "required": ["tags", "points"], "additionalProperties": False},
     ['{"tags":["a"],"points":[]}', '{"tags":["a","bc","def"],"points":[{"x":1.5},{"x":-2e3}]}',
      '{"tags": [ "a" ], "points": [ {"x": 0} ]}',
      '{"tags":[],"points":[]}', '{"tags":["a","b","c","d"],"points":[]}', '{"tags":["abcd"],"points":[]}',
      '{"tags":["a"],"points":[{"x":1},]}', '{"tags":["a"],"points":[{"y":1}]}', '{"tags":["a"],"points":[{"x":"1"}]}']),
    ("enum and const", {"type": "object", "properties": {"color": {"enum": ["red", "green", "blue"]},
                                                       "v": {"const": 2}, "mode": {"enum": ["a", 1, None, True]}},
                        "required": ["color", "v", "mode"], "additionalProperties": False},
     ['{"color":"red","v":2,"mode":"a"}', '{"color":"blue","v":2,"mode":null}', '{"color":"green","v":2,"mode":1}',
      '{"color":"green","v":2,"mode":true}',
      '{"color":"Red","v":2,"mode":"a"}', '{"color":"red","v":3,"mode":"a"}', '{"color":"red","v":2,"mode":false}',
      '{"color":"red","v":2,"mode":"b"}']),
    ("anyOf and nullable", {"type": "object", "properties": {
        "id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "note": {"type": ["string", "null"]}},
        "required": ["id", "note"], "additionalProperties": False},
     ['{"id":"x","note":null}', '{"id":7,"note":"hi"}', '{"id":-1,"note":""}',
      '{"id":true,"note":null}', '{"id":1.5,"note":null}', '{"id":"x","note":1}', '{"id":null,"note":null}']),
    ("recursive $ref", {"$defs": {"node": {"type": "object", "properties": {
        "value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
        "required": ["value", "children"], "additionalProperties": False}}, "$ref": "#/$defs/node"},
     ['{"value":1,"children":[]}', '{"value":1,"children":[{"value":2,"children":[{"value":3,"children":[]}]}]}',
      '{"value":1,"children":[{"value":2}]}', '{"value":1,"children":[1]}', '{"value":1}']),
    ("string lengths", {"type": "string", "minLength": 2, "maxLength": 4},
     ['"ab"', '"abcd"', '"né"', '"a\\nb"', '"\\u00e9t\\u00e9"', '"日本語"', '"😀😀"',
      '"a"', '"abcde"', '""', '"a\\qb"', '"ab', 'ab', '"a\tb"']),
    ("numbers", {"type": "array", "items": {"type": "number"}},
     ['[0,-0,1.25,-3e10,6E-2,1e+3,123456789]', '[]',
      '[01]', '[1.]', '[.5]', '[+1]', '[1e]', '[0x10]', '[1,2']),
    ("map of integers", {"type": "object", "additionalProperties": {"type": "integer"}},
     ['{}', '{"a":1}', '{"a":1,"b":-2}', '{"a":"1"}', '{"a":1.5}', '{"a":1,}']),
    ("booleans and nulls", {"type": "array", "items": {"type": ["boolean", "null"]}, "maxItems": 2},
     ['[true,null]', '[false]', '[]', '[true,false,null]', '[0]', '["true"]']),
    ("any object", {"type": "object"},
     ['{}', '{"a":[1,{"b":null}],"c":"d"}', '{"x":{"y":{"z":[true,false]}}}', '[]', '"a"', '{"a":}', '{a:1}']),
    ("non-negative bounds", {"type": "object", "properties": {"count": {"type": "integer", "minimum": 0},
                                                            "id": {"type": "integer", "exclusiveMinimum": 0},
                                                            "weight": {"type": "number", "minimum": 0}},
                             "required": ["count", "id", "weight"], "additionalProperties": False},
     ['{"count":0,"id":1,"weight":0}', '{"count":12,"id":7,"weight":2.5e-3}', '{"count":3,"id":40,"weight":0.25}',
      '{"count":-1,"id":1,"weight":0}', '{"count":0,"id":0,"weight":0}', '{"count":0,"id":1,"weight":-0.5}',
      '{"count":1.5,"id":1,"weight":1}']),
    ("anchored patterns", {"type": "array", "items": {"anyOf": [
        {"type": "string", "pattern": "^[A-Z]{3}-\\d{2,4}$"}, {"type": "string", "pattern": "^(ab|cd)+x?$"},
        {"type": "string", "pattern": "^[^a-z]\\.é$"}]}},
     ['["ABC-12","XYZ-1234"]', '["abcdab","cdx"]', '["Q.é","7.é"]', '[]',
      '["AB-12"]', '["ABC-1"]', '["abc"]', '["ab","x"]', '["q.é"]', '["Q.e"]', '["ABC-12345"]']),
    ("array of enums with minItems", {"type": "array", "items": {"enum": ["x", "y"]}, "minItems": 2, "maxItems": 2},
     ['["x","y"]', '["y","y"]', '["x"]', '["x","y","x"]', '["z","x"]']),
]


def main():
    out = []
    for name, schema, texts in CASES:
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        instances = []
        for text in texts:
            try:
                valid = validator.is_valid(json.loads(text))
            except json.JSONDecodeError:
                valid = False
            instances.append({"text": text, "valid": valid})
        out.append({"name": name, "schema": schema, "instances": instances})
    payload = json.dumps(out, ensure_ascii=False, indent=1)
    assert '"""#' not in payload
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("// Generated by Scripts/reference/json_schema_cases.py (Python jsonschema %s, Draft 2020-12): schemas\n"
                % jsonschema.__version__ if hasattr(jsonschema, "__version__") else "")
        f.write("// and JSON texts with whether each is valid. Regenerate with that script; do not edit by hand.\n\n")
        f.write("enum JSONSchemaCases {\n    static let json = #\"\"\"\n")
        f.write(payload)
        f.write("\n\"\"\"#\n}\n")
    print(f"wrote {OUT}: {len(out)} schemas, {sum(len(c['instances']) for c in out)} texts")


if __name__ == "__main__":
    main()
