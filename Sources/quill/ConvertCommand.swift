// `quill convert IN OUT`: Hugging Face model directory → GGUF file, or GGUF → directory, for GPT-2,
// Llama, Mistral and Qwen2. Wiring only: QuillModels.ModelConverter does the work.
import ArgumentParser
import Foundation
import QuillFormats
import QuillModels

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model between a Hugging Face directory and a GGUF file (either direction).",
        discussion: """
        A directory (config.json + model.safetensors [+ tokenizer.json]) becomes OUT.gguf with llama.cpp's \
        tensor names and metadata; a .gguf becomes a directory (config.json + model.safetensors + \
        tokenizer.json). --type picks the GGUF tensor type (f32, f16, q8_0, q4_0; 1-D tensors stay f32) or \
        the safetensors dtype (f32, f16).

        Examples:
          quill convert Tests/QuillModelsTests/Fixtures/llama_tiny llama_tiny-q8_0.gguf --type q8_0
          quill convert llama_tiny-q8_0.gguf llama_tiny-back
        """)

    @Argument(help: "Input: a model directory or a .gguf file.") var input: String
    @Argument(help: "Output: a .gguf file (from a directory) or a directory (from GGUF).") var output: String
    @Option(help: "f32, f16, q8_0 or q4_0 (GGUF); f32 or f16 (safetensors).") var type: String = "f32"

    func run() throws {
        try runReportingErrors {
            let types: [String: GGMLType] = ["f32": .f32, "f16": .f16, "q8_0": .q8_0, "q4_0": .q4_0]
            guard let ggmlType = types[type.lowercased()] else {
                throw CommandError("--type '\(type)' is not one of f32, f16, q8_0, q4_0")
            }
            let start = Date()
            let report = try ModelConverter.convert(input: try ModelLocator.resolve(input), output: URL(fileURLWithPath: output),
                                                    type: ggmlType)
            let line = String(format: "%@ → %@: %@, %d parameters, %@, tokenizer %@ (%.2f s)\n", input, output,
                              report.architecture, report.parameterCount, ggmlType.name, report.tokenizer,
                              Date().timeIntervalSince(start))
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}
