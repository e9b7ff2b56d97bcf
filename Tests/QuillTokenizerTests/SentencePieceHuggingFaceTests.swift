// SentencePiece-style BPE from tokenizer.json against Hugging Face `tokenizers` itself: ids for the
// golden inputs of Fixtures/spm_golden.json (Scripts/reference/spm_tokenizer_fixture.py) from a Llama 2
// layout (Prepend + Replace normalizer) and a Mistral layout (Metaspace), with and without BOS.
import Foundation
import Testing
@testable import QuillTokenizer

struct SentencePieceGolden: Decodable {
    let inputs: [String]
    let prepend: [[Int]]
    let prepend_special: [[Int]]
    let prepend_decoded: [String]
    let metaspace: [[Int]]
    let metaspace_special: [[Int]]
    let metaspace_decoded: [String]

    static let shared: SentencePieceGolden = {
        let data = try! Data(contentsOf: Fixtures.url("spm_golden.json"))
        return try! JSONDecoder().decode(SentencePieceGolden.self, from: data)
    }()
}

@Suite("SentencePiece-style tokenizer.json")
struct SentencePieceHuggingFaceTests {
    static func load(_ layout: String) throws -> SentencePieceTokenizer {
        let tokenizer = try TokenizerLoader.load(Fixtures.url("spm_\(layout).tokenizer.json").path)
        return try #require(tokenizer as? SentencePieceTokenizer)
    }

    /// Hugging Face matches every added token in text, special or not: Quill's parseSpecial: true.
    @Test(arguments: ["prepend", "metaspace"])
    func idsEqualHuggingFace(_ layout: String) throws {
        let tokenizer = try Self.load(layout)
        let golden = SentencePieceGolden.shared
        let plain = layout == "prepend" ? golden.prepend : golden.metaspace
        let special = layout == "prepend" ? golden.prepend_special : golden.metaspace_special
        var failures: [String] = []
        for (k, input) in golden.inputs.enumerated() {
            let ids = tokenizer.encode(input, addSpecialTokens: false, parseSpecial: true)
            if ids != plain[k] { failures.append("\(input.debugDescription): \(ids) ≠ \(plain[k])") }
            let withBOS = tokenizer.encode(input, addSpecialTokens: true, parseSpecial: true)
            if withBOS != special[k] { failures.append("BOS \(input.debugDescription): \(withBOS) ≠ \(special[k])") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(2 * golden.inputs.count) differ: \(failures.prefix(4).joined(separator: " | "))")
    }

    /// Decoding gives the text back with the ▁ prefix as a space; Hugging Face's decoders strip that one space.
    @Test(arguments: ["prepend", "metaspace"])
    func decodingMatchesHuggingFaceUpToTheLeadingSpace(_ layout: String) throws {
        let tokenizer = try Self.load(layout)
        let golden = SentencePieceGolden.shared
        let decoded = layout == "prepend" ? golden.prepend_decoded : golden.metaspace_decoded
        for (k, input) in golden.inputs.enumerated() {
            let text = tokenizer.decode(tokenizer.encode(input, addSpecialTokens: false, parseSpecial: true))
            let stripped = text.hasPrefix(" ") ? String(text.dropFirst()) : text
            #expect(stripped == decoded[k], "\(input.debugDescription): \(text.debugDescription)")
        }
    }

    @Test func controlTokenTextIsPlainUnlessParsed() throws {
        let tokenizer = try Self.load("prepend")
        let literal = tokenizer.encode("<s>inline</s><|turn|>", addSpecialTokens: false, parseSpecial: false)
        #expect(!literal.contains(1) && !literal.contains(2) && !literal.contains(1457))
        #expect(tokenizer.decode(literal) == " <s>inline</s><|turn|>")
        // <|user|> is not special: matched in any text, as Hugging Face does.
        #expect(tokenizer.encode("a<|user|>b", parseSpecial: false).contains(1456))
    }

    @Test func bosAndEndOfSequenceFromThePostProcessor() throws {
        let tokenizer = try Self.load("metaspace")
        #expect(tokenizer.addsBeginningOfSequence && tokenizer.beginningOfSequenceID == 1)
        #expect(!tokenizer.addsEndOfSequence && tokenizer.endOfTextID == 2)
        #expect(tokenizer.endOfGenerationIDs == [2])
        #expect(tokenizer.vocabularySize == 1458)
    }

    @Test func byteFallbackDecodesToTheOriginalBytes() throws {
        let tokenizer = try Self.load("prepend")
        let text = "caf\u{E9} \u{1F999} \u{65E5}\u{672C}"
        let ids = tokenizer.encode(text)
        #expect(ids.contains { (3...258).contains($0) }, "expected byte tokens in \(ids)")
        #expect(tokenizer.decode(ids) == " " + text)
    }
}
