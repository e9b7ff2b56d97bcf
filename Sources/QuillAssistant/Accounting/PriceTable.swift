// What tokens cost: per-model prices per million prompt and per million completion tokens (OpenAI's
// way of quoting them), read from a JSON file, with a default price for models the file does not name.
//
//     {"currency": "USD", "default": {"prompt": 0.10, "completion": 0.40},
//      "models": {"smollm2": {"prompt": 0.15, "completion": 0.60}}}
import Foundation

public struct PriceTable: Sendable, Equatable, Codable {
    /// Prices of one model, per million tokens.
    public struct Price: Sendable, Equatable, Codable {
        public var prompt: Double
        public var completion: Double
        public init(prompt: Double, completion: Double) { self.prompt = prompt; self.completion = completion }
    }

    public var currency: String
    /// Used for every model `models` does not name.
    public var defaultPrice: Price
    public var models: [String: Price]

    enum CodingKeys: String, CodingKey { case currency, defaultPrice = "default", models }

    public init(currency: String = "USD", defaultPrice: Price = Price(prompt: 0, completion: 0), models: [String: Price] = [:]) {
        self.currency = currency; self.defaultPrice = defaultPrice; self.models = models
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // A misspelt "model" must not silently price everything at the default.
        if let unknown = try decoder.container(keyedBy: AccountingJSON.AnyKey.self).allKeys
            .first(where: { CodingKeys(rawValue: $0.stringValue) == nil }) {
            throw DecodingError.dataCorrupted(.init(codingPath: [unknown], debugDescription: "unknown field"))
        }
        currency = try c.decodeIfPresent(String.self, forKey: .currency) ?? "USD"
        defaultPrice = try c.decodeIfPresent(Price.self, forKey: .defaultPrice) ?? Price(prompt: 0, completion: 0)
        models = try c.decodeIfPresent([String: Price].self, forKey: .models) ?? [:]
    }

    /// Reads a price file, naming the field at fault.
    public static func load(path: String) throws -> PriceTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AccountingError.invalidFile(path: path, reason: "cannot read the price table")
        }
        let table: PriceTable
        do { table = try JSONDecoder().decode(PriceTable.self, from: data) } catch {
            throw AccountingError.invalidFile(path: path, reason: "not a price table (\(AccountingJSON.describe(error)))")
        }
        for (name, price) in [("default", table.defaultPrice)] + table.models.sorted(by: { $0.key < $1.key }) {
            guard price.prompt >= 0, price.completion >= 0, price.prompt.isFinite, price.completion.isFinite else {
                throw AccountingError.invalidFile(path: path, reason: "prices of '\(name)' must be finite and ≥ 0")
            }
        }
        return table
    }

    public func price(of model: String) -> Price { models[model] ?? defaultPrice }

    /// The cost of one request's tokens.
    public func cost(model: String, promptTokens: Int, completionTokens: Int) -> Double {
        let p = price(of: model)
        return (Double(promptTokens) * p.prompt + Double(completionTokens) * p.completion) / 1_000_000
    }
}

/// Decoding errors as a short phrase naming the field.
enum AccountingJSON {
    struct AnyKey: CodingKey {
        var stringValue: String, intValue: Int? = nil
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at '\(path(context.codingPath))'"
        case .dataCorrupted(let context):
            if context.debugDescription == "unknown field" { return "unknown field '\(path(context.codingPath))' (allowed: currency, default, models)" }
            return context.codingPath.isEmpty ? "invalid JSON" : "invalid value at '\(path(context.codingPath))'"
        @unknown default: return "invalid JSON"
        }
    }
}
