// End-to-end generation on a tiny random GPT with the byte tokenizer: greedy equals a full
// recompute without cache, seeds reproduce, stop strings cut and never leak, limits hold.
import Foundation
import Testing
import QuillModels
import QuillTensor
import QuillTokenizer
@testable import QuillGeneration

func tinyModel() throws -> GPT {
    try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 64, vocabularySize: 257, eosTokenID: 256), seed: 11)
}

@Suite("Generator")
struct GeneratorTests {
    @Test func greedyWithCacheEqualsRecomputingEverything() throws {
        let model = try tinyModel()
        let gen = Generator(model: model, tokenizer: ByteTokenizer())
        let params = GenerationParameters(maxTokens: 20, sampling: .init(temperature: 0), stopAtEndOfText: false)
        let result = try gen.generate(prompt: "Hello", parameters: params)
        var ids = ByteTokenizer().encode("Hello")
        var rng = RandomGenerator(seed: 0)
        for _ in 0..<20 {
            let logits = model.logits(ids.map { Int32($0) }, batch: 1, time: ids.count, rng: &rng)
            let V = model.vocabularySize
            let last = Array(logits.scalars[(ids.count - 1) * V..<ids.count * V])
            ids.append(Sampler.argmax(last))
        }
        #expect(result.tokens == Array(ids.dropFirst(5)))
        #expect(result.finishReason == .length)
    }

    @Test func sameSeedSameText() throws {
        let model = try tinyModel()
        let p = GenerationParameters(maxTokens: 30, sampling: .init(temperature: 1, topK: 20, seed: 5))
        let a = try Generator(model: model, tokenizer: ByteTokenizer()).generate(prompt: "ab", parameters: p)
        let b = try Generator(model: model, tokenizer: ByteTokenizer()).generate(prompt: "ab", parameters: p)
        #expect(a.tokens == b.tokens && a.text == b.text)
        var q = p
        q.sampling.seed = 6
        let c = try Generator(model: model, tokenizer: ByteTokenizer()).generate(prompt: "ab", parameters: q)
        #expect(c.tokens != a.tokens)
    }

    @Test func streamedPiecesConcatenateToTheResult() throws {
        let gen = Generator(model: try tinyModel(), tokenizer: ByteTokenizer())
        var pieces = ""
        let r = try gen.generate(prompt: "x", parameters: .init(maxTokens: 25, sampling: .init(temperature: 1, seed: 2))) { pieces += $0 }
        #expect(pieces == r.text)
    }

    @Test func stopStringCutsOutputAndIsNotEmitted() {
        var f = StopStringFilter(["END"])
        var shown: [UInt8] = []
        var stopped = false
        for piece in ["ab", "cE", "N", "xE", "ND", "zz"] where !stopped {
            let r = f.append(Array(piece.utf8))
            shown += r.release
            stopped = r.stopped
        }
        #expect(stopped)
        #expect(String(decoding: shown, as: UTF8.self) == "abcENx")
    }

    @Test func limitsAndBadRequests() throws {
        let gen = Generator(model: try tinyModel(), tokenizer: ByteTokenizer())
        let r = try gen.generate(prompt: "a", parameters: .init(maxTokens: 7, sampling: .init(temperature: 0), stopAtEndOfText: false))
        #expect(r.tokens.count == 7)
        let long = String(repeating: "a", count: 64)
        #expect(throws: GenerationError.promptTooLong(tokens: 64, contextLength: 64)) {
            try gen.generate(prompt: long, parameters: .init(maxTokens: 1))
        }
        // Context fills up: 60 prompt positions + 4 generated fill all 64; the 5th token is sampled
        // from the logits at position 63 and returned, then generation stops with "length".
        let near = try gen.generate(prompt: String(repeating: "a", count: 60), parameters: .init(maxTokens: 50, sampling: .init(temperature: 0), stopAtEndOfText: false))
        #expect(near.tokens.count == 5 && near.finishReason == .length)
        #expect(throws: GenerationError.self) { try gen.generate(prompt: "a", parameters: .init(maxTokens: -1)) }
    }

    /// The cache is sized from the request, not from the declared context (SmolLM2 declares 8192).
    @Test func cacheIsSizedByTheRequestedContext() throws {
        let long = try Llama(config: LlamaConfig(vocabularySize: 257, hiddenSize: 16, intermediateSize: 32, layerCount: 1,
                                                 headCount: 2, maxPositionEmbeddings: 8192), seed: 1)
        #expect(Generator(model: long, tokenizer: ByteTokenizer()).cacheCapacity == 4096)
        #expect(Generator(model: long, tokenizer: ByteTokenizer(), contextSize: 100).cacheCapacity == 100)
        #expect(Generator(model: try tinyModel(), tokenizer: ByteTokenizer()).cacheCapacity == 64)
        let gen = Generator(model: long, tokenizer: ByteTokenizer(), contextSize: 8)
        #expect(throws: GenerationError.promptTooLong(tokens: 8, contextLength: 8)) {
            try gen.generate(prompt: "abcdefgh", parameters: .init(maxTokens: 1))
        }
    }
}
