// POST /v1/moderations: `input` as a string or a list of strings checked against every category of
// the server's content policy (both directions), answered in OpenAI's shape
// `{id, model, results: [{flagged, categories: {name: bool}, category_scores: {name: number}}]}`.
// Scores are 1 for a matched category and 0 otherwise: word lists and patterns match or they do not.
import Foundation
import Hummingbird
import QuillAssistant

struct ModerationRequest: Decodable, Sendable {
    var input: StringList
    var model: String?
}

struct ModerationResponse: Encodable, Sendable {
    struct Result: Encodable, Sendable {
        var flagged: Bool
        var categories: [String: Bool]
        var categoryScores: [String: Double]
        enum CodingKeys: String, CodingKey { case flagged, categories, categoryScores = "category_scores" }
    }
    var id: String
    var model: String
    var results: [Result]
}

struct ModerationsRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/moderations") { request, _ in try await handle(request) }
    }

    func handle(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(ModerationRequest.self, from: request)
        let policy = routes.configuration.contentPolicy
        guard !policy.categories.isEmpty else {
            throw OpenAIError(status: .notFound, message: "No content policy is loaded; start the server with --content-policy FILE.",
                              type: "invalid_request_error", param: "model", code: "model_not_found")
        }
        let texts = body.input.values
        let limits = policy.input
        guard !texts.isEmpty, texts.count <= limits.maxMessages else {
            throw OpenAIError.invalidRequest("input must hold 1 to \(limits.maxMessages) strings, got \(texts.count).", param: "input")
        }
        var results: [ModerationResponse.Result] = []
        for (i, text) in texts.enumerated() {
            guard text.count <= limits.maxMessageCharacters else {
                throw OpenAIError.invalidRequest("input[\(i)] is \(text.count) characters long; this server accepts at most \(limits.maxMessageCharacters).",
                                                 param: "input[\(i)]", code: "input_too_large")
            }
            // Hidden characters are removed before matching, so a zero-width space cannot split a listed word.
            let verdict = policy.evaluate(InvisibleCharacters.strip(text, keepCarriageReturn: true), direction: nil)
            let matched = Set(verdict.matched)
            results.append(.init(flagged: !matched.isEmpty,
                                 categories: Dictionary(uniqueKeysWithValues: policy.categories.map { ($0.name, matched.contains($0.name)) }),
                                 categoryScores: Dictionary(uniqueKeysWithValues: policy.categories.map { ($0.name, matched.contains($0.name) ? 1 : 0) })))
        }
        return try JSONBody.response(ModerationResponse(id: "modr-" + randomID(), model: policy.name, results: results))
    }
}
