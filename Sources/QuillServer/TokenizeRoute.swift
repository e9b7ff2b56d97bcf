// POST /tokenize and POST /detokenize in llama-server's shape: `{"content": text}` → `{"tokens": [ids]}`
// (with `with_pieces`, each id with its text), `{"tokens": [ids]}` → `{"content": text}`.
import Hummingbird

struct TokenizeRequest: Decodable, Sendable {
    var content: String
    /// Spellings of special tokens become their ids (as in a rendered chat prompt).
    var addSpecial: Bool?
    var parseSpecial: Bool?
    var withPieces: Bool?
    enum CodingKeys: String, CodingKey { case content, addSpecial = "add_special", parseSpecial = "parse_special", withPieces = "with_pieces" }
}

struct TokenPiece: Encodable, Sendable {
    var id: Int
    var piece: String
}

/// Ids alone, or ids with their pieces.
enum TokenizeResponse: Encodable, Sendable {
    case ids([Int])
    case pieces([TokenPiece])
    enum CodingKeys: String, CodingKey { case tokens }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .ids(let ids): try c.encode(ids, forKey: .tokens)
        case .pieces(let pieces): try c.encode(pieces, forKey: .tokens)
        }
    }
}

struct DetokenizeRequest: Decodable, Sendable { var tokens: [Int] }
struct DetokenizeResponse: Encodable, Sendable { var content: String }

struct TokenizeRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/tokenize") { request, _ in
            let body = try await JSONBody.decode(TokenizeRequest.self, from: request)
            let served = routes.served
            // llama-server's defaults: no BOS/EOS added, special-token text kept as text unless asked.
            let ids = served.tokenizer.encode(body.content, addSpecialTokens: body.addSpecial ?? false,
                                              parseSpecial: body.parseSpecial ?? false)
            if body.withPieces ?? false { return try JSONBody.response(TokenizeResponse.pieces(ids.map { TokenPiece(id: $0, piece: served.piece($0).text) })) }
            return try JSONBody.response(TokenizeResponse.ids(ids))
        }
        router.post("/detokenize") { request, _ in
            let body = try await JSONBody.decode(DetokenizeRequest.self, from: request)
            let tokenizer = routes.served.tokenizer
            if let i = body.tokens.firstIndex(where: { $0 < 0 || $0 >= tokenizer.vocabularySize }) {
                throw OpenAIError.invalidRequest("tokens[\(i)] = \(body.tokens[i]) is outside the vocabulary of \(tokenizer.vocabularySize) tokens.",
                                                 param: "tokens[\(i)]")
            }
            return try JSONBody.response(DetokenizeResponse(content: tokenizer.decode(body.tokens)))
        }
    }
}
