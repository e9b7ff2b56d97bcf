// The terminal chat behind `quill chat`, with the terminal abstracted (lines in, text out) so a test can
// script it: each line is a slash command or a question; the answer streams as it is generated from the
// conversation trimmed to the context; a usage line follows each turn. An interrupt (Ctrl-C) stops the
// answer in progress; two at an empty prompt leave, as in llama.cpp's and ollama's chat loops.
import Foundation
import QuillGeneration

/// Where a chat reads lines and writes text.
public protocol ChatTerminal: AnyObject {
    /// Shows `prompt` and reads a line (without its newline); nil at the end of input.
    func readLine(prompt: String) -> String?
    /// Writes `text` as it is (no newline added) on the channel `kind` names.
    func write(_ text: String, kind: ChatOutputKind)
}

/// What a piece of chat output is: answer text (stdout), or a notice, usage line or error (stderr).
public enum ChatOutputKind: Sendable, Equatable { case answer, info, error }

/// Settings of a chat session.
public struct ChatSettings: Sendable {
    public var parameters: GenerationParameters
    /// Print each turn's cost at this price per million tokens.
    public var pricePerMillion: Double?
    /// Add "Today's date is ..." to every system prompt (`{date}` is expanded either way).
    public var systemDate: Bool
    /// Shown before each line is read (empty when input is not a terminal).
    public var prompt: String
    public var showUsage: Bool

    public init(parameters: GenerationParameters = .init(maxTokens: 512), pricePerMillion: Double? = nil,
                systemDate: Bool = false, prompt: String = "> ", showUsage: Bool = true) {
        self.parameters = parameters; self.pricePerMillion = pricePerMillion; self.systemDate = systemDate
        self.prompt = prompt; self.showUsage = showUsage
    }
}

/// A chat session over a ``ChatEngine``.
public final class ChatLoop: @unchecked Sendable {
    /// What an interrupt did.
    public enum InterruptResult: Equatable, Sendable {
        /// An answer was being generated and is stopped.
        case stoppedAnswer
        /// Nothing was running; another interrupt before the next line leaves.
        case armed
        /// The second interrupt in a row at the prompt: the caller should leave.
        case exit
    }

    public let engine: ChatEngine
    public let settings: ChatSettings
    public internal(set) var conversation: Conversation
    /// Turns left out of the last prompt to fit the context.
    public internal(set) var droppedTurns = 0
    /// Tools the model may call in each turn (ChatLoop+Tools runs them); nil: plain answers.
    public var toolbox: Toolbox?
    let terminal: any ChatTerminal
    private let lock = NSLock()
    private var answering: Task<Void, Never>?
    private var interruptArmed = false

    public init(engine: ChatEngine, system: String? = nil, settings: ChatSettings = .init(), terminal: any ChatTerminal) {
        self.engine = engine; self.settings = settings; self.terminal = terminal
        conversation = Conversation(system: SystemPrompt.resolve(system, appendDate: settings.systemDate))
    }

    /// Prompt tokens the conversation may fill: the context less room for the answer (`max_tokens`, at
    /// most half the context).
    public var promptBudget: Int {
        max(1, engine.contextLength - min(settings.parameters.maxTokens, engine.contextLength / 2))
    }

    /// Reads and handles lines until `/exit` or the end of input.
    public func run() async {
        while true {
            let line = terminal.readLine(prompt: settings.prompt)
            lock.withLock { interruptArmed = false }
            guard let line else {
                if !settings.prompt.isEmpty { terminal.write("\n", kind: .info) }
                return
            }
            guard await handle(line) else { return }
        }
    }

