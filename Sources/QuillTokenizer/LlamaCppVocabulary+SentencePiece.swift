// SentencePiece vocabularies in GGUF ("llama": scores; "gemma4": merges over ▁-escaped UTF-8).

extension LlamaCppVocabulary {
    func makeSentencePiece() throws(TokenizerError) -> any Tokenizer {
        throw .unsupported(path: source, feature: "tokenizer.ggml.model '\(model)'")
    }

    func makeWordPiece() throws(TokenizerError) -> any Tokenizer {
        throw .unsupported(path: source, feature: "tokenizer.ggml.model '\(model)'")
    }
}
