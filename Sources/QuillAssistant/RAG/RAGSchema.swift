// Every table of a RAG index and how it came to be: GRDB migrations, in order, in this one file.
// A chunk's row holds its text, place and embedding (little-endian Float32 BLOB); the FTS5 table
// `chunkSearch` (BM25) is kept in step with `chunk` by triggers, inside the same transactions.
import GRDB

enum RAGSchema {
    /// `PRAGMA application_id` of every Quill RAG index ("QRAG"), which tells it from other SQLite files.
    static let applicationID: Int32 = 0x5152_4147

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 documents, chunks, BM25 search, index info") { db in
            try db.create(table: IndexInfoRecord.databaseTableName) { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: DocumentRecord.databaseTableName) { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("source", .text).notNull().unique()
                t.column("title", .text).notNull()
                t.column("contentHash", .text).notNull()
                t.column("chunkCount", .integer).notNull()
            }
            try db.create(table: ChunkRecord.databaseTableName) { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo(DocumentRecord.databaseTableName, onDelete: .cascade).notNull()   // documentId
                t.column("ordinal", .integer).notNull()
                t.column("text", .text).notNull()
                t.column("byteStart", .integer).notNull()
                t.column("byteEnd", .integer).notNull()
                t.column("tokenCount", .integer).notNull()
                t.column("embedding", .blob).notNull()
            }
            // BM25 over what the embedder sees too: the title, a newline, the chunk text.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE chunkSearch USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
                CREATE TRIGGER chunkSearchInsert AFTER INSERT ON chunk BEGIN
                    INSERT INTO chunkSearch(rowid, body)
                    SELECT new.id, document.title || char(10) || new.text FROM document WHERE document.id = new.documentId;
                END;
                CREATE TRIGGER chunkSearchDelete AFTER DELETE ON chunk BEGIN
                    DELETE FROM chunkSearch WHERE rowid = old.id;
                END;
                """)
        }
        return migrator
    }
}
