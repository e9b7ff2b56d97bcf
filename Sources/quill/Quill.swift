// The `quill` command line: each subcommand lives in its own file and is wiring only.
// (The tokenizer branch carries only the tokenizer subcommands; the lead merges the others in.)

import ArgumentParser

@main
struct Quill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quill",
        abstract: "Quill: a Swift-native LLM system.",
        subcommands: [TokenizeCommand.self, TokenizerCommand.self])
}
