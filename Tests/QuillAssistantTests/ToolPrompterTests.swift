// ToolPrompter and ToolUse: whether a template renders tools (checked against Python jinja2's renderings
// of llama.cpp's 70 real templates), the system-prompt fallback and history rewriting for templates that
// do not, markup that the parser reads back in every format, and the choice / parallel rules of ToolUse.
import Foundation
import QuillFormats
import Testing
@testable import QuillAssistant

@Suite("Tool prompts")
struct ToolPrompterTests {
    static let weather = ToolDefinition(name: "get_weather", description: "Weather in a city.", parameters: try! JSONValue(parsing: Data(
        #"{"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}}, "required": ["city"]}"#.utf8)))
    static let time = ToolDefinition(name: "get_time")

    @Test(.enabled(if: JinjaCorpus.available, "needs .assets/llama.cpp/templates (Scripts/setup/fetch_assets.sh)"))
    func renderingToolsIsDetectedAsJinja2RendersThem() throws {
        // The fixture's "tools" conversation offers get_weather, described "Get the current weather in a
        // city.": a template renders tools exactly when jinja2's output holds that description.
        let document = try JSONValue(parsing: try Data(contentsOf: JinjaCorpus.fixture))
        var checked = 0, rendering = 0
        var mismatches: [String] = []
        for c in document["cases"]!.arrayValue! where c["conversation"]?.stringValue == "tools" && c["add_generation_prompt"]?.boolValue == true {
            guard let output = c["output"]?.stringValue else { continue }                      // jinja2 refused it
            let name = c["template"]!.stringValue!
            let source = try String(contentsOf: JinjaCorpus.templates.appendingPathComponent(name), encoding: .utf8)
            guard let template = try? JinjaChatTemplate(source: source, now: { JinjaCorpus.now }) else { continue }
            let expected = output.contains("Get the current weather in a city.")
            let options = ChatRenderOptions(bosToken: document["bos_token"]?.stringValue ?? "", eosToken: document["eos_token"]?.stringValue ?? "")
            if ToolPrompter.rendersTools(template, options: options) != expected { mismatches.append("\(name) (jinja2: \(expected))") }
            checked += 1
            if expected { rendering += 1 }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(checked >= 50 && rendering >= 10 && rendering < checked, "\(checked) templates, \(rendering) render tools")
    }

    @Test func chatMLGetsToolsInTheSystemPromptAndHistoryAsMarkup() throws {
        let prompter = ToolPrompter(format: .hermes, templateRendersTools: false)
        let history: [ChatMessage] = [
            .system("Be brief."), .user("Weather and time?"),
            ChatMessage(role: "assistant", content: nil, toolCalls: [ChatToolCall(id: "a", name: "get_weather", arguments: #"{"city": "Oslo"}"#),
                                                                      ChatToolCall(id: "b", name: "get_time", arguments: "{}")]),
            ChatMessage(role: "tool", content: "-2 C", toolCallID: "a"), ChatMessage(role: "tool", content: "09:00", toolCallID: "b"),
        ]
        let (messages, options) = prompter.prompt(history, tools: [Self.weather, Self.time], options: ChatRenderOptions())
        #expect(options.tools.isEmpty)
        #expect(messages.map(\.role) == ["system", "user", "assistant", "user"])
        let system = try #require(messages[0].content)
        #expect(system.hasPrefix("Be brief.\n\n# Tools"))
        #expect(system.contains(Self.weather.jsonValue.jsonText) && system.contains(Self.time.jsonValue.jsonText))
        #expect(messages[2].content == "<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}\n</tool_call>\n"
                                      + "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>")
        #expect(messages[2].toolCalls.isEmpty)
        #expect(messages[3].content == "<tool_response>\n-2 C\n</tool_response>\n<tool_response>\n09:00\n</tool_response>")
        // No system message: one is added; no tools: none is.
        #expect(prompter.prompt([.user("Hi")], tools: [Self.time], options: .init()).messages.first?.role == "system")
        #expect(prompter.prompt([.user("Hi")], tools: [], options: .init()).messages == [.user("Hi")])
    }

    @Test func aTemplateThatRendersToolsGetsThemAsOptions() {
        let prompter = ToolPrompter(format: .hermes, templateRendersTools: true)
        let history = [ChatMessage(role: "assistant", content: nil, toolCalls: [ChatToolCall(id: "a", name: "get_time", arguments: "{}")])]
        let (messages, options) = prompter.prompt(history, tools: [Self.time], options: .init())
        #expect(messages == history)
        #expect(options.tools == [Self.time.jsonValue])
    }

    @Test(arguments: ToolCallFormat.allCases)
    func markupParsesBackInItsFormat(_ format: ToolCallFormat) {
        let calls = [ChatToolCall(id: "1", name: "get_weather", arguments: #"{"city":"Oslo"}"#),
                     ChatToolCall(id: "2", name: "get_time", arguments: "{}")]
        let text = format.markup(for: calls)
        let parsed = ToolCallParser(format: format, knownNames: ["get_weather", "get_time"], makeID: { "x" }).parse(text)
        #expect(parsed.calls.map(\.name) == ["get_weather", "get_time"], "\(text)")
        #expect(parsed.calls.map(\.arguments) == [#"{"city":"Oslo"}"#, "{}"])
        #expect(parsed.content == nil)
        #expect(format.systemSection(for: [Self.weather]).contains(#""name":"get_weather""#))
    }

    @Test func toolUseFollowsTheChoiceAndParallelism() throws {
        let prompter = ToolPrompter(format: .hermes, templateRendersTools: false)
        let text = "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"A\"}}</tool_call>"
        let auto = ToolUse(tools: [Self.weather, Self.time], choice: .auto, prompter: prompter, makeID: { "call_x" })
        #expect(auto.parse(text).calls.count == 2)
        #expect(try auto.forcingGrammar() == nil)
        var one = auto
        one.parallel = false
        #expect(one.parse(text).calls.map(\.name) == ["get_time"])
        let none = ToolUse(tools: [Self.weather], choice: .none, prompter: prompter)
        #expect(none.parse(text) == ParsedToolOutput(content: text, calls: []))
        #expect(none.prompt([.user("Hi")], options: .init()).messages == [.user("Hi")])
        let named = ToolUse(tools: [Self.weather, Self.time], choice: .function("get_time"), prompter: prompter)
        #expect(named.forcedTools == [Self.time])
        #expect(try named.forcingGrammar() != nil)
    }

    @Test func badSchemasAreNamedByTheirToolsPlace() {
        let prompter = ToolPrompter(format: .hermes, templateRendersTools: false)
        let email = ToolDefinition(name: "mail", parameters: try! JSONValue(parsing: Data(
            #"{"type": "object", "properties": {"to": {"type": "string", "format": "email"}}}"#.utf8)))
        let typo = ToolDefinition(name: "typo", parameters: try! JSONValue(parsing: Data(#"{"type": "objekt"}"#.utf8)))
        // Unsupported but valid keywords pass when the call is not forced; forcing needs the grammar.
        #expect(throws: Never.self) { try ToolUse(tools: [Self.time, email], choice: .auto, prompter: prompter).validateSchemas() }
        let forced = #expect(throws: JSONSchemaError.self) {
            try ToolUse(tools: [Self.time, email], choice: .function("mail"), prompter: prompter).validateSchemas()
        }
        #expect(forced?.path.hasPrefix("tools[1].function.parameters") == true, "\(String(describing: forced))")
        let malformed = #expect(throws: JSONSchemaError.self) {
            try ToolUse(tools: [Self.time, typo], choice: .auto, prompter: prompter).validateSchemas()
        }
        #expect(malformed?.keyword == "type")
    }
}
