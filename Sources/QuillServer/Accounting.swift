// What the server bills and remembers: the accepted keys and their quotas, the billing store and its
// price table, the feedback store, and the recent responses feedback may name. Routes reach it
// through `ServerConfiguration.accounting`; without one nothing is metered.
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import QuillAssistant

public final class Accounting: Sendable {
    public let keyring: APIKeyring
    public let billing: BillingStore?
    public let prices: PriceTable
    public let feedback: FeedbackStore?
    let recent: RecentResponses
    private let logger = Logger(label: "quill.billing")

    /// The key requests without one are billed to (a server that requires no key).
    public static let anonymousKey = "anonymous"

    /// - Parameter rememberedResponses: how many recent responses feedback can refer to.
    public init(keyring: APIKeyring = APIKeyring(), billing: BillingStore? = nil, prices: PriceTable = PriceTable(),
                feedback: FeedbackStore? = nil, rememberedResponses: Int = 1024) {
        self.keyring = keyring; self.billing = billing; self.prices = prices; self.feedback = feedback
        recent = RecentResponses(capacity: feedback == nil ? 0 : rememberedResponses)
    }

    /// The key a request was authenticated with (the auth middleware ran before), or the anonymous one.
    func key(of request: Request) -> String {
        APIKeyMiddleware<BasicRequestContext>.presentedKey(request.headers).flatMap { $0.isEmpty ? nil : $0 } ?? Self.anonymousKey
    }

    /// Throws 429 `insufficient_quota` when `key` has used up a quota of the keys file.
    func checkQuota(key: String, at date: Date = Date()) throws {
        guard let billing, let quota = keyring.entry(for: key)?.quota, !quota.isUnlimited else { return }
        if let reason = try billing.quotaExceeded(key: key, quota: quota, at: date) {
            throw OpenAIError.insufficientQuota("You exceeded your current quota: \(reason).")
        }
    }

    /// Bills one finished request and remembers its answers for feedback. A store that fails is
    /// logged, not turned into a failed response: the answer was already generated.
    func record(key: String, model: String, responseID: String, promptTokens: Int, completionTokens: Int,
                choices: [RememberedResponse.Choice]) {
        if let billing {
            let cost = prices.cost(model: model, promptTokens: promptTokens, completionTokens: completionTokens)
            do { try billing.record(key: key, model: model, promptTokens: promptTokens, completionTokens: completionTokens, cost: cost) } catch {
                logger.error("billing: \(error)")
            }
        }
        if feedback != nil { recent.remember(responseID, RememberedResponse(apiKey: key, model: model, choices: choices)) }
    }
}

extension OpenAIError {
    /// OpenAI's answer to a key over its quota (the `openai` client raises RateLimitError with this code).
    static func insufficientQuota(_ message: String) -> OpenAIError {
        OpenAIError(status: .tooManyRequests, message: message, type: "insufficient_quota", code: "insufficient_quota")
    }
}

/// Refuses generation requests from keys over their quota before anything is queued.
struct QuotaMiddleware<Context: RequestContext>: RouterMiddleware {
    let accounting: Accounting

    static func generates(_ request: Request) -> Bool {
        let path = request.uri.path
        return request.method == .post && (path == "/v1/chat/completions" || path == "/v1/completions"
            || (path.hasPrefix("/v1/engines/") && path.hasSuffix("/completions")))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.generates(request) { try accounting.checkQuota(key: accounting.key(of: request)) }
        return try await next(request, context)
    }
}
