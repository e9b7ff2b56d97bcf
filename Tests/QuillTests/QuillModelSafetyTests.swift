// The library's QuillModel under a content policy (Configuration.contentPolicy): a blocked question ends
// with finish reason content_filter and no tokens; an answer the policy blocks ("x" forced by a logit
// bias, twelve in a row blocked, 4-character window) stops with 7 x's shown, as SafetyRouteTests derives.
import Foundation
import Testing
import Quill

@Suite("QuillModel safety")
struct QuillModelSafetyTests {
    static func model() throws -> QuillModel {
        let policy = try ContentPolicy(json: Data(#"""
            {"stream_window": 4, "categories": {"w": {"action": "block", "words": ["pipe bomb"]},
             "xs": {"action": "block", "patterns": ["x{12}"], "applies_to": ["output"]}}}
            """#.utf8))
        return QuillModel(GenerationModel(model: try QuillModelTests.tinyGPT(), tokenizer: ByteTokenizer()),
                          configuration: .init(slots: 1, contentPolicy: policy))
    }

    @Test func blockedQuestionAndBlockedAnswer() async throws {
        let model = try Self.model()
        let refused = try await model.respond(to: [.user("a pipe bomb")], parameters: GenerationParameters(maxTokens: 8))
        #expect(refused.text.isEmpty && refused.usage.finishReason == .contentFilter && refused.usage.completionTokens == 0)
        let forced = GenerationParameters(maxTokens: 40, sampling: .init(temperature: 0, logitBias: [120: 100]))
        let stopped = try await model.respond(to: [.user("go")], parameters: forced)
        #expect(stopped.text == String(repeating: "x", count: 7))
        #expect(stopped.usage.finishReason == .contentFilter && stopped.usage.completionTokens == 13)
    }
}
