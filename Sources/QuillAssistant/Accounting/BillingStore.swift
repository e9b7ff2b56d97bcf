// Token accounting in SQLite: prompt and completion tokens, requests and cost per API key, per UTC day
// and per model, each request added in one upsert transaction. Quotas are checked against it before
// a request is allowed to generate.
import Foundation
import GRDB

/// One key's use on one day (all models together, or one model).
public struct DailyUsage: Sendable, Equatable, Codable {
    public var day: String                  // yyyy-MM-dd, UTC
    public var requests: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var cost: Double
    public var totalTokens: Int { promptTokens + completionTokens }

    public init(day: String, requests: Int, promptTokens: Int, completionTokens: Int, cost: Double) {
        self.day = day; self.requests = requests; self.promptTokens = promptTokens
        self.completionTokens = completionTokens; self.cost = cost
    }
}

/// Limits of one key; nil means unlimited.
public struct UsageQuota: Sendable, Equatable, Codable {
    /// Prompt + completion tokens per UTC day.
    public var dailyTokens: Int?
    /// Prompt + completion tokens over the key's whole life.
    public var totalTokens: Int?
    /// Cost over the key's whole life, in the price table's currency.
    public var totalCost: Double?

    enum CodingKeys: String, CodingKey { case dailyTokens = "daily_tokens", totalTokens = "total_tokens", totalCost = "total_cost" }

    public init(dailyTokens: Int? = nil, totalTokens: Int? = nil, totalCost: Double? = nil) {
        self.dailyTokens = dailyTokens; self.totalTokens = totalTokens; self.totalCost = totalCost
    }

    public var isUnlimited: Bool { dailyTokens == nil && totalTokens == nil && totalCost == nil }
}

/// A Quill billing store file.
///
/// ```swift
/// let store = try BillingStore(path: "billing.sqlite", create: true)
/// try store.record(key: "sk-alice", model: "smollm2", promptTokens: 12, completionTokens: 40, cost: 0.00003)
/// let days = try store.usage(key: "sk-alice")
/// ```
public final class BillingStore: Sendable {
    public let path: String
    let database: DatabaseQueue

    public init(path: String, create: Bool = false) throws {
        self.path = path
        database = try AccountingDatabase.open(path: path, create: create)
    }

    /// The UTC day `date` falls on, as the store keys it.
    public static func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// Adds one request's tokens to its key's row for the day of `date`.
    public func record(key: String, model: String, promptTokens: Int, completionTokens: Int, cost: Double, at date: Date = Date()) throws {
        guard promptTokens >= 0, completionTokens >= 0, cost.isFinite, cost >= 0 else {
            throw AccountingError.invalidValue("usage must be non-negative, got \(promptTokens) prompt, \(completionTokens) completion tokens, cost \(cost)")
        }
        try AccountingDatabase.write(database, path) { db in
            try db.execute(sql: """
                INSERT INTO usage (apiKey, day, model, requests, promptTokens, completionTokens, cost) VALUES (?, ?, ?, 1, ?, ?, ?)
                ON CONFLICT (apiKey, day, model) DO UPDATE SET requests = requests + 1,
                    promptTokens = promptTokens + excluded.promptTokens,
                    completionTokens = completionTokens + excluded.completionTokens, cost = cost + excluded.cost
                """, arguments: [key, Self.day(of: date), model, promptTokens, completionTokens, cost])
        }
    }

    /// The key's use per day, oldest first, all models summed; `since`/`until` bound the days (inclusive, yyyy-MM-dd).
    public func usage(key: String, since: String? = nil, until: String? = nil) throws -> [DailyUsage] {
        try AccountingDatabase.read(database, path) { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT day, SUM(requests) AS r, SUM(promptTokens) AS p, SUM(completionTokens) AS c, SUM(cost) AS cost
                FROM usage WHERE apiKey = ? AND day >= ? AND day <= ? GROUP BY day ORDER BY day
                """, arguments: [key, since ?? "", until ?? "9999-12-31"])
            return rows.map { DailyUsage(day: $0["day"], requests: $0["r"], promptTokens: $0["p"], completionTokens: $0["c"], cost: $0["cost"]) }
        }
    }

    /// Every key with any recorded use, sorted.
    public func keys() throws -> [String] {
        try AccountingDatabase.read(database, path) { db in try String.fetchAll(db, sql: "SELECT DISTINCT apiKey FROM usage ORDER BY apiKey") }
    }

    /// Why `key` may not start another request under `quota` on the day of `date`, or nil when it may.
    public func quotaExceeded(key: String, quota: UsageQuota, at date: Date = Date()) throws -> String? {
        if quota.isUnlimited { return nil }
        let days = try usage(key: key)
        let today = days.first { $0.day == Self.day(of: date) }?.totalTokens ?? 0
        let total = days.reduce(0) { $0 + $1.totalTokens }
        let cost = days.reduce(0) { $0 + $1.cost }
        if let limit = quota.dailyTokens, today >= limit { return "the daily quota of \(limit) tokens is used up (\(today) used today, UTC)" }
        if let limit = quota.totalTokens, total >= limit { return "the quota of \(limit) tokens is used up (\(total) used)" }
        if let limit = quota.totalCost, cost >= limit { return "the spending quota of \(limit) is used up (\(cost) spent)" }
        return nil
    }
}
