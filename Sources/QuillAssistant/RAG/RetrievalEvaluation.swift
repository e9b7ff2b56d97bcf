// Recall@k and query latency of an index over queries whose right answer is known (for the Wikipedia
// summaries: each article's short `description` should retrieve that article). A query counts as
// found at k when one of the first k chunks comes from the expected source.
import Foundation

/// Figures for one retrieval mode.
public struct RetrievalScore: Sendable {
    public var mode: RetrievalMode
    public var queries: Int
    /// k → fraction of queries whose expected source is among the first k hits.
    public var recall: [Int: Double]
    /// Query latency in milliseconds (embedding the query included).
    public var p50Milliseconds: Double
    public var p99Milliseconds: Double
}

public enum RetrievalEvaluation {
    /// One query with the source that should be retrieved.
    public struct Query: Sendable {
        public var text: String
        public var expectedSource: String
        public init(text: String, expectedSource: String) { self.text = text; self.expectedSource = expectedSource }
    }

    /// Queries from Wikipedia entries: "description" → "wikipedia:Title"; entries without a description skipped.
    public static func wikipediaQueries(_ entries: [RAGDocument.WikipediaEntry]) -> [Query] {
        entries.filter { !$0.description.isEmpty }.map { Query(text: $0.description, expectedSource: "wikipedia:\($0.title)") }
    }

    /// Runs every query in every mode; recall at each k in `ks` (hits are fetched to the largest k).
    public static func evaluate(_ index: RAGIndex, queries: [Query], modes: [RetrievalMode] = RetrievalMode.allCases,
                                ks: [Int] = [1, 5], embedder: (any DocumentEmbedder)?) throws -> [RetrievalScore] {
        guard let depth = ks.max(), depth >= 1 else { throw RAGError.invalidParameter("recall needs at least one k ≥ 1") }
        return try modes.map { mode in
            var found = [Int: Int](), times: [Double] = []
            for query in queries {
                let start = DispatchTime.now().uptimeNanoseconds
                let hits = try index.search(query.text, k: depth, mode: mode, embedder: embedder)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                let rank = hits.firstIndex { $0.source == query.expectedSource }
                for k in ks where rank.map({ $0 < k }) == true { found[k, default: 0] += 1 }
            }
            times.sort()
            func percentile(_ p: Double) -> Double { times.isEmpty ? 0 : times[min(times.count - 1, Int((p * Double(times.count)).rounded(.up)) - 1)] }
            let n = max(1, queries.count)
            return RetrievalScore(mode: mode, queries: queries.count,
                                  recall: Dictionary(uniqueKeysWithValues: ks.map { ($0, Double(found[$0] ?? 0) / Double(n)) }),
                                  p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99))
        }
    }
}
