// The n choices of one request as one stream of tagged events (they advance together in the batch),
// and the collected result of each choice for non-streamed responses. Ending the merged stream early
// (the client went away) cancels every choice, which frees their slots before the next decode step.
import Foundation
import QuillGeneration

/// One event of choice `index`.
struct ChoiceEvent: Sendable {
    var index: Int
    var event: GenerationEvent
}

/// Everything one choice produced.
struct ChoiceResult: Sendable {
    var text = ""
    var tokens: [Int] = []
    var logprobs: [TokenLogprob] = []
    var finishReason: FinishReason = .length
    var stats = GenerationStats(promptTokens: 0, generatedTokens: 0, prefillSeconds: 0, decodeSeconds: 0)
}

enum ChoiceStreams {
    /// Events of all `streams` in arrival order; throws the first error any of them ends with.
    static func merged(_ streams: [BatchScheduler.Stream]) -> AsyncThrowingStream<ChoiceEvent, any Error> {
        let (out, continuation) = AsyncThrowingStream.makeStream(of: ChoiceEvent.self, throwing: (any Error).self)
        let task = Task {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (i, stream) in streams.enumerated() {
                        group.addTask { for try await e in stream { continuation.yield(ChoiceEvent(index: i, event: e)) } }
                    }
                    try await group.waitForAll()
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return out
    }

    /// Runs every choice to its end and returns their results in order, recording token metrics
    /// (time to first token is measured from `start`).
    static func collect(_ streams: [BatchScheduler.Stream], metrics: ServerMetrics, start: ContinuousClock.Instant) async throws -> [ChoiceResult] {
        var results = [ChoiceResult](repeating: ChoiceResult(), count: streams.count)
        var sawToken = [Bool](repeating: false, count: streams.count)
        for try await e in merged(streams) {
            switch e.event {
            case .text(let piece): results[e.index].text += piece
            case .token(let id, let logprob):
                if !sawToken[e.index] { sawToken[e.index] = true; metrics.observeFirstToken(after: seconds(since: start)) }
                results[e.index].tokens.append(id)
                if let logprob { results[e.index].logprobs.append(logprob) }
            case .finished(let reason, let stats):
                results[e.index].finishReason = reason
                results[e.index].stats = stats
                metrics.recordGeneration(stats)
            }
        }
        return results
    }

    /// Usage of a request: the prompt counted once, completions summed over choices.
    static func usage(promptTokens: Int, _ stats: [GenerationStats]) -> Usage {
        Usage(prompt: promptTokens, completion: stats.reduce(0) { $0 + $1.generatedTokens },
              cached: stats.map(\.cachedPromptTokens).max() ?? 0)
    }
}
