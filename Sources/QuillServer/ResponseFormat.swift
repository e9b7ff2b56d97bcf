// Structured output fields of /v1/chat/completions and /v1/completions: OpenAI's `response_format`
// (`text`, `json_object`, `json_schema` with `{name, schema, strict}`) and llama.cpp's raw GBNF
// `grammar`, read from the body as parsed JSON (a schema's key order is its output order, which Codable
// would lose), compiled through the model's grammar cache; a bad one is a 400 naming the field.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import QuillAssistant
import QuillFormats
import QuillGeneration

enum ResponseFormat {
    /// The format a request body asks for, or nil for free text.
    static func outputFormat(in body: JSONValue) throws -> OutputFormat? {
        let grammar = body["grammar"]
        let format = body["response_format"]
        var result: OutputFormat?
        if let format, !format.isNull {
            guard let type = format["type"]?.stringValue else {
                throw OpenAIError.invalidRequest("response_format must be an object with a 'type' (text, json_object or json_schema).",
                                                 param: "response_format")
            }
            switch type {
            case "text": result = nil
            case "json_object":
                // llama-server also takes a schema here.
                result = format["schema"].map { .jsonSchema($0) } ?? .jsonObject
            case "json_schema":
                guard let spec = format["json_schema"], spec.objectValue != nil else {
                    throw OpenAIError.invalidRequest("Missing required parameter: 'response_format.json_schema'.", param: "response_format.json_schema")
                }
                guard let schema = spec["schema"] else {
                    throw OpenAIError.invalidRequest("Missing required parameter: 'response_format.json_schema.schema'.",
                                                     param: "response_format.json_schema.schema")
                }
                if let strict = spec["strict"], strict.boolValue == nil, !strict.isNull {
                    throw OpenAIError.invalidRequest("response_format.json_schema.strict must be a boolean.", param: "response_format.json_schema.strict")
                }
                result = .jsonSchema(schema)
            default:
                throw OpenAIError.invalidRequest("Invalid value for 'response_format.type': '\(type)' (expected text, json_object or json_schema).",
                                                 param: "response_format.type")
            }
        }
        if let grammar, !grammar.isNull {
            guard let text = grammar.stringValue else {
                throw OpenAIError.invalidRequest("grammar must be a string of GBNF rules.", param: "grammar")
            }
            guard result == nil else {
                throw OpenAIError.invalidRequest("Give either 'grammar' or a JSON 'response_format', not both.", param: "grammar")
            }
            result = .grammar(text)
        }
        return result
    }

    /// The constraint for a request body (nil when it asks for free text), errors as 400s.
    static func constraint(in body: JSONValue, cache: GrammarCache) throws -> GrammarConstraint? {
        guard let format = try outputFormat(in: body) else { return nil }
        do {
            return try cache.constraint(for: format)
        } catch let e as JSONSchemaError {
            throw OpenAIError.invalidRequest("Invalid schema for response_format: \(e.description).", param: "response_format.json_schema.schema")
        } catch let e as GrammarError {
            if case .grammar = format {
                throw OpenAIError.invalidRequest("Invalid grammar: \(e.description).", param: "grammar")
            }
            throw OpenAIError.invalidRequest("Invalid schema for response_format: \(e.description).", param: "response_format.json_schema.schema")
        }
    }
}

extension JSONBody {
    /// The body as a JSON document (after ``decode(_:from:)`` read it; the buffer is already collected).
    static func document(of request: Request) async throws -> JSONValue {
        let buffer = try await request.body.collect(upTo: .max)
        do { return try JSONValue(parsing: Data(buffer.readableBytesView)) } catch {
            throw OpenAIError.invalidRequest("The request body is not valid JSON: \(error).")
        }
    }
}
