// The process's own terminal for a chat: lines from stdin, answer text on stdout (flushed as it
// streams), notices and usage on stderr, so `quill chat --prompt ... > answer.txt` keeps only the answer.
import Foundation

/// stdin / stdout / stderr as a ``ChatTerminal``.
public final class StandardChatTerminal: ChatTerminal {
    public init() {}

    /// Whether stdin is a terminal (otherwise lines are questions piped in, and no prompt is shown).
    public static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    public func readLine(prompt: String) -> String? {
        if !prompt.isEmpty { write(prompt, kind: .answer) }
        return Swift.readLine(strippingNewline: true)
    }

    public func write(_ text: String, kind: ChatOutputKind) {
        switch kind {
        case .answer:
            FileHandle.standardOutput.write(Data(text.utf8))
        case .info, .error:
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}
