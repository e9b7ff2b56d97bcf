// The content filter applied to a generation's event stream: text goes through a
// StreamingContentFilter, token events pass as they come, and a blocked answer ends at once with
// `finished(.contentFilter, …)` while the generation behind it is cancelled (its batch slot freed).
// The server's chat route and `quill chat` both wrap their streams with this.
import Foundation
import QuillGeneration

extension ContentPolicy {
    /// `events` with this policy's output categories applied; unchanged when none applies to output.
    /// `promptTokens` fills the stats of an answer the filter stops (the generator's own stats come
    /// only with its last event).
    public func filtered(_ events: AsyncThrowingStream<GenerationEvent, any Error>, promptTokens: Int)
        -> AsyncThrowingStream<GenerationEvent, any Error> {
        guard filters(.output) else { return events }
        let (out, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self, throwing: (any Error).self)
        let policy = self
        let task = Task {
            var filter = StreamingContentFilter(policy: policy)
            var generated = 0
            let start = ContinuousClock.now
            do {
                for try await event in events {
                    switch event {
                    case .token:
                        generated += 1
                        continuation.yield(event)
                    case .text(let piece):
                        let safe = filter.feed(piece)
                        if !safe.isEmpty { continuation.yield(.text(safe)) }
                    case .finished(let reason, let stats):
                        let rest = filter.finish()
                        if !rest.isEmpty { continuation.yield(.text(rest)) }
                        continuation.yield(.finished(filter.blocked == nil ? reason : .contentFilter, stats))
                    }
                    if filter.blocked != nil, case .text = event {
                        let d = ContinuousClock.now - start
                        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
                        continuation.yield(.finished(.contentFilter, GenerationStats(
                            promptTokens: promptTokens, generatedTokens: generated, prefillSeconds: 0, decodeSeconds: seconds)))
                        break                                    // leaving the loop drops `events`, cancelling it
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return out
    }
}
