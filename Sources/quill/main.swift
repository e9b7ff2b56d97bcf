// Entry point of the `quill` command line tool: a list of subcommands, each one thin wiring over the library.
// (Top-level code instead of @main, because this file is named main.swift.)
import ArgumentParser

struct Quill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quill",
        abstract: "A Swift-native LLM toolkit.",
        subcommands: [InspectCommand.self])
}

Quill.main()
