// A streamed response: generation events through a chunk encoder (chat or legacy completions) into
// Server-Sent Events, ending with `data: [DONE]`, while the request's inbound side is watched so a
// client that hangs up cancels generation at once.
import Foundation
import Hummingbird
import NIOCore

/// Turns one request's choice events into SSE chunks.
protocol ChunkEncoder: Sendable {
    /// Chunks before any token (the chat role chunk).
    func start() throws -> [ByteBuffer]
    mutating func encode(_ event: ChoiceEvent) throws -> [ByteBuffer]
    /// Chunks after every choice finished (the usage chunk).
    func end() throws -> [ByteBuffer]
}

/// An SSE response writing `encoder`'s chunks for `events`, then `data: [DONE]`. An error after the
/// headers went out is sent as one `{"error": …}` event (what OpenAI's clients raise from).
func streamed<Encoder: ChunkEncoder>(_ events: AsyncThrowingStream<ChoiceEvent, any Error>, encoder: Encoder, request: Request) -> Response {
    Response(status: .ok, headers: JSONBody.eventStreamHeaders, body: ResponseBody { writer in
        try await request.body.consumeWithCancellationOnInboundClose { _ in
            var encoder = encoder
            do {
                try await writer.write(contentsOf: try encoder.start())
                for try await e in events { try await writer.write(contentsOf: try encoder.encode(e)) }
                try await writer.write(contentsOf: try encoder.end())
            } catch let error where !(error is CancellationError) && !Task.isCancelled {
                try await writer.write(try JSONBody.event(OpenAIError.from(error).body))
            }
            try await writer.write(JSONBody.done)
        }
        try await writer.finish(nil)
    })
}

/// 24 random letters and digits, for response ids.
func randomID() -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return String((0..<24).map { _ in alphabet.randomElement()! })
}
