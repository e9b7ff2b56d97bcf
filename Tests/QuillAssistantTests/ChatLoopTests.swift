// `quill chat`'s loop driven through a scripted terminal (lines in, transcript out) on a tiny random GPT
// with the byte tokenizer, so a prompt's token count is the byte length of its ChatML text, written out
// here by hand: /save then /load, /reset, trimming the history to the context, and Ctrl-C mid-answer.
import Foundation
import Testing
import QuillGeneration
import QuillModels
import QuillTokenizer
@testable import QuillAssistant

/// Lines to read and everything written, in order; `onAnswer` sees each piece of answer text.
final class ScriptedTerminal: ChatTerminal, @unchecked Sendable {
    private var lines: [String]
    private(set) var transcript = ""
    var onAnswer: (String) -> Void = { _ in }

    init(_ lines: [String]) { self.lines = lines }

    func readLine(prompt: String) -> String? {
        guard !lines.isEmpty else { return nil }
        let line = lines.removeFirst()
        transcript += prompt + line + "\n"
        return line
    }

    func write(_ text: String, kind: ChatOutputKind) {
        transcript += text
        if kind == .answer { onAnswer(text) }
    }

    /// The prompt token counts of the usage lines, in order.
    var promptTokenCounts: [Int] {
        transcript.components(separatedBy: "\n").compactMap { line in
            guard line.hasPrefix("["), let end = line.range(of: " prompt tokens") else { return nil }
            return Int(line[line.index(after: line.startIndex)..<end.lowerBound])
        }
    }
}

