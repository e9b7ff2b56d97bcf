// Puts the tokenizer of the model a run continues beside its trained weights, so the output folder
// is a complete model directory (`quill generate --model runs/x`): an HF directory's tokenizer files
// are copied; a GGUF's byte-level BPE vocabulary is written as tokenizer.json and its chat template
// as chat_template.jinja (HF's file for it). Each file is written atomically.
import Foundation
import QuillFormats
import QuillModels

enum TokenizerFiles {
    /// Files of an HF model directory that describe its tokenizer and chat template.
    static let names = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                        "vocab.quilltok", "vocab.json", "merges.txt"]

    /// Copies or writes the tokenizer of `model` (an HF directory or a .gguf) into `output`; returns the
    /// names written (none when the source has no tokenizer Quill can write, e.g. a SentencePiece GGUF).
    @discardableResult
    static func copy(from model: URL, to output: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var written: [String] = []
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model.path, isDirectory: &isDirectory) else { return [] }
        if isDirectory.boolValue {
            let present = (try? FileManager.default.contentsOfDirectory(atPath: model.path)) ?? []
            for name in present where names.contains(name) || name.hasSuffix(".tiktoken") {
                guard let data = FileManager.default.contents(atPath: model.appendingPathComponent(name).path) else {
                    throw TrainingError.invalidConfig("cannot read \(model.appendingPathComponent(name).path)")
                }
                try writeAtomically(data, to: output.appendingPathComponent(name))
                written.append(name)
            }
            return written
        }
        let file = try GGUFFile(url: model)
        if let bpe = try GGUFTokenizer.read(file), let json = try? bpe.huggingFaceJSON() {
            try writeAtomically(json, to: output.appendingPathComponent("tokenizer.json"))
            written.append("tokenizer.json")
        }
        if let template = file.metadata["tokenizer.chat_template"]?.stringValue {
            try writeAtomically(Data(template.utf8), to: output.appendingPathComponent("chat_template.jinja"))
            written.append("chat_template.jinja")
        }
        return written
    }
}
