// One line typed at `quill chat`: a message, or a slash command (`/reset`, `/system TEXT`, `/save FILE`,
// `/load FILE`, `/help`, `/exit`) as ollama's and llama.cpp's chat loops take them. A line starting
// with `//` is sent as a message starting with `/`.
import Foundation

/// What a typed line asks for.
public enum ChatInput: Equatable, Sendable {
    /// Text to send to the model.
    case message(String)
    /// A blank line: nothing to do.
    case empty
    /// Forget the turns so far (the system prompt stays).
    case reset
    /// Replace the system prompt; nil clears it.
    case system(String?)
    case save(path: String)
    case load(path: String)
    case help
    case exit
    /// A line that looks like a command but is not a valid one: why, for the user.
    case invalid(String)

    /// The commands with one line of help each, as `/help` prints them.
    public static let helpText = """
        /reset          forget the conversation (the system prompt stays)
        /system TEXT    set the system prompt ({date} becomes today's date); /system alone clears it
        /save FILE      save the conversation as JSON
        /load FILE      load a conversation saved with /save
        /help           show this help
        /exit           leave (also Ctrl-D; Ctrl-C stops an answer, twice at an empty prompt leaves)
        //text          send a message that starts with /
        """

    public init(parsing line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("/") else {
            self = trimmed.isEmpty ? .empty : .message(line.trimmingCharacters(in: .newlines))
            return
        }
        if trimmed.hasPrefix("//") { self = .message(String(trimmed.dropFirst())); return }
        let word = trimmed.dropFirst().prefix { !$0.isWhitespace }
        let name = word.lowercased()
        let argument = trimmed.dropFirst(word.count + 1).trimmingCharacters(in: .whitespaces)
        switch name {
        case "reset", "clear":
            self = argument.isEmpty ? .reset : .invalid("/\(name) takes no argument")
        case "system":
            self = .system(argument.isEmpty ? nil : argument)
        case "save", "load":
            guard !argument.isEmpty else { self = .invalid("/\(name) needs a file name, e.g. /\(name) chat.json"); return }
            self = name == "save" ? .save(path: argument) : .load(path: argument)
        case "help", "?":
            self = .help
        case "exit", "quit", "bye":
            self = .exit
        default:
            self = .invalid("unknown command /\(name); /help lists the commands (start with // to send a message beginning with /)")
        }
    }
}
