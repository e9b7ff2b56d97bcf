// Chat rows for SFT: JSONL errors name the line, the assistant mask covers exactly the tokens a
// reply's rendering adds (hand-worked with a toy template), and the Trainer fine-tunes llama_tiny on
// packed masked examples: the held-out assistant loss falls and resume is bit-identical.
import Foundation
import Testing
import QuillModels
import QuillTensor
import TestSupport
@testable import QuillTraining

@Suite("SFT conversations and fine-tuning")
struct SFTConversationTests {
    @Test func badRowsNameTheirLine() throws {
        func error(_ text: String) -> String {
            do { _ = try SFTConversations.parse(Data(text.utf8), name: "chat.jsonl"); return "no error" } catch { return "\(error)" }
        }
        let good = #"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}"#
        #expect(try SFTConversations.parse(Data("\(good)\n\n\(good)\n".utf8), name: "x").count == 2)
        #expect(error("\(good)\n{not json\n").contains("chat.jsonl:2: not JSON"))
        #expect(error("\(good)\n\n[1]").contains("chat.jsonl:3: expected an object"))
        #expect(error(#"{"messages": []}"#).contains("chat.jsonl:1: expected a non-empty"))
        #expect(error(#"{"messages": [{"role": "user"}]}"#).contains("chat.jsonl:1: messages[0] has no string \"content\""))
        #expect(error(#"{"messages": [{"role": "user", "content": "a"}]}"#).contains("chat.jsonl:1: no assistant message"))
        #expect(error(#"{"messages": [{"role": "assistant", "content": "a"}]}"#).contains("chat.jsonl:1: messages[0] is an assistant"))
        #expect(error("\n\n").contains("holds no rows"))
    }

    /// A toy template: each message is [roleID, content chars..., 1 (end of turn)]; the generation
    /// prompt is [9] (assistant role id). So for [user "ab", assistant "c", user "d", assistant "ef"]:
    /// tokens 7 a b 1 | 9 c 1 | 7 d 1 | 9 e f 1, trained: c 1 and e f 1 (role ids are the prompt's).
    @Test func maskCoversRepliesAndTheirEndOfTurn() throws {
        let messages = [SFTMessage(role: "user", content: "ab"), SFTMessage(role: "assistant", content: "c"),
                        SFTMessage(role: "user", content: "d"), SFTMessage(role: "assistant", content: "ef")]
        func render(_ count: Int, _ prompt: Bool) -> [Int32] {
            messages.prefix(count).flatMap { m in
                [m.role == "user" ? 7 : 9] + m.content.unicodeScalars.map { Int32($0.value) } + [1]
            } + (prompt ? [9] : [])
        }
        let example = try SFTConversations.example(messages, name: "row 1", render: render)
        let (a, b, c, d, e, f) = (Int32(97), Int32(98), Int32(99), Int32(100), Int32(101), Int32(102))
        #expect(example.tokens == [7, a, b, 1, 9, c, 1, 7, d, 1, 9, e, f, 1])
        #expect(example.lossMask == [false, false, false, false, false, true, true, false, false, false, false, true, true, true])
        // A template that rewrites earlier turns cannot be masked by prefixes: a typed error.
        #expect(throws: TrainingError.self) {
            try SFTConversations.example(messages, name: "row 1") { count, prompt in render(count, prompt).reversed() }
        }
    }

    /// Toy conversations over llama_tiny's 64 ids: prompts are random, replies a fixed function of the
    /// prompt, so the held-out assistant loss can only fall by learning it.
    static func examples(_ count: Int, seed: UInt64) -> [SFTExample] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            let prompt = (0..<3).map { _ in Int32(3 + rng.nextInt(below: 20)) }
            let reply = prompt.map { $0 + 30 } + [2]
            return SFTExample(segments: [([1] + prompt, false), (reply, true)])
        }
    }

    @Test func fineTunesLlamaOnMaskedExamplesAndResumes() throws {
        var c = TrainingConfig()
        c.model = TrainerFamilyTests.llamaTiny.path
        c.data = "toy.jsonl"; c.batchSize = 4; c.sequenceLength = 16; c.gradientAccumulation = 1
        c.maxSteps = 12; c.learningRate = 1e-2; c.minLearningRate = 1e-3; c.warmupSteps = 2
        c.evalInterval = 6; c.evalBatches = 1; c.checkpointInterval = 100
        let data = TrainingData.sft(train: Self.examples(64, seed: 1), validation: Self.examples(8, seed: 2), padToken: 0)
        func trainer(_ out: URL, resume: Bool = false) throws -> Trainer {
            try Trainer(config: c, output: out, tokenizerName: "toy", vocabularySize: 64, eosTokenID: 2, resume: resume, data: data)
        }
        let straight = try trainer(temporaryDirectory("sft-straight"))
        let before = try straight.evaluate()
        try straight.run()
        let after = straight.state.validationLosses.last!.loss
        #expect(after < before - 0.5, "held-out assistant loss \(before) → \(after)")
        let out = temporaryDirectory("sft-split")
        try trainer(out).run(stopAfter: 5)
        let resumed = try trainer(out, resume: true)
        try resumed.run()
        #expect(resumed.state.trainLosses == straight.state.trainLosses)
        #expect(resumed.state.validationLosses == straight.state.validationLosses)
        print("SFT toy: held-out assistant loss \(before) → \(after) in 12 steps")
    }
}
