// The `chunk` table: a chunk's text, its place in the document and its embedding, stored as a
// BLOB of little-endian Float32 (4 · dimension bytes).
import Foundation
import GRDB

struct ChunkRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "chunk"
    static let document = belongsTo(DocumentRecord.self)

    var id: Int64?
    var documentId: Int64
    /// Position of the chunk in its document, from 0.
    var ordinal: Int
    var text: String
    /// UTF-8 byte range of `text` in the document.
    var byteStart: Int
    var byteEnd: Int
    var tokenCount: Int
    var embedding: Data

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Little-endian Float32 bytes of `vector`.
    static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for x in vector { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// Appends the floats of a BLOB to `out`; false when its length is not 4 · dimension.
    static func decode(_ data: Data, dimension: Int, into out: inout [Float]) -> Bool {
        guard data.count == dimension * 4 else { return false }
        data.withUnsafeBytes { raw in
            for i in 0..<dimension {
                out.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
            }
        }
        return true
    }
}
