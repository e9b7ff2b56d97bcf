// Tool-calling fields of /v1/chat/completions: `tools`, `tool_choice` and `parallel_tool_calls`, read
// from the body as parsed JSON (a parameter schema's key order is the order its arguments are written
// in, which Codable would lose), checked (every schema must compile) with 400s naming the field; the
// constraint that forces a call for `required` or a named function; and each answer read back into
// `message.tool_calls` with `finish_reason: tool_calls`.
import Foundation
import QuillAssistant
import QuillFormats
import QuillGeneration

struct ToolRequest: Sendable {
    let use: ToolUse

    /// The tool settings of a request body for a model whose tools go through `prompter`.
    init(in body: JSONValue, prompter: ToolPrompter) throws {
        var tools: [ToolDefinition] = []
        let choice: ToolChoice
        do throws(ToolDefinitionError) {
            if let list = body["tools"], !list.isNull { tools = try ToolDefinition.list(from: list) }
            choice = try ToolChoice(json: body["tool_choice"], tools: tools)
        } catch {
            throw OpenAIError.invalidRequest("Invalid '\(error.path)': \(error.reason).", param: error.path)
        }
        var parallel = true
        if let flag = body["parallel_tool_calls"], !flag.isNull {
            guard let value = flag.boolValue else {
                throw OpenAIError.invalidRequest("parallel_tool_calls must be a boolean.", param: "parallel_tool_calls")
            }
            parallel = value
        }
        use = ToolUse(tools: tools, choice: choice, parallel: parallel, prompter: prompter)
        do throws(JSONSchemaError) { try use.validateSchemas() } catch { throw Self.schemaError(error) }
    }

    /// A parameter schema the compiler refuses, as a 400 whose param is that tool's `parameters`.
    static func schemaError(_ e: JSONSchemaError) -> OpenAIError {
        let param = e.path.range(of: ".parameters").map { String(e.path[..<$0.upperBound]) } ?? "tools"
        return OpenAIError.invalidRequest("Invalid schema for function parameters: \(e.description).", param: param)
    }

    /// The grammar constraint forcing a valid call (`required` or a named function), nil otherwise.
    func constraint(cache: GrammarCache) throws -> GrammarConstraint? {
        guard use.choice.forcesCall else { return nil }
        do {
            return try cache.constraint(cacheKey: use.forcingCacheKey) {
                guard let grammar = try use.forcingGrammar() else { throw JSONSchemaError(path: "tools", "no tool to force") }
                return grammar
            }
        } catch let e as JSONSchemaError {
            throw Self.schemaError(e)
        } catch let e as GrammarError {
            throw OpenAIError.invalidRequest("Invalid schema for function parameters: \(e.description).", param: "tools")
        }
    }

    /// A finished answer as the response's message and finish reason: its calls in `tool_calls` (content
    /// null when the answer is only calls) and `tool_calls`, or the text as it is.
    func answer(_ text: String, finish: FinishReason) -> (message: ChatCompletion.Message, finishReason: String) {
        let parsed = use.parse(text)
        guard !parsed.calls.isEmpty, finish != .contentFilter else { return (ChatCompletion.Message(content: text), finish.apiName) }
        return (ChatCompletion.Message(content: parsed.content, toolCalls: parsed.calls.map(ToolCallWire.init)), "tool_calls")
    }
}
