// JSON Schema → grammar on the table Python `jsonschema` judged (JSONSchemaCases.swift): every valid
// text is accepted and every invalid one rejected by the compiled grammar; the test-side validator used
// by the generation tests agrees with the same table; unsupported keywords are errors naming them.
import Foundation
import QuillFormats
import Testing
@testable import QuillAssistant

struct SchemaCase {
    var name: String
    var schema: JSONValue
    var instances: [(text: String, valid: Bool)]

    static let all: [SchemaCase] = {
        let json = try! JSONValue(parsing: Data(JSONSchemaCases.json.utf8))
        return json.arrayValue!.map { c in
            SchemaCase(name: c["name"]!.stringValue!, schema: c["schema"]!,
                       instances: c["instances"]!.arrayValue!.map { ($0["text"]!.stringValue!, $0["valid"]!.boolValue!) })
        }
    }()
}

@Suite("JSON schema grammars")
struct JSONSchemaGrammarTests {
    @Test func compiledGrammarsAcceptExactlyWhatJSONSchemaValidates() throws {
        for c in SchemaCase.all {
            let grammar = try CompiledGrammar(JSONSchemaCompiler.compile(c.schema))
            for (text, valid) in c.instances {
                #expect(GrammarMatcher.matches(grammar, text) == valid, "\(c.name): \(text) should be \(valid ? "accepted" : "rejected")")
            }
        }
    }

    @Test func theTestValidatorAgreesWithJSONSchema() throws {
        for c in SchemaCase.all {
            for (text, valid) in c.instances {
                let value = try? JSONValue(parsing: Data(text.utf8))
                #expect((value.map { SchemaValidator.isValid($0, c.schema) } ?? false) == valid, "\(c.name): \(text)")
            }
        }
    }

    @Test func jsonObjectModeAcceptsAnyObjectAndNothingElse() throws {
        let g = try CompiledGrammar(JSONSchemaCompiler.anyObject())
        for text in [#"{}"#, #"{"a": [1, 2.5e-3, "x\n\u00e9"], "b": {"c": null, "d": true}}"#, "{\n  \"k\": false\n}"] {
            #expect(GrammarMatcher.matches(g, text), "\(text)")
        }
        for text in ["[]", "1", #""s""#, "{", #"{"a":1,}"#, #"{"a" 1}"#, " {}", "{} "] {
            #expect(!GrammarMatcher.matches(g, text), "\(text)")
        }
    }

