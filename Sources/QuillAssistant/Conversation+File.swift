// Saving and loading a conversation as JSON in OpenAI's message shape — `{"messages": [{"role", "content"}]}`,
// the body of a chat completions request without the model — written atomically (temp + fsync + rename)
// so a crash never leaves half a file, and read back with every field checked.
import Foundation
import QuillFormats

/// Why a conversation file cannot be read or written.
public enum ConversationFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case notJSON(path: String, reason: String)
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "cannot read \(p): \(r)"
        case .unwritable(let p, let r): return "cannot save to \(p): \(r)"
        case .notJSON(let p, let r): return "\(p) is not JSON (\(r)); expected {\"messages\": [{\"role\": ..., \"content\": ...}]}"
        case .invalid(let p, let r): return "\(p): \(r)"
        }
    }
}

extension Conversation {
    /// Conversation files larger than this are refused before reading.
    public static let maxFileBytes = 64 << 20

    /// The conversation as JSON text, one message per line.
    public var jsonText: String {
        let lines = messages.map { m in
            JSONValue.object([("role", .string(m.role)), ("content", m.content.map(JSONValue.string) ?? .null)]).jsonText
        }
        return "{\"messages\": [\n" + lines.map { "  " + $0 }.joined(separator: ",\n") + (lines.isEmpty ? "" : "\n") + "]}\n"
    }

    /// Writes ``jsonText`` to `url` atomically: the old file stays until the new one is complete.
    public func save(to url: URL) throws {
        do { try writeAtomically(Data(jsonText.utf8), to: url) } catch {
            let reason = (error as NSError).userInfo[NSLocalizedDescriptionKey] as? String ?? "\(error)"
            throw ConversationFileError.unwritable(path: url.path, reason: reason)
        }
    }

    /// Reads a file written by ``save(to:)`` (or any `{"messages": [...]}` / bare `[...]` of messages with
    /// string roles and contents); a system message is allowed only first.
    public static func load(from url: URL) throws -> Conversation {
        let path = url.path
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if let size, size > maxFileBytes {
            throw ConversationFileError.invalid(path: path, reason: "\(size) bytes is larger than the \(maxFileBytes)-byte limit")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? (error as NSError).localizedDescription : "no such file"
            throw ConversationFileError.unreadable(path: path, reason: reason)
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch { throw ConversationFileError.notJSON(path: path, reason: error.description) }
        return try Conversation(json: json, path: path)
    }

    /// Builds a conversation from parsed JSON, naming the first bad field.
    init(json: JSONValue, path: String) throws {
        func bad(_ reason: String) -> ConversationFileError { .invalid(path: path, reason: reason) }
        guard let list = json.arrayValue ?? json["messages"]?.arrayValue else {
            throw bad("expected an object with a \"messages\" array (or an array of messages)")
        }
        var conversation = Conversation()
        for (i, item) in list.enumerated() {
            guard item.objectValue != nil else { throw bad("messages[\(i)] is not an object") }
            guard let role = item["role"]?.stringValue else { throw bad("messages[\(i)].role is missing or not a string") }
            guard ChatFormat.roles.contains(role) else {
                throw bad("messages[\(i)].role is '\(role)'; expected system, developer, user, assistant or tool")
            }
            guard let content = item["content"]?.stringValue else { throw bad("messages[\(i)].content is missing or not a string") }
            if role == "system" {
                guard i == 0 else { throw bad("messages[\(i)] is a system message; only the first message may be one") }
                conversation.system = content
            } else {
                conversation.append(ChatMessage(role: role, content: content))
            }
        }
        self = conversation
    }
}
