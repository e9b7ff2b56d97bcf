// Generation stops on every end-of-generation id a model declares, not only its first end-of-text:
// a scripted model emits a fixed token sequence through the real decoder. The stop sets follow llama.cpp's
// rules (declared eos / eot / eom ids, and `<|im_end|>`-style texts); real GGUF vocabularies when present.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTensor
import QuillTokenizer
import TestSupport
@testable import QuillGeneration

/// A "model" whose next token is `script[k]` at the k-th generated position, whatever the input.
final class ScriptedModel: LanguageModel {
    let script: [Int]
    let promptLength: Int
    let vocabularySize: Int
    init(script: [Int], promptLength: Int, vocabularySize: Int) {
        self.script = script; self.promptLength = promptLength; self.vocabularySize = vocabularySize
    }
    var contextLength: Int { 64 }
    func makeCache() -> KVCache { KVCache(layers: 1, capacity: contextLength, width: 1) }
    func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        try checkTokens(tokens, startingAt: cache.length)
        cache.advance(by: tokens.count)
        var logits = [Float](repeating: 0, count: vocabularySize)
        logits[script[min(cache.length - promptLength, script.count - 1)]] = 10
        return Tensor(shape: [1, vocabularySize], scalars: logits)
    }
}

@Suite("Stop tokens")
struct StopTokenTests {
    /// A small byte-level vocabulary in llama.cpp's GGUF form: 256 bytes, then control tokens.
    static func vocabulary(specials: [String], eos: Int?) throws -> any Tokenizer {
        var tokens = (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) }
        tokens += specials
        let types = [Int32](repeating: 1, count: 256) + [Int32](repeating: 3, count: specials.count)
        var vocabulary = LlamaCppVocabulary(model: "gpt2", pre: "qwen2", tokens: tokens, tokenTypes: types, merges: [],
                                            source: "test.gguf")
        if let eos { vocabulary.tokenIDs["eos"] = eos }
        return try vocabulary.makeTokenizer()
    }

    static func generate(_ tokenizer: any Tokenizer, script: [Int], stops: Set<Int> = []) throws -> GenerationResult {
        let prompt = tokenizer.encode("hi")
        let model = ScriptedModel(script: script, promptLength: prompt.count, vocabularySize: tokenizer.vocabularySize)
        let parameters = GenerationParameters(maxTokens: 10, sampling: .init(temperature: 0), stopTokenIDs: stops)
        return try Generator(model: model, tokenizer: tokenizer).generate(promptTokens: prompt, parameters: parameters)
    }

    @Test func qwenStyleImEndStopsAlthoughEOSIsEndOfText() throws {
        // Qwen2: eos_token_id = <|endoftext|> (256); <|im_end|> (258) ends a chat turn.
        let tokenizer = try Self.vocabulary(specials: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], eos: 256)
        #expect(tokenizer.endOfGenerationIDs == [256, 258])
        let result = try Self.generate(tokenizer, script: [0x4F, 0x4B, 258, 0x58, 0x59])
        #expect(result.tokens == [0x4F, 0x4B])
        #expect(result.finishReason == .stop)
        #expect(result.text == "OK")
    }

    @Test func llama3EotIDStopsAlthoughEOSIsEndOfText() throws {
        let tokenizer = try Self.vocabulary(specials: ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"], eos: 257)
        #expect(tokenizer.endOfGenerationIDs == [257, 258])
        let result = try Self.generate(tokenizer, script: [0x41, 258, 0x42])
        #expect(result.tokens == [0x41] && result.finishReason == .stop)
    }

    @Test func requestStopIDsAddToTheTokenizers() throws {
        let tokenizer = try Self.vocabulary(specials: ["<|endoftext|>"], eos: 256)
        let result = try Self.generate(tokenizer, script: [0x41, 0x42, 0x43], stops: [0x42])
        #expect(result.tokens == [0x41] && result.finishReason == .stop)
        let ignoring = GenerationParameters(maxTokens: 3, sampling: .init(temperature: 0), stopAtEndOfText: false,
                                            stopTokenIDs: [0x42])
        #expect(ignoring.endOfGenerationIDs(tokenizer).isEmpty)
    }

    @Test func declaredEOTAndEOMIDsEndGeneration() throws {
        let tokens = (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) } + ["<a>", "<b>", "<c>"]
        var vocabulary = LlamaCppVocabulary(model: "gpt2", pre: "gpt-2", tokens: tokens,
                                            tokenTypes: [Int32](repeating: 1, count: 256) + [3, 3, 3], merges: [], source: "t.gguf")
        vocabulary.tokenIDs = ["eos": 256, "eot": 257, "eom": 258]
        #expect(try vocabulary.makeTokenizer().endOfGenerationIDs == [256, 257, 258])
    }

    static let vocab = Fixtures.asset("llama.cpp/vocab")

    @Test(.enabled(if: vocab != nil, "llama.cpp vocab files absent: run Scripts/setup/fetch_assets.sh"))
    func realQwen2AndLlama3VocabulariesStopOnTheirTurnEnd() throws {
        for (name, turnEnd, text) in [("qwen2", 151645, "<|im_end|>"), ("llama-bpe", 128009, "<|eot_id|>")] {
            let url = Self.vocab!.appendingPathComponent("ggml-vocab-\(name).gguf")
            let tokenizer = try #require(try GGUFTokenizer.load(GGUFFile(url: url)))
            #expect(tokenizer.encode(text, parseSpecial: true) == [turnEnd])
            #expect(tokenizer.endOfGenerationIDs.contains(turnEnd), "\(name)")
            let ok = tokenizer.encode("OK")
            let result = try Self.generate(tokenizer, script: ok + [turnEnd, ok[0]])
            #expect(result.tokens == ok && result.finishReason == .stop, "\(name)")
        }
    }
}