    /// Handles one typed line; false when it asks to leave.
    @discardableResult
    public func handle(_ line: String) async -> Bool {
        switch ChatInput(parsing: line) {
        case .empty: break
        case .message(let text): await ask(text)
        case .exit: return false
        case .help: terminal.write(ChatInput.helpText + "\n", kind: .info)
        case .invalid(let reason): terminal.write("error: \(reason)\n", kind: .error)
        case .reset:
            conversation.reset()
            droppedTurns = 0
            terminal.write("(conversation cleared; the system prompt stays)\n", kind: .info)
        case .system(let text):
            conversation.system = SystemPrompt.resolve(text, appendDate: settings.systemDate)
            terminal.write(conversation.system == nil ? "(system prompt cleared)\n" : "(system prompt set)\n", kind: .info)
        case .save(let path):
            do {
                try conversation.save(to: URL(fileURLWithPath: path))
                terminal.write("(saved \(conversation.messages.count) messages to \(path))\n", kind: .info)
            } catch { terminal.write("error: \(error)\n", kind: .error) }
        case .load(let path):
            do {
                conversation = try Conversation.load(from: URL(fileURLWithPath: path))
                droppedTurns = 0
                terminal.write("(loaded \(conversation.messages.count) messages from \(path))\n", kind: .info)
            } catch { terminal.write("error: \(error)\n", kind: .error) }
        }
        return true
    }

    /// Sends `text` as the next user turn and streams the answer; the question and answer (what came of
    /// it before an interrupt, too) join the conversation. Returns the turn's usage, nil on an error.
    @discardableResult
    public func ask(_ text: String) async -> ChatUsage? {
        if let toolbox, !toolbox.tools.isEmpty { return await askWithTools(text, toolbox: toolbox) }
        var next = conversation
        next.append(.user(text))
        let reply: ChatEngine.Reply
        do {
            let window = try next.window(budget: promptBudget) { try engine.promptTokenCount($0) }
            if window.dropped != droppedTurns, window.dropped > 0 {
                let turns = window.dropped == 1 ? "turn" : "turns"
                terminal.write("(left out the oldest \(window.dropped) \(turns) to fit the \(engine.contextLength)-token context)\n", kind: .info)
            }
            droppedTurns = window.dropped
            reply = try engine.reply(to: window.messages, parameters: settings.parameters)
        } catch {
            terminal.write("error: \(error)\n", kind: .error)
            return nil
        }
        let outcome = await stream(reply)
        if !outcome.usage.inputRefused {                       // a refused question is not kept, or every later turn would be refused too
            conversation = next
            if !outcome.text.isEmpty || outcome.error == nil { conversation.append(.assistant(outcome.text)) }
        }
        terminal.write("\n", kind: .answer)
        if let error = outcome.error {
            terminal.write("error: \(error)\n", kind: .error)
            return nil
        }
        if outcome.usage.finishReason == .cancelled { terminal.write("[stopped]\n", kind: .info) }
        if outcome.usage.finishReason == .contentFilter { terminal.write("[blocked by the content policy]\n", kind: .info) }
        if settings.showUsage { terminal.write(outcome.usage.summary(pricePerMillion: settings.pricePerMillion) + "\n", kind: .info) }
        return outcome.usage
    }

    /// Streams one answer to the terminal in a task that ``interrupt()`` can cancel; `shown` picks what
    /// of each piece is written (the tool loop holds call markup back).
    func stream(_ reply: ChatEngine.Reply, shown: (@Sendable (String) -> String)? = nil) async -> (text: String, usage: ChatUsage, error: (any Error)?) {
        let box = OutcomeBox(promptTokens: reply.promptTokens)
        let task = Task { [terminal] in
            do {
                for try await event in reply.events {
                    if Task.isCancelled { break }                    // interrupted: drop what is buffered
                    box.meter.record(event)
                    if case .text(let piece) = event {
                        box.text += piece
                        let visible = shown?(piece) ?? piece
                        if !visible.isEmpty { terminal.write(visible, kind: .answer) }
                    }
                }
            } catch { box.error = error }
        }
        lock.withLock { answering = task }
        await task.value
        lock.withLock { answering = nil }
        return (box.text, box.meter.usage(ifUnfinished: .cancelled), box.error)
    }

    /// Stops the answer being generated, if any; otherwise arms (first call) or asks to leave (second
    /// call before another line is read). Safe from any thread (a signal handler's queue).
    public func interrupt() -> InterruptResult {
        lock.withLock {
            if let answering { answering.cancel(); return .stoppedAnswer }
            if interruptArmed { return .exit }
            interruptArmed = true
            return .armed
        }
    }
}

/// One answer's text, usage and error, filled in by its streaming task and read after it ends.
private final class OutcomeBox: @unchecked Sendable {
    var text = ""
    var meter: ChatUsageMeter
    var error: (any Error)?
    init(promptTokens: Int) { meter = ChatUsageMeter(promptTokens: promptTokens) }
}
