// SmolLM2-135M-Instruct's GGUF tokenizer (`tokenizer.ggml.pre = smollm`: digits split one by one, then
// GPT-2's pattern) against llama.cpp's `llama-tokenize` on the same file (fixture written by
// Scripts/reference/llama_tokenize_fixture.py); skipped when the model asset is absent.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTokenizer
import TestSupport

@Suite("SmolLM2 tokenizer")
struct SmolLM2TokenizerTests {
    struct Case: Decodable { let text: String; let ids: [Int]; let ids_plain: [Int] }

    static let model = Fixtures.asset("SmolLM2-135M-Instruct.Q4_1.gguf")

    static func tokenizer() throws -> any Tokenizer {
        try #require(try GGUFTokenizer.load(GGUFFile(url: model!)))
    }

    @Test(.enabled(if: model != nil, "SmolLM2-135M-Instruct.Q4_1.gguf absent: run Scripts/setup/fetch_assets.sh"))
    func idsEqualLlamaTokenize() throws {
        let tokenizer = try Self.tokenizer()
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/smollm2_llama_tokenize.json")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
        #expect(cases.count >= 10)
        for c in cases {
            // llama-tokenize parses special text by default; --no-parse-special gives ids_plain.
            #expect(tokenizer.encode(c.text, addSpecialTokens: true, parseSpecial: true) == c.ids, "\(c.text.debugDescription)")
            #expect(tokenizer.encode(c.text, addSpecialTokens: true, parseSpecial: false) == c.ids_plain, "\(c.text.debugDescription)")
        }
    }

    @Test(.enabled(if: model != nil, "SmolLM2-135M-Instruct.Q4_1.gguf absent: run Scripts/setup/fetch_assets.sh"))
    func declaresChatMarkersAndNoBOS() throws {
        let tokenizer = try Self.tokenizer()
        // The GGUF declares <|im_start|> = 1, <|im_end|> = 2 (= eos), add_bos_token = false.
        #expect(tokenizer.encode("<|im_start|>user<|im_end|>", parseSpecial: true).first == 1)
        #expect(tokenizer.encode("<|im_end|>", parseSpecial: true) == [2])
        #expect(!tokenizer.addsBeginningOfSequence)
        #expect(tokenizer.endOfTextID == 2)
        #expect(tokenizer.endOfGenerationIDs.contains(2))
    }
}
