// Tool definitions and the tool choice of a request, in OpenAI's shape (`tools: [{"type": "function",
// "function": {name, description, parameters}}]`, `tool_choice`: none / auto / required / a named
// function), read from parsed JSON with errors naming the field (`tools[0].function.name`).
import Foundation
import QuillFormats

/// Why `tools` or `tool_choice` cannot be used; `path` is the field at fault, as OpenAI's `param`.
public struct ToolDefinitionError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, _ reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

/// One function the model may call.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON Schema of the arguments object (`{"type": "object", "properties": {}}` when absent).
    public var parameters: JSONValue

    public static let emptyParameters = JSONValue.object([("type", .string("object")), ("properties", .object([]))])

    public init(name: String, description: String? = nil, parameters: JSONValue = ToolDefinition.emptyParameters) {
        self.name = name; self.description = description; self.parameters = parameters
    }

    /// The OpenAI wire shape, which is what chat templates iterate over as `tools`.
    public var jsonValue: JSONValue {
        var function: [(String, JSONValue)] = [("name", .string(name))]
        if let description { function.append(("description", .string(description))) }
        function.append(("parameters", parameters))
        return .object([("type", .string("function")), ("function", .object(function))])
    }

    /// Reads one `tools` entry; `path` names it in errors (for example `tools[2]`).
    public init(json: JSONValue, path: String) throws(ToolDefinitionError) {
        guard json.objectValue != nil else { throw ToolDefinitionError(path: path, "a tool must be an object {\"type\": \"function\", \"function\": {...}}") }
        guard let type = json["type"]?.stringValue else { throw ToolDefinitionError(path: "\(path).type", "missing 'type' (only \"function\" is supported)") }
        guard type == "function" else { throw ToolDefinitionError(path: "\(path).type", "unsupported tool type '\(type)' (only \"function\" is supported)") }
        guard let function = json["function"], function.objectValue != nil else {
            throw ToolDefinitionError(path: "\(path).function", "missing the 'function' object")
        }
        guard let name = function["name"]?.stringValue else { throw ToolDefinitionError(path: "\(path).function.name", "missing the function's name") }
        guard Self.isValidName(name) else {
            throw ToolDefinitionError(path: "\(path).function.name",
                                      "'\(name)' is not a valid function name (1 to 64 letters, digits, '_' or '-')")
        }
        var description: String?
        if let d = function["description"], !d.isNull {
            guard let text = d.stringValue else { throw ToolDefinitionError(path: "\(path).function.description", "must be a string") }
            description = text
        }
        var parameters = Self.emptyParameters
        if let p = function["parameters"], !p.isNull {
            guard p.objectValue != nil else {
                throw ToolDefinitionError(path: "\(path).function.parameters", "must be a JSON Schema object")
            }
            parameters = p
        }
        self.init(name: name, description: description, parameters: parameters)
    }

    /// Reads a whole `tools` list; names must be unique.
    public static func list(from json: JSONValue, path: String = "tools") throws(ToolDefinitionError) -> [ToolDefinition] {
        guard let items = json.arrayValue else { throw ToolDefinitionError(path: path, "must be an array of tools") }
        var tools: [ToolDefinition] = []
        for (i, item) in items.enumerated() {
            let tool = try ToolDefinition(json: item, path: "\(path)[\(i)]")
            if tools.contains(where: { $0.name == tool.name }) {
                throw ToolDefinitionError(path: "\(path)[\(i)].function.name", "the function name '\(tool.name)' is used twice")
            }
            tools.append(tool)
        }
        return tools
    }

    /// OpenAI's rule: `^[a-zA-Z0-9_-]{1,64}$`.
    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
        }
    }
}

/// Whether, and which, tools the model must call (OpenAI `tool_choice`).
public enum ToolChoice: Sendable, Equatable {
    /// Never call a tool; the tools are not shown to the model.
    case none
    /// The model decides (the default when tools are given).
    case auto
    /// The model must call at least one tool.
    case required
    /// The model must call this function.
    case function(String)

    /// Reads `tool_choice` (a string or `{"type": "function", "function": {"name": …}}`) against `tools`.
    public init(json: JSONValue?, tools: [ToolDefinition], path: String = "tool_choice") throws(ToolDefinitionError) {
        guard let json, !json.isNull else { self = tools.isEmpty ? .none : .auto; return }
        if let word = json.stringValue {
            switch word {
            case "none": self = .none
            case "auto": self = .auto
            case "required": self = .required
            default: throw ToolDefinitionError(path: path, "invalid value '\(word)' (expected none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}})")
            }
        } else {
            guard json["type"]?.stringValue == "function", let name = json["function"]?["name"]?.stringValue else {
                throw ToolDefinitionError(path: path, "must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}")
            }
            guard tools.contains(where: { $0.name == name }) else {
                throw ToolDefinitionError(path: "\(path).function.name", "no tool named '\(name)' in tools")
            }
            self = .function(name)
        }
        if self != .none, tools.isEmpty {
            throw ToolDefinitionError(path: path, "tool_choice is set but no tools are given")
        }
    }

    /// True when the output must be a tool call (grammar-constrained decoding).
    public var forcesCall: Bool {
        switch self {
        case .required, .function: return true
        case .none, .auto: return false
        }
    }
}

/// A fresh OpenAI-style call id: `call_` and 24 random letters and digits.
public func makeToolCallID() -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return "call_" + String((0..<24).map { _ in alphabet.randomElement()! })
}
