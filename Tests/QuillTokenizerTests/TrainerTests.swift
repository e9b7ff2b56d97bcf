// BPE trainer: deterministic, reproduces the committed vocabulary, and that vocabulary (as Quill wrote
// it, and as HF re-saved it with [a, b] merges) encodes held-out text exactly as HF tokenizers does
// (fixtures from Scripts/reference/tokenizer_trainer_parity.py). Also the .quilltok and tiktoken round trips.

import Foundation
import Testing
@testable import QuillTokenizer

@Suite("BPE trainer")
struct TrainerTests {
    static let corpus = try! String(contentsOf: Fixtures.url("train_corpus.txt"), encoding: .utf8)

    struct HeldOut: Decodable { let text: String; let ids: [Int] }
    static let heldOut = try! JSONDecoder().decode([HeldOut].self, from: Data(contentsOf: Fixtures.url("trained1000.heldout.json")))

    static func mergesAndVocab(_ data: Data) throws -> ([String], [String: Int]) {
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let model = json["model"] as! [String: Any]
        let merges = (model["merges"] as! [Any]).map { ($0 as? String) ?? ($0 as! [String]).joined(separator: " ") }
        return (merges, model["vocab"] as! [String: Int])
    }

    @Test("training is deterministic and reproduces the committed vocabulary")
    func deterministic() throws {
        let trainer = BPETrainer(vocabularySize: 1000)
        let first = try trainer.train(text: Self.corpus)
        let second = try trainer.train(text: Self.corpus)
        #expect(try first.huggingFaceJSON() == second.huggingFaceJSON())
        let committed = try Self.mergesAndVocab(Data(contentsOf: Fixtures.url("trained1000.tokenizer.json")))
        let fresh = try Self.mergesAndVocab(first.huggingFaceJSON())
        #expect(fresh.0 == committed.0)
        #expect(fresh.1 == committed.1)
        #expect(first.vocabularySize == 1000)
        #expect(first.endOfTextID == 999)
    }

    @Test("Quill-written and HF-resaved tokenizer.json encode held-out text like HF tokenizers",
          arguments: ["trained1000.tokenizer.json", "trained1000.hf-resaved.json"])
    func huggingFaceParity(_ file: String) throws {
        let tokenizer = try #require(try HuggingFaceTokenizerFile.load(path: Fixtures.url(file).path) as? BPETokenizer)
        for item in Self.heldOut {
            #expect(tokenizer.encode(item.text) == item.ids, "\(item.text.prefix(40).debugDescription)")
            #expect(tokenizer.decode(item.ids) == item.text)
        }
    }

    @Test("the trained tokenizer itself matches HF on held-out text")
    func trainedDirectly() throws {
        let tokenizer = try BPETrainer(vocabularySize: 1000).train(text: Self.corpus)
        for item in Self.heldOut { #expect(tokenizer.encode(item.text) == item.ids) }
    }

    @Test("Quill binary and tiktoken files round-trip")
    func roundTrips() throws {
        let trained = try BPETrainer(vocabularySize: 600).train(text: Self.corpus)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try trained.writeQuillFile(dir.appendingPathComponent("v.quilltok").path)
        let binary = try BPETokenizer(quillFile: dir.appendingPathComponent("v.quilltok").path)
        try trained.tiktokenRankFile().write(to: dir.appendingPathComponent("v.tiktoken"), atomically: true, encoding: .utf8)
        let ranks = try BPETokenizer(tiktokenFile: dir.appendingPathComponent("v.tiktoken").path)
        #expect(ranks.endOfTextID == 599)
        for item in Self.heldOut.prefix(10) {
            let ids = trained.encode(item.text)
            #expect(binary.encode(item.text) == ids)
            #expect(ranks.decode(ids) == item.text)
        }
        #expect(binary.specialTokens == trained.specialTokens)
    }

    @Test("bad options are typed errors")
    func badOptions() {
        #expect(throws: TokenizerError.self) { try BPETrainer(vocabularySize: 100).train(text: "abc") }
    }
}
