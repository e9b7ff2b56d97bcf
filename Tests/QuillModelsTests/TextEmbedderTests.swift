// Text → vectors through the real path (tokenizer.json WordPiece, truncation keeping [SEP], batching):
// all-MiniLM-L6-v2's ids equal HF `tokenizers` and vectors the numpy reference, both at the explicit
// 512 override (ids.json) and at the default 256 from sentence_bert_config.json (ids_256.json).
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
        let embedder = try TextEmbedder.load(directory: Self.miniLM!, batchSize: 16, maxSequenceLength: 512)
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

    /// The default is sentence-transformers' own: max_seq_length 256, so long inputs are cut there and
    /// their vectors equal the reference run at 256 (which the script checked against sentence-transformers).
    @Test(.enabled(if: miniLM != nil, "all-MiniLM-L6-v2 asset absent: run Scripts/setup/fetch_assets.sh"))
    func defaultTruncationIsSentenceBertMaxSeqLength() throws {
        let sentences = try JSONDecoder().decode([String].self, from: Data(contentsOf: Self.fixture.appendingPathComponent("sentences_256.json")))
        let expectedIDs = try JSONDecoder().decode([[Int]].self, from: Data(contentsOf: Self.fixture.appendingPathComponent("ids_256.json")))
        let embedder = try TextEmbedder.load(directory: Self.miniLM!, batchSize: 8)
        #expect(embedder.maxSequenceLength == 256)
        #expect(try TextEmbedder.configuredMaxSequenceLength(directory: Self.miniLM!) == 256)
        let ids = embedder.tokenize(sentences)
        #expect(ids == expectedIDs)
        #expect(ids.map(\.count) == [256, 256, 256, 256, 256])
        let reference = try Fixtures.tensors(Self.fixture.appendingPathComponent("embeddings_256.safetensors"))["embeddings"]!
        for (i, vector) in try embedder.embed(sentences).enumerated() {
            let c = BERTTests.cosine(vector, Array(reference.scalars[i * 384..<(i + 1) * 384]))
            #expect(c >= 0.99999, "long input \(i) at 256: cosine \(c)")
        }
    }

    @Test(.enabled(if: miniLM != nil, "all-MiniLM-L6-v2 asset absent: run Scripts/setup/fetch_assets.sh"))
    func overrideOutsideThePositionLimitIsATypedError() throws {
        for bad in [0, 1, 513] {
            #expect(throws: ModelError.self, "max length \(bad)") {
                try TextEmbedder.load(directory: Self.miniLM!, maxSequenceLength: bad)
            }
        }
        #expect(try TextEmbedder.load(directory: Self.miniLM!, maxSequenceLength: 128).tokenize([String(repeating: "hello ", count: 300)])[0].count == 128)
    }

    /// A directory without sentence_bert_config.json reads up to the position limit; a malformed
    /// max_seq_length is a typed error naming the file.
    @Test func sentenceBertConfigIsReadAndValidated() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sbert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try TextEmbedder.configuredMaxSequenceLength(directory: directory) == nil)
        let url = directory.appendingPathComponent("sentence_bert_config.json")
        try Data(#"{"max_seq_length": 384, "do_lower_case": false}"#.utf8).write(to: url)
        #expect(try TextEmbedder.configuredMaxSequenceLength(directory: directory) == 384)
        try Data(#"{"max_seq_length": null}"#.utf8).write(to: url)
        #expect(try TextEmbedder.configuredMaxSequenceLength(directory: directory) == nil)
        for bad in [#"{"max_seq_length": "long"}"#, #"{"max_seq_length": 1}"#, "{not json"] {
            try Data(bad.utf8).write(to: url)
            #expect(throws: ModelError.self, "\(bad)") { try TextEmbedder.configuredMaxSequenceLength(directory: directory) }
        }
    }
}
