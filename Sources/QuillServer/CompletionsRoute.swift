// POST /v1/completions and POST /v1/engines/{engine}/completions (openai==0.28's
// `Completion.create(engine=…)`; the engine name is accepted whatever it is, since old scripts name
// OpenAI's engines): each prompt × n choices in the batch scheduler, `echo` prepending the prompt (with
// its tokens' logprobs scored on the scheduler's thread), answered whole or streamed.
import Foundation
import Hummingbird
import NIOCore
import QuillGeneration
import QuillModels

struct CompletionsRoute {
    let routes: RouteContext
    init(_ routes: RouteContext) { self.routes = routes }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/completions") { request, _ in try await handle(request, checkModel: true) }
        router.post("/v1/engines/:engine/completions") { request, _ in try await handle(request, checkModel: false) }
    }

    /// One prompt of the request, tokenized, with what echo needs.
    struct PreparedPrompt: Sendable {
        var tokens: [Int]
        var text: String
        var logprobs: CompletionLogprobs?
    }

    func handle(_ request: Request, checkModel: Bool) async throws -> Response {
        let start = ContinuousClock.now
        let body = try await JSONBody.decode(CompletionRequest.self, from: request)
        let served = routes.served
        if checkModel { try served.check(model: body.model) }
        let maxTokens = body.maxTokens ?? 16
        guard maxTokens >= 0 else { throw OpenAIError.invalidRequest("max_tokens must be at least 0, got \(maxTokens).", param: "max_tokens") }
        if let n = body.logprobs, !(0...5).contains(n) {
            throw OpenAIError.invalidRequest("logprobs must be between 0 and 5, got \(n).", param: "logprobs")
        }
        guard body.prompts.count * body.sampling.choiceCount <= 64 else {
            throw OpenAIError.invalidRequest("prompts × n must be at most 64.", param: "n")
        }
        let echo = body.echo ?? false
        var choices = try body.sampling.parameters(maxTokens: maxTokens, extraStops: [], logprobs: body.logprobs != nil,
                                                   topLogprobs: body.logprobs ?? 0, vocabularySize: served.vocabularySize)
        let constraint = try ResponseFormat.constraint(in: try await JSONBody.document(of: request), cache: served.grammars)
        for i in choices.indices { choices[i].constraint = constraint }
        var prompts = body.prompts.map { input -> PreparedPrompt in
            switch input {
            case .text(let s): return PreparedPrompt(tokens: served.tokenizer.encode(s, addSpecialTokens: true, parseSpecial: false), text: s)
            case .tokens(let ids): return PreparedPrompt(tokens: ids, text: "")
            }
        }
        for i in prompts.indices where !prompts[i].tokens.isEmpty {
            if case .tokens = body.prompts[i] {
                for id in prompts[i].tokens where id < 0 || id >= served.tokenizer.vocabularySize {
                    throw OpenAIError.invalidRequest("prompt token \(id) is outside the vocabulary of \(served.tokenizer.vocabularySize) tokens.",
                                                     param: "prompt")
                }
                prompts[i].text = served.tokenizer.decode(prompts[i].tokens)
            }
        }
        let streams: [BatchScheduler.Stream]
        do {
            streams = try served.scheduler.submit(prompts.flatMap { p in choices.map { (p.tokens, $0) } })
        } catch { throw OpenAIError.from(error, promptParam: "prompt", retryAfter: routes.configuration.retryAfterSeconds) }
        if echo, let top = body.logprobs {
            for i in prompts.indices { prompts[i].logprobs = try await scorePrompt(prompts[i].tokens, top: top) }
        }
        let id = "cmpl-" + randomID(), created = Int(Date().timeIntervalSince1970)
        let promptTokens = prompts.reduce(0) { $0 + $1.tokens.count }
        let n = choices.count
        if body.sampling.stream == true {
            let encoder = CompletionChunkEncoder(id: id, created: created, model: served.id, fingerprint: served.fingerprint,
                                                 echoed: echo ? (0..<prompts.count * n).map { prompts[$0 / n] } : nil,
                                                 choices: prompts.count * n, wantsLogprobs: body.logprobs != nil,
                                                 includeUsage: body.sampling.includeUsage, promptTokens: promptTokens,
                                                 metrics: routes.metrics, start: start, piece: { served.piece($0) })
            let metered = routes.metered(ChoiceStreams.merged(streams), request: request, id: id, promptTokens: promptTokens,
                                         prompts: (0..<prompts.count * n).map { prompts[$0 / n].text })
            return streamed(metered, encoder: encoder, request: request)
        }
        let results = try await request.body.consumeWithCancellationOnInboundClose { _ in
            try await ChoiceStreams.collect(streams, metrics: routes.metrics, start: start)
        }
        let completion = Completion(
            id: id, created: created, model: served.id, systemFingerprint: served.fingerprint,
            choices: results.enumerated().map { i, r in
                let p = prompts[i / n]
                var logprobs: CompletionLogprobs?
                if body.logprobs != nil {
                    logprobs = echo ? p.logprobs ?? CompletionLogprobs() : CompletionLogprobs()
                    appendGenerated(r.logprobs, to: &logprobs!, startingAt: echo ? p.text.count : 0)
                }
                return Completion.Choice(text: (echo ? p.text : "") + r.text, index: i, logprobs: logprobs,
                                         finishReason: r.finishReason.apiName)
            },
            usage: ChoiceStreams.usage(promptTokens: promptTokens, results.map(\.stats)))
        if let usage = completion.usage {
            routes.recordUsage(request, id: id, usage: usage, prompts: (0..<prompts.count * n).map { prompts[$0 / n].text }, texts: results.map(\.text))
        }
        return try JSONBody.closingResponse(completion)
    }

    /// The generated tokens' logprobs in the legacy shape, text offsets counted from `offset`.
    func appendGenerated(_ entries: [TokenLogprob], to logprobs: inout CompletionLogprobs, startingAt offset: Int) {
        var at = offset
        for l in entries {
            let text = routes.served.piece(l.id).text
            logprobs.append(token: text, logprob: l.logprob, top: topDictionary(l), offset: at)
            at += text.count
        }
    }

    func topDictionary(_ l: TokenLogprob) -> [String: Float] {
        Dictionary(l.top.map { (routes.served.piece($0.id).text, $0.logprob) }, uniquingKeysWith: { first, _ in first })
    }

    /// Log-probabilities of each prompt token given the ones before it (the first has none), from one
    /// forward pass over the whole prompt on the scheduler's thread.
    func scorePrompt(_ tokens: [Int], top: Int) async throws -> CompletionLogprobs {
        let served = routes.served
        let scored: [TokenLogprob] = try await served.scheduler.perform { model in
            guard tokens.count > 1 else { return [] }
            let shape = model.makeCache()
            let cache = KVCache(layers: shape.layerCount, capacity: tokens.count, width: shape.width, heads: shape.heads)
            let logits = try model.forward(tokens, cache: cache, allLogits: true)          // (T, V)
            let V = model.vocabularySize
            return (1..<tokens.count).map { j in
                TokenLogprob(logits: Array(UnsafeBufferPointer(start: logits.data + (j - 1) * V, count: V)), chosen: tokens[j], top: top)
            }
        }
        var out = CompletionLogprobs(), at = 0
        for (j, id) in tokens.enumerated() {
            let text = served.piece(id).text
            if j == 0 { out.append(token: text, logprob: nil, top: nil, offset: at) } else {
                out.append(token: text, logprob: scored[j - 1].logprob, top: topDictionary(scored[j - 1]), offset: at)
            }
            at += text.count
        }
        return out
    }
}
