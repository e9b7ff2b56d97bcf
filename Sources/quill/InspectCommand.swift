// `quill inspect PATH`: prints what a .safetensors/.gguf file, a sharded index or a Hugging Face model
// directory holds. Wiring only: QuillFormats.ModelSummary does the reading and formatting.
import ArgumentParser
import Foundation
import QuillFormats

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the architecture, parameter count, dtypes, tensors and metadata of a model.",
        discussion: """
        PATH may be a .safetensors file, a model.safetensors.index.json, a .gguf file, or a Hugging Face \
        model directory (config.json + model.safetensors + tokenizer.json ...). Every header is validated; \
        a malformed file is reported in one line with a non-zero exit status.

        Examples:
          quill inspect .assets/all-MiniLM-L6-v2
          quill inspect model.gguf --max-tensors 20 --no-metadata
        """)

    @Argument(help: "A .safetensors or .gguf file, a sharded index, or a model directory.")
    var path: String

    @Option(name: .long, help: "Show at most this many rows of the tensor table (default: all).")
    var maxTensors: Int?

    @Flag(name: .long, help: "Do not list the metadata.")
    var noMetadata = false

    func run() throws {
        let summary: ModelSummary
        do {
            summary = try ModelSummary.inspect(url: try ModelLocator.resolve(path))
        } catch {
            FileHandle.standardError.write(Data("quill inspect: \(error)\n".utf8))
            throw ExitCode.failure
        }
        print(summary.render(maxTensors: maxTensors, showMetadata: !noMetadata))
    }
}
