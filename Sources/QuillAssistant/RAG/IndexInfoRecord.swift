// The `indexInfo` table: key/value facts about a whole index (the embedding model that wrote its
// vectors, their length, the chunking), read before any write or dense query to refuse a mismatch.
import GRDB

struct IndexInfoRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "indexInfo"
    static let embeddingModel = "embeddingModel", dimension = "dimension", embeddingModelPath = "embeddingModelPath"

    var key: String
    var value: String

    static func value(_ key: String, _ db: Database) throws -> String? {
        try IndexInfoRecord.fetchOne(db, key: key)?.value
    }

    static func set(_ key: String, _ value: String, _ db: Database) throws {
        try IndexInfoRecord(key: key, value: value).save(db)
    }
}
