// The API keys `quill serve --keys FILE` accepts, each with its own quota, read from a JSON file:
//
//     {"keys": [{"key": "sk-alice", "name": "alice", "daily_tokens": 100000},
//               {"key": "sk-bob", "total_tokens": 2000000, "total_cost": 5.0}]}
//
// A limit left out is unlimited. The single `--api-key` stays valid beside these (an admin key
// without a quota that may read every key's usage).
import Foundation
import QuillAssistant

public struct APIKeyEntry: Sendable, Equatable, Codable {
    public var key: String
    public var name: String?
    public var quota: UsageQuota

    enum CodingKeys: String, CodingKey { case key, name }

    public init(key: String, name: String? = nil, quota: UsageQuota = UsageQuota()) {
        self.key = key; self.name = name; self.quota = quota
    }

    /// Every field an entry may have: a misspelt limit ("daily_token") must not silently mean "no limit".
    static let fields: Set<String> = ["key", "name", "daily_tokens", "total_tokens", "total_cost"]

    struct AnyKey: CodingKey {
        var stringValue: String, intValue: Int? = nil
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    public init(from decoder: any Decoder) throws {
        if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).filter({ !Self.fields.contains($0) }).sorted().first {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey(stringValue: unknown)],
                                                    debugDescription: "unknown field"))
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        quota = try UsageQuota(from: decoder)                     // daily_tokens, total_tokens, total_cost beside key
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encodeIfPresent(name, forKey: .name)
        try quota.encode(to: encoder)
    }
}

public struct APIKeyring: Sendable, Equatable {
    public var entries: [APIKeyEntry]

    public init(_ entries: [APIKeyEntry] = []) { self.entries = entries }

    public var isEmpty: Bool { entries.isEmpty }

    public func entry(for key: String) -> APIKeyEntry? { entries.first { $0.key == key } }

    /// Reads a keys file; a missing, duplicate or empty key, or a negative limit, names its entry.
    public static func load(path: String) throws -> APIKeyring {
        struct File: Decodable { var keys: [APIKeyEntry] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AccountingError.invalidFile(path: path, reason: "cannot read the keys file")
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw AccountingError.invalidFile(path: path, reason: "not a keys file: \(describe(error)); expected {\"keys\": [{\"key\": \"…\", \"daily_tokens\": N}]}")
        }
        var seen = Set<String>()
        for (i, entry) in file.keys.enumerated() {
            guard !entry.key.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw AccountingError.invalidFile(path: path, reason: "keys[\(i)].key is empty")
            }
            guard seen.insert(entry.key).inserted else { throw AccountingError.invalidFile(path: path, reason: "keys[\(i)].key appears twice") }
            let q = entry.quota
            if (q.dailyTokens ?? 0) < 0 || (q.totalTokens ?? 0) < 0 || !((q.totalCost ?? 0) >= 0) {
                throw AccountingError.invalidFile(path: path, reason: "keys[\(i)]: quotas must be ≥ 0")
            }
        }
        return APIKeyring(file.keys)
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type at '\(path(context.codingPath))'"
        case .dataCorrupted(let context):
            if context.debugDescription == "unknown field" {
                return "unknown field '\(path(context.codingPath))' (allowed: \(APIKeyEntry.fields.sorted().joined(separator: ", ")))"
            }
            return context.codingPath.isEmpty ? "invalid JSON" : "invalid value at '\(path(context.codingPath))'"
        @unknown default: return "invalid JSON"
        }
    }
}
