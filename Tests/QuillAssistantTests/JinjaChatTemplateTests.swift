// JinjaChatTemplate's context (messages as dicts, tool calls with parsed arguments, tools = None when absent,
// bos/eos, extra variables, an injected clock), template selection with its ChatML fallback, and the
// `{date}` system prompt helper. Expected texts are worked out by hand from jinja2's semantics.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTokenizer
import TestSupport
@testable import QuillAssistant

@Suite("Jinja chat template")
struct JinjaChatTemplateTests {
    static let utc = TimeZone(identifier: "UTC")!

    @Test func rendersAChatMLStyleTemplate() throws {
        // Qwen2.5's layout, reduced: trim_blocks removes the newline after each block tag, `{%-` the one
        // after each `}}` (which trim_blocks leaves).
        let source = """
        {% for message in messages %}
        {{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
        {%- endfor %}
        {% if add_generation_prompt %}
        {{ '<|im_start|>assistant\\n' }}
        {%- endif %}
        """
        let t = try JinjaChatTemplate(source: source)
        let text = try t.render([.system("Be brief."), .user("Hi")], options: .init())
        #expect(text == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(text == (try ChatMLTemplate().render([.system("Be brief."), .user("Hi")], options: .init())))
    }

    @Test func messageDictsCarryToolCallsAndResults() throws {
        let source = "{% for m in messages %}{{ m.role }}:{{ m.content }}"
            + "{% for c in m.tool_calls | default([]) %}[{{ c.id }} {{ c.type }} {{ c.function.name }} {{ c.function.arguments.city }} {{ c.function.arguments | tojson }}]{% endfor %}"
            + "{% if m.tool_call_id is defined %}<{{ m.tool_call_id }} {{ m.name }}>{% endif %};{% endfor %}"
        let messages = [
            ChatMessage(role: "assistant", content: nil, toolCalls: [ChatToolCall(id: "c1", name: "weather", arguments: #"{"city":"Zürich","days":2}"#)]),
            ChatMessage(role: "tool", content: "sunny", toolCallID: "c1", name: "weather"),
        ]
        let text = try JinjaChatTemplate(source: source).render(messages, options: .init())
        #expect(text == #"assistant:None[c1 function weather Zürich {"city": "Zürich", "days": 2}];tool:sunny<c1 weather>;"#)
    }

    @Test func argumentsThatAreNotAnObjectStayText() throws {
        let source = "{{ messages[0].tool_calls[0].function.arguments | tojson }}"
        let m = ChatMessage(role: "assistant", content: nil, toolCalls: [ChatToolCall(id: "1", name: "f", arguments: "not json")])
        #expect(try JinjaChatTemplate(source: source).render([m], options: .init()) == "\"not json\"")
    }

    @Test func toolsAreNoneWithoutDefinitionsAndAListWithThem() throws {
        let source = "{{ tools is none }} {{ tools is defined }}{% if tools %} {{ tools[0].function.name }}{% endif %} {{ documents }}"
        let t = try JinjaChatTemplate(source: source)
        #expect(try t.render([], options: .init()) == "True True None")
        let tool = JSONValue.object([("type", .string("function")), ("function", .object([("name", .string("get_time"))]))])
        #expect(try t.render([], options: .init(tools: [tool])) == "False True get_time None")
    }

    @Test func specialTokensExtraVariablesAndTheClock() throws {
        let source = "{{ bos_token }}{{ enable_thinking }} {{ strftime_now('%d %B %Y') }}{{ eos_token }}"
        let t = try JinjaChatTemplate(source: source, now: { Date(timeIntervalSince1970: 0) }, timeZone: Self.utc)
        let text = try t.render([], options: .init(bosToken: "<s>", eosToken: "</s>", extra: ["enable_thinking": .bool(false)]))
        #expect(text == "<s>False 01 January 1970</s>")
    }

    @Test func aTemplateThatDoesNotParseIsATypedError() {
        #expect(throws: JinjaError.self) { try JinjaChatTemplate(source: "{% for m in messages %}") }
    }

    @Test func systemPromptDatePlaceholder() {
        let day = Date(timeIntervalSince1970: 1_773_480_413)   // 2026-03-14 09:26:53 UTC
        #expect(SystemPrompt.expand("Today is {date}. Again: {date}.", date: day, timeZone: Self.utc)
                == "Today is 2026-03-14. Again: 2026-03-14.")
        #expect(SystemPrompt.expand("Write {{date}} literally, but {date}", date: day, timeZone: Self.utc)
                == "Write {date} literally, but 2026-03-14")
        #expect(SystemPrompt.expand("No placeholder", date: day) == "No placeholder")
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        #expect(SystemPrompt.dateText(Date(timeIntervalSince1970: 1_773_510_000), timeZone: tokyo) == "2026-03-15")
        #expect(SystemPrompt.withDate("Be brief.", date: day, timeZone: Self.utc) == "Be brief.\nToday's date is 2026-03-14.")
        #expect(SystemPrompt.withDate("", date: day, timeZone: Self.utc) == "Today's date is 2026-03-14.")
        #expect(SystemPrompt.withDate("On {date}:", date: day, timeZone: Self.utc) == "On 2026-03-14:")
    }

    static func tinyModel(template: String?) throws -> GenerationModel {
        let gpt = try GPT(config: GPTConfig(nLayer: 1, nHead: 1, nEmbd: 8, contextLength: 16, vocabularySize: 257, eosTokenID: 256), seed: 1)
        return GenerationModel(model: gpt, tokenizer: ByteTokenizer(), chatTemplate: template)
    }

    @Test func selectionUsesTheModelsTemplateOrFallsBackWithAReason() throws {
        let own = try Self.tinyModel(template: "{% for m in messages %}[{{ m.role }}] {{ m.content }}<|eot_id|>{% endfor %}")
        let chosen = chooseChatTemplate(for: own)
        #expect(chosen.fallbackReason == nil)
        #expect(chosen.template is JinjaChatTemplate)
        #expect(chosen.stops.contains("<|eot_id|>"))
        #expect(try chosen.template.render([.user("Hi")], options: chosen.options) == "[user] Hi<|eot_id|>")

        let broken = chooseChatTemplate(for: try Self.tinyModel(template: "{% if messages %}unclosed"))
        #expect(broken.template is ChatMLTemplate)
        #expect(broken.fallbackReason?.contains("syntax error") == true)
        #expect(broken.fallbackReason?.contains("line 1") == true)

        let none = chooseChatTemplate(for: try Self.tinyModel(template: nil))
        #expect(none.template is ChatMLTemplate)
        #expect(none.fallbackReason == "the model declares no chat template")
    }

    static let smolLM2 = Fixtures.asset("SmolLM2-135M-Instruct.Q4_1.gguf")

    @Test(.enabled(if: smolLM2 != nil, "SmolLM2-135M-Instruct.Q4_1.gguf asset absent: run Scripts/setup/fetch_assets.sh"))
    func smolLM2sOwnTemplateIsChatML() throws {
        let model = try ModelRegistry.loadForGeneration(path: try #require(Self.smolLM2))
        let (template, stops) = makeChatTemplate(for: model)
        #expect(template is JinjaChatTemplate)
        #expect(stops.contains("<|im_end|>"))
        let conversation: [ChatMessage] = [.system("Be brief."), .user("Hi"), .assistant("Hello!"), .user("Bye")]
        #expect(try template.render(conversation, options: .init()) == (try ChatMLTemplate().render(conversation, options: .init())))
    }
}

@Suite("Chat format with null content")
struct ChatFormatNullContentTests {
    /// A template that concatenates `m.content` fails on the null content of an assistant tool-call turn
    /// (jinja2 raises TypeError there too); ChatFormat renders that turn with empty text instead.
    @Test func nullContentTurnsRenderAsEmptyText() throws {
        let source = "{% for m in messages %}{{ '<' + m.role + '>' + m.content + '</>' }}{% endfor %}"
        let messages = [ChatMessage.user("Hi"), ChatMessage(role: "assistant", content: nil)]
        #expect(throws: (any Error).self) { try JinjaChatTemplate(source: source).render(messages, options: .init()) }
        let format = ChatFormat(model: try JinjaChatTemplateTests.tinyModel(template: source))
        let prompt = try format.encode(messages)
        #expect(prompt.text == "<user>Hi</><assistant></>")
        #expect(prompt.tokens == Array("<user>Hi</><assistant></>".utf8).map(Int.init))   // byte tokenizer
    }

    /// A template failing for another reason is still refused, naming the template.
    @Test func otherTemplateFailuresStayErrors() throws {
        let source = "{{ raise_exception('no assistant turns') if messages[-1].role == 'assistant' else '' }}"
        let format = ChatFormat(model: try JinjaChatTemplateTests.tinyModel(template: source))
        #expect(throws: ChatFormatError.self) { try format.encode([.user("Hi"), ChatMessage(role: "assistant", content: nil)]) }
    }
}
