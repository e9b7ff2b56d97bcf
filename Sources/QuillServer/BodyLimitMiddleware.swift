// Request bodies past a size limit get 413 before any route reads them: at once from Content-Length
// when the client declares it, otherwise while collecting the body (chunked uploads). Routes then
// decode the collected buffer.
import HTTPTypes
import Hummingbird
import NIOCore

struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxBytes {
            throw OpenAIError.tooLarge(limit: maxBytes)
        }
        var request = request
        do { _ = try await request.collectBody(upTo: maxBytes) } catch is NIOTooManyBytesError {
            throw OpenAIError.tooLarge(limit: maxBytes)
        }
        return try await next(request, context)
    }
}
