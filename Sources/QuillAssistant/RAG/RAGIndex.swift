// A retrieval index in one SQLite file (GRDB, WAL): documents → token-budgeted chunks → embeddings
// stored beside their text, with an FTS5 table for BM25. Opening checks that the file is a Quill
// index (application id, migrations) and writes go one batch of documents per transaction, so a
// kill during indexing leaves every earlier batch intact and no half-written document.
import Foundation
import GRDB

/// How documents are cut before embedding.
public struct ChunkingOptions: Sendable, Equatable {
    /// Most tokens of document text per chunk; capped so title + chunk + special tokens fit the embedder.
    public var maxTokens: Int
    /// Tokens consecutive chunks share.
    public var overlap: Int

    public init(maxTokens: Int = 200, overlap: Int = 40) { self.maxTokens = maxTokens; self.overlap = overlap }
}

/// What one `add` call did.
public struct IndexingReport: Sendable, Equatable {
    public var added = 0, updated = 0, unchanged = 0, chunks = 0
}

/// A Quill RAG index file.
///
/// ```swift
/// let index = try RAGIndex(path: "notes.sqlite", create: true)
/// try index.add(try files.map(RAGDocument.load(file:)), embedder: embedder)
/// let hits = try index.search("When was the press invented?", k: 5, mode: .hybrid, embedder: embedder)
/// ```
public final class RAGIndex {
    public let path: String
    let database: DatabaseQueue
    /// The chunk embeddings as one row-major (N, D) matrix and their chunk ids, loaded on first dense search.
    var vectors: (ids: [Int64], matrix: [Float], dimension: Int)?

