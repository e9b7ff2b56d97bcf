// The `document` table: one row per indexed source with a hash of what was indexed, so re-indexing
// an unchanged file is a no-op and a changed one replaces its chunks.
import GRDB

struct DocumentRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "document"
    static let chunks = hasMany(ChunkRecord.self)

    var id: Int64?
    var source: String
    var title: String
    /// FNV-1a 64 of title, text and chunking parameters, in hex.
    var contentHash: String
    var chunkCount: Int

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    static func fetch(source: String, _ db: Database) throws -> DocumentRecord? {
        try DocumentRecord.filter(Column("source") == source).fetchOne(db)
    }

    /// FNV-1a (64-bit) over the UTF-8 of `parts` joined by NUL: stable across runs and platforms.
    static func hash(_ parts: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (i, part) in parts.enumerated() {
            if i > 0 { h = (h ^ 0) &* 0x100_0000_01b3 }
            for byte in part.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return String(h, radix: 16)
    }
}
