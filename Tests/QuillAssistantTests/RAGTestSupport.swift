// Shared pieces of the RAG tests: a small deterministic embedder (hashed bag of words) that needs
// no model, temporary index files, and the fixture corpus written by Scripts/reference/rag_reference.py.
import Foundation
import QuillAssistant
import TestSupport

/// Words are lowercase letter/digit runs; each word adds 1 to one of `dimension` buckets; unit length.
final class HashingEmbedder: DocumentEmbedder {
    let modelIdentifier: String
    let dimension: Int
    let maxSequenceLength: Int
    let specialTokenCount = 2
    private(set) var embedCalls = 0, embeddedTexts = 0

    init(dimension: Int = 64, maxSequenceLength: Int = 64, name: String = "hashing") {
        self.dimension = dimension; self.maxSequenceLength = maxSequenceLength
        self.modelIdentifier = "\(name)/\(dimension)@\(maxSequenceLength)"
    }

    static func words(_ text: Substring) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    func tokenCount(_ text: Substring) -> Int { Self.words(text).count }

    func embed(_ texts: [String]) throws -> [[Float]] {
        embedCalls += 1; embeddedTexts += texts.count
        return texts.map { text in
            var v = [Float](repeating: 0, count: dimension)
            for word in Self.words(Substring(text)) {
                var h: UInt64 = 1469598103934665603
                for b in word.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
                v[Int(h % UInt64(dimension))] += 1
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? v.map { $0 / norm } : v
        }
    }
}

enum RAGFixtures {
    /// A fresh path in the temporary directory (no file yet); removed with its WAL files by `cleanup`.
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rag-\(UUID().uuidString).sqlite").path
    }

    static func cleanup(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    struct Retrieval: Decodable {
        struct Document: Decodable { var source, title, text: String }
        struct Dense: Decodable { var query: String; var cosines: [Double] }
        struct BM25: Decodable { var query: String; var scores: [Double] }
        var documents: [Document]
        var dense: [Dense]
        var bm25: [BM25]
        var ragDocuments: [RAGDocument] { documents.map { RAGDocument(source: $0.source, title: $0.title, text: $0.text) } }
    }

    static func retrieval() throws -> Retrieval {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/rag/retrieval.json")
        return try JSONDecoder().decode(Retrieval.self, from: Data(contentsOf: url))
    }
}
