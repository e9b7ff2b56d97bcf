// API-key authentication: `Authorization: Bearer KEY` (what OpenAI clients send) or `X-Api-Key: KEY`,
// compared in constant time so the comparison leaks nothing about the key; the health check and the
// playground page stay open (the page sends the key the user types with its own requests).
import Foundation
import HTTPTypes
import Hummingbird

struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Every accepted key (`--api-key` and the `--keys` file's).
    let keys: [[UInt8]]
    /// GET paths served without a key.
    let openPaths: Set<String> = ["/health", "/"]

    init(key: String) { keys = [Array(key.utf8)] }
    init(keys: [String]) { self.keys = keys.map { Array($0.utf8) } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get && openPaths.contains(request.uri.path) { return try await next(request, context) }
        // Every key is compared (no early exit), so the time says nothing about which one nearly matched.
        guard let presented = Self.presentedKey(request.headers),
              keys.map({ Self.constantTimeEqual(Array(presented.utf8), $0) }).contains(true) else {
            throw OpenAIError.invalidAPIKey
        }
        return try await next(request, context)
    }

    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let auth = headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        return headers[HTTPField.Name("X-Api-Key")!]
    }

    /// Equal length and bytes, with time depending only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0 && a.count == b.count
    }
}
