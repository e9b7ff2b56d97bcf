// Why a retrieval index could not be built, opened or searched: one typed error for the RAG layer,
// each case naming the file or input and what to do about it.
import Foundation

public enum RAGError: Error, CustomStringConvertible, Equatable {
    /// No index file at this path (querying never creates one).
    case indexNotFound(path: String)
    /// The file is not an SQLite database, or is damaged.
    case corruptIndex(path: String, reason: String)
    /// A valid SQLite database that some other program wrote (its application id or tables are not Quill's).
    case foreignDatabase(path: String, reason: String)
    /// The index was written by a newer Quill (a migration this build does not know).
    case unknownSchema(path: String, migrations: [String])
    /// The index was built with another embedding model than the one given now.
    case embedderMismatch(path: String, indexed: String, given: String)
    /// A document file could not be read as UTF-8 text, or a corpus file is malformed.
    case unreadableDocument(path: String, reason: String)
    /// Chunking or search parameters that cannot work (named, with the allowed range).
    case invalidParameter(String)
    /// The embedder returned vectors of the wrong count or length.
    case embeddingShape(String)

    public var description: String {
        switch self {
        case .indexNotFound(let path):
            return "\(path): no RAG index there; build one with `quill rag index --db \(path) --embedding-model DIR FILES...`"
        case .corruptIndex(let path, let reason):
            return "\(path): not a readable RAG index (\(reason)); delete it and re-run `quill rag index`"
        case .foreignDatabase(let path, let reason):
            return "\(path): an SQLite database that is not a Quill RAG index (\(reason)); choose another --db path"
        case .unknownSchema(let path, let migrations):
            return "\(path): written by a newer Quill (unknown migrations \(migrations)); update Quill or rebuild the index"
        case .embedderMismatch(let path, let indexed, let given):
            return "\(path): indexed with embedding model '\(indexed)' but '\(given)' was given; "
                + "vectors from different models cannot be compared — use the same model or a new --db"
        case .unreadableDocument(let path, let reason):
            return "\(path): \(reason)"
        case .invalidParameter(let message):
            return message
        case .embeddingShape(let message):
            return "embedder: \(message)"
        }
    }
}
