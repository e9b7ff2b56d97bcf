// POST /v1/chat/completions: messages through the chat template into the batch scheduler, n choices
// at once, answered as one `chat.completion` object or streamed as SSE chunks. A client that hangs up
// cancels its choices (the inbound side closing is watched while generating), freeing their slots.
import Foundation
import Hummingbird
import NIOCore
import QuillAssistant
import QuillGeneration

struct ChatCompletionsRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/chat/completions") { request, _ in try await handle(request) }
    }

    func handle(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let body = try await JSONBody.decode(ChatCompletionRequest.self, from: request)
        let served = routes.served
        try served.check(model: body.model)
        let (messages, verdict) = try guardedMessages(body)          // bounds, hidden characters, input filter
        if verdict.isBlocked { return try refusal(body, verdict: verdict) }
        let retrieved = try await routes.retrieval?.augment(messages, request: body.rag)
        let document = try await JSONBody.document(of: request)
        let tools = try ToolRequest(in: document, prompter: served.toolPrompter)
        let prompt = try served.chatPrompt(retrieved?.messages ?? messages, tools: tools.use)
        let limitParam = body.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens"
        let maxTokens = body.maxCompletionTokens ?? body.maxTokens ?? max(1, served.contextLength - prompt.count)
        guard maxTokens >= 1 else { throw OpenAIError.invalidRequest("\(limitParam) must be at least 1, got \(maxTokens).", param: limitParam) }
        let wantsLogprobs = body.logprobs ?? false
        var choices = try body.sampling.parameters(maxTokens: maxTokens, extraStops: served.templateStops, logprobs: wantsLogprobs,
                                                   topLogprobs: body.topLogprobs ?? 0, vocabularySize: served.vocabularySize)
            .map(served.format.parameters)                       // + the model's declared end-of-generation ids
        let constraint = try tools.constraint(cache: served.grammars) ?? ResponseFormat.constraint(in: document, cache: served.grammars)
        for i in choices.indices { choices[i].constraint = constraint }
        let streams = try served.submit(prompt: prompt, choices: choices, promptParam: "messages",
                                        retryAfter: routes.configuration.retryAfterSeconds)
            .map { routes.configuration.contentPolicy.filtered($0, promptTokens: prompt.count) }      // output filter
        let id = "chatcmpl-" + randomID()
        let created = Int(Date().timeIntervalSince1970)
        if body.sampling.stream == true {
            let encoder = ChatChunkEncoder(id: id, created: created, model: served.id, fingerprint: served.fingerprint,
                                           choices: streams.count, includeUsage: body.sampling.includeUsage,
                                           promptTokens: prompt.count, wantsLogprobs: wantsLogprobs, metrics: routes.metrics,
                                           start: start, piece: { served.piece($0) })
            let metered = routes.metered(ChoiceStreams.merged(streams), request: request, id: id, promptTokens: prompt.count,
                                         prompts: [served.tokenizer.decode(prompt)])
            var response = streamed(metered, encoder: ToolCallChunkEncoder(encoder, tools: tools.use, choices: streams.count),
                                    request: request)
            if verdict.isFlagged { response.headers[.contentFlags] = verdict.matched.joined(separator: ",") }
            return response
        }
        let results = try await request.body.consumeWithCancellationOnInboundClose { _ in
            try await ChoiceStreams.collect(streams, metrics: routes.metrics, start: start)
        }
        let completion = ChatCompletion(
            id: id, created: created, model: served.id,
            choices: results.enumerated().map { i, r in
                let answer = tools.answer(r.text, finish: r.finishReason)          // tool calls read out of the text
                return ChatCompletion.Choice(index: i, message: answer.message,
                                             logprobs: wantsLogprobs ? ChatLogprobs(content: r.logprobs.map { chatLogprob($0, piece: { served.piece($0) }) }) : nil,
                                             finishReason: answer.finishReason)
            },
            usage: ChoiceStreams.usage(promptTokens: prompt.count, results.map(\.stats)), systemFingerprint: served.fingerprint,
            sources: retrieved.map { $0.sources.enumerated().map { RetrievalSource($0.offset + 1, $0.element) } })
        routes.recordUsage(request, id: id, usage: completion.usage, prompts: [served.tokenizer.decode(prompt)], texts: results.map(\.text))
        var response = try JSONBody.closingResponse(completion)
        if verdict.isFlagged { response.headers[.contentFlags] = verdict.matched.joined(separator: ",") }
        return response
    }
}
