// The SQLite file behind the billing and feedback stores (GRDB, WAL): migrations in order in this one
// file, and an opener that tells a Quill store from a foreign or damaged file before touching it.
// Both stores may share one file; each is one table (`usage`, `feedback`).
import Foundation
import GRDB

enum AccountingDatabase {
    /// `PRAGMA application_id` of every Quill accounting store ("QACC").
    static let applicationID: Int32 = 0x5141_4343

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 usage per key, day and model") { db in
            try db.create(table: "usage") { t in
                t.column("apiKey", .text).notNull()
                t.column("day", .text).notNull()                  // UTC, yyyy-MM-dd
                t.column("model", .text).notNull()
                t.column("requests", .integer).notNull()
                t.column("promptTokens", .integer).notNull()
                t.column("completionTokens", .integer).notNull()
                t.column("cost", .double).notNull()               // priced when recorded, in the table's currency
                t.primaryKey(["apiKey", "day", "model"])
            }
        }
        migrator.registerMigration("v1 feedback") { db in
            try db.create(table: "feedback") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("responseID", .text).notNull()
                t.column("choiceIndex", .integer).notNull()
                t.column("apiKey", .text).notNull()
                t.column("model", .text).notNull()
                t.column("rating", .integer).notNull()
                t.column("prompt", .text).notNull()
                t.column("response", .text).notNull()
                t.column("correction", .text)
                t.column("comment", .text)
                t.column("createdAt", .double).notNull()          // seconds since 1970
            }
            try db.create(index: "feedbackByPrompt", on: "feedback", columns: ["prompt"])
        }
        return migrator
    }

    /// Opens (with `create`, creates and migrates) a store file, refusing foreign and damaged ones.
    static func open(path: String, create: Bool) throws -> DatabaseQueue {
        guard create || FileManager.default.fileExists(atPath: path) else { throw AccountingError.storeNotFound(path: path) }
        var configuration = Configuration()
        configuration.readonly = !create
        configuration.busyMode = .timeout(10)
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            try checkIdentity(database, path: path, create: create)
            if create { try migrator.migrate(database) }
            return database
        } catch let error as DatabaseError {
            throw mapped(error, path)
        }
    }

    private static func checkIdentity(_ database: DatabaseQueue, path: String, create: Bool) throws {
        let migrator = self.migrator
        try database.writeWithoutTransaction { db in
            let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            if id != applicationID {
                guard id == 0, tables.isEmpty else {
                    throw AccountingError.foreignDatabase(path: path, reason: id != 0
                        ? "application id \(id), not Quill's \(applicationID)"
                        : "tables \(tables.prefix(5).joined(separator: ", ")) and no Quill application id")
                }
                guard create else { throw AccountingError.corruptStore(path: path, reason: "the file holds no store (an empty database)") }
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            }
            let applied = try migrator.appliedIdentifiers(db)
            let unknown = applied.subtracting(migrator.migrations)
            guard unknown.isEmpty else { throw AccountingError.unknownSchema(path: path, migrations: unknown.sorted()) }
            if !create, applied.count < migrator.migrations.count {
                throw AccountingError.corruptStore(path: path, reason: "its schema is older than this Quill's; open it once with `quill serve`")
            }
        }
    }

    /// SQLite's "not a database" and "corrupt" codes become `corruptStore`.
    static func mapped(_ error: DatabaseError, _ path: String) -> AccountingError {
        switch error.resultCode {
        case .SQLITE_NOTADB: return .corruptStore(path: path, reason: "not an SQLite database")
        case .SQLITE_CORRUPT: return .corruptStore(path: path, reason: "the database is damaged")
        default: return .corruptStore(path: path, reason: "SQLite: \(error.message ?? "\(error.resultCode)")")
        }
    }

    static func read<T>(_ database: DatabaseQueue, _ path: String, _ body: (Database) throws -> T) throws -> T {
        do { return try database.read(body) } catch let error as DatabaseError { throw mapped(error, path) }
    }

    static func write<T>(_ database: DatabaseQueue, _ path: String, _ body: (Database) throws -> T) throws -> T {
        do { return try database.write(body) } catch let error as DatabaseError { throw mapped(error, path) }
    }
}
