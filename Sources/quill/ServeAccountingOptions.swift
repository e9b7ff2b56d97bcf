// The billing and feedback flags of `quill serve` (keys with quotas, the usage store and its prices,
// the feedback store), turned into the server's `Accounting`. See docs/billing-feedback.md.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillServer

struct ServeAccountingOptions: ParsableArguments {
    @Option(help: "JSON file of accepted API keys with per-key quotas ({\"keys\": [{\"key\": \"sk-…\", \"daily_tokens\": N}]}); --api-key stays valid.")
    var keys: String?
    @Option(name: .customLong("billing-db"), help: "SQLite file for per-key, per-day token usage (created if missing); enables GET /v1/usage and quotas.")
    var billingDB: String?
    @Option(help: "JSON price table: per-model prices per million prompt/completion tokens.") var prices: String?
    @Option(name: .customLong("price-prompt"), help: "Price per million prompt tokens of the served model (overrides --prices for it).")
    var pricePrompt: Double?
    @Option(name: .customLong("price-completion"), help: "Price per million completion tokens of the served model.")
    var priceCompletion: Double?
    @Option(name: .customLong("feedback-db"), help: "SQLite file for user ratings (created if missing); enables POST /v1/feedback.")
    var feedbackDB: String?
    @Option(name: .customLong("feedback-memory"), help: "Recent responses kept so feedback can name them.") var feedbackMemory = 1024

    func validate() throws {
        for (flag, value) in [("--price-prompt", pricePrompt), ("--price-completion", priceCompletion)] {
            if let value, !(value >= 0 && value.isFinite) { throw ValidationError("\(flag) must be ≥ 0") }
        }
        guard feedbackMemory >= 1 else { throw ValidationError("--feedback-memory must be at least 1") }
        if keys != nil && billingDB == nil { throw ValidationError("--keys needs --billing-db: quotas are counted in it") }
    }

    /// nil when no accounting flag is given.
    func load(modelID: String) throws -> Accounting? {
        guard keys != nil || billingDB != nil || feedbackDB != nil else { return nil }
        var table = try prices.map(PriceTable.load(path:)) ?? PriceTable()
        if pricePrompt != nil || priceCompletion != nil {
            let current = table.price(of: modelID)
            table.models[modelID] = .init(prompt: pricePrompt ?? current.prompt, completion: priceCompletion ?? current.completion)
        }
        return Accounting(keyring: try keys.map(APIKeyring.load(path:)) ?? APIKeyring(),
                          billing: try billingDB.map { try BillingStore(path: $0, create: true) }, prices: table,
                          feedback: try feedbackDB.map { try FeedbackStore(path: $0, create: true) },
                          rememberedResponses: feedbackMemory)
    }
}
