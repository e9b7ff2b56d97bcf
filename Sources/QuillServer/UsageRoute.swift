// GET /v1/usage?key=KEY[&since=yyyy-MM-dd&until=yyyy-MM-dd]: one key's prompt and completion tokens,
// requests and cost per UTC day from the billing store, with totals and the key's quota (null: no
// limit). A key may read its own usage; the admin --api-key (or anyone, on a server without keys) any.
import Foundation
import Hummingbird
import QuillAssistant

struct UsageReport: Encodable, Sendable {
    struct Day: Encodable, Sendable {
        var date: String?, requests: Int, promptTokens: Int, completionTokens: Int, totalTokens: Int, cost: Double
        enum CodingKeys: String, CodingKey {
            case date, requests, cost, promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        }
        init(_ d: DailyUsage) {
            date = d.day; requests = d.requests; promptTokens = d.promptTokens; completionTokens = d.completionTokens
            totalTokens = d.totalTokens; cost = d.cost
        }
    }
    struct Quota: Encodable, Sendable {
        var quota: UsageQuota
        enum CodingKeys: String, CodingKey { case dailyTokens = "daily_tokens", totalTokens = "total_tokens", totalCost = "total_cost" }
        func encode(to encoder: any Encoder) throws {           // unlimited is written as null, not left out
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(quota.dailyTokens, forKey: .dailyTokens); try c.encode(quota.totalTokens, forKey: .totalTokens)
            try c.encode(quota.totalCost, forKey: .totalCost)
        }
    }
    var object = "usage"
    var key: String
    var currency: String
    var days: [Day]
    var total: Day
    var quota: Quota
}

struct UsageRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/usage") { request, _ in try handle(request) }
    }

    func handle(_ request: Request) throws -> Response {
        guard let accounting = routes.configuration.accounting, let billing = accounting.billing else {
            throw OpenAIError.unknownRoute(request.method, request.uri.path)
        }
        let query = request.uri.queryParameters
        let presented = APIKeyMiddleware<BasicRequestContext>.presentedKey(request.headers)
        guard let key = query.get("key") ?? presented, !key.isEmpty else {
            throw OpenAIError.invalidRequest("Missing required parameter: 'key'.", param: "key")
        }
        let admin = routes.configuration.apiKey.flatMap { $0.isEmpty ? nil : $0 }
        let open = admin == nil && accounting.keyring.isEmpty
        guard open || presented == key || (admin != nil && presented == admin) else {
            throw OpenAIError(status: .forbidden, message: "This API key may only read its own usage.",
                              type: "invalid_request_error", param: "key", code: "permission_denied")
        }
        var bounds: [String?] = []
        for name in ["since", "until"] {
            let value = query.get(name)
            if let value, value.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
                throw OpenAIError.invalidRequest("\(name) must be a UTC date as yyyy-MM-dd, got '\(value)'.", param: name)
            }
            bounds.append(value)
        }
        let days = try billing.usage(key: key, since: bounds[0], until: bounds[1])
        var total = UsageReport.Day(DailyUsage(day: "", requests: days.reduce(0) { $0 + $1.requests },
                               promptTokens: days.reduce(0) { $0 + $1.promptTokens },
                               completionTokens: days.reduce(0) { $0 + $1.completionTokens }, cost: days.reduce(0) { $0 + $1.cost }))
        total.date = nil                                          // the totals span every listed day
        return try JSONBody.response(UsageReport(key: key, currency: accounting.prices.currency, days: days.map(UsageReport.Day.init),
                                                 total: total, quota: .init(quota: accounting.keyring.entry(for: key)?.quota ?? UsageQuota())))
    }
}