    @Test(arguments: [
        (#"{"type": "integer", "minimum": 5}"#, "minimum", "#"),
        (#"{"type": "number", "exclusiveMinimum": 0}"#, "exclusiveMinimum", "#"),
        (#"{"type": "integer", "maximum": 9}"#, "maximum", "#"),
        (#"{"type": "object", "properties": {"a": {"type": "string", "format": "email"}}}"#, "format", "#/properties/a"),
        (#"{"type": "string", "pattern": "a+"}"#, "pattern", "#"),
        (#"{"type": "string", "pattern": "^a\\Db$"}"#, "pattern", "#"),
        (#"{"type": "string", "pattern": "^[\"]$"}"#, "pattern", "#"),
        (#"{"type": "string", "pattern": "^(a$"}"#, "pattern", "#"),
        (#"{"type": "array", "uniqueItems": true}"#, "uniqueItems", "#"),
        (#"{"allOf": [{"type": "string"}, {"maxLength": 3}]}"#, "allOf", "#"),
        (#"{"type": "object", "required": ["x"]}"#, "required", "#"),
        (##"{"$ref": "#/$defs/missing"}"##, "$ref", "#"),
        (#"{"$ref": "https://example.com/s.json"}"#, "$ref", "#"),
        (#"{"type": "strng"}"#, "type", "#"),
        (#"{"type": "string", "minItems": 1}"#, "minItems", "#"),
        (#"{"type": "string", "maxLength": 2, "minLength": 3}"#, "maxLength", "#"),
        (#"{"anyOf": [{"type": "string"}], "maxLength": 3}"#, "maxLength", "#"),
        (#"{"type": "object", "properties": {"a/b": {"not": {}}}}"#, "not", "#/properties/a~1b"),
    ] as [(String, String, String)])
    func unsupportedKeywordsAreNamed(_ schema: String, _ keyword: String, _ path: String) throws {
        let value = try JSONValue(parsing: Data(schema.utf8))
        do {
            _ = try JSONSchemaCompiler.compile(value)
            Issue.record("compiled \(schema)")
        } catch {
            #expect(error.keyword == keyword && error.path == path, "\(error)")
            #expect(error.description.contains(keyword), "\(error)")
        }
    }

    @Test func annotationsAreIgnoredAndKeysFollowTheSchemaOrder() throws {
        let schema = try JSONValue(parsing: Data(#"""
            {"title": "T", "description": "d", "$schema": "https://json-schema.org/draft/2020-12/schema",
             "type": "object", "properties": {"z": {"type": "string", "examples": ["q"], "default": "x"}, "a": {"type": "boolean"}},
             "required": ["z", "a"], "additionalProperties": false}
            """#.utf8))
        let g = try CompiledGrammar(JSONSchemaCompiler.compile(schema))
        #expect(GrammarMatcher.matches(g, #"{"z":"q","a":true}"#))
        #expect(!GrammarMatcher.matches(g, #"{"a":true,"z":"q"}"#))
        // The compiled grammar survives its own GBNF text.
        let text = try JSONSchemaCompiler.compile(schema).text
        #expect(GrammarMatcher.matches(try CompiledGrammar(gbnf: text), #"{"z":"","a":false}"#))
    }
}

/// A small JSON Schema validator for the subset the compiler supports, independent of the grammar
/// (checked against Python `jsonschema` on the same table above).
enum SchemaValidator {
    static func isValid(_ v: JSONValue, _ s: JSONValue, root: JSONValue? = nil) -> Bool {
        let root = root ?? s
        if let b = s.boolValue { return b }
        guard let m = s.objectValue else { return false }
        if let c = m["const"] { return equal(v, c) }
        if let e = m["enum"]?.arrayValue { return e.contains { equal(v, $0) } }
        if let ref = m["$ref"]?.stringValue {
            var target = root
            for part in ref.dropFirst(2).split(separator: "/") { target = target[String(part)] ?? .null }
            return isValid(v, target, root: root)
        }
        if let any = m["anyOf"]?.arrayValue ?? m["oneOf"]?.arrayValue { return any.contains { isValid(v, $0, root: root) } }
        if let t = m["type"] {
            let types = t.arrayValue?.compactMap(\.stringValue) ?? [t.stringValue!]
            guard types.contains(where: { hasType(v, $0) }) else { return false }
        }
        if let x = v.doubleValue, v.boolValue == nil {
            if let lo = m["minimum"]?.doubleValue, x < lo { return false }
            if let lo = m["exclusiveMinimum"]?.doubleValue, x <= lo { return false }
        }
        switch v {
        case .string(let str):
            let n = str.unicodeScalars.count
            if let lo = m["minLength"]?.intValue, n < lo { return false }
            if let hi = m["maxLength"]?.intValue, n > hi { return false }
            if let pattern = m["pattern"]?.stringValue, str.range(of: pattern, options: .regularExpression) == nil { return false }
        case .array(let items):
            if let lo = m["minItems"]?.intValue, items.count < lo { return false }
            if let hi = m["maxItems"]?.intValue, items.count > hi { return false }
            if let item = m["items"], !items.allSatisfy({ isValid($0, item, root: root) }) { return false }
        case .object(let members, _):
            let properties = m["properties"]?.objectValue ?? [:]
            for name in m["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil { return false }
            for (key, value) in members {
                if let p = properties[key] {
                    if !isValid(value, p, root: root) { return false }
                } else if let extra = m["additionalProperties"], !isValid(value, extra, root: root) {
                    return false
                }
            }
        default: break
        }
        return true
    }

    static func hasType(_ v: JSONValue, _ t: String) -> Bool {
        switch (v, t) {
        case (.object, "object"), (.array, "array"), (.string, "string"), (.bool, "boolean"), (.null, "null"): return true
        case (.int, "integer"), (.int, "number"), (.double, "number"): return true
        case (.double(let d), "integer"): return d == d.rounded()
        default: return false
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.bool, .bool), (.null, .null), (.string, .string): return a == b
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double): return a.doubleValue == b.doubleValue
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x, _), .object(let y, _)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        default: return false
        }
    }
}
