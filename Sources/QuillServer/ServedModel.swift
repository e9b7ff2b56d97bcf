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
    let template: any ChatTemplate
    let templateStops: [String]
    let renderOptions: ChatRenderOptions
    /// OpenAI `system_fingerprint`: which build and model answered.
    let fingerprint: String

    init(model: GenerationModel, id: String, aliases: [String], slots: Int, contextLength: Int?, maxQueued: Int,
         prefixCacheSize: Int, cacheType: KVCacheType) {
        self.id = id
        self.aliases = Set(aliases + [id])
        tokenizer = model.tokenizer
        scheduler = BatchScheduler(model: model.model, tokenizer: model.tokenizer, maxBatchSize: max(1, slots),
                                   cacheType: cacheType, prefixCacheSize: prefixCacheSize, contextLength: contextLength,
                                   maxQueued: maxQueued)
        (template, templateStops) = makeChatTemplate(for: model)
        let eos = model.tokenizer.endOfTextID.map { model.tokenizer.decode([$0]) } ?? ""
        let bos = model.tokenizer.beginningOfSequenceID.map { model.tokenizer.decode([$0]) } ?? ""   // Jinja templates write `bos_token`
        renderOptions = ChatRenderOptions(addGenerationPrompt: true, bosToken: bos, eosToken: eos)
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

    /// The prompt tokens for a conversation: rendered with the template (generation prompt added) and
    /// encoded with the template's control tokens (`<|im_start|>` …) as their special ids, message text
    /// never (ChatPromptEncoder).
    func chatPrompt(_ messages: [ChatMessage]) throws -> [Int] {
        guard !messages.isEmpty else { throw OpenAIError.invalidRequest("messages must hold at least one message.", param: "messages") }
        let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]
        for (i, m) in messages.enumerated() where !roles.contains(m.role) {
            throw OpenAIError.invalidRequest("Invalid role '\(m.role)': expected system, developer, user, assistant or tool.",
                                             param: "messages[\(i)].role")
        }
        do {
            return try ChatPromptEncoder(template: template, tokenizer: tokenizer, options: renderOptions).encode(messages).tokens
        } catch let e as ChatPromptError {
            guard case .cannotIsolateContent(let i) = e else { throw e }
            throw OpenAIError.invalidRequest(e.description, param: "messages[\(i)].content")
        } catch {
            throw OpenAIError.invalidRequest("The chat template could not render these messages: \(error)", param: "messages")
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
