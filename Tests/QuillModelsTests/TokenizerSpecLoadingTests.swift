// The loading path of `quill tokenize --tokenizer SPEC`: a GGUF model, a vocab-only GGUF (even without
// the .gguf extension), a GGUF without a tokenizer (a typed error), and the listing in llama-tokenize's
// `<id> -> '<piece>'` format.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTokenizer
import TestSupport

@Suite("Tokenizer spec loading")
struct TokenizerSpecLoadingTests {
    static func temporary(_ bytes: [UInt8], name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-spec-\(UUID().uuidString)-\(name)")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func aVocabOnlyGGUFLoadsWhateverItsName() throws {
        var writer = GGUFWriter()
        writer.addMetadata("general.architecture", .string("llama"))
        for (key, value) in HostileGGUFVocabularyTests.sentencePieceMetadata() { writer.addMetadata(key, value) }
        let url = try Self.temporary(writer.serialized(), name: "vocab.bin")
        defer { try? FileManager.default.removeItem(at: url) }
        let tokenizer = try GGUFTokenizer.load(spec: url.path)
        let ids = tokenizer.encode("Hello", addSpecialTokens: true, parseSpecial: false)
        #expect(ids == [1, 263])
        #expect(GGUFTokenizer.llamaTokenizeListing(ids, tokenizer: tokenizer) == "     1 -> '<s>'\n   263 -> ' Hello'")
    }

    @Test func aGGUFWithoutATokenizerIsATypedError() throws {
        var writer = GGUFWriter()
        writer.addMetadata("general.architecture", .string("llama"))
        let url = try Self.temporary(writer.serialized(), name: "empty.gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: ModelError.self) { _ = try GGUFTokenizer.load(spec: url.path) }
    }

    @Test func otherSpecsGoThroughTokenizerLoader() throws {
        #expect(try GGUFTokenizer.load(spec: "bytes").encode("ab") == [97, 98])
        #expect(throws: TokenizerError.self) { _ = try GGUFTokenizer.load(spec: "/nonexistent/tokenizer.json") }
    }

    @Test(.enabled(if: Fixtures.asset("llama.cpp/vocab") != nil, "llama.cpp vocab files absent: run Scripts/setup/fetch_assets.sh"))
    func llamaSPMListsAsLlamaTokenizeDoes() throws {
        let url = Fixtures.asset("llama.cpp/vocab")!.appendingPathComponent("ggml-vocab-llama-spm.gguf")
        let tokenizer = try GGUFTokenizer.load(spec: url.path)
        // Llama 2's ids for " Hello world" with BOS: <s> ▁Hello ▁world.
        let ids = tokenizer.encode("Hello world", addSpecialTokens: true, parseSpecial: false)
        #expect(ids == [1, 15043, 3186])
        #expect(GGUFTokenizer.llamaTokenizeListing(ids, tokenizer: tokenizer)
            == "     1 -> '<s>'\n 15043 -> ' Hello'\n  3186 -> ' world'")
    }

    @Test(.enabled(if: Fixtures.asset("SmolLM2-135M-Instruct.Q4_1.gguf") != nil, "SmolLM2 GGUF absent: run Scripts/setup/fetch_assets.sh"))
    func aModelGGUFLoadsItsTokenizer() throws {
        let tokenizer = try GGUFTokenizer.load(spec: Fixtures.asset("SmolLM2-135M-Instruct.Q4_1.gguf")!.path)
        #expect(tokenizer.encode("<|im_start|>", addSpecialTokens: true, parseSpecial: true) == [1])
    }
}
