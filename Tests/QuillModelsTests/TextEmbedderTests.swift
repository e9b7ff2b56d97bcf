// Text → vectors through the real path (tokenizer.json WordPiece, truncation at 512 keeping [SEP],
// batching): all-MiniLM-L6-v2's ids equal HF `tokenizers` (ids.json) and vectors the numpy reference.
// Skipped with a message when the asset is absent (Scripts/setup/fetch_assets.sh fetches it).
import Foundation
import Testing
import QuillModels
import TestSupport

@Suite("Text embedder")
struct TextEmbedderTests {
    static let miniLM = Fixtures.asset("all-MiniLM-L6-v2/model.safetensors")?.deletingLastPathComponent()
    static let fixture = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/minilm")

    @Test(.enabled(if: miniLM != nil, "all-MiniLM-L6-v2 asset absent: run Scripts/setup/fetch_assets.sh"))
    func miniLMTextsGiveReferenceIDsAndVectors() throws {
        let sentences = try JSONDecoder().decode([String].self, from: Data(contentsOf: Self.fixture.appendingPathComponent("sentences.json")))
        let expectedIDs = try JSONDecoder().decode([[Int]].self, from: Data(contentsOf: Self.fixture.appendingPathComponent("ids.json")))
        let embedder = try TextEmbedder.load(directory: Self.miniLM!, batchSize: 16)
        let ids = embedder.tokenize(sentences)
        #expect(ids.count == 54)
        for i in sentences.indices {
            #expect(ids[i] == expectedIDs[i], "sentence \(i): ids differ (\(ids[i].count) vs \(expectedIDs[i].count) tokens)")
        }
        #expect(ids.map(\.count).max() == 512 && ids.allSatisfy { $0.last == 102 })
        let reference = try Fixtures.tensors(Self.fixture.appendingPathComponent("embeddings.safetensors"))["embeddings"]!
        let vectors = try embedder.embed(sentences)
        for (i, vector) in vectors.enumerated() {
            let expected = Array(reference.scalars[i * 384..<(i + 1) * 384])
            let c = BERTTests.cosine(vector, expected)
            #expect(c >= 0.99999, "sentence \(i): cosine \(c)")
        }
    }
}
