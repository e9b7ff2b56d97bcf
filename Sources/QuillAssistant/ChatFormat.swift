// How one model is prompted for chat: its template (chooseChatTemplate), the stop strings and token ids
// that end an answer, and the checked, injection-safe encoding of a conversation (ChatPromptEncoder).
// The server, `quill chat` and the `Quill` library all encode conversations through this one type.
import Foundation
import QuillGeneration
import QuillModels
import QuillTokenizer

/// Why a conversation cannot be turned into a prompt.
public enum ChatFormatError: Error, CustomStringConvertible, Equatable {
    /// There is no message at all.
    case noMessages
    /// `messages[index]` has a role no template understands.
    case invalidRole(index: Int, role: String)
    /// The template refused the conversation (a `raise_exception`, an unsupported construct, ...).
    case templateFailed(String)

    public var description: String {
        switch self {
        case .noMessages: return "the conversation holds no message; add at least one"
        case .invalidRole(let i, let role):
            return "messages[\(i)] has role '\(role)'; expected system, developer, user, assistant or tool"
        case .templateFailed(let reason): return "the chat template could not render these messages: \(reason)"
        }
    }
}

/// A model's chat template with everything needed to prompt it and stop its answers.
///
/// ```swift
/// let format = ChatFormat(model: loaded)
/// let prompt = try format.encode([.system("Be brief."), .user("Hi")])      // prompt.tokens → generation
/// let parameters = format.parameters(GenerationParameters(maxTokens: 100))  // + template stops, eos ids
/// ```
public struct ChatFormat: Sendable {
    public static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    public let template: any ChatTemplate
    /// Strings that end an answer in this template (its end-of-turn marker, in case the tokenizer does
    /// not know it as a special token).
    public let stops: [String]
    /// Every id that ends an answer (the model's declared eos ids beside the tokenizer's).
    public let stopTokenIDs: Set<Int>
    public let tokenizer: any Tokenizer
    public var options: ChatRenderOptions

    public init(model: GenerationModel) {
        let choice = chooseChatTemplate(for: model)
        if let reason = choice.fallbackReason, model.chatTemplate != nil {
            FileHandle.standardError.write(Data("quill: \(reason)\n".utf8))
        }
        (template, stops) = (choice.template, choice.stops)
        tokenizer = model.tokenizer
        stopTokenIDs = model.stopTokenIDs
        options = choice.options                    // bos_token / eos_token texts: Llama-style templates write them
        options.addGenerationPrompt = true
    }

    /// Renders `messages` (the generation prompt added) and encodes them: the template's markup as
    /// control tokens, message text never (``ChatPromptEncoder``).
    public func encode(_ messages: [ChatMessage]) throws -> ChatPrompt {
        guard !messages.isEmpty else { throw ChatFormatError.noMessages }
        if let i = messages.firstIndex(where: { !Self.roles.contains($0.role) }) {
            throw ChatFormatError.invalidRole(index: i, role: messages[i].role)
        }
        let encoder = ChatPromptEncoder(template: template, tokenizer: tokenizer, options: options)
        do {
            return try encoder.encode(messages)
        } catch let e as ChatPromptError {
            throw e
        } catch {
            // Many templates concatenate `message.content` and fail on the null content an assistant
            // tool-call turn carries (OpenAI clients send it); render those turns with empty text instead,
            // as llama.cpp does for templates that cannot take null content.
            if messages.contains(where: { $0.content == nil }),
               let prompt = try? encoder.encode(messages.map { m in var m = m; m.content = m.content ?? ""; return m }) {
                return prompt
            }
            throw ChatFormatError.templateFailed("\(error)")
        }
    }

    /// `base` with this template's stop strings and the model's end-of-generation ids added.
    public func parameters(_ base: GenerationParameters) -> GenerationParameters {
        var p = base
        p.stop += stops.filter { !p.stop.contains($0) }
        p.stopTokenIDs.formUnion(stopTokenIDs)
        return p
    }
}
