// `quill feedback export`: ratings collected by `quill serve --feedback-db` as preference pairs for
// reward-model and DPO training, JSONL in TRL's preference format. Wiring only: FeedbackStore reads,
// PreferencePairs pairs and encodes.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillFormats

struct FeedbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Work with the user feedback a server collected.",
        subcommands: [FeedbackExportCommand.self])
}

struct FeedbackExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the feedback store's chosen/rejected pairs as JSONL ({\"prompt\", \"chosen\", \"rejected\"} per line).",
        discussion: """
        For each prompt, a corrected answer or an answer rated +1 is chosen over an answer rated -1. \
        Texts were PII-redacted when stored.

        Examples:
          quill feedback export --db feedback.sqlite --format dpo --out pairs.jsonl
          quill feedback export --db feedback.sqlite --format dpo | head -3
        """)

    @Option(help: "The feedback store (`quill serve --feedback-db FILE`).") var db: String
    @Option(help: "Output format: dpo (TRL preference pairs).") var format = "dpo"
    @Option(help: "Output file, written atomically (default: standard output).") var out: String?

    func validate() throws {
        guard format == "dpo" else { throw ValidationError("--format: '\(format)' is not supported; use dpo") }
    }

    func run() throws {
        try runReportingErrors {
            let store = try FeedbackStore(path: db)
            let entries = try store.all()
            let pairs = PreferencePairs(entries)
            let data = try pairs.jsonl()
            if let out {
                try writeAtomically(data, to: URL(fileURLWithPath: out))
                FileHandle.standardError.write(Data("wrote \(pairs.pairs.count) pairs from \(entries.count) ratings to \(out)\n".utf8))
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }
}