    /// Opens an index; with `create`, a missing file becomes a new empty index.
    public init(path: String, create: Bool = false) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        guard exists || create else { throw RAGError.indexNotFound(path: path) }
        var configuration = Configuration()
        configuration.readonly = !create
        configuration.busyMode = .timeout(10)
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try checkIdentity(create: create)
        } catch let error as DatabaseError {
            throw Self.mapped(error, path)
        }
    }

    /// Checks the application id and migrations; on a writable open, migrates and turns on WAL.
    private func checkIdentity(create: Bool) throws {
        let migrator = RAGSchema.migrator
        try database.writeWithoutTransaction { db in
            let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            if id != RAGSchema.applicationID {
                if id == 0, tables.isEmpty, !create {
                    throw RAGError.corruptIndex(path: path, reason: "the file holds no index (an empty database)")
                }
                guard id == 0, tables.isEmpty else {
                    throw RAGError.foreignDatabase(path: path, reason: id != 0
                        ? "application id \(id), not Quill's \(RAGSchema.applicationID)"
                        : "tables \(tables.prefix(5).joined(separator: ", ")) and no Quill application id")
                }
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA application_id = \(RAGSchema.applicationID)")
            }
            let applied = try migrator.appliedIdentifiers(db)
            let unknown = applied.subtracting(migrator.migrations)
            guard unknown.isEmpty else { throw RAGError.unknownSchema(path: path, migrations: unknown.sorted()) }
            if create {
                if !applied.isEmpty { try db.execute(sql: "PRAGMA journal_mode = WAL") }
            } else if applied.count < migrator.migrations.count {
                throw RAGError.corruptIndex(path: path, reason: "its schema is older than this Quill's; re-run `quill rag index` on it")
            }
        }
        if create { try migrator.migrate(database) }
    }

    /// The embedding model the index's vectors came from (nil for an empty index).
    public func embeddingModel() throws -> String? {
        try read { db in try IndexInfoRecord.value(IndexInfoRecord.embeddingModel, db) }
    }

    /// Where the embedding model was loaded from when the index was built, so queries can find it.
    public func embeddingModelPath() throws -> String? {
        try read { db in try IndexInfoRecord.value(IndexInfoRecord.embeddingModelPath, db) }
    }

    public func setEmbeddingModelPath(_ path: String) throws {
        try write { db in try IndexInfoRecord.set(IndexInfoRecord.embeddingModelPath, path, db) }
    }

    /// Numbers of documents and chunks.
    public func counts() throws -> (documents: Int, chunks: Int) {
        try read { db in (try DocumentRecord.fetchCount(db), try ChunkRecord.fetchCount(db)) }
    }

    /// Sources of every indexed document, sorted.
    public func sources() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT source FROM document ORDER BY source") }
    }

    /// Indexes `documents`: new ones are added, changed ones (title, text or chunking differ) have
    /// their chunks replaced, unchanged ones are skipped. Each batch of `batchSize` documents is
    /// embedded, then written in one transaction. `progress` gets (documents done, total).
    @discardableResult
    public func add(_ documents: [RAGDocument], embedder: any DocumentEmbedder, chunking: ChunkingOptions = .init(),
                    batchSize: Int = 64, progress: ((Int, Int) -> Void)? = nil) throws -> IndexingReport {
        let sources = documents.map(\.source)
        if let duplicate = Dictionary(grouping: sources, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw RAGError.invalidParameter("document source '\(duplicate)' is given twice; sources must be unique")
        }
        try checkEmbedder(embedder)
        let preparer = try ChunkPreparer(embedder: embedder, chunking: chunking)
        var report = IndexingReport()
        var start = 0
        while start < documents.count {
            let batch = Array(documents[start..<min(start + max(1, batchSize), documents.count)])
            let existing = try read { db in try batch.map { try DocumentRecord.fetch(source: $0.source, db) } }
            var work: [(document: RAGDocument, hash: String, chunks: [TextChunk], replaces: Bool)] = []
            for (document, old) in zip(batch, existing) {
                let hash = DocumentRecord.hash([document.title, document.text, "\(chunking.maxTokens)", "\(chunking.overlap)"])
                if old?.contentHash == hash { report.unchanged += 1; continue }
                work.append((document, hash, try preparer.chunks(of: document), old != nil))
            }
            let inputs = work.flatMap { item in item.chunks.map { preparer.embeddingInput(title: item.document.title, chunk: $0.text) } }
            let embeddings = try embedder.embed(inputs)
            guard embeddings.count == inputs.count, embeddings.allSatisfy({ $0.count == embedder.dimension }) else {
                throw RAGError.embeddingShape("expected \(inputs.count) vectors of length \(embedder.dimension), got \(embeddings.count)")
            }
            try write { db in
                var v = 0
                for item in work {
                    _ = try DocumentRecord.filter(Column("source") == item.document.source).deleteAll(db)   // cascades to chunks
                    var record = DocumentRecord(id: nil, source: item.document.source, title: item.document.title,
                                                contentHash: item.hash, chunkCount: item.chunks.count)
                    try record.insert(db)
                    for (ordinal, chunk) in item.chunks.enumerated() {
                        var row = ChunkRecord(id: nil, documentId: record.id!, ordinal: ordinal, text: chunk.text,
                                              byteStart: chunk.byteRange.lowerBound, byteEnd: chunk.byteRange.upperBound,
                                              tokenCount: chunk.tokenCount, embedding: ChunkRecord.encode(embeddings[v]))
                        try row.insert(db)
                        v += 1
                    }
                }
                if try IndexInfoRecord.value(IndexInfoRecord.embeddingModel, db) == nil {
                    try IndexInfoRecord.set(IndexInfoRecord.embeddingModel, embedder.modelIdentifier, db)
                    try IndexInfoRecord.set(IndexInfoRecord.dimension, "\(embedder.dimension)", db)
                }
            }
            for item in work { if item.replaces { report.updated += 1 } else { report.added += 1 }; report.chunks += item.chunks.count }
            if !work.isEmpty { vectors = nil }
            start += batch.count
            progress?(start, documents.count)
        }
        return report
    }

    /// Refuses an embedder other than the one whose vectors the index holds.
    func checkEmbedder(_ embedder: any DocumentEmbedder) throws {
        if let indexed = try embeddingModel(), indexed != embedder.modelIdentifier {
            throw RAGError.embedderMismatch(path: path, indexed: indexed, given: embedder.modelIdentifier)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.read(body) } catch let error as DatabaseError { throw Self.mapped(error, path) }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.write(body) } catch let error as DatabaseError { throw Self.mapped(error, path) }
    }

    /// SQLite's "not a database" and "corrupt" codes become `corruptIndex`; other failures keep their message.
    static func mapped(_ error: DatabaseError, _ path: String) -> RAGError {
        switch error.resultCode {
        case .SQLITE_NOTADB: return .corruptIndex(path: path, reason: "not an SQLite database")
        case .SQLITE_CORRUPT: return .corruptIndex(path: path, reason: "the database is damaged")
        default: return .corruptIndex(path: path, reason: "SQLite: \(error.message ?? "\(error.resultCode)")")
        }
    }
}
