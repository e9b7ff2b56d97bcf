// One sequence's decoding state after each forward pass: sample, stream text through the streaming
// detokenizer and the stop-string filter, and decide whether to go on. `Generator` (one sequence) and
// `BatchGenerator` (many) both drive it, which is why a sequence decodes the same alone or batched.
import QuillTokenizer

struct SequenceDecoder {
    let parameters: GenerationParameters
    let prompt: [Int]
    /// Ids that end the sequence (the tokenizer's end-of-generation set and the request's stop ids).
    let endOfGeneration: Set<Int>
    let contextLength: Int
    private var sampler: Sampler
    private var detokenizer: StreamingDetokenizer
    private var stops: StopStringFilter
    /// The request's constraint state (its grammar's parse state), if it has one.
    private let constraint: (any TokenConstraintState)?
    private(set) var tokens: [Int] = []
    /// Set once the sequence has ended; no more forward passes are wanted.
    private(set) var finishReason: FinishReason?
    /// The sequence ended because the context is full and its policy is `.error`.
    private(set) var contextExceeded = false

    init(prompt: [Int], parameters: GenerationParameters, tokenizer: any Tokenizer, contextLength: Int) {
        self.parameters = parameters
        self.prompt = prompt
        endOfGeneration = parameters.endOfGenerationIDs(tokenizer)
        self.contextLength = contextLength
        sampler = Sampler(parameters.sampling, prompt: prompt)
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        stops = StopStringFilter(parameters.stop)
        constraint = parameters.constraint?.makeState(endOfGeneration: endOfGeneration)
        if parameters.maxTokens == 0 { finishReason = .length }
    }

    /// The token to feed the model next, or nil once finished.
    var nextInput: Int? { finishReason == nil ? tokens.last : nil }

    /// What to run next given the cache's fill: the sampled token, or — when the cache is full and the
    /// policy shifts — the kept window, to run from an emptied cache (`resetCache`). Nil once finished.
    func nextFeed(cacheLength: Int) -> (tokens: [Int], resetCache: Bool)? {
        guard let next = nextInput else { return nil }
        guard cacheLength + 1 > contextLength, case .shift(let keep) = parameters.contextOverflow else {
            return ([next], false)
        }
        return (ContextOverflow.shiftedWindow(prompt + tokens, keep: keep, capacity: contextLength), true)
    }

    /// Takes the logits for the next position (after the cache holds `cacheLength` positions) and
    /// returns the token and text events they produce. Check `finishReason` afterwards.
    mutating func accept(_ logits: [Float], cacheLength: Int) -> [GenerationEvent] {
        precondition(finishReason == nil, "SequenceDecoder: sequence already finished")
        var sampled: SampledToken
        if let constraint {
            var row = logits
            constraint.apply(to: &row)                    // forbidden tokens: -infinity
            sampled = sampler.next(row)
            if !constraint.allows(sampled.id) { sampled.id = Sampler.argmax(row) }   // float round-off guard
        } else {
            sampled = sampler.next(logits)
        }
        if endOfGeneration.contains(sampled.id) { return finish(.stop) }
        constraint?.accept(sampled.id)
        tokens.append(sampled.id)
        var events: [GenerationEvent] = [.token(id: sampled.id, logprob: sampled.logprob)]
        let (release, stopped) = stops.append(Array(detokenizer.append(sampled.id).utf8))
        if !release.isEmpty { events.append(.text(String(decoding: release, as: UTF8.self))) }
        if stopped {
            finishReason = .stop                          // the stop string and anything held are dropped
        } else if constraint?.mustEnd == true {
            events += finish(.stop)                       // the grammar is complete and can go no further
        } else if tokens.count >= parameters.maxTokens {
            events += finish(.length)                     // token limit
        } else if cacheLength >= contextLength {          // context full: the policy decides
            switch parameters.contextOverflow {
            case .stop: events += finish(.length)
            case .error: contextExceeded = true; events += finish(.length)
            case .shift: break                            // nextFeed re-encodes a shorter window
            }
        }
        return events
    }

    /// Ends the sequence (e.g. on cancellation), releasing held-back text.
    mutating func finish(_ reason: FinishReason) -> [GenerationEvent] {
        guard finishReason == nil else { return [] }
        finishReason = reason
        // Release what was held back: an unfinished UTF-8 tail, a possible stop-string prefix.
        let (release, stopped) = stops.append(Array(detokenizer.finish().utf8))
        let tail = stopped ? release : release + stops.flush()
        if stopped { finishReason = .stop }
        return tail.isEmpty ? [] : [.text(String(decoding: tail, as: UTF8.self))]
    }
}
