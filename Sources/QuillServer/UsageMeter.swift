// The two hooks generation routes call to bill a request: once for a whole response, and around a
// stream, where the choices' tokens and text are tallied as they pass and billed when the stream
// ends (finished, failed or abandoned by the client: tokens generated are tokens billed).
import Foundation
import Hummingbird
import QuillGeneration

extension RouteContext {
    /// Bills a non-streamed response. `prompts` (one per choice, or one for all) is only evaluated
    /// when feedback is kept.
    func recordUsage(_ request: Request, id: String, usage: Usage, prompts: @autoclosure () -> [String], texts: [String]) {
        guard let accounting = configuration.accounting else { return }
        let prompts = accounting.feedback == nil ? [] : prompts()
        accounting.record(key: accounting.key(of: request), model: served.id, responseID: id, promptTokens: usage.promptTokens,
                          completionTokens: usage.completionTokens, choices: Self.choices(prompts, texts))
    }

    /// `events`, passed through unchanged, billed when they end.
    func metered(_ events: AsyncThrowingStream<ChoiceEvent, any Error>, request: Request, id: String, promptTokens: Int,
                 prompts: @autoclosure () -> [String]) -> AsyncThrowingStream<ChoiceEvent, any Error> {
        guard let accounting = configuration.accounting else { return events }
        let key = accounting.key(of: request), model = served.id
        let prompts = accounting.feedback == nil ? [] : prompts()
        let (out, continuation) = AsyncThrowingStream.makeStream(of: ChoiceEvent.self, throwing: (any Error).self)
        let task = Task {
            var texts: [String] = [], completionTokens = 0, failure: (any Error)?
            do {
                for try await e in events {
                    switch e.event {
                    case .token: completionTokens += 1
                    case .text(let piece):
                        while texts.count <= e.index { texts.append("") }
                        texts[e.index] += piece
                    case .finished: break
                    }
                    continuation.yield(e)
                }
            } catch {
                failure = error
            }
            // Billed (and remembered) before the stream ends, so the response's id is known to feedback by then.
            accounting.record(key: key, model: model, responseID: id, promptTokens: promptTokens, completionTokens: completionTokens,
                              choices: Self.choices(prompts, texts))
            if let failure { continuation.finish(throwing: failure) } else { continuation.finish() }
        }
        continuation.onTermination = { _ in task.cancel() }
        return out
    }

    private static func choices(_ prompts: [String], _ texts: [String]) -> [RememberedResponse.Choice] {
        guard !prompts.isEmpty else { return [] }
        return texts.enumerated().map { i, text in .init(prompt: prompts.count == 1 ? prompts[0] : prompts[min(i, prompts.count - 1)], text: text) }
    }
}