@Suite("Chat loop")
struct ChatLoopTests {
    static func engine(contextLength: Int = 256) throws -> ChatEngine {
        let gpt = try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: contextLength, vocabularySize: 257,
                                            eosTokenID: 256), seed: 11)
        return ChatEngine(model: GenerationModel(model: gpt, tokenizer: ByteTokenizer()))
    }

    /// Greedy, ASCII-only (no "<", no end-of-text), so answers are exactly `maxTokens` bytes long.
    static func settings(maxTokens: Int) -> ChatSettings {
        var bias: [Int: Float] = [60: -100]
        for id in 128...256 { bias[id] = -100 }
        return ChatSettings(parameters: GenerationParameters(maxTokens: maxTokens, sampling: .init(temperature: 0, logitBias: bias)),
                            pricePerMillion: 2.5)
    }

    /// ChatML, as the template renders it, with the generation prompt.
    static func chatML(_ messages: [(String, String)]) -> String {
        messages.map { "<|im_start|>\($0.0)\n\($0.1)<|im_end|>\n" }.joined() + "<|im_start|>assistant\n"
    }

    @Test func saveLoadResetAndCommands() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("quill-chat-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let terminal = ScriptedTerminal(["Hello", "/save \(file.path)", "/reset", "Hello", "/load \(file.path)", "More",
                                         "/system Be brief.", "/bogus", "/load /no/such/file.json", "/help", "/exit", "NEVER-READ"])
        let engine = try Self.engine()
        defer { engine.shutdown() }
        let loop = ChatLoop(engine: engine, settings: Self.settings(maxTokens: 6), terminal: terminal)
        await loop.run()

        let saved = try Conversation.load(from: file)
        #expect(saved.system == nil && saved.turns.count == 2 && saved.turns[0] == .user("Hello"))
        let answer = try #require(saved.turns[1].content)
        #expect(answer.utf8.count == 6)
        // After /reset the same question gets the same prompt, and (greedy) the same answer.
        #expect(terminal.transcript.components(separatedBy: answer + "\n").count - 1 >= 2)
        // After /load the history is back: "More" is asked with the first exchange before it.
        let counts = terminal.promptTokenCounts
        #expect(counts == [Self.chatML([("user", "Hello")]).utf8.count, Self.chatML([("user", "Hello")]).utf8.count,
                           Self.chatML([("user", "Hello"), ("assistant", answer), ("user", "More")]).utf8.count])
        #expect(loop.conversation.system == "Be brief." && loop.conversation.turns.count == 4)
        for notice in ["(saved 2 messages to \(file.path))", "(conversation cleared", "(loaded 2 messages from", "(system prompt set)",
                       "error: unknown command /bogus", "error: cannot read /no/such/file.json: no such file", "/save FILE"] {
            #expect(terminal.transcript.contains(notice), "missing \(notice)")
        }
        #expect(terminal.transcript.contains("$0.000") && !terminal.transcript.contains("NEVER-READ"))
    }

    @Test func oldestTurnsAreLeftOutToFitTheContext() async throws {
        // Context 256, answers of 8 tokens: prompts may take 248. The system prompt is 39 tokens of ChatML,
        // a question 60, an answer 41, the generation prompt 22: two exchanges fit, three do not.
        let questions = (0..<4).map { "Question \($0): " + String(repeating: "word ", count: 4) }
        let terminal = ScriptedTerminal(questions)
        let engine = try Self.engine()
        defer { engine.shutdown() }
        let loop = ChatLoop(engine: engine, system: "Be brief.", settings: Self.settings(maxTokens: 8), terminal: terminal)
        await loop.run()
        let turns = loop.conversation.turns
        #expect(turns.count == 8)                                  // the whole history is kept...
        let counts = terminal.promptTokenCounts
        #expect(counts.count == 4 && counts.allSatisfy { $0 <= 248 })
        // ...but each prompt holds the system prompt and only the newest exchanges that fit.
        for (i, count) in counts.enumerated() {
            var expected = 0
            for first in 0...i {
                let pairs = (first..<i).flatMap { [("user", questions[$0]), ("assistant", turns[2 * $0 + 1].content!)] }
                let size = Self.chatML([("system", "Be brief.")] + pairs + [("user", questions[i])]).utf8.count
                if size <= 248 { expected = size; break }
            }
            #expect(count == expected, "turn \(i)")
        }
        #expect(counts == [121, 222, 222, 222] && terminal.transcript.contains("(left out the oldest 1 turn to fit the 256-token context)"))
    }

    @Test func interruptStopsTheAnswerAndTheChatGoesOn() async throws {
        let terminal = ScriptedTerminal(["Tell me a long story.", "Hi"])
        let engine = try Self.engine()
        defer { engine.shutdown() }
        let loop = ChatLoop(engine: engine, settings: Self.settings(maxTokens: 150), terminal: terminal)
        var pieces = 0
        terminal.onAnswer = { piece in
            pieces += 1
            if pieces == 1 { #expect(loop.interrupt() == .stoppedAnswer) }
        }
        await loop.run()
        let turns = loop.conversation.turns
        #expect(turns.count == 4)
        #expect(try #require(turns[1].content).utf8.count < 150)   // cut short, kept as said so far
        #expect(try #require(turns[3].content).utf8.count == 150)  // the next answer runs to its end
        #expect(terminal.transcript.contains("[stopped]"))
        // The cancelled requests leave the scheduler idle.
        for _ in 0..<200 where engine.scheduler.currentStatus.outstanding > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(engine.scheduler.currentStatus.outstanding == 0)
    }

    @Test func interruptsAtThePromptArmThenLeave() throws {
        let engine = try Self.engine()
        defer { engine.shutdown() }
        let loop = ChatLoop(engine: engine, terminal: ScriptedTerminal([]))
        #expect(loop.interrupt() == .armed)
        #expect(loop.interrupt() == .exit)
    }

    @Test func aQuestionTooLongForTheContextIsAnErrorNotACrash() async throws {
        let terminal = ScriptedTerminal([String(repeating: "x", count: 400), "ok"])
        let engine = try Self.engine()
        defer { engine.shutdown() }
        let loop = ChatLoop(engine: engine, settings: Self.settings(maxTokens: 4), terminal: terminal)
        await loop.run()
        #expect(terminal.transcript.contains("error: the system prompt and the last message take"))
        #expect(loop.conversation.turns.map(\.role) == ["user", "assistant"] && loop.conversation.turns[0] == .user("ok"))
    }
}
