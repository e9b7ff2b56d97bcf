// The SQLite RAG index on a temporary file: re-indexing is idempotent and replaces changed documents
// (FTS rows follow through the triggers), a failure mid-indexing keeps earlier batches, BM25 equals
// rank_bm25 with FTS5's parameters, hybrid is the RRF of the dense and BM25 lists, and absent,
// corrupt, empty, foreign or mismatched files are typed errors.
import Foundation
import GRDB
import Testing
@testable import QuillAssistant

@Suite("RAG index")
struct RAGIndexTests {
    static let documents = [
        RAGDocument(source: "a.md", title: "Printing", text: "Gutenberg built a press with movable type. " + String(repeating: "Ink and paper. ", count: 30)),
        RAGDocument(source: "b.md", title: "Volcanoes", text: "Etna erupts often. Lava and ash escape from the crust."),
        RAGDocument(source: "c.txt", title: "Bees", text: "Bees dance to show where flowers are."),
    ]

    static func ftsRows(_ index: RAGIndex) throws -> Int {
        try index.database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM chunkSearch")! }
    }

    @Test func reindexingIsIdempotentAndReplacesChangedDocuments() throws {
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        let embedder = HashingEmbedder()
        let chunking = ChunkingOptions(maxTokens: 20, overlap: 5)
        var report = try RAGIndex(path: path, create: true).add(Self.documents, embedder: embedder, chunking: chunking)
        #expect(report.added == 3 && report.updated == 0 && report.unchanged == 0)
        let index = try RAGIndex(path: path, create: true)
        let (documents, chunks) = try index.counts()
        #expect(documents == 3 && chunks == report.chunks && chunks > 3)
        #expect(try Self.ftsRows(index) == chunks)
        let before = try index.database.read { try Row.fetchAll($0, sql: "SELECT id, text, embedding FROM chunk ORDER BY id") }
        let embedded = embedder.embeddedTexts

        report = try index.add(Self.documents, embedder: embedder, chunking: chunking)
        #expect(report == IndexingReport(added: 0, updated: 0, unchanged: 3, chunks: 0))
        #expect(embedder.embeddedTexts == embedded, "unchanged documents were embedded again")
        #expect(try index.database.read { try Row.fetchAll($0, sql: "SELECT id, text, embedding FROM chunk ORDER BY id") } == before)

        var changed = Self.documents
        changed[1].text = "Mount Fuji last erupted in 1707."
        report = try index.add(changed, embedder: embedder, chunking: chunking)
        #expect(report.updated == 1 && report.unchanged == 2 && report.added == 0)
        #expect(try index.counts().documents == 3)
        #expect(try Self.ftsRows(index) == index.counts().chunks)
        #expect(try index.search("Etna lava", k: 5, mode: .bm25, embedder: nil).allSatisfy { $0.source != "b.md" })
        #expect(try index.search("Fuji", k: 5, mode: .bm25, embedder: nil).map(\.source) == ["b.md"])
        // Other chunking parameters re-chunk everything.
        report = try index.add(changed, embedder: embedder, chunking: ChunkingOptions(maxTokens: 30, overlap: 0))
        #expect(report.updated == 3)
    }

