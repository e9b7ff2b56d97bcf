// Turns every error a route or an inner middleware throws (typed API errors, JSON decoding errors,
// Hummingbird's 404 and 413, scheduler refusals, anything unexpected) into OpenAI's error body, so a
// client always gets `{"error": {...}}` and the process never answers with a bare 500.
import Hummingbird
import Logging
import QuillAssistant

struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let retryAfter: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = OpenAIError.from(error, retryAfter: retryAfter)
            if let http = error as? HTTPError, http.status == .notFound {             // no route matched
                apiError = .unknownRoute(request.method, request.uri.path)
            }
            if apiError.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path): \(PIIRedactor.redact("\(error)"))")   // no user PII in logs
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
