// `quill tokenizer`: placeholder until the trainer lands.

import ArgumentParser

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenizer", abstract: "Train or inspect tokenizers.")
}