    @Test func failureMidIndexingKeepsEarlierBatches() throws {
        final class FailingEmbedder: DocumentEmbedder {
            let inner = HashingEmbedder()
            var calls = 0
            var modelIdentifier: String { inner.modelIdentifier }
            var dimension: Int { inner.dimension }
            var maxSequenceLength: Int { inner.maxSequenceLength }
            var specialTokenCount: Int { inner.specialTokenCount }
            func tokenCount(_ text: Substring) -> Int { inner.tokenCount(text) }
            struct Boom: Error {}
            func embed(_ texts: [String]) throws -> [[Float]] {
                calls += 1
                if calls == 2 { throw Boom() }
                return try inner.embed(texts)
            }
        }
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        #expect(throws: FailingEmbedder.Boom.self) {
            try RAGIndex(path: path, create: true).add(Self.documents, embedder: FailingEmbedder(), batchSize: 2)
        }
        let index = try RAGIndex(path: path)
        #expect(try index.sources() == ["a.md", "b.md"])
        #expect(try Self.ftsRows(index) == index.counts().chunks)
        // Resuming indexes only what is missing.
        let report = try RAGIndex(path: path, create: true).add(Self.documents, embedder: HashingEmbedder())
        #expect(report.added == 1 && report.unchanged == 2)
    }

    @Test func bm25EqualsRankBM25WithFTS5Parameters() throws {
        let fixture = try RAGFixtures.retrieval()
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        let index = try RAGIndex(path: path, create: true)
        try index.add(fixture.ragDocuments, embedder: HashingEmbedder(maxSequenceLength: 256))
        #expect(try index.counts().chunks == fixture.documents.count)   // one chunk per document
        for case_ in fixture.bm25 {
            let hits = try index.search(case_.query, k: fixture.documents.count, mode: .bm25, embedder: nil)
            let expected = case_.scores.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element }
            #expect(hits.map(\.source) == expected.map { fixture.documents[$0.offset].source }, "\(case_.query)")
            for (hit, want) in zip(hits, expected) {
                #expect(abs(hit.score - want.element) <= 1e-6 * max(1, want.element), "\(case_.query) \(hit.source): \(hit.score) vs \(want.element)")
            }
        }
        // FTS5 syntax in a question is searched as words, not parsed.
        #expect(try index.search("\"Gutenberg\" NOT (press* AND", k: 3, mode: .bm25, embedder: nil).first?.source == "printing.md")
        #expect(try index.search("?!", k: 3, mode: .bm25, embedder: nil).isEmpty)
    }

    @Test func hybridIsTheFusionOfDenseAndBM25() throws {
        let fixture = try RAGFixtures.retrieval()
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        let index = try RAGIndex(path: path, create: true)
        let embedder = HashingEmbedder(maxSequenceLength: 256)
        try index.add(fixture.ragDocuments, embedder: embedder)
        for query in fixture.dense.map(\.query) + fixture.bm25.map(\.query) {
            let depth = RAGIndex.fusionDepth(3)
            let dense = try index.search(query, k: depth, mode: .dense, embedder: embedder).map(\.chunkID)
            let bm25 = try index.search(query, k: depth, mode: .bm25, embedder: nil).map(\.chunkID)
            let hybrid = try index.search(query, k: 3, mode: .hybrid, embedder: embedder)
            #expect(hybrid.map(\.chunkID) == Array(ReciprocalRankFusion.fuse([dense, bm25]).prefix(3).map(\.id)), "\(query)")
        }
        #expect(throws: RAGError.self) { try index.search("x", k: 3, mode: .dense, embedder: nil) }
        #expect(throws: RAGError.self) { try index.search("x", k: 0, mode: .bm25, embedder: nil) }
    }

    @Test func reciprocalRankFusionHandExample() {
        // a: 1/61 + 1/62 = 0.0325225; c: 1/63 + 1/61 = 0.0322665; b: 1/62 = 0.0161290; d: 1/63 = 0.0158730.
        let fused = ReciprocalRankFusion.fuse([["a", "b", "c"], ["c", "a", "d"]])
        #expect(fused.map(\.id) == ["a", "c", "b", "d"])
        for (got, want) in zip(fused.map(\.score), [0.0325225, 0.0322665, 0.0161290, 0.0158730]) { #expect(abs(got - want) < 1e-7) }
        // Equal sums: the better single rank wins, then first appearance; repeats in a list count once.
        #expect(ReciprocalRankFusion.fuse([["x", "y"], ["y", "x"]]).map(\.id) == ["x", "y"])
        #expect(ReciprocalRankFusion.fuse([["p", "q", "r"], ["r", "s"]]).map(\.id) == ["r", "p", "q", "s"])
        #expect(abs(ReciprocalRankFusion.fuse([["z", "z", "z"]])[0].score - 1.0 / 61) < 1e-12)
        #expect(ReciprocalRankFusion.fuse([[Int]]()).isEmpty)
    }

    @Test func badFilesAreTypedErrors() throws {
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        #expect(throws: RAGError.indexNotFound(path: path)) { try RAGIndex(path: path) }
        #expect(!FileManager.default.fileExists(atPath: path), "querying must not create the file")

        try Data("this is not a database, just some text that is long enough ".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: RAGError.corruptIndex(path: path, reason: "not an SQLite database")) { try RAGIndex(path: path) }
        #expect(throws: RAGError.self) { try RAGIndex(path: path, create: true) }

        try Data().write(to: URL(fileURLWithPath: path))
        #expect(Self.caseName { try RAGIndex(path: path) } == "corruptIndex")

        RAGFixtures.cleanup(path)
        let foreign = try DatabaseQueue(path: path)
        try foreign.write { try $0.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)") }
        try foreign.close()
        for create in [false, true] {
            #expect(Self.caseName { try RAGIndex(path: path, create: create) } == "foreignDatabase", "create: \(create)")
        }
        #expect(try foreignTablesUntouched(path))
    }

    private func foreignTablesUntouched(_ path: String) throws -> Bool {
        try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") } == ["invoices"]
    }

    /// The RAGError case a call throws ("none" when it returns, "other" for another error type).
    static func caseName(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "none" } catch let error as RAGError {
            return String(String(describing: Mirror(reflecting: error).children.first?.label ?? "\(error)"))
        } catch { return "other" }
    }

    @Test func anotherEmbedderIsRefused() throws {
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        let index = try RAGIndex(path: path, create: true)
        try index.add(Self.documents, embedder: HashingEmbedder())
        let other = HashingEmbedder(dimension: 32)
        #expect(throws: RAGError.embedderMismatch(path: path, indexed: "hashing/64@64", given: "hashing/32@64")) {
            try index.search("bees", k: 1, mode: .dense, embedder: other)
        }
        #expect(throws: RAGError.self) { try index.add(Self.documents, embedder: other) }
        #expect(throws: RAGError.self) { try index.add([Self.documents[0], Self.documents[0]], embedder: HashingEmbedder()) }
        #expect(try index.search("bees", k: 1, mode: .dense, embedder: HashingEmbedder()).first?.source == "c.txt")
    }
}
