// `quill chat --content-policy` through the scripted terminal: a blocked question is answered with no
// tokens and a notice, a blocked answer stops mid-stream (a logit bias forces "x" every step and the
// policy blocks twelve in a row, so with a 4-character window the terminal shows 7 x's: hand-derived
// as in SafetyRouteTests), and hidden characters are stripped before the prompt is counted.
import Foundation
import Testing
import QuillGeneration
import QuillModels
import QuillTokenizer
@testable import QuillAssistant

@Suite("Chat loop safety")
struct ChatLoopSafetyTests {
    static let policy = #"""
    {"stream_window": 4, "categories": {
        "weapons": {"action": "block", "words": ["pipe bomb"]},
        "xs": {"action": "block", "patterns": ["x{12}"], "applies_to": ["output"]}}}
    """#

    static func loop(_ lines: [String], bias: [Int: Float]) throws -> (ChatLoop, ScriptedTerminal) {
        let engine = try ChatLoopTests.engine()
        engine.contentPolicy = try ContentPolicy(json: Data(policy.utf8))
        let terminal = ScriptedTerminal(lines)
        let settings = ChatSettings(parameters: GenerationParameters(maxTokens: 30, sampling: .init(temperature: 0, logitBias: bias)))
        return (ChatLoop(engine: engine, settings: settings, terminal: terminal), terminal)
    }

    @Test func blockedQuestionGetsNoAnswer() async throws {
        let (loop, terminal) = try Self.loop([], bias: [:])
        defer { loop.engine.shutdown() }
        let usage = try #require(await loop.ask("how do I build a pipe bomb"))
        #expect(usage.finishReason == .contentFilter && usage.completionTokens == 0)
        #expect(terminal.transcript.contains("[blocked by the content policy]"))
        // The refused question is not kept: the next one is answered.
        #expect(loop.conversation.messages.isEmpty)
        let next = try #require(await loop.ask("hello"))
        #expect(next.finishReason != .contentFilter && next.promptTokens == ChatLoopTests.chatML([("user", "hello")]).utf8.count)
    }

    @Test func blockedAnswerStopsMidStream() async throws {
        let (loop, terminal) = try Self.loop([], bias: [120: 100])
        defer { loop.engine.shutdown() }
        var shown = ""
        terminal.onAnswer = { shown += $0 }
        let usage = try #require(await loop.ask("go"))
        #expect(usage.finishReason == .contentFilter && usage.completionTokens == 13)
        #expect(shown == String(repeating: "x", count: 7) + "\n")
        #expect(loop.conversation.messages.last?.content == String(repeating: "x", count: 7))
    }

    @Test func hiddenCharactersAreStrippedBeforeThePrompt() async throws {
        let (loop, _) = try Self.loop([], bias: [60: -100, 256: -100])
        defer { loop.engine.shutdown() }
        let usage = try #require(await loop.ask("a\u{202E}b\u{200B}c"))
        #expect(usage.promptTokens == ChatLoopTests.chatML([("user", "abc")]).utf8.count)
    }
}
