// `quill quantize`: re-encodes a model's matmul weights as F16, Q8_0 or Q4_0 into a GGUF file, from a
// GGUF (any architecture: 2-D `.weight` tensors whose rows are whole blocks, except position
// embeddings) or from a GPT-2 Hugging Face directory (llama.cpp's GPT-2 tensor names).
import ArgumentParser
import Foundation
import QuillFormats
import QuillModels
import QuillTensor

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a model's weights as F16, Q8_0 or Q4_0 GGUF.",
        discussion: """
        Q8_0 and Q4_0 blocks are bit-identical to llama.cpp's reference quantizers.
        Examples:
          quill quantize --type q8_0 gpt2-f32.gguf gpt2-q8_0.gguf
          quill quantize --type q4_0 Models/shakespeare-gpt shakespeare-q4_0.gguf
        """)

    @Option(help: "Target format: f32, f16, q8_0, q4_0.") var type: String
    @Argument(help: "GGUF file or GPT-2 model directory.") var input: String
    @Argument(help: "Output GGUF file.") var output: String

    func run() throws {
        try runReportingErrors {
            guard let target = WeightType(name: type) else { throw CommandError("unknown --type \(type) (f32, f16, q8_0, q4_0)") }
            let inURL = try ModelLocator.resolve(input), outURL = URL(fileURLWithPath: output)
            let start = Date()
            let writer: GGUFWriter
            if inURL.pathExtension.lowercased() == "gguf" {
                writer = try Self.requantize(GGUFFile(url: inURL), to: target)
            } else {
                guard try ModelRegistry.modelType(directory: inURL) == "gpt2" else {
                    throw CommandError("\(input): only GPT-2 directories convert here; convert others to GGUF with `quill convert` first")
                }
                writer = try GPT.load(directory: inURL).ggufWriter(type: target, name: inURL.lastPathComponent)
            }
            try writer.write(to: outURL)
            let size = (try? FileManager.default.attributesOfItem(atPath: outURL.path)[.size] as? Int) ?? 0
            print(String(format: "wrote %@ (%@, %.1f MB) in %.1f s", output, "\(target)", Double(size) / 1e6, Date().timeIntervalSince(start)))
        }
    }

    /// The same file with every eligible matmul weight re-encoded as `target`; other tensors copied as they are.
    static func requantize(_ file: GGUFFile, to target: WeightType) throws -> GGUFWriter {
        var writer = GGUFWriter(alignment: file.alignment)
        for key in file.metadataKeys { writer.addMetadata(key, file.metadata[key]!) }
        let fileTypes: [WeightType: UInt32] = [.f32: 0, .f16: 1, .q4_0: 2, .q8_0: 7]
        writer.addMetadata("general.file_type", .uint32(fileTypes[target]!))
        var progress = ProgressBar(total: file.tensors.count)
        for (i, info) in file.tensors.enumerated() {
            let tensor = try file.requireTensor(named: info.name)
            let eligible = info.dimensions.count == 2 && info.name.hasSuffix(".weight") && !info.name.hasPrefix("position_embd")
                && info.dimensions[0] % target.blockSize == 0 && info.type.isDecodable
            if eligible && info.type.rawValue != target.rawValue {
                let t = Tensor(shape: info.shape, scalars: try tensor.dequantize())
                let m = try WeightMatrix(tensor: t, layout: .outputByInput, type: target)
                try writer.addTensor(name: info.name, type: GGMLType(rawValue: target.rawValue)!, shape: info.shape,
                                     bytes: Array(UnsafeRawBufferPointer(start: m.base, count: m.byteCount)))
            } else {
                try writer.addTensor(name: info.name, type: info.type, shape: info.shape, bytes: tensor.bytes)
            }
            progress.update(i + 1, info.name)
        }
        return writer
    }
}
