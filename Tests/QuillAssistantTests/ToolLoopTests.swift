// The tool loop of `quill chat --tools`, end to end on a scripted model (byte tokenizer; its logits spell
// a fixed answer): the first answer is a Hermes call to the calculator, the loop runs it, feeds the result
// back as a tool turn, and the second answer echoes the result it finds in its prompt. Also the
// calculator's values (worked out by hand) and refusals, and the tools file.
import Foundation
import QuillFormats
import QuillModels
import QuillTensor
import QuillTokenizer
import Testing
@testable import QuillAssistant

/// A tiny GPT for the cache whose logits are replaced: it writes a call until its prompt holds a
/// `<tool_response>`, then "The result is X." with X the response's text, then ends (id 256).
final class ScriptedToolModel: LanguageModel, @unchecked Sendable {
    let base: GPT
    private var sequences: [ObjectIdentifier: [Int]] = [:]
    private let lock = NSLock()
    static let call = "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"17 * 23\"}}\n</tool_call>"

    init() throws {
        base = try GPT(config: GPTConfig(nLayer: 1, nHead: 2, nEmbd: 16, contextLength: 4096, vocabularySize: 257, eosTokenID: 256), seed: 3)
    }
    var vocabularySize: Int { base.vocabularySize }
    var contextLength: Int { base.contextLength }
    func makeCache() -> KVCache { base.makeCache() }

    func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        let key = ObjectIdentifier(cache)
        let sequence = lock.withLock {
            let s = Array((sequences[key] ?? []).prefix(cache.length)) + tokens
            sequences[key] = s
            return s
        }
        let logits = try base.forward(tokens, cache: cache, allLogits: allLogits)
        let next = Self.nextByte(String(decoding: sequence.map { UInt8(min($0, 255)) }, as: UTF8.self))
        let V = vocabularySize, row = logits.shape.count == 2 ? logits.shape[0] - 1 : 0
        for v in 0..<V { logits.data[row * V + v] = v == next ? 50 : -50 }
        return logits
    }

    /// The next id of the scripted answer for a sequence (prompt and answer so far).
    static func nextByte(_ text: String) -> Int {
        guard let start = text.range(of: "<|im_start|>assistant\n", options: .backwards) else { return 256 }
        let prompt = text[..<start.lowerBound], written = Array(text[start.upperBound...].utf8)
        var answer = call
        if let open = prompt.range(of: "<tool_response>\n", options: .backwards),
           let close = prompt[open.upperBound...].range(of: "\n</tool_response>") {
            answer = "The result is \(prompt[open.upperBound..<close.lowerBound])."
        }
        let bytes = Array(answer.utf8)
        return written.count < bytes.count ? Int(bytes[written.count]) : 256
    }
}

@Suite("Tool loop and built-in tools")
struct ToolLoopTests {
    @Test func theChatLoopRunsTheCallAndAnswersWithItsResult() async throws {
        let engine = ChatEngine(model: GenerationModel(model: try ScriptedToolModel(), tokenizer: ByteTokenizer()), prefixCacheSize: 0)
        defer { engine.shutdown() }
        #expect(engine.toolPrompter == ToolPrompter(format: .hermes, templateRendersTools: false))
        let terminal = ScriptedTerminal([])
        var answer = ""
        terminal.onAnswer = { answer += $0 }
        let loop = ChatLoop(engine: engine, settings: ChatSettings(parameters: .init(maxTokens: 200, sampling: .init(temperature: 0))),
                            terminal: terminal)
        loop.toolbox = Toolbox([Toolbox.calculator, Toolbox.dateTime()])
        let usage = await loop.ask("What is 17 * 23?")
        #expect(usage?.finishReason == .stop, "\(terminal.transcript)")
        #expect(terminal.transcript.contains(#"[tool call] calculator({"expression":"17 * 23"})"#), "\(terminal.transcript)")
        #expect(terminal.transcript.contains("[tool result] 391\n"))
        #expect(answer.trimmingCharacters(in: .whitespacesAndNewlines) == "The result is 391.", "call markup must not be shown: \(answer)")
        let messages = loop.conversation.messages
        #expect(messages.map(\.role) == ["user", "assistant", "tool", "assistant"])
        #expect(messages[1].toolCalls.map(\.name) == ["calculator"] && messages[1].content == nil)
        #expect(messages[2].content == "391" && messages[2].toolCallID == messages[1].toolCalls.first?.id)
        #expect(messages[3].content == "The result is 391.")
    }

    @Test(arguments: [
        ("2 * (3 + 4) ^ 2", 98.0), ("-2^2", -4), ("2^3^2", 512), ("10 % 4", 2), ("sqrt(16) + ln(e)", 5), ("3.5e2 - 1_000", -650),
        ("7 / 2", 3.5), ("abs(-3) * floor(2.7)", 6), ("(1 + 2) * -(3 - 5)", 6), ("17 × 23", 391), ("log(1000)", 3),
    ])
    func calculatorValues(_ expression: String, _ value: Double) throws {
        #expect(abs(try Calculator.evaluate(expression) - value) < 1e-9)
    }

    @Test(arguments: ["1 / 0", "2 +", "import os", "(1 + 2", "2 ** 3", "", "sqrt 4", String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100)])
    func calculatorRefusals(_ expression: String) {
        #expect(throws: CalculatorError.self) { try Calculator.evaluate(expression) }
    }

    @Test func calculatorFormatsLikePeopleWrite() {
        #expect(Calculator.format(98) == "98" && Calculator.format(0.1 + 0.2) == "0.3" && Calculator.format(-2.5) == "-2.5")
    }

    @Test func theToolsFileEnablesBuiltinsAndRefusesOthers() throws {
        let available = Toolbox.builtins()
        let names = try Toolbox.load(Data(#"["calculator", "current_datetime"]"#.utf8), available: available)
        #expect(names.definitions.map(\.name) == ["calculator", "current_datetime"])
        let custom = try Toolbox.load(Data(#"[{"type": "function", "function": {"name": "calculator", "description": "Maths."}}]"#.utf8), available: available)
        #expect(custom.definitions.first?.description == "Maths.")
        for bad in [#"["weather"]"#, #"["calculator", "calculator"]"#, "[]", "{", #"["search_documents"]"#] {
            #expect(throws: ToolboxError.self, "\(bad)") { try Toolbox.load(Data(bad.utf8), available: available) }
        }
        #expect(names.run(ChatToolCall(id: "1", name: "calculator", arguments: #"{"expression": "6 * 7"}"#)) == "42")
        #expect(names.run(ChatToolCall(id: "1", name: "calculator", arguments: "not json")).hasPrefix("error:"))
        #expect(names.run(ChatToolCall(id: "1", name: "nope", arguments: "{}")).hasPrefix("error: no tool named 'nope'"))
        let fixed = Toolbox([Toolbox.dateTime(now: { Date(timeIntervalSince1970: 1_773_480_413) })])
        #expect(fixed.run(ChatToolCall(id: "1", name: "current_datetime", arguments: #"{"timezone": "UTC"}"#)) == "Saturday 2026-03-14 09:26:53 (UTC)")
    }
}
