// Users' ratings of answers in SQLite: the response id, +1 or −1, an optional corrected answer and
// comment, stored with the prompt and the response. Everything textual is PII-redacted on the way in,
// so the file never holds an e-mail address, phone or card number a user typed.
import Foundation
import GRDB

/// One rating of one answer.
public struct FeedbackEntry: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "feedback"

    public var id: Int64?
    public var responseID: String
    /// Which of the response's choices (n > 1) was rated.
    public var choiceIndex: Int
    public var apiKey: String
    public var model: String
    /// +1 (good) or −1 (bad).
    public var rating: Int
    public var prompt: String
    public var response: String
    public var correction: String?
    public var comment: String?
    public var createdAt: Double

    public init(responseID: String, choiceIndex: Int = 0, apiKey: String, model: String, rating: Int, prompt: String,
                response: String, correction: String? = nil, comment: String? = nil, createdAt: Date = Date()) {
        self.responseID = responseID; self.choiceIndex = choiceIndex; self.apiKey = apiKey; self.model = model
        self.rating = rating; self.prompt = prompt; self.response = response; self.correction = correction
        self.comment = comment; self.createdAt = createdAt.timeIntervalSince1970
    }

    /// The entry with every text field passed through `PIIRedactor`.
    public var redacted: FeedbackEntry {
        var e = self
        e.prompt = PIIRedactor.redact(prompt); e.response = PIIRedactor.redact(response)
        e.correction = correction.map(PIIRedactor.redact); e.comment = comment.map(PIIRedactor.redact)
        return e
    }
}

/// A Quill feedback store file.
///
/// ```swift
/// let store = try FeedbackStore(path: "feedback.sqlite", create: true)
/// try store.add(FeedbackEntry(responseID: "chatcmpl-…", apiKey: "sk-alice", model: "smollm2", rating: -1,
///                             prompt: prompt, response: answer, correction: "Paris."))
/// try PreferencePairs(try store.all()).writeJSONL(to: URL(fileURLWithPath: "pairs.jsonl"))
/// ```
public final class FeedbackStore: Sendable {
    public let path: String
    let database: DatabaseQueue

    public init(path: String, create: Bool = false) throws {
        self.path = path
        database = try AccountingDatabase.open(path: path, create: create)
    }

    /// Stores `entry` redacted and returns it as stored (with its id).
    @discardableResult
    public func add(_ entry: FeedbackEntry) throws -> FeedbackEntry {
        guard entry.rating == 1 || entry.rating == -1 else {
            throw AccountingError.invalidValue("rating must be 1 or -1, got \(entry.rating)")
        }
        var stored = entry.redacted
        stored.id = nil
        stored.id = try AccountingDatabase.write(database, path) { db in
            try stored.insert(db)
            return db.lastInsertedRowID
        }
        return stored
    }

    /// Every entry, oldest first.
    public func all() throws -> [FeedbackEntry] {
        try AccountingDatabase.read(database, path) { db in try FeedbackEntry.order(Column("id")).fetchAll(db) }
    }

    public func count() throws -> Int {
        try AccountingDatabase.read(database, path) { db in try FeedbackEntry.fetchCount(db) }
    }
}
