// `Generator` over models loaded the way `quill generate --model` loads them (ModelRegistry, from a
// directory and from GGUF): greedy ids on the tiny Llama / Qwen2 / GPT-2 fixtures equal the numpy
// reference tokens in greedy.safetensors.
import Foundation
import Testing
import QuillGeneration
import QuillModels
import QuillTokenizer
import TestSupport

@Suite("Generation from model files")
struct ModelGenerationTests {
    static func fixture(_ folder: String) -> URL {
        Fixtures.repositoryRoot.appendingPathComponent("Tests/QuillModelsTests/Fixtures/\(folder)")
    }

    static func greedy(_ model: any LanguageModel, tokenizer: any Tokenizer, prompt: [Int], count: Int) throws -> [Int] {
        let parameters = GenerationParameters(maxTokens: count, sampling: SamplingParameters(temperature: 0),
                                              stopAtEndOfText: false)
        return try Generator(model: model, tokenizer: tokenizer).generate(promptTokens: prompt, parameters: parameters).tokens
    }

    @Test(arguments: ["llama_tiny", "qwen2_tiny", "gpt2_tiny"])
    func greedyTokensMatchTheReferenceFromDirectoryAndGGUF(folder: String) throws {
        let dir = Self.fixture(folder), greedyURL = dir.appendingPathComponent("greedy.safetensors")
        let prompt = try Fixtures.integers(greedyURL, "prompt"), expected = try Fixtures.integers(greedyURL, "generated")
        // The fixtures have no tokenizer; ids-level generation only needs one to decode, so bytes do.
        let model = try ModelRegistry.loadLanguageModel(directory: dir)
        #expect(try Self.greedy(model, tokenizer: ByteTokenizer(), prompt: prompt, count: expected.count) == expected)
        let gguf = FileManager.default.temporaryDirectory.appendingPathComponent("quill-gen-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: gguf) }
        try ModelConverter.convert(input: dir, output: gguf, type: .f32)
        let loaded = try ModelRegistry.loadForGeneration(path: gguf)
        #expect(try Self.greedy(loaded.model, tokenizer: loaded.tokenizer, prompt: prompt, count: expected.count) == expected)
    }

    @Test func largeVocabularyWithoutTokenizerIsATypedError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-notok-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = LlamaConfig(vocabularySize: 300, hiddenSize: 16, intermediateSize: 32, layerCount: 1, headCount: 2,
                                 maxPositionEmbeddings: 16)
        try Llama(config: config).save(directory: dir)
        #expect(throws: ModelError.self) { _ = try ModelRegistry.loadForGeneration(path: dir) }
        // Up to 257 ids, the byte tokenizer stands in (Quill's byte-level models; these fixtures).
        #expect(try ModelRegistry.loadForGeneration(path: Self.fixture("llama_tiny")).tokenizer is ByteTokenizer)
    }
}
