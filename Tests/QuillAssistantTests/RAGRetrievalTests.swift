// Retrieval with the real all-MiniLM-L6-v2 (skipped with a message when absent): dense scores and
// order equal sentence-transformers' cosine similarities (Scripts/reference/rag_reference.py), and on
// a held-out slice of the Wikipedia lead summaries each article's description retrieves it.
import Foundation
import Testing
import QuillModels
import TestSupport
@testable import QuillAssistant

@Suite("RAG retrieval with MiniLM", .serialized)
struct RAGRetrievalTests {
    static let miniLM = Fixtures.asset("all-MiniLM-L6-v2/model.safetensors")?.deletingLastPathComponent()
    static let wikipedia = Fixtures.asset("wiki-offline/summaries_en-us.json")

    @Test(.enabled(if: miniLM != nil, "all-MiniLM-L6-v2 asset absent: run Scripts/setup/fetch_assets.sh"))
    func denseOrderEqualsSentenceTransformers() throws {
        let fixture = try RAGFixtures.retrieval()
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        let embedder = try TextEmbedder.load(directory: Self.miniLM!)
        let index = try RAGIndex(path: path, create: true)
        try index.add(fixture.ragDocuments, embedder: embedder)
        #expect(try index.embeddingModel() == "all-MiniLM-L6-v2/384@256")
        for case_ in fixture.dense {
            let hits = try index.search(case_.query, k: fixture.documents.count, mode: .dense, embedder: embedder)
            let expected = case_.cosines.enumerated().sorted { $0.element > $1.element }
            #expect(hits.map(\.source) == expected.map { fixture.documents[$0.offset].source }, "\(case_.query)")
            for (hit, want) in zip(hits, expected) {
                #expect(abs(hit.score - want.element) < 1e-4, "\(case_.query) \(hit.source): \(hit.score) vs \(want.element)")
            }
        }
    }

    /// 150 articles from across the corpus (every 66th), queried by their descriptions. The figures
    /// for the whole corpus come from `quill rag eval` (BENCHMARKS.md); this guards against regressions.
    @Test(.enabled(if: miniLM != nil && wikipedia != nil,
                   "all-MiniLM-L6-v2 or wiki-offline/summaries_en-us.json absent: run Scripts/setup/fetch_assets.sh"))
    func wikipediaDescriptionsRetrieveTheirArticles() throws {
        let entries = try RAGDocument.wikipediaEntries(file: Self.wikipedia!.path)
        #expect(entries.count > 10_000)
        let held = stride(from: 0, to: entries.count, by: 66).map { entries[$0] }.prefix(150)
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        let embedder = try TextEmbedder.load(directory: Self.miniLM!)
        let index = try RAGIndex(path: path, create: true)
        try index.add(held.map { RAGDocument(source: "wikipedia:\($0.title)", title: $0.title, text: $0.extract) }, embedder: embedder)
        let queries = RetrievalEvaluation.wikipediaQueries(Array(held))
        let scores = try RetrievalEvaluation.evaluate(index, queries: queries, embedder: embedder)
        for s in scores {
            print(String(format: "wikipedia %d articles, %@: recall@1 %.3f recall@5 %.3f", held.count, s.mode.rawValue, s.recall[1]!, s.recall[5]!))
        }
        // Measured on 300 articles (every 33rd): recall@1 / @5 dense 0.875 / 0.986, BM25 0.868 / 0.963,
        // hybrid 0.875 / 0.976. The floors leave room for the smaller sample, not for a broken ranking.
        for s in scores {
            #expect(s.recall[5]! >= 0.85 && s.recall[1]! >= 0.7, "\(s.mode): recall@1 \(s.recall[1]!) recall@5 \(s.recall[5]!)")
        }
    }
}
