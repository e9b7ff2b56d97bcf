// JSON in and out of HTTP messages, and the Server-Sent Events framing OpenAI streams with
// (`data: <json>\n\n` per event, `data: [DONE]\n\n` at the end; WHATWG HTML §9.2).
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

enum JSONBody {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]      // stable bodies, easy to read and diff
        return e
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Decodes the request body (already collected, within the size limit, by ``BodyLimitMiddleware``).
    /// Unknown fields are ignored, as OpenAI ignores them; a malformed field throws a `DecodingError`
    /// that ``OpenAIError`` turns into a 400 naming it.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: .max)
        guard buffer.readableBytes > 0 else {
            throw OpenAIError.invalidRequest("The request body is empty; send a JSON object (Content-Type: application/json).")
        }
        return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// One SSE event carrying `value` as JSON.
    static func event<T: Encodable>(_ value: T) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try encoder().encode(value))
        buffer.writeString("\n\n")
        return buffer
    }

    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// Generation responses watch the request's inbound side to notice a client hanging up, which
    /// consumes the connection: they say so, and clients open a new one for the next request.
    static let eventStreamHeaders: HTTPFields = [
        .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
        .connection: "close",
    ]

    /// A JSON response that closes the connection after it (see `eventStreamHeaders`).
    static func closingResponse<T: Encodable>(_ value: T) throws -> Response {
        var response = try Self.response(value)
        response.headers[.connection] = "close"
        return response
    }
}
