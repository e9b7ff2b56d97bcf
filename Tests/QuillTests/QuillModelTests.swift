// The library entry point: `QuillModel` answers chats from many tasks at once exactly as it answers each
// alone (same seed, same text), a cancelled consumer ends its stream and frees its slot, a model saved to
// disk loads by path, and a bad path or a directory that holds no model is a typed error.
import Foundation
import Testing
import Quill

@Suite("QuillModel")
struct QuillModelTests {
    static func tinyGPT() throws -> GPT {
        try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 256, vocabularySize: 257, eosTokenID: 256), seed: 5)
    }

    static func model(slots: Int) throws -> QuillModel {
        QuillModel(GenerationModel(model: try tinyGPT(), tokenizer: ByteTokenizer()), configuration: .init(slots: slots))
    }

    /// Sampled (not greedy) so each request's seed matters; end-of-text and "<" banned so none stops early.
    static func parameters(seed: UInt64, maxTokens: Int = 24) -> GenerationParameters {
        GenerationParameters(maxTokens: maxTokens, sampling: .init(temperature: 0.9, topK: 50, logitBias: [256: -100, 60: -100], seed: seed))
    }

    static let questions = ["Hi", "What is 2 + 2?", "Name a colour.", "Tell me a story about a cat.", "Why?", "Bonjour", "ok", "And then?"]

    @Test func concurrentChatsEqualSoloRuns() async throws {
        let solo = try Self.model(slots: 1)
        var expected: [String] = []
        for (i, q) in Self.questions.enumerated() {
            expected.append(try await solo.respond(to: [.system("Be brief."), .user(q)], parameters: Self.parameters(seed: UInt64(i))).text)
        }
        #expect(Set(expected).count > 1)                           // the seeds and prompts give different answers
        let shared = try Self.model(slots: 3)                      // 8 tasks, 3 slots: some wait in the queue
        let answers = try await withThrowingTaskGroup(of: (Int, String, ChatUsage).self) { group in
            for (i, q) in Self.questions.enumerated() {
                group.addTask {
                    let r = try await shared.respond(to: [.system("Be brief."), .user(q)], parameters: Self.parameters(seed: UInt64(i)))
                    return (i, r.text, r.usage)
                }
            }
            var out = [String](repeating: "", count: Self.questions.count)
            for try await (i, text, usage) in group {
                out[i] = text
                #expect(usage.completionTokens == 24 && usage.finishReason == .length)
            }
            return out
        }
        #expect(answers == expected)
    }

    @Test func cancellingTheConsumerEndsTheStreamAndFreesTheSlot() async throws {
        let model = try Self.model(slots: 1)
        let stream = await model.chat(messages: [.user("Go on and on.")], parameters: Self.parameters(seed: 1, maxTokens: 200))
        let consumer = Task {
            var tokens = 0
            for try await event in stream {
                if case .token = event { tokens += 1 }
                if tokens == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return tokens
        }
        let seen = try await consumer.value                        // returns: the stream ended
        #expect(seen >= 3 && seen < 200)
        for _ in 0..<200 where model.status.outstanding > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(model.status.outstanding == 0)
        // The model still answers afterwards.
        let after = try await model.respond(to: [.user("Hi")], parameters: Self.parameters(seed: 2, maxTokens: 5))
        #expect(after.usage.completionTokens == 5)
    }

    @Test func errorsArriveInTheStream() async throws {
        let model = try Self.model(slots: 2)
        await #expect(throws: ChatFormatError.invalidRole(index: 0, role: "robot")) {
            _ = try await model.respond(to: [ChatMessage(role: "robot", content: "beep")])
        }
        await #expect(throws: GenerationError.promptTooLong(tokens: 300, contextLength: 256)) {
            _ = try await model.respond(to: [.user(String(repeating: "x", count: 250))])   // 250 + 50 bytes of ChatML
        }
        await #expect(throws: GenerationError.self) {
            _ = try await QuillModel.collect(model.generate(prompt: "Hi", parameters: .init(maxTokens: -1)))
        }
    }

    @Test func loadsByPathAndRefusesBadOnes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-model-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.tinyGPT().save(directory: dir)
        let loaded = try await QuillModel.load(dir.path, configuration: .init(slots: 2))
        let inMemory = try Self.model(slots: 1)
        let p = Self.parameters(seed: 9, maxTokens: 12)
        let a = try await QuillModel.collect(loaded.generate(prompt: "ROMEO:", parameters: p))
        let b = try await QuillModel.collect(inMemory.generate(prompt: "ROMEO:", parameters: p))
        #expect(a.text == b.text && a.usage.completionTokens == 12)

        await #expect(throws: QuillModelError.notFound("/no/such/model")) { _ = try await QuillModel.load("/no/such/model") }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("quill-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        await #expect(throws: ModelError.self) { _ = try await QuillModel.load(empty.path) }
    }
}
