// Top-k retrieval over a RAG index: dense (exact cosine — unit vectors, so one BLAS matrix–vector
// product over the stored (N, D) matrix), BM25 (SQLite FTS5's bm25(), k1 = 1.2, b = 0.75) and hybrid
// (reciprocal rank fusion of the two candidate lists).
import Foundation
import GRDB
import QuillTensor

/// How to rank chunks for a query.
public enum RetrievalMode: String, Sendable, CaseIterable {
    case dense, bm25, hybrid
}

/// One retrieved chunk.
public struct RAGHit: Sendable, Equatable {
    public var chunkID: Int64
    /// The document's source (file path or corpus key) and title.
    public var source: String
    public var title: String
    /// Position of the chunk in its document and its text.
    public var ordinal: Int
    public var text: String
    /// Higher is better: cosine for dense, BM25 for bm25, the fused RRF score for hybrid.
    public var score: Double
}

extension RAGIndex {
    /// Candidates each list contributes to hybrid fusion.
    static func fusionDepth(_ k: Int) -> Int { max(50, 4 * k) }

    /// The best `k` chunks for `query`. Dense and hybrid need the embedder the index was built with.
    public func search(_ query: String, k: Int, mode: RetrievalMode, embedder: (any DocumentEmbedder)?) throws -> [RAGHit] {
        guard k >= 1 else { throw RAGError.invalidParameter("k must be at least 1, got \(k)") }
        switch mode {
        case .bm25:
            return try hits(bm25(query, limit: k))
        case .dense, .hybrid:
            guard let embedder else { throw RAGError.invalidParameter("\(mode.rawValue) retrieval needs the embedding model") }
            let dense = try self.dense(query, limit: mode == .dense ? k : Self.fusionDepth(k), embedder: embedder)
            if mode == .dense { return try hits(dense) }
            let keyword = try bm25(query, limit: Self.fusionDepth(k))
            let fused = ReciprocalRankFusion.fuse([dense.map(\.id), keyword.map(\.id)]).prefix(k)
            return try hits(fused.map { (id: $0.id, score: $0.score) })
        }
    }

    /// (chunk id, cosine) of the `limit` nearest chunks, best first.
    func dense(_ query: String, limit: Int, embedder: any DocumentEmbedder) throws -> [(id: Int64, score: Double)] {
        try checkEmbedder(embedder)
        guard let q = try embedder.embed([query]).first, q.count == embedder.dimension else {
            throw RAGError.embeddingShape("no vector of length \(embedder.dimension) for the query")
        }
        let stored = try loadVectors(dimension: embedder.dimension)
        let n = stored.ids.count
        guard n > 0 else { return [] }
        var scores = [Float](repeating: 0, count: n)
        stored.matrix.withUnsafeBufferPointer { m in
            q.withUnsafeBufferPointer { x in
                scores.withUnsafeMutableBufferPointer { y in
                    // (N, D) · (D) → (N)
                    BLAS.sgemv(transpose: false, rows: n, cols: stored.dimension, a: m.baseAddress!, lda: stored.dimension,
                               x: x.baseAddress!, beta: 0, y: y.baseAddress!)
                }
            }
        }
        return Self.topK(scores, limit).map { (id: stored.ids[$0], score: Double(scores[$0])) }
    }

    /// (chunk id, BM25) of the `limit` best keyword matches, best first. Query words are quoted and
    /// OR-ed, so FTS5 syntax in the question ("NOT", "*", quotes) is searched as plain words.
    func bm25(_ query: String, limit: Int) throws -> [(id: Int64, score: Double)] {
        let terms = Self.searchTerms(query)
        guard !terms.isEmpty else { return [] }
        let match = terms.map { "\"\($0)\"" }.joined(separator: " OR ")
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT rowid, bm25(chunkSearch) AS rank FROM chunkSearch WHERE chunkSearch MATCH ?
                ORDER BY rank, rowid LIMIT ?
                """, arguments: [match, limit]).map { (id: $0["rowid"], score: -($0["rank"] as Double)) }
        }
    }

    /// Runs of letters and digits, as FTS5's unicode61 tokenizer splits text (duplicates dropped).
    static func searchTerms(_ text: String) -> [String] {
        var terms: [String] = [], seen = Set<String>(), current = ""
        func flush() { if !current.isEmpty, seen.insert(current.lowercased()).inserted { terms.append(current) }; current = "" }
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil { current.unicodeScalars.append(scalar) } else { flush() }
        }
        flush()
        return terms
    }

    /// Indices of the `k` largest scores, best first (ties: lower index first).
    static func topK(_ scores: [Float], _ k: Int) -> [Int] {
        var best: [Int] = []   // sorted best first, at most k
        for i in scores.indices {
            if best.count == k, scores[i] <= scores[best[k - 1]] { continue }
            var j = best.count
            while j > 0 && scores[best[j - 1]] < scores[i] { j -= 1 }
            best.insert(i, at: j)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// Reads every embedding once into a row-major matrix; later dense searches reuse it.
    func loadVectors(dimension: Int) throws -> (ids: [Int64], matrix: [Float], dimension: Int) {
        if let vectors, vectors.dimension == dimension { return vectors }
        let loaded = try read { db -> (ids: [Int64], matrix: [Float], dimension: Int) in
            var ids: [Int64] = [], matrix: [Float] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT id, embedding FROM chunk ORDER BY id")
            while let row = try rows.next() {
                let id: Int64 = row["id"]
                guard ChunkRecord.decode(row["embedding"], dimension: dimension, into: &matrix) else {
                    throw RAGError.corruptIndex(path: path, reason: "chunk \(id)'s embedding is not \(dimension) float32 values")
                }
                ids.append(id)
            }
            return (ids, matrix, dimension)
        }
        vectors = loaded
        return loaded
    }

    /// Chunk text, ordinal and document for each (id, score), in the given order.
    func hits(_ ranked: [(id: Int64, score: Double)]) throws -> [RAGHit] {
        guard !ranked.isEmpty else { return [] }
        let rows = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT chunk.id, chunk.ordinal, chunk.text, document.source, document.title
                FROM chunk JOIN document ON document.id = chunk.documentId WHERE chunk.id IN (\(ranked.map { "\($0.id)" }.joined(separator: ",")))
                """)
        }
        var byID: [Int64: Row] = [:]
        for row in rows { byID[row["id"]] = row }
        return ranked.compactMap { item in
            byID[item.id].map { row in
                RAGHit(chunkID: item.id, source: row["source"], title: row["title"], ordinal: row["ordinal"], text: row["text"], score: item.score)
            }
        }
    }
}
