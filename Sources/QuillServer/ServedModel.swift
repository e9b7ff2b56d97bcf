// The language model a server answers with: its API id, the batch scheduler that owns it (all
// requests share one batched forward pass per step), its tokenizer, and the chat template that turns
// messages into a prompt. No HTTP here; routes call it.
import Foundation
import QuillAssistant
import QuillGeneration
import QuillModels
import QuillTokenizer

final class ServedModel: @unchecked Sendable {
    /// The id in /v1/models and in every response's `model`.
    let id: String
    /// Names a request's `model` may use for this model (the id, the path it was loaded from…).
    let aliases: Set<String>
    let created = Int(Date().timeIntervalSince1970)
    let scheduler: BatchScheduler
    let tokenizer: any Tokenizer
    /// The template, its stops and the safe encoding, shared with `quill chat` and the library.
    let format: ChatFormat
    /// OpenAI `system_fingerprint`: which build and model answered.
    let fingerprint: String
    /// Compiled response formats and grammars with their token-mask caches (structured output).
    let grammars: GrammarCache
    /// How tools reach this model's prompt and the call format it writes (Hermes, Llama 3, Mistral…).
    let toolPrompter: ToolPrompter

    init(model: GenerationModel, id: String, aliases: [String], slots: Int, contextLength: Int?, maxQueued: Int,
         prefixCacheSize: Int, cacheType: KVCacheType) {
        self.id = id
        self.aliases = Set(aliases + [id])
        tokenizer = model.tokenizer
        grammars = GrammarCache(tokenizer: model.tokenizer, vocabularySize: model.model.vocabularySize)
        scheduler = BatchScheduler(model: model.model, tokenizer: model.tokenizer, maxBatchSize: max(1, slots),
                                   cacheType: cacheType, prefixCacheSize: prefixCacheSize, contextLength: contextLength,
                                   maxQueued: maxQueued)
        format = ChatFormat(model: model)
        toolPrompter = ToolPrompter(chatFormat: format, templateSource: model.chatTemplate)
        var hash: UInt32 = 2_166_136_261                                       // FNV-1a: stable across runs
        for byte in id.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        fingerprint = "fp_quill_" + String(hash, radix: 16)
    }

    var contextLength: Int { scheduler.contextLength }
    var vocabularySize: Int { scheduler.model.vocabularySize }

    /// Throws 404 unless `name` (when given) names this model.
    func check(model name: String?) throws {
        guard let name, !aliases.contains(name) else { return }
        throw OpenAIError.modelNotFound(name, served: [id])
    }

    var templateStops: [String] { format.stops }

    /// The prompt tokens for a conversation (ChatFormat: the template's control tokens as their special
    /// ids, message text never), its refusals as 400s naming the field.
    func chatPrompt(_ messages: [ChatMessage], tools: ToolUse? = nil) throws -> [Int] {
        do {
            guard let tools else { return try format.encode(messages).tokens }
            if let i = messages.firstIndex(where: { !ChatFormat.roles.contains($0.role) }) {      // before rewriting shifts indices
                throw ChatFormatError.invalidRole(index: i, role: messages[i].role)
            }
            var format = self.format
            let prompt = tools.prompt(messages, options: format.options)
            format.options = prompt.options
            return try format.encode(prompt.messages).tokens
        } catch let e as ChatFormatError {
            switch e {
            case .noMessages: throw OpenAIError.invalidRequest("messages must hold at least one message.", param: "messages")
            case .invalidRole(let i, let role):
                throw OpenAIError.invalidRequest("Invalid role '\(role)': expected system, developer, user, assistant or tool.",
                                                 param: "messages[\(i)].role")
            case .templateFailed(let reason):
                throw OpenAIError.invalidRequest("The chat template could not render these messages: \(reason)", param: "messages")
            }
        } catch let e as ChatPromptError {
            switch e {
            case .cannotIsolateContent(let i): throw OpenAIError.invalidRequest(e.description, param: "messages[\(i)].content")
            case .controlTokens(let field): throw OpenAIError.invalidRequest(e.description, param: field)
            }
        }
    }

    /// A token's text (lossy for a partial UTF-8 sequence) and its bytes, as logprobs report them.
    func piece(_ id: Int) -> (text: String, bytes: [UInt8]) {
        let bytes = tokenizer.decodeBytes([id])
        return (String(decoding: bytes, as: UTF8.self), bytes)
    }

    /// Queues one generation per choice (all or none); scheduler refusals become API errors.
    func submit(prompt: [Int], choices: [GenerationParameters], promptParam: String, retryAfter: Int) throws -> [BatchScheduler.Stream] {
        do { return try scheduler.submit(choices.map { (prompt, $0) }) } catch {
            throw OpenAIError.from(error, promptParam: promptParam, retryAfter: retryAfter)
        }
    }
}
