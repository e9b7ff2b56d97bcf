// The billing store on real temporary files: usage round trip, UTC day rollover, reopening, quotas,
// prices, and clear errors for missing, corrupt, empty and foreign files.
import Foundation
import GRDB
import Testing
@testable import QuillAssistant

@Suite("Billing store")
struct BillingStoreTests {
    /// 2026-12-03 23:59:59 UTC and two seconds later (the next UTC day).
    static let lateEvening = Date(timeIntervalSince1970: 1_796_342_399)
    static let nextMorning = Date(timeIntervalSince1970: 1_796_342_401)

    @Test func dayIsUTC() {
        #expect(BillingStore.day(of: Self.lateEvening) == "2026-12-03")
        #expect(BillingStore.day(of: Self.nextMorning) == "2026-12-04")
        #expect(BillingStore.day(of: Date(timeIntervalSince1970: 0)) == "1970-01-01")
    }

    @Test func roundTripAndRollover() throws {
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        do {
            let store = try BillingStore(path: path, create: true)
            try store.record(key: "sk-a", model: "m1", promptTokens: 10, completionTokens: 5, cost: 0.5, at: Self.lateEvening)
            try store.record(key: "sk-a", model: "m2", promptTokens: 3, completionTokens: 2, cost: 0.25, at: Self.lateEvening)
            try store.record(key: "sk-a", model: "m1", promptTokens: 7, completionTokens: 1, cost: 0.125, at: Self.nextMorning)
            try store.record(key: "sk-b", model: "m1", promptTokens: 100, completionTokens: 100, cost: 1, at: Self.nextMorning)
        }
        let reopened = try BillingStore(path: path)                    // read-only reopen sees the committed rows
        #expect(try reopened.usage(key: "sk-a") == [
            DailyUsage(day: "2026-12-03", requests: 2, promptTokens: 13, completionTokens: 7, cost: 0.75),
            DailyUsage(day: "2026-12-04", requests: 1, promptTokens: 7, completionTokens: 1, cost: 0.125),
        ])
        #expect(try reopened.usage(key: "sk-a", since: "2026-12-04").map(\.day) == ["2026-12-04"])
        #expect(try reopened.usage(key: "sk-a", until: "2026-12-03").map(\.day) == ["2026-12-03"])
        #expect(try reopened.usage(key: "nobody").isEmpty)
        #expect(try reopened.keys() == ["sk-a", "sk-b"])
    }

    @Test func quotas() throws {
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        let store = try BillingStore(path: path, create: true)
        try store.record(key: "k", model: "m", promptTokens: 60, completionTokens: 40, cost: 2, at: Self.lateEvening)
        #expect(try store.quotaExceeded(key: "k", quota: UsageQuota(), at: Self.lateEvening) == nil)
        #expect(try store.quotaExceeded(key: "k", quota: UsageQuota(dailyTokens: 101), at: Self.lateEvening) == nil)
        #expect(try store.quotaExceeded(key: "k", quota: UsageQuota(dailyTokens: 100), at: Self.lateEvening) != nil)
        // The daily quota starts again on the next UTC day; the lifetime one does not.
        #expect(try store.quotaExceeded(key: "k", quota: UsageQuota(dailyTokens: 100), at: Self.nextMorning) == nil)
        #expect(try store.quotaExceeded(key: "k", quota: UsageQuota(totalTokens: 100), at: Self.nextMorning) != nil)
        #expect(try store.quotaExceeded(key: "k", quota: UsageQuota(totalCost: 2), at: Self.nextMorning) != nil)
        #expect(try store.quotaExceeded(key: "k", quota: UsageQuota(totalCost: 2.5), at: Self.nextMorning) == nil)
        #expect(throws: AccountingError.self) { try store.record(key: "k", model: "m", promptTokens: -1, completionTokens: 0, cost: 0) }
    }

    /// Prices are per million tokens: 1,000 prompt tokens at 0.15 and 500 completion tokens at 0.60
    /// cost 0.00015 + 0.0003 = 0.00045.
    @Test func priceTable() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("prices-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"{"currency": "EUR", "default": {"prompt": 1, "completion": 2}, "models": {"smollm2": {"prompt": 0.15, "completion": 0.60}}}"#.utf8)
            .write(to: file)
        let table = try PriceTable.load(path: file.path)
        #expect(table.currency == "EUR")
        #expect(abs(table.cost(model: "smollm2", promptTokens: 1000, completionTokens: 500) - 0.00045) < 1e-12)
        #expect(abs(table.cost(model: "other", promptTokens: 1_000_000, completionTokens: 1_000_000) - 3) < 1e-12)

        try Data(#"{"models": {"x": {"prompt": -1, "completion": 0}}}"#.utf8).write(to: file)
        #expect(throws: AccountingError.self) { try PriceTable.load(path: file.path) }
        try Data(#"{"models": {"x": {"prompt": "cheap"}}}"#.utf8).write(to: file)
        #expect(throws: AccountingError.invalidFile(path: file.path, reason: "not a price table (wrong type at 'models.x.prompt')")) {
            try PriceTable.load(path: file.path)
        }
        try Data(#"{"model": {"x": {"prompt": 1, "completion": 1}}}"#.utf8).write(to: file)
        #expect(throws: AccountingError.invalidFile(path: file.path, reason: "not a price table (unknown field 'model' (allowed: currency, default, models))")) {
            try PriceTable.load(path: file.path)
        }
    }

    /// `--billing-db` and `--feedback-db` may name the same file: one schema, two tables.
    @Test func billingAndFeedbackShareAFile() throws {
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        let billing = try BillingStore(path: path, create: true)
        let feedback = try FeedbackStore(path: path, create: true)
        try billing.record(key: "k", model: "m", promptTokens: 1, completionTokens: 2, cost: 0)
        try feedback.add(FeedbackEntry(responseID: "r", apiKey: "k", model: "m", rating: 1, prompt: "p", response: "a"))
        #expect(try BillingStore(path: path).usage(key: "k").first?.completionTokens == 2)
        #expect(try FeedbackStore(path: path).count() == 1)
    }

    @Test func badFiles() throws {
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        #expect(throws: AccountingError.storeNotFound(path: path)) { try BillingStore(path: path) }

        try Data("this is not a database, just some text that is long enough".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: AccountingError.corruptStore(path: path, reason: "not an SQLite database")) { try BillingStore(path: path) }
        #expect(throws: AccountingError.corruptStore(path: path, reason: "not an SQLite database")) { try FeedbackStore(path: path, create: true) }

        RAGFixtures.cleanup(path)
        let foreign = try DatabaseQueue(path: path)
        try foreign.write { try $0.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)") }
        try foreign.close()
        for create in [false, true] {
            #expect(throws: AccountingError.foreignDatabase(path: path, reason: "tables invoices and no Quill application id")) {
                try BillingStore(path: path, create: create)
            }
        }
        #expect(try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") } == ["invoices"])

        // A RAG index is an SQLite file of another Quill kind: refused by its application id.
        RAGFixtures.cleanup(path)
        _ = try RAGIndex(path: path, create: true)
        #expect(throws: AccountingError.foreignDatabase(path: path, reason: "application id 1364345159, not Quill's 1363231555")) {
            try BillingStore(path: path, create: true)
        }
    }
}
