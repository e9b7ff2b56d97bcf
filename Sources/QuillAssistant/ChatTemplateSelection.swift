// Picks the chat template a model is prompted with: the one it declares (GGUF `tokenizer.chat_template`,
// HF `tokenizer_config.json` `chat_template`) when Quill's Jinja engine parses it, ChatML otherwise, as
// llama.cpp and transformers fall back. The server, `quill chat` and the library all ask here.
import Foundation
import QuillModels

/// The template chosen for a model, its stop strings, and why ChatML was used instead of the model's own.
public struct ChatTemplateChoice {
    public var template: any ChatTemplate
    public var stops: [String]
    /// Options carrying the model's BOS / EOS texts, to start `ChatRenderOptions` from.
    public var options: ChatRenderOptions
    /// Nil when the model's template is used; otherwise the reason for the ChatML fallback.
    public var fallbackReason: String?
}

/// End-of-turn markers that become stop strings when the template writes them, in case the tokenizer
/// does not know them as special tokens.
private let knownTurnEnds = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>"]

/// Chooses the template for `model` (see the file header).
public func chooseChatTemplate(for model: GenerationModel, now: @escaping @Sendable () -> Date = { Date() }) -> ChatTemplateChoice {
    let tokenizer = model.tokenizer
    let bos = tokenizer.beginningOfSequenceID.map { tokenizer.decode([$0]) } ?? ""
    let eos = tokenizer.endOfTextID.map { tokenizer.decode([$0]) } ?? ""
    let options = ChatRenderOptions(bosToken: bos, eosToken: eos)
    let chatML = ChatTemplateChoice(template: ChatMLTemplate(), stops: ["<|im_end|>"], options: options, fallbackReason: nil)
    guard let source = model.chatTemplate, !source.isEmpty else {
        return ChatTemplateChoice(template: chatML.template, stops: chatML.stops, options: options,
                                  fallbackReason: "the model declares no chat template")
    }
    do {
        let template = try JinjaChatTemplate(source: source, now: now)
        var stops = knownTurnEnds.filter { source.contains($0) }
        if !eos.isEmpty, !stops.contains(eos) { stops.append(eos) }
        return ChatTemplateChoice(template: template, stops: stops, options: options, fallbackReason: nil)
    } catch {
        return ChatTemplateChoice(template: chatML.template, stops: chatML.stops, options: options,
                                  fallbackReason: "the model's chat template cannot be used (\(error)); using ChatML")
    }
}

/// The chat template for a model, and stop strings that end an answer in it. When the model's own
/// template does not parse, the reason is written to standard error and ChatML is used.
public func makeChatTemplate(for model: GenerationModel) -> (template: any ChatTemplate, stops: [String]) {
    let choice = chooseChatTemplate(for: model)
    if let reason = choice.fallbackReason, model.chatTemplate != nil {
        FileHandle.standardError.write(Data("quill: \(reason)\n".utf8))
    }
    return (choice.template, choice.stops)
}
