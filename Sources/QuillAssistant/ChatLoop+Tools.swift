// The tool loop of `quill chat --tools`: the model answers with its tools shown; when the answer holds
// calls, each is run (Toolbox), the assistant's calls and a `tool` message per result join the
// conversation, and the model answers again, until it answers in plain text or `maxToolRounds` is
// reached. Call markup never reaches the terminal as answer text; the calls and results are shown as notices.
import Foundation

extension ChatLoop {
    /// Rounds of calls one question may take before the loop stops asking the model.
    public static let maxToolRounds = 5

    /// ``ask(_:)`` with `toolbox`'s tools (see the file header). Returns the last answer's usage.
    func askWithTools(_ text: String, toolbox: Toolbox) async -> ChatUsage? {
        let use = ToolUse(tools: toolbox.definitions, choice: .auto, prompter: engine.toolPrompter)
        var next = conversation
        next.append(.user(text))
        for _ in 0..<Self.maxToolRounds {
            let reply: ChatEngine.Reply
            do {
                let window = try next.window(budget: promptBudget) { try engine.promptTokenCount($0, tools: use) }
                if window.dropped != droppedTurns, window.dropped > 0 {
                    terminal.write("(left out the oldest \(window.dropped) turns to fit the \(engine.contextLength)-token context)\n", kind: .info)
                }
                droppedTurns = window.dropped
                reply = try engine.reply(to: window.messages, parameters: settings.parameters, tools: use)
            } catch {
                terminal.write("error: \(error)\n", kind: .error)
                conversation = next
                return nil
            }
            let filter = StreamFilterBox(use.streamFilter()!)
            let outcome = await stream(reply, shown: { filter.feed($0) })
            if let held = filter.finish().content, !held.isEmpty { terminal.write(held, kind: .answer) }   // held back, not a call
            let parsed = use.parse(outcome.text)
            if let error = outcome.error {
                if !outcome.text.isEmpty { next.append(.assistant(outcome.text)) }
                conversation = next
                terminal.write("\nerror: \(error)\n", kind: .error)
                return nil
            }
            guard !parsed.calls.isEmpty, outcome.usage.finishReason != .cancelled, outcome.usage.finishReason != .contentFilter else {
                next.append(.assistant(outcome.text))
                if !outcome.usage.inputRefused { conversation = next }
                finishTurn(outcome.usage)
                return outcome.usage
            }
            if parsed.content != nil { terminal.write("\n", kind: .answer) }
            next.append(ChatMessage(role: "assistant", content: parsed.content, toolCalls: parsed.calls))
            for call in parsed.calls {
                terminal.write("[tool call] \(call.name)(\(call.arguments))\n", kind: .info)
                let result = toolbox.run(call)
                terminal.write("[tool result] \(Self.oneLine(result))\n", kind: .info)
                next.append(ChatMessage(role: "tool", content: result, toolCallID: call.id, name: call.name))
            }
        }
        conversation = next
        terminal.write("(stopped after \(Self.maxToolRounds) rounds of tool calls)\n", kind: .info)
        return nil
    }

    private func finishTurn(_ usage: ChatUsage) {
        terminal.write("\n", kind: .answer)
        if usage.finishReason == .cancelled { terminal.write("[stopped]\n", kind: .info) }
        if usage.finishReason == .contentFilter { terminal.write("[blocked by the content policy]\n", kind: .info) }
        if settings.showUsage { terminal.write(usage.summary(pricePerMillion: settings.pricePerMillion) + "\n", kind: .info) }
    }

    /// The first 200 characters of `text` on one line.
    static func oneLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}

/// A stream filter shared between the streaming task and the loop that reads it after the task ends.
private final class StreamFilterBox: @unchecked Sendable {
    private var filter: ToolCallStreamFilter
    private let lock = NSLock()
    init(_ filter: ToolCallStreamFilter) { self.filter = filter }
    func feed(_ piece: String) -> String { lock.withLock { filter.feed(piece) } }
    func finish() -> ParsedToolOutput { lock.withLock { filter.finish() } }
}
