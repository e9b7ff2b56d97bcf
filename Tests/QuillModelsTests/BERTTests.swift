// BERT and sentence embeddings: all-MiniLM-L6-v2 against the numpy reference on 54 sentences
// (cosine ≥ 0.99999 each; skipped when the asset is absent), batched-with-padding equal to one at a
// time, and a tiny random encoder for gradients, padding invariance, pooling modes and save/load.
import Foundation
import Testing
import QuillModels
import QuillTensor
import TestSupport

@Suite("BERT and sentence embeddings")
struct BERTTests {
    static let miniLM = Fixtures.asset("all-MiniLM-L6-v2/model.safetensors")?.deletingLastPathComponent()
    static let fixture = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/minilm")

    static func fixtureIDs() throws -> [[Int]] {
        try JSONDecoder().decode([[Int]].self, from: Data(contentsOf: fixture.appendingPathComponent("ids.json")))
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }, nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return dot / (na * nb).squareRoot()
    }

    @Test(.enabled(if: miniLM != nil, "all-MiniLM-L6-v2 asset absent: run Scripts/setup/fetch_assets.sh"))
    func miniLMMatchesReferenceOneAtATimeAndBatched() throws {
        let embedder = try SentenceEmbedder.load(directory: Self.miniLM!)
        #expect(embedder.pooling == .mean && embedder.normalize && embedder.dimension == 384)
        let ids = try Self.fixtureIDs()
        let reference = try Fixtures.tensors(Self.fixture.appendingPathComponent("embeddings.safetensors"))["embeddings"]!
        #expect(ids.count == 54 && reference.shape == [54, 384])
        let alone = try ids.map { try embedder.embed([$0])[0] }
        for (i, vector) in alone.enumerated() {
            let expected = Array(reference.scalars[i * 384..<(i + 1) * 384])
            let c = Self.cosine(vector, expected)
            #expect(c >= 0.99999, "sentence \(i) (\(ids[i].count) tokens): cosine \(c)")
        }
        embedder.batchSize = 16
        let batched = try embedder.embed(ids)
        for i in ids.indices {
            let diff = Fixtures.maxAbsoluteDifference(batched[i], alone[i])
            #expect(diff < 1e-5, "sentence \(i): batched differs from alone by \(diff)")
        }
    }

    /// A random 2-layer encoder saved as a sentence-transformers directory.
    static func tinyDirectory(pooling: String = "pooling_mode_mean_tokens", normalize: Bool = true) throws -> URL {
        let config = BERTConfig(vocabularySize: 50, hiddenSize: 16, layerCount: 2, headCount: 4, intermediateSize: 24,
                                maxPositionEmbeddings: 12)
        let model = try BERT(config: config, seed: 7)
        for (_, t) in model.namedParameters where t.shape.count == 1 {        // non-trivial gains and biases
            var rng = RandomGenerator(seed: UInt64(t.count))
            for i in 0..<t.count { t.data[i] += 0.1 * rng.nextNormal() }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-bert-\(UUID().uuidString)")
        try model.save(directory: dir)
        var modules = [#"{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}"#,
                       #"{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}"#]
        if normalize { modules.append(#"{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}"#) }
        try Data("[\(modules.joined(separator: ","))]".utf8).write(to: dir.appendingPathComponent("modules.json"))
        let pool = dir.appendingPathComponent("1_Pooling")
        try FileManager.default.createDirectory(at: pool, withIntermediateDirectories: true)
        try Data(#"{"word_embedding_dimension": 16, "\#(pooling)": true}"#.utf8).write(to: pool.appendingPathComponent("config.json"))
        return dir
    }

    static let tinyBatch = [[1, 5, 9, 2], [1, 2], [1, 7, 7, 7, 7, 8, 30, 2], [1, 49, 2]]

    @Test(arguments: ["pooling_mode_mean_tokens", "pooling_mode_cls_token", "pooling_mode_max_tokens"])
    func paddedBatchesEqualOneAtATime(pooling: String) throws {
        let dir = try Self.tinyDirectory(pooling: pooling)
        defer { try? FileManager.default.removeItem(at: dir) }
        let embedder = try SentenceEmbedder.load(directory: dir, batchSize: 3)
        let batched = try embedder.embed(Self.tinyBatch)
        for (i, sequence) in Self.tinyBatch.enumerated() {
            let alone = try embedder.embed([sequence])[0]
            #expect(Fixtures.maxAbsoluteDifference(batched[i], alone) < 1e-6, "\(pooling): sequence \(i)")
            let norm = alone.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
    }

    @Test func meanPoolingAveragesTheUnpaddedHiddenStates() throws {
        let dir = try Self.tinyDirectory(normalize: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        let embedder = try SentenceEmbedder.load(directory: dir)
        #expect(!embedder.normalize)
        let states = try embedder.model.hiddenStates([Self.tinyBatch[0]])            // (4, 16)
        let mean = (0..<16).map { j in (0..<4).reduce(Float(0)) { $0 + states.data[$1 * 16 + j] } / 4 }
        #expect(Fixtures.maxAbsoluteDifference(try embedder.embed([Self.tinyBatch[0]])[0], mean) < 1e-6)
    }

    @Test func encoderGradientsMatchFiniteDifferences() throws {
        let model = try BERT(config: BERTConfig(vocabularySize: 20, hiddenSize: 8, layerCount: 1, headCount: 2,
                                                intermediateSize: 12, maxPositionEmbeddings: 6), seed: 3)
        // Unit-scale embeddings: at BERT's 0.02 init a finite-difference step of 1e-2 is not small.
        var rng = RandomGenerator(seed: 4)
        for table in [model.wordEmbeddings, model.positionEmbeddings, model.tokenTypeEmbeddings] { table.weight.fillNormal(std: 1, rng: &rng) }
        let layer = model.layers[0]
        let bad = GradientCheck.mismatches(inputs: [layer.query.weight, layer.value.bias!, layer.intermediate.weight,
                                                    model.embeddingNorm.weight, model.positionEmbeddings.weight]) {
            model.encode([1, 4, 9, 2, 1, 3, 0, 0], tokenTypes: [0, 0, 1, 1, 0, 0, 0, 0], batch: 2, time: 4, lengths: [4, 2])
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func badInputsAreTypedErrors() throws {
        let dir = try Self.tinyDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let embedder = try SentenceEmbedder.load(directory: dir)
        #expect(throws: ModelError.invalidInput("sequence 1 has no tokens")) { try embedder.embedBatch([[1, 2], []]) }
        #expect(throws: ModelError.tokenOutOfRange(id: 50, vocabularySize: 50)) { try embedder.embed([[1, 50]]) }
        #expect(throws: ModelError.contextOverflow(needed: 13, contextLength: 12)) {
            try embedder.embed([Array(repeating: 3, count: 13)])
        }
        #expect(try embedder.embed([]).isEmpty)
    }
}
