// POST /v1/embeddings: `input` as a string or a list of strings, answered as OpenAI's `list` of
// `embedding` objects, as float arrays or, with `encoding_format: "base64"` (what the official Python
// client asks for by default), as base64 of little-endian float32.
import Foundation
import Hummingbird

struct EmbeddingsRequest: Decodable, Sendable {
    var input: StringList
    var model: String?
    var encodingFormat: String?
    var dimensions: Int?
    enum CodingKeys: String, CodingKey { case input, model, dimensions, encodingFormat = "encoding_format" }
}

/// One vector, as numbers or as base64 text.
enum EmbeddingVector: Encodable, Sendable {
    case floats([Float])
    case base64(String)
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .floats(let v): try c.encode(v)
        case .base64(let s): try c.encode(s)
        }
    }
}

struct EmbeddingsResponse: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        var object = "embedding"
        var index: Int
        var embedding: EmbeddingVector
    }
    struct EmbeddingUsage: Encodable, Sendable {
        var promptTokens: Int, totalTokens: Int
        enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", totalTokens = "total_tokens" }
    }
    var object = "list"
    var data: [Item]
    var model: String
    var usage: EmbeddingUsage
}

struct EmbeddingsRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/embeddings") { request, _ in try await handle(request) }
    }

    func handle(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(EmbeddingsRequest.self, from: request)
        guard let service = routes.embeddings else {
            throw OpenAIError(status: .notFound, message: "No embedding model is loaded; start the server with --embedding-model DIR.",
                              type: "invalid_request_error", param: "model", code: "model_not_found")
        }
        if let name = body.model, name != service.id { throw OpenAIError.modelNotFound(name, served: [service.id]) }
        let texts = body.input.values
        guard !texts.isEmpty, texts.count <= 2048 else {
            throw OpenAIError.invalidRequest("input must hold 1 to 2048 texts, got \(texts.count).", param: "input")
        }
        if let i = texts.firstIndex(where: \.isEmpty) {
            throw OpenAIError.invalidRequest("input[\(i)] is empty; every input must be a non-empty string.", param: "input")
        }
        let format = body.encodingFormat ?? "float"
        guard format == "float" || format == "base64" else {
            throw OpenAIError.invalidRequest("encoding_format must be 'float' or 'base64', got '\(format)'.", param: "encoding_format")
        }
        if let d = body.dimensions, d != service.dimension {
            throw OpenAIError.invalidRequest("This model's vectors have \(service.dimension) dimensions and cannot be shortened to \(d).",
                                             param: "dimensions")
        }
        let (vectors, tokens) = try await service.embed(texts)
        let items = vectors.enumerated().map { i, v in
            EmbeddingsResponse.Item(index: i, embedding: format == "base64" ? .base64(Self.base64(v)) : .floats(v))
        }
        return try JSONBody.response(EmbeddingsResponse(data: items, model: service.id,
                                                        usage: .init(promptTokens: tokens, totalTokens: tokens)))
    }

    /// Little-endian float32 bytes, base64-encoded (what numpy.frombuffer(…, dtype="float32") reads).
    static func base64(_ v: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(v.count * 4)
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
        return Data(bytes).base64EncodedString()
    }
}
