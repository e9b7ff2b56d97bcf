// GGUF models: the tiny GPT-2 / Llama / Qwen2 fixtures written as GGUF (llama.cpp names, Llama q/k
// permuted) load back with identical F32 logits, Q8_0/F16 within stated tolerances, the greedy fixture
// tokens through the GGUF path, GGUF → directory round trip, tokenizer metadata, and typed errors.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTensor
import QuillTokenizer
import TestSupport

@Suite("GGUF models")
struct GGUFModelTests {
    static let folders = ["gpt2_tiny", "llama_tiny", "qwen2_tiny"]

    static func directory(_ folder: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)")
    }

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("quill-gguf-\(UUID().uuidString)-\(name)")
    }

    /// All-position logits for `ids` in one pass.
    static func logits(_ model: any LanguageModel, _ ids: [Int]) throws -> [Float] {
        try model.forward(ids, cache: model.makeCache(), allLogits: true).scalars
    }

    static func greedy(_ model: any LanguageModel, prompt: [Int], count: Int) throws -> [Int] {
        let cache = model.makeCache()
        var logits = try model.forward(prompt, cache: cache).scalars
        var out: [Int] = []
        while out.count < count && cache.length < model.contextLength {
            let next = logits.indices.max { logits[$0] < logits[$1] }!
            out.append(next)
            if out.count < count && cache.length < model.contextLength { logits = try model.forward([next], cache: cache).scalars }
        }
        return out
    }

    @Test(arguments: folders)
    func f32RoundTripIsExactAndGreedyMatchesTheFixture(folder: String) throws {
        let dir = Self.directory(folder), gguf = Self.temporary("\(folder).gguf")
        defer { try? FileManager.default.removeItem(at: gguf) }
        try ModelConverter.convert(input: dir, output: gguf, type: .f32)
        let original = try ModelRegistry.loadLanguageModel(directory: dir)
        let loaded = try ModelRegistry.loadForGeneration(path: gguf)
        let ids = [3, 14, 15, 9, 26, 5, 35, 8]
        let reference = try Self.logits(original, ids)
        // The float load is the directory's model exactly. The generation load multiplies by the file's
        // (out, in) rows in place, where GPT-2's directory holds Conv1D (in, out): another summation
        // order, so equal up to float rounding (Llama/Qwen2 keep the layout and stay exact).
        #expect(try Self.logits(GGUFCheckpoint.load(url: gguf).model, ids) == reference)
        let diff = Fixtures.maxAbsoluteDifference(try Self.logits(loaded.model, ids), reference)
        #expect(diff <= (folder == "gpt2_tiny" ? 1e-5 * reference.map(abs).max()! : 0), "\(folder): \(diff)")
        let greedyURL = dir.appendingPathComponent("greedy.safetensors")
        let prompt = try Fixtures.integers(greedyURL, "prompt"), expected = try Fixtures.integers(greedyURL, "generated")
        #expect(try Self.greedy(loaded.model, prompt: prompt, count: expected.count) == expected)
        // A tied head is written once, as token_embd (llama.cpp's graphs fall back to it without output.weight).
        if folder == "gpt2_tiny" { #expect(try GGUFFile(url: gguf).tensor(named: "output.weight") == nil) }
    }

    /// Tolerances relative to the largest |logit| (≈ 6 here), measured on these 32-wide random models:
    /// F16 moves logits by ≈ 0.09 % (bound 0.2 %), Q8_0 by ≈ 2.3 % (bound 4 %), Q4_0 by ≈ 42 % (bound 60 %);
    /// tiny random models have no redundancy to absorb rounding, so these are loose by nature.
    @Test(arguments: folders)
    func quantizedFilesStayWithinTolerance(folder: String) throws {
        let dir = Self.directory(folder)
        let original = try ModelRegistry.loadLanguageModel(directory: dir)
        let ids = [3, 14, 15, 9, 26, 5, 35, 8]
        let reference = try Self.logits(original, ids)
        for (type, tolerance) in [(GGMLType.f16, Float(0.002)), (.q8_0, 0.04), (.q4_0, 0.6)] {
            let gguf = Self.temporary("\(folder)-\(type.name).gguf")
            defer { try? FileManager.default.removeItem(at: gguf) }
            try ModelConverter.convert(input: dir, output: gguf, type: type)
            let diff = Fixtures.maxAbsoluteDifference(try Self.logits(GGUFCheckpoint.load(url: gguf).model, ids), reference)
            let scale = reference.map(abs).max()!
            #expect(diff < tolerance * scale, "\(folder) \(type.name): logits differ by \(diff) (max |logit| \(scale))")
        }
    }

    @Test(arguments: folders)
    func ggufConvertsBackToAnEqualDirectory(folder: String) throws {
        let dir = Self.directory(folder), gguf = Self.temporary("\(folder).gguf"), back = Self.temporary(folder)
        defer { for u in [gguf, back] { try? FileManager.default.removeItem(at: u) } }
        try ModelConverter.convert(input: dir, output: gguf)
        try ModelConverter.convert(input: gguf, output: back)
        let a = try ModelRegistry.loadLanguageModel(directory: dir), b = try ModelRegistry.loadLanguageModel(directory: back)
        #expect(try Self.logits(a, [1, 2, 3]) == Self.logits(b, [1, 2, 3]))
        // 64-id fixtures cannot hold a byte-level vocabulary: no tokenizer.json is written for them.
        #expect(!FileManager.default.fileExists(atPath: back.appendingPathComponent("tokenizer.json").path))
    }

    @Test func llamaQKRowsArePermutedToInterleavedRoPEAndBack() throws {
        let dir = Self.directory("llama_tiny"), gguf = Self.temporary("perm.gguf")
        defer { try? FileManager.default.removeItem(at: gguf) }
        try ModelConverter.convert(input: dir, output: gguf)
        let hf = try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        let k = try hf.requireTensor(named: "model.layers.0.self_attn.k_proj.weight").floats()     // (16, 32): 2 heads × 8
        let stored = try GGUFFile(url: gguf).dequantize(named: "blk.0.attn_k.weight")
        // GGUF row 2j + s of a head is HF row s·4 + j (head size 8): row 1 ← HF row 4, row 2 ← HF row 1.
        #expect(Array(stored[32..<64]) == Array(k[128..<160]))
        #expect(Array(stored[64..<96]) == Array(k[32..<64]))
        #expect(Array(stored[8 * 32 + 32..<8 * 32 + 64]) == Array(k[12 * 32..<13 * 32]))
    }

    @Test func tokenizerMetadataRoundTripsAndEncodesAlike() throws {
        let source = Fixtures.repositoryRoot.appendingPathComponent("Tests/QuillTokenizerTests/Fixtures/trained1000.tokenizer.json")
        let tokenizer = try #require(try TokenizerLoader.load(source.path) as? BPETokenizer)
        var writer = GGUFWriter()
        for (key, value) in try GGUFTokenizer.metadata(for: tokenizer, vocabularySize: tokenizer.vocabularySize + 3) {
            writer.addMetadata(key, value)
        }
        let file = try GGUFFile(bytes: writer.serialized())
        let back = try #require(try GGUFTokenizer.read(file))
        let text = "To be, or not to be: that is the question.\n  Whether 'tis nobler — 1234 ünïcödé <|endoftext|>"
        #expect(back.encode(text) == tokenizer.encode(text))
        #expect(try back.encode(text, allowedSpecial: .all) == tokenizer.encode(text, allowedSpecial: .all))
        #expect(back.specialTokens == tokenizer.specialTokens)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.stringArray?.count == tokenizer.vocabularySize + 3)
    }

    @Test func byteModelsGetAPlaceholderVocabularyThatEncodesLikeTheByteTokenizer() throws {
        var writer = GGUFWriter()
        for (key, value) in try GGUFTokenizer.metadata(for: nil, vocabularySize: 257) { writer.addMetadata(key, value) }
        let tokenizer = try #require(try GGUFTokenizer.read(GGUFFile(bytes: writer.serialized())))
        let text = "Hello, wörld!\n\t→ 🙂"
        #expect(tokenizer.encode(text) == ByteTokenizer().encode(text))
        #expect(tokenizer.endOfTextID == 256)
    }

    /// What `quill bench generate --random-gpt2-124m --save-gguf` writes: the placeholder for GPT-2's 50257 ids.
    /// It used to write its own "<tok N>" names, which Quill's reader refused ("not in the byte-level alphabet"),
    /// so `quill generate` / `quill bench load` could not open the benchmark files that llama.cpp ran.
    @Test func gpt2SizedPlaceholderVocabularyReadsBack() throws {
        var writer = GGUFWriter()
        for (key, value) in try GGUFTokenizer.metadata(for: nil, vocabularySize: 50257, bosTokenID: 50256, eosTokenID: 50256) {
            writer.addMetadata(key, value)
        }
        let file = try GGUFFile(bytes: writer.serialized())
        let tokenizer = try #require(try GGUFTokenizer.read(file))
        let text = "Hello, wörld!\n\t→ 🙂"
        #expect(tokenizer.encode(text) == ByteTokenizer().encode(text))
        #expect(file.metadata["tokenizer.ggml.tokens"]?.stringArray?.count == 50257)
        #expect(file.metadata["tokenizer.ggml.eos_token_id"]?.intValue == 50256)
    }
}
