// The one error type of the HTTP API, rendered in OpenAI's body shape
// `{"error": {"message", "type", "param", "code"}}` with the status OpenAI's clients map to their
// exception classes (400 BadRequestError, 401 AuthenticationError, 404 NotFoundError, 429 RateLimitError).
// Every error a route or middleware throws is turned into one of these.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import QuillGeneration

public struct OpenAIError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    /// OpenAI's `type`: "invalid_request_error", "authentication_error", "rate_limit_error", "server_error".
    public var type: String
    /// The request field at fault, as a path (`messages[0].content`), when there is one.
    public var param: String?
    public var code: String?
    public var headers: HTTPFields = [:]

    public var description: String { "\(status.code) \(type): \(message)" }

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status; self.message = message; self.type = type; self.param = param; self.code = code
    }

    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static let invalidAPIKey = OpenAIError(
        status: .unauthorized, message: "Incorrect or missing API key: send it as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.",
        type: "invalid_request_error", code: "invalid_api_key")

    static func modelNotFound(_ name: String, served: [String]) -> OpenAIError {
        OpenAIError(status: .notFound, message: "The model '\(name)' does not exist; this server serves \(served.map { "'\($0)'" }.joined(separator: ", ")).",
                    type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    static func unknownRoute(_ method: HTTPRequest.Method, _ path: String) -> OpenAIError {
        OpenAIError(status: .notFound, message: "Unknown request URL: \(method) \(path).", type: "invalid_request_error", code: "unknown_url")
    }

    static func tooLarge(limit: Int) -> OpenAIError {
        OpenAIError(status: .contentTooLarge, message: "The request body is larger than this server's limit of \(limit) bytes.",
                    type: "invalid_request_error", code: "request_too_large")
    }

    static func queueFull(limit: Int, retryAfter: Int) -> OpenAIError {
        var e = OpenAIError(status: .tooManyRequests,
                            message: "The server is busy: \(limit) requests are already waiting for a generation slot. Retry after \(retryAfter) s.",
                            type: "rate_limit_error", code: "rate_limit_exceeded")
        e.headers[.retryAfter] = String(retryAfter)
        return e
    }

    static let shuttingDown = OpenAIError(status: .serviceUnavailable, message: "The server is shutting down.",
                                          type: "server_error", code: "server_shutting_down")

    static func server(_ message: String) -> OpenAIError {
        OpenAIError(status: .internalServerError, message: message, type: "server_error")
    }

    /// The body OpenAI sends (also written as one SSE event when a stream fails after its headers).
    struct Body: Encodable {
        struct Detail: Encodable {
            let message: String, type: String, param: String?, code: String?
            func encode(to encoder: any Encoder) throws {        // null fields are written, as OpenAI does
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(message, forKey: .message); try c.encode(type, forKey: .type)
                try c.encode(param, forKey: .param); try c.encode(code, forKey: .code)
            }
            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }
        let error: Detail
    }

    var body: Body { Body(error: .init(message: message, type: type, param: param, code: code)) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONBody.response(body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// Any error as the API reports it. `promptParam` names the field a prompt-shaped problem is
    /// blamed on ("messages" or "prompt").
    static func from(_ error: any Error, promptParam: String = "messages", retryAfter: Int = 1) -> OpenAIError {
        switch error {
        case let e as OpenAIError: return e
        case let e as GenerationError: return from(e, promptParam: promptParam)
        case SchedulerError.queueFull(let limit): return queueFull(limit: limit, retryAfter: retryAfter)
        case SchedulerError.shutDown: return shuttingDown
        case let e as DecodingError: return from(e)
        case is NIOTooManyBytesError: return tooLarge(limit: 0)
        case let e as HTTPError where e.status == .notFound: return OpenAIError(status: .notFound, message: e.body ?? "Not found.",
                                                                                 type: "invalid_request_error", code: "unknown_url")
        case let e as HTTPError:
            return OpenAIError(status: e.status, message: e.body ?? e.status.reasonPhrase,
                               type: e.status.code >= 500 ? "server_error" : "invalid_request_error")
        default: return server("Generation failed: \(error)")
        }
    }

    private static func from(_ error: GenerationError, promptParam: String) -> OpenAIError {
        switch error {
        case .invalidParameter(let message):
            // Core messages start with the field's API name ("top_p must be in (0, 1], got 3").
            let first = String(message.prefix { $0 != " " })
            return invalidRequest(message, param: first == "prompt" ? promptParam : first)
        case .emptyPrompt: return invalidRequest(error.description, param: promptParam)
        case .promptTooLong(let tokens, let context):
            return invalidRequest("This model's maximum context length is \(context) tokens, but the prompt has \(tokens) tokens. Shorten it.",
                                  param: promptParam, code: "context_length_exceeded")
        case .contextFull: return invalidRequest(error.description, param: "max_tokens", code: "context_length_exceeded")
        }
    }

    /// A body that is not valid JSON or does not fit the request type, naming the field.
    private static func from(_ error: DecodingError) -> OpenAIError {
        func path(_ keys: [any CodingKey]) -> String? {
            var out = ""
            for key in keys {
                if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return out.isEmpty ? nil : out
        }
        switch error {
        case .keyNotFound(let key, let context):
            let param = path(context.codingPath + [key])
            return invalidRequest("Missing required parameter: '\(param ?? key.stringValue)'.", param: param)
        case .typeMismatch(let type, let context):
            let param = path(context.codingPath)
            return invalidRequest("Invalid type for '\(param ?? "body")': expected \(describe(type)).", param: param, code: "invalid_type")
        case .valueNotFound(let type, let context):
            let param = path(context.codingPath)
            return invalidRequest("Invalid value for '\(param ?? "body")': expected \(describe(type)), got null.", param: param, code: "invalid_type")
        case .dataCorrupted(let context):
            if let param = path(context.codingPath) {
                return invalidRequest("Invalid value for '\(param)': \(context.debugDescription)", param: param, code: "invalid_value")
            }
            return invalidRequest("We could not parse the JSON body of your request: \(context.debugDescription)")
        @unknown default:
            return invalidRequest("We could not parse the JSON body of your request.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type: return "an integer"
        case is Float.Type, is Double.Type: return "a number"
        case is Bool.Type: return "a boolean"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object" : "a valid value"
        }
    }
}
