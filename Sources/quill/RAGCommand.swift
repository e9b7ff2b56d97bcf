// `quill rag index`: documents → chunks → MiniLM embeddings → an SQLite index (vectors + FTS5).
// Wiring only: QuillAssistant's RAGIndex chunks, embeds and stores; re-running skips unchanged files.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillModels
import QuillTensor

struct RAGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rag",
        abstract: "Retrieval-augmented generation: index documents in SQLite and retrieve chunks for a question.",
        subcommands: [RAGIndexCommand.self, RAGQueryCommand.self, RAGEvalCommand.self])
}

struct RAGIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Add text / Markdown files (or the Wikipedia summaries) to a RAG index, creating it if needed.",
        discussion: """
        Each document is cut into chunks of --chunk-tokens embedding-model tokens with --overlap shared \
        between neighbours (title + chunk always fit the model's max_seq_length, so nothing is truncated), \
        embedded in batches and stored with its text and source. Unchanged documents are skipped; changed \
        ones have their chunks replaced. Each batch is one SQLite transaction.

        Examples:
          quill rag index --db notes.sqlite --embedding-model .assets/all-MiniLM-L6-v2 docs/*.md
          quill rag index --db wiki.sqlite --embedding-model .assets/all-MiniLM-L6-v2 \\
            --wikipedia .assets/wiki-offline/summaries_en-us.json --limit 2000
        """)

    @Option(help: "The index file (SQLite).") var db: String
    @Option(name: .customLong("embedding-model"), help: "Sentence-transformers / BERT directory (e.g. .assets/all-MiniLM-L6-v2).")
    var embeddingModel: String
    @Option(help: "Also index the Wikipedia lead summaries in this summaries_en-us.json.") var wikipedia: String?
    @Option(help: "Index only the first N Wikipedia summaries.") var limit: Int?
    @Option(name: .customLong("chunk-tokens"), help: "Most tokens of text per chunk.") var chunkTokens = 200
    @Option(help: "Tokens shared by consecutive chunks.") var overlap = 40
    @Option(name: .customLong("batch-size"), help: "Documents per embedding batch and transaction.") var batchSize = 64
    @Option(name: .customLong("max-seq-length"), help: "Embedder truncation (default: the directory's max_seq_length).")
    var maxSeqLength: Int?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Argument(help: "Text or Markdown files to index.") var files: [String] = []

    func validate() throws {
        guard !files.isEmpty || wikipedia != nil else { throw ValidationError("give files to index, or --wikipedia FILE") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            let directory = URL(fileURLWithPath: embeddingModel)
            let embedder = try TextEmbedder.load(directory: directory, batchSize: 32, maxSequenceLength: maxSeqLength)
            var documents = try files.map(RAGDocument.load(file:))
            if let wikipedia {
                let all = try RAGDocument.loadWikipediaSummaries(file: wikipedia)
                documents += limit.map { Array(all.prefix($0)) } ?? all
            }
            let index = try RAGIndex(path: db, create: true)
            let start = Date()
            var bar = ProgressBar(total: documents.count)
            let report = try index.add(documents, embedder: embedder,
                                       chunking: ChunkingOptions(maxTokens: chunkTokens, overlap: overlap), batchSize: batchSize) { done, _ in
                let seconds = Date().timeIntervalSince(start)
                bar.update(done, String(format: "%.1f docs/s  ETA %@", Double(done) / max(seconds, 1e-3),
                                        ProgressBar.duration(seconds / Double(done) * Double(documents.count - done))))
            }
            try index.setEmbeddingModelPath(directory.standardizedFileURL.path)
            let counts = try index.counts()
            print(String(format: "%d added, %d updated, %d unchanged (%d new chunks) in %.1f s; %@ holds %d documents, %d chunks",
                         report.added, report.updated, report.unchanged, report.chunks, Date().timeIntervalSince(start),
                         db, counts.documents, counts.chunks))
        }
    }
}
