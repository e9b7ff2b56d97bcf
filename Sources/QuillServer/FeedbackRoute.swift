// POST /v1/feedback: a user's rating of a recent response, `{"response_id", "rating": 1 | -1,
// "correction"?, "comment"?, "choice_index"?}`, stored (PII-redacted) with the prompt and answer the
// server remembers for that id. A field that is missing or wrong is a 400 naming it in `param`.
import Foundation
import Hummingbird
import QuillAssistant

struct FeedbackRequest: Decodable, Sendable {
    var responseID: String
    var rating: Int
    var correction: String?
    var comment: String?
    var choiceIndex: Int?
    enum CodingKeys: String, CodingKey {
        // In this order: the synthesized decoder reports the first missing or mistyped key of it.
        case responseID = "response_id", rating, correction, comment, choiceIndex = "choice_index"
    }
}

struct FeedbackReceipt: Encodable, Sendable {
    var object = "feedback"
    var id: String
    var responseID: String
    var rating: Int
    enum CodingKeys: String, CodingKey { case object, id, rating, responseID = "response_id" }
}

struct FeedbackRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/feedback") { request, _ in try await handle(request) }
    }

    func handle(_ request: Request) async throws -> Response {
        guard let accounting = routes.configuration.accounting, let store = accounting.feedback else {
            throw OpenAIError.unknownRoute(request.method, request.uri.path)
        }
        let body = try await JSONBody.decode(FeedbackRequest.self, from: request)
        guard !body.responseID.isEmpty else { throw OpenAIError.invalidRequest("response_id must not be empty.", param: "response_id") }
        guard body.rating == 1 || body.rating == -1 else {
            throw OpenAIError.invalidRequest("rating must be 1 (good) or -1 (bad), got \(body.rating).", param: "rating", code: "invalid_value")
        }
        let key = accounting.key(of: request)
        guard let remembered = accounting.recent.response(body.responseID), remembered.apiKey == key else {
            throw OpenAIError(status: .notFound, message: "No recent response with id '\(body.responseID)' for this API key "
                              + "(the server keeps the last \(accounting.recent.capacity)).",
                              type: "invalid_request_error", param: "response_id", code: "response_not_found")
        }
        let index = body.choiceIndex ?? 0
        guard remembered.choices.indices.contains(index) else {
            throw OpenAIError.invalidRequest("choice_index must be between 0 and \(remembered.choices.count - 1), got \(index).",
                                             param: "choice_index", code: "invalid_value")
        }
        let choice = remembered.choices[index]
        let stored: FeedbackEntry
        do {
            stored = try store.add(FeedbackEntry(responseID: body.responseID, choiceIndex: index, apiKey: key, model: remembered.model,
                                                 rating: body.rating, prompt: choice.prompt, response: choice.text,
                                                 correction: body.correction, comment: body.comment))
        } catch let error as AccountingError {
            throw OpenAIError.server("Could not store the feedback: \(error)")
        }
        return try JSONBody.response(FeedbackReceipt(id: "fb_\(stored.id ?? 0)", responseID: body.responseID, rating: body.rating))
    }
}
