// Tool calls on the wire, as OpenAI's chat API carries them: `{id, type: "function", function: {name,
// arguments}}` in an assistant message (arguments a JSON *string*; an object is accepted on input, as
// some clients send one), and the `delta.tool_calls` entries of a stream, whose `index` is on every
// fragment and whose `id`, `type` and `name` come only in a call's first one.
import QuillAssistant
import QuillFormats

/// One call in `message.tool_calls` (request and response).
struct ToolCallWire: Codable, Sendable {
    struct Function: Codable, Sendable {
        var name: String
        var arguments: String

        init(name: String, arguments: String) { self.name = name; self.arguments = arguments }

        enum CodingKeys: String, CodingKey { case name, arguments }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            if let text = try? c.decode(String.self, forKey: .arguments) { arguments = text } else if
                let value = try? c.decode(AnyJSON.self, forKey: .arguments) { arguments = value.value.jsonText } else {
                arguments = "{}"
            }
        }
    }

    var id: String
    var type = "function"
    var function: Function

    init(_ call: ChatToolCall) { id = call.id; function = Function(name: call.name, arguments: call.arguments) }

    enum CodingKeys: String, CodingKey { case id, type, function }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "function"
        function = try c.decode(Function.self, forKey: .function)
    }

    var call: ChatToolCall { ChatToolCall(id: id, name: function.name, arguments: function.arguments) }
}

/// One `delta.tool_calls` entry of a streamed answer.
struct ToolCallDelta: Encodable, Sendable {
    struct Function: Encodable, Sendable {
        var name: String?
        var arguments: String?
    }
    var index: Int
    var id: String?
    var type: String?
    var function: Function

    /// The fragments of call `index`: the first with id, type, name and empty arguments, then the
    /// arguments text in pieces of at most `fragment` characters.
    static func fragments(of call: ChatToolCall, index: Int, fragment: Int = 24) -> [ToolCallDelta] {
        var out = [ToolCallDelta(index: index, id: call.id, type: "function", function: Function(name: call.name, arguments: ""))]
        var rest = Substring(call.arguments)
        while !rest.isEmpty {
            let piece = rest.prefix(fragment)
            out.append(ToolCallDelta(index: index, function: Function(arguments: String(piece))))
            rest = rest.dropFirst(piece.count)
        }
        return out
    }
}

/// Any JSON value through Codable (a tool call's arguments sent as an object).
struct AnyJSON: Decodable {
    var value: JSONValue

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = .null } else if let b = try? c.decode(Bool.self) { value = .bool(b) } else if
            let i = try? c.decode(Int64.self) { value = .int(i) } else if let d = try? c.decode(Double.self) { value = .double(d) } else if
            let s = try? c.decode(String.self) { value = .string(s) } else if let a = try? c.decode([AnyJSON].self) {
            value = .array(a.map(\.value))
        } else {
            let o = try c.decode([String: AnyJSON].self)
            value = .object(o.keys.sorted().map { ($0, o[$0]!.value) })
        }
    }
}
