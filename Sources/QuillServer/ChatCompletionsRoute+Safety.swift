// The safety steps of POST /v1/chat/completions: the request's messages bounded and cleaned of hidden
// characters (InputSanitizer, 400s naming the field), checked against the content policy's input
// categories, and — when a blocking category matches — answered as OpenAI answers filtered content: a
// normal response whose choices are empty with `finish_reason: "content_filter"`, streamed or not.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import QuillAssistant
import QuillGeneration

extension HTTPField.Name {
    /// Categories with action "flag" (or "block") that the request's input matched, comma-separated.
    static let contentFlags = HTTPField.Name("X-Quill-Content-Flags")!
}

extension ChatCompletionsRoute {
    /// The request's messages under the server's input limits and their content verdict.
    func guardedMessages(_ body: ChatCompletionRequest) throws -> (messages: [ChatMessage], verdict: ContentVerdict) {
        let policy = routes.configuration.contentPolicy
        do {
            let messages = try InputSanitizer(limits: policy.input).sanitize(body.chatMessages)
            return (messages, policy.evaluate(messages))
        } catch {
            let code = if case .hiddenCharacter = error { "invalid_characters" } else { "input_too_large" }
            throw OpenAIError.invalidRequest(error.description + ".", param: error.field, code: code)
        }
    }

    /// The answer to a request whose input a blocking category matched: n empty choices ending with
    /// `content_filter`, no tokens generated.
    func refusal(_ body: ChatCompletionRequest, verdict: ContentVerdict) throws -> Response {
        let served = routes.served
        let id = "chatcmpl-" + randomID(), created = Int(Date().timeIntervalSince1970)
        let n = body.sampling.choiceCount
        guard n >= 1 else { throw OpenAIError.invalidRequest("n must be at least 1, got \(n).", param: "n") }
        var response: Response
        if body.sampling.stream == true {
            var encoder = ChatChunkEncoder(id: id, created: created, model: served.id, fingerprint: served.fingerprint,
                                           choices: n, includeUsage: body.sampling.includeUsage, promptTokens: 0,
                                           wantsLogprobs: false, metrics: nil, start: .now, piece: { served.piece($0) })
            let none = GenerationStats(promptTokens: 0, generatedTokens: 0, prefillSeconds: 0, decodeSeconds: 0)
            var chunks = try encoder.start()
            for i in 0..<n { chunks += try encoder.finish(i, reason: FinishReason.contentFilter.apiName, stats: none) }
            chunks += try encoder.end()
            chunks.append(JSONBody.done)
            let all = chunks
            response = Response(status: .ok, headers: JSONBody.eventStreamHeaders, body: ResponseBody { writer in
                try await writer.write(contentsOf: all)
                try await writer.finish(nil)
            })
        } else {
            let completion = ChatCompletion(
                id: id, created: created, model: served.id,
                choices: (0..<n).map { .init(index: $0, message: .init(content: ""), logprobs: nil, finishReason: FinishReason.contentFilter.apiName) },
                usage: Usage(prompt: 0, completion: 0, cached: 0), systemFingerprint: served.fingerprint, sources: nil)
            response = try JSONBody.closingResponse(completion)
        }
        response.headers[.contentFlags] = verdict.matched.joined(separator: ",")
        return response
    }
}
