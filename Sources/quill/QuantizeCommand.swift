// `quill quantize`: re-encodes a model's weights into a GGUF file, in one type or one of llama.cpp's
// mixtures (GGUFQuantizationPlan decides per tensor, as llama-quantize does), from a GGUF or from a
// GPT-2 Hugging Face directory (llama.cpp's GPT-2 tensor names).
import ArgumentParser
import Foundation
import QuillFormats
import QuillModels
import QuillTensor

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a model's weights as GGUF in one type (F16, Q8_0, Q4_K, …) or a llama.cpp mixture (Q4_K_M, Q5_K_M, Q6_K).",
        discussion: """
        Blocks are bit-identical to llama.cpp's reference quantizers (no importance matrix); a mixture
        picks each tensor's type as llama-quantize does. Types: \(GGUFQuantizationTarget.names.joined(separator: ", ")).
        Examples:
          quill quantize --type q4_k_m SmolLM2-135M-Instruct.Q4_1.gguf smollm2-q4_k_m.gguf
          quill quantize --type q8_0 gpt2-f32.gguf gpt2-q8_0.gguf
          quill quantize --type q4_0 Models/shakespeare-gpt shakespeare-q4_0.gguf
        """)

    @Option(help: "Target type or mixture (q4_k_m, q5_k_m, q6_k, q8_0, q5_0, q4_k, f16, …).") var type: String
    @Argument(help: "GGUF file or GPT-2 model directory.") var input: String
    @Argument(help: "Output GGUF file.") var output: String

    func run() throws {
        try runReportingErrors {
            guard let target = GGUFQuantizationTarget(name: type) else {
                throw CommandError("unknown --type \(type) (\(GGUFQuantizationTarget.names.joined(separator: ", ")))")
            }
            let inURL = try ModelLocator.resolve(input), outURL = URL(fileURLWithPath: output)
            let start = Date()
            let writer: GGUFWriter
            if inURL.pathExtension.lowercased() == "gguf" {
                writer = try Self.requantize(GGUFFile(url: inURL), to: target)
            } else {
                guard try ModelRegistry.modelType(directory: inURL) == "gpt2" else {
                    throw CommandError("\(input): only GPT-2 directories convert here; convert others to GGUF with `quill convert` first")
                }
                guard case .uniform(let t) = target, let weightType = WeightType(rawValue: t.rawValue) else {
                    throw CommandError("\(input): a directory converts to one type; convert it to GGUF first for the \(target) mixture")
                }
                writer = try GPT.load(directory: inURL).ggufWriter(type: weightType, name: inURL.lastPathComponent)
            }
            try writer.write(to: outURL)
            let size = (try? FileManager.default.attributesOfItem(atPath: outURL.path)[.size] as? Int) ?? 0
            print(String(format: "wrote %@ (%@, %.1f MB) in %.1f s", output, "\(target)", Double(size) / 1e6, Date().timeIntervalSince(start)))
        }
    }

    /// The same file with every quantizable tensor in the plan's type; other tensors copied as they are.
    static func requantize(_ file: GGUFFile, to target: GGUFQuantizationTarget) throws -> GGUFWriter {
        var writer = GGUFWriter(alignment: file.alignment)
        for key in file.metadataKeys { writer.addMetadata(key, file.metadata[key]!) }
        writer.addMetadata("general.file_type", .uint32(target.fileType))
        writer.addMetadata("general.quantization_version", .uint32(2))
        let plan = GGUFQuantizationPlan(file: file, target: target)
        var progress = ProgressBar(total: file.tensors.count)
        var counts: [String: Int] = [:]
        for (i, info) in file.tensors.enumerated() {
            let tensor = try file.requireTensor(named: info.name)
            let planned = plan.type(for: info)
            if let type = planned, type != info.type {
                guard info.type.isDecodable else {
                    throw CommandError("\(file.fileName): tensor '\(info.name)' is \(info.type.name), which Quill cannot decode to re-quantize")
                }
                let bytes = try GGUFQuantization.quantize(try tensor.dequantize(), to: type)
                try writer.addTensor(name: info.name, type: type, shape: info.shape, bytes: bytes)
            } else {
                try writer.addTensor(name: info.name, type: info.type, shape: info.shape, bytes: tensor.bytes)
            }
            counts[(planned ?? info.type).name, default: 0] += 1
            progress.update(i + 1, info.name)
        }
        print(counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        return writer
    }
}
