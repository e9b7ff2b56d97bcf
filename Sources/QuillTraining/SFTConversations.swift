// Chat fine-tuning rows: `{"messages": [{"role": ..., "content": ...}, ...]}` per JSONL line (the
// TRL / OpenAI conversational format), read with errors that name the file and line, and turned into
// SFTExamples with the loss on assistant turns only. Rendering is a closure (the CLI passes the
// model's chat template through QuillAssistant, which QuillTraining must not import): the tokens of
// each assistant turn are those its rendering adds after the prompt before it, that is
// render(messages[0...i]) minus render(messages[0..<i] + generation prompt); the end-of-turn marker
// the template writes after the reply is trained too (the model must learn to stop).
import Foundation
import QuillFormats

/// One message of a training conversation.
public struct SFTMessage: Equatable, Sendable {
    public let role: String
    public let content: String
    public init(role: String, content: String) { self.role = role; self.content = content }
}

public enum SFTConversations {
    /// Every row of a JSONL file (blank lines skipped). A row that is not a JSON object with a non-empty
    /// `messages` array of {role: string, content: string} objects holding at least one assistant turn
    /// is an error naming `path:line`.
    public static func read(_ url: URL) throws -> [[SFTMessage]] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TrainingError.invalidData("cannot read \(url.path): \(error.localizedDescription)")
        }
        return try parse(data, name: url.path)
    }

    public static func parse(_ data: Data, name: String) throws -> [[SFTMessage]] {
        var rows: [[SFTMessage]] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let text = line.filter { $0 != UInt8(ascii: "\r") }
            guard text.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { continue }
            func bad(_ reason: String) -> TrainingError { .invalidData("\(name):\(index + 1): \(reason)") }
            let json: JSONValue
            do { json = try JSONValue(parsing: Data(text)) } catch { throw bad("not JSON (\(error))") }
            guard json.objectValue != nil else { throw bad("expected an object {\"messages\": [...]}") }
            guard let list = json["messages"]?.arrayValue, !list.isEmpty else {
                throw bad("expected a non-empty \"messages\" array")
            }
            let messages = try list.enumerated().map { i, m -> SFTMessage in
                guard let role = m["role"]?.stringValue else { throw bad("messages[\(i)] has no string \"role\"") }
                guard let content = m["content"]?.stringValue else { throw bad("messages[\(i)] has no string \"content\"") }
                return SFTMessage(role: role, content: content)
            }
            guard messages.contains(where: { $0.role == "assistant" }) else {
                throw bad("no assistant message: nothing to train on")
            }
            if messages[0].role == "assistant" { throw bad("messages[0] is an assistant turn; a reply needs a prompt before it") }
            rows.append(messages)
        }
        guard !rows.isEmpty else { throw TrainingError.invalidData("\(name) holds no rows") }
        return rows
    }

    /// The tokens of `messages` with the loss mask on assistant turns. `render(count, generationPrompt)`
    /// renders and tokenizes messages[0..<count], with the assistant generation prompt appended when
    /// asked. A template whose shorter renderings are not token prefixes of the longer ones cannot be
    /// masked this way and is an error.
    public static func example(_ messages: [SFTMessage], name: String,
                               render: (_ count: Int, _ generationPrompt: Bool) throws -> [Int32]) throws -> SFTExample {
        let full = try render(messages.count, false)
        var mask = [Bool](repeating: false, count: full.count)
        for i in messages.indices where messages[i].role == "assistant" {
            let prompt = i == 0 ? [] : try render(i, true)
            let upTo = try render(i + 1, false)
            guard upTo.count >= prompt.count, upTo.starts(with: prompt), full.starts(with: upTo) else {
                throw TrainingError.invalidData("\(name): the chat template's rendering of messages[0...\(i)] does not extend "
                    + "that of the messages before it, so the assistant tokens cannot be masked")
            }
            for j in prompt.count..<upTo.count { mask[j] = true }
        }
        return try SFTExample(tokens: full, lossMask: mask)
    }
}
