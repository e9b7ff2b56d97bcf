// What a model is told about tools when its chat template does not render them (ChatML fallback,
// SmolLM2's template): a system-prompt section listing the functions and the call markup of its
// ToolCallFormat, worded after the templates that do render tools (Qwen 2.5 / Hermes 2 Pro, Llama 3.1,
// Mistral), and the same markup for calls already made earlier in the conversation.
import Foundation
import QuillFormats

extension ToolCallFormat {
    /// The system-prompt section that lists `tools` and teaches this format's call markup.
    public func systemSection(for tools: [ToolDefinition]) -> String {
        let list = tools.map(\.jsonValue.jsonText).joined(separator: "\n")
        switch self {
        case .hermes:
            return """
                # Tools

                You may call one or more functions to assist with the user query.

                You are provided with function signatures within <tools></tools> XML tags:
                <tools>
                \(list)
                </tools>

                For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
                <tool_call>
                {"name": <function-name>, "arguments": <args-json-object>}
                </tool_call>
                """
        case .llama3:
            return """
                You have access to the following functions. To call a function, respond with only a JSON object \
                in the format {"name": function name, "parameters": dictionary of argument name and its value}. \
                Do not use variables.

                \(list)
                """
        case .mistral:
            return """
                You have access to the following functions:
                \(list)

                To call functions, answer with [TOOL_CALLS] followed by a JSON list of calls: \
                [TOOL_CALLS] [{"name": <function-name>, "arguments": <args-json-object>}]
                """
        case .generic:
            return """
                You have access to the following functions:
                \(list)

                To call a function, answer with only a JSON object {"name": <function-name>, "arguments": \
                <args-json-object>}; for several calls, a JSON list of such objects.
                """
        }
    }

    /// Calls an assistant turn made, written as this format's markup (for templates that cannot render
    /// `tool_calls`, so the model sees its earlier calls as it would have written them).
    public func markup(for calls: [ChatToolCall]) -> String {
        let objects = calls.map { call -> String in
            let arguments = (try? JSONValue(parsing: Data(call.arguments.utf8))) ?? .string(call.arguments)
            return JSONValue.object([("name", .string(call.name)), (argumentsKey, arguments)]).jsonText
        }
        switch self {
        case .hermes: return objects.map { "<tool_call>\n\($0)\n</tool_call>" }.joined(separator: "\n")
        case .llama3: return objects.joined(separator: "; ")
        case .mistral: return "[TOOL_CALLS] [" + objects.joined(separator: ", ") + "]"
        case .generic: return objects.count == 1 ? objects[0] : "[" + objects.joined(separator: ", ") + "]"
        }
    }

    /// Tool results as the user turn that carries them back (Hermes' `<tool_response>` blocks), for
    /// templates that do not render the `tool` role.
    public static func responseTurn(_ results: [ChatMessage]) -> String {
        results.map { "<tool_response>\n\($0.content ?? "")\n</tool_response>" }.joined(separator: "\n")
    }
}

