// Picks the chat template a model is prompted with: the one it declares (GGUF `tokenizer.chat_template`,
// HF `tokenizer_config.json` `chat_template`) once the Jinja engine can render it, ChatML otherwise, as
// llama.cpp and transformers fall back. The server, `quill chat` and the library all ask here.
import QuillModels

/// The chat template for a model, and stop strings that end an answer in it. Until the Jinja engine
/// lands every model gets ChatML, whose end-of-turn marker is a stop string in case the tokenizer does
/// not know it as a special token.
public func makeChatTemplate(for model: GenerationModel) -> (template: any ChatTemplate, stops: [String]) {
    (ChatMLTemplate(), ["<|im_end|>"])
}
