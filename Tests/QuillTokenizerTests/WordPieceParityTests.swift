// WordPiece (all-MiniLM-L6-v2) ids identical to Hugging Face `tokenizers` on the torture and fuzz set,
// from both tokenizer.json and vocab.txt, plus BERT normalizer details checked by hand.

import Foundation
import Testing
@testable import QuillTokenizer

// Skipped when .assets/all-MiniLM-L6-v2 is absent: run Scripts/setup/fetch_assets.sh.
@Suite("WordPiece parity with HF tokenizers",
       .enabled(if: TestAssets.miniLM != nil, "needs .assets/all-MiniLM-L6-v2/tokenizer.json (Scripts/setup/fetch_assets.sh)"))
struct WordPieceParityTests {
    static let bert = try! HuggingFaceTokenizerFile.load(path: TestAssets.miniLM!) as! WordPieceTokenizer

    @Test("MiniLM tokenizer.json ids", arguments: Fixtures.torture)
    func miniLM(_ item: TortureCase) {
        #expect(Self.bert.encode(item.text) == item.minilm)
    }

    @Test("vocab.txt gives the same ids (without truncation)")
    func vocabText() throws {
        let fromText = try WordPieceTokenizer(vocabularyFile: TestAssets.miniLMVocab!)
        for item in Fixtures.torture where item.minilm.count < 128 {
            #expect(fromText.encode(item.text) == item.minilm, "\(item.text.debugDescription)")
        }
    }

    @Test("decode joins pieces and skips specials")
    func decode() {
        let ids = Self.bert.encode("Hello, unaffable world!")
        #expect(ids.first == 101 && ids.last == 102)
        #expect(Self.bert.decode(ids) == "hello, unaffable world!")
        #expect(Self.bert.decode([999_999]) == "\u{FFFD}")
    }

    @Test("truncation keeps [CLS] … [SEP] within max_length")
    func truncation() {
        let ids = Self.bert.encode(String(repeating: "word ", count: 500))
        #expect(ids.count == 128)
        #expect(ids.first == 101 && ids.last == 102)
    }
}

@Suite("BERT normalizer")
struct BertNormalizerTests {
    @Test func steps() {
        let normalizer = BertNormalizer()
        #expect(normalizer.normalize("Héllo\u{0}\tWörld\u{200B}") == "hello world")
        #expect(normalizer.normalize("中文") == " 中  文 ")
        #expect(normalizer.preTokenize("don't stop!") == ["don", "'", "t", "stop", "!"])
        let cased = BertNormalizer(lowercase: false)
        #expect(cased.normalize("Héllo") == "Héllo")
    }
}
