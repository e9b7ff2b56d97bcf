// `quill rag query` (top-k chunks for a question, with scores and sources) and `quill rag eval`
// (recall@1/@5 and latency on the Wikipedia summaries). Wiring only: RAGIndex searches,
// RetrievalEvaluation counts.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillFormats
import QuillModels
import QuillTensor

extension RetrievalMode: ExpressibleByArgument {}

/// The embedder for dense / hybrid search: --embedding-model, else the one the index was built with.
private func queryEmbedder(_ index: RAGIndex, _ option: String?, mode: RetrievalMode) throws -> TextEmbedder? {
    mode == .bm25 ? nil : try TextEmbedder.load(for: index, directory: option)
}

struct RAGQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Print the k chunks of a RAG index that best answer a question, with scores and sources.",
        discussion: """
        Modes: dense (cosine of MiniLM vectors, exact), bm25 (SQLite FTS5), hybrid (reciprocal rank \
        fusion of both; the default).

        Examples:
          quill rag query --db wiki.sqlite "Who painted A Sunday Afternoon on the Island of La Grande Jatte?"
          quill rag query --db notes.sqlite -k 3 --mode bm25 --json "printing press"
        """)

    @Option(help: "The index file.") var db: String
    @Option(name: [.customShort("k"), .long], help: "Hits to print.") var k = 5
    @Option(help: "dense, bm25 or hybrid.") var mode: RetrievalMode = .hybrid
    @Option(name: .customLong("embedding-model"), help: "Embedding model directory (default: the one that built the index).")
    var embeddingModel: String?
    @Flag(help: "One JSON object per hit per line.") var json = false
    @Argument(help: "The question.") var question: String

    func validate() throws { guard k >= 1 else { throw ValidationError("-k must be at least 1") } }

    /// The first 300 characters on one line.
    static func preview(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }

    func run() throws {
        try runReportingErrors {
            let index = try RAGIndex(path: db)
            let hits = try index.search(question, k: k, mode: mode, embedder: try queryEmbedder(index, embeddingModel, mode: mode))
            for (i, hit) in hits.enumerated() {
                if json {
                    print(JSONValue.object([("rank", .int(Int64(i + 1))), ("score", .double(hit.score)), ("source", .string(hit.source)),
                                            ("title", .string(hit.title)), ("chunk", .int(Int64(hit.ordinal))), ("text", .string(hit.text))]).jsonText)
                } else {
                    print(String(format: "[%d] %.4f  %@  (%@, chunk %d)\n    %@\n", i + 1, hit.score, hit.title, hit.source, hit.ordinal,
                                 Self.preview(hit.text)))
                }
            }
            if hits.isEmpty && !json { print("no hits") }
        }
    }
}

struct RAGEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Recall@1/@5 and query latency of an index of the Wikipedia summaries, queried by each article's description.",
        discussion: """
        Example:
          quill rag index --db wiki.sqlite --embedding-model .assets/all-MiniLM-L6-v2 --wikipedia .assets/wiki-offline/summaries_en-us.json
          quill rag eval --db wiki.sqlite --wikipedia .assets/wiki-offline/summaries_en-us.json --queries 1000
        """)

    @Option(help: "The index file.") var db: String
    @Option(help: "The summaries_en-us.json the index was built from.") var wikipedia: String
    @Option(help: "Evaluate this many queries, spread evenly over the indexed articles.") var queries = 1000
    @Option(name: .customLong("embedding-model"), help: "Embedding model directory (default: the one that built the index).")
    var embeddingModel: String?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            let index = try RAGIndex(path: db)
            let indexed = Set(try index.sources())
            let all = RetrievalEvaluation.wikipediaQueries(try RAGDocument.wikipediaEntries(file: wikipedia))
                .filter { indexed.contains($0.expectedSource) }
            guard !all.isEmpty else { throw CommandError("\(db) holds none of the articles in \(wikipedia)") }
            let step = max(1, all.count / max(1, queries))
            let chosen = Array(stride(from: 0, to: all.count, by: step).map { all[$0] }.prefix(queries))
            let embedder = try queryEmbedder(index, embeddingModel, mode: .dense)
            print("\(chosen.count) queries over \(indexed.count) articles (\(try index.counts().chunks) chunks)")
            for score in try RetrievalEvaluation.evaluate(index, queries: chosen, embedder: embedder) {
                print(String(format: "%-6@  recall@1 %.3f  recall@5 %.3f  latency p50 %.1f ms  p99 %.1f ms", score.mode.rawValue,
                             score.recall[1] ?? 0, score.recall[5] ?? 0, score.p50Milliseconds, score.p99Milliseconds))
            }
        }
    }
}
