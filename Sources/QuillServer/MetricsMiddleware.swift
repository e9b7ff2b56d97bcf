// Counts every request by route (the matched route pattern, so ids in paths do not explode the label
// set) and status, and records its latency to the response head, for GET /metrics.
import Foundation
import Hummingbird

struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = Date()
        do {
            let response = try await next(request, context)
            metrics.recordRequest(route: context.endpointPath ?? "unmatched", status: response.status.code,
                                  seconds: Date().timeIntervalSince(start))
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(route: context.endpointPath ?? "unmatched", status: status, seconds: Date().timeIntervalSince(start))
            throw error
        }
    }
}
