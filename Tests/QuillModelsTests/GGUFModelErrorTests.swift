// Model-level GGUF failures are typed errors that name the tensor or key: a missing tensor, a tensor
// of the wrong shape, an unsupported architecture or tokenizer, missing hyperparameters. The byte-level
// readers are fuzzed elsewhere (FormatsFuzzTests); these start from a valid converted fixture.
import Foundation
import Testing
import QuillFormats
import QuillModels

@Suite("GGUF model errors")
struct GGUFModelErrorTests {
    /// The tiny fixture `folder` as GGUF bytes, rewritten: tensors dropped or given another shape,
    /// metadata replaced (`nil` removes the key).
    static func variant(_ folder: String, dropping dropped: Set<String> = [], reshaping: [String: [Int]] = [:],
                        metadata changes: [String: GGUFValue?] = [:]) throws -> GGUFFile {
        let gguf = FileManager.default.temporaryDirectory.appendingPathComponent("quill-err-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: gguf) }
        try ModelConverter.convert(input: Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)"), output: gguf)
        let source = try GGUFFile(url: gguf)
        var writer = GGUFWriter()
        for key in source.metadataKeys {
            if let change = changes[key] { if let value = change { writer.addMetadata(key, value) } }
            else { writer.addMetadata(key, source.metadata[key]!) }
        }
        for (key, change) in changes where source.metadata[key] == nil { if let change { writer.addMetadata(key, change) } }
        for info in source.tensors where !dropped.contains(info.name) {
            let tensor = source.tensor(named: info.name)!
            if let shape = reshaping[info.name] {
                let count = shape.reduce(1, *)
                try writer.addTensor(name: info.name, shape: shape, floats: [Float](repeating: 0.5, count: count))
            } else {
                try writer.addTensor(name: info.name, type: info.type, shape: info.shape, bytes: tensor.bytes)
            }
        }
        return try GGUFFile(bytes: writer.serialized(), fileName: "\(folder)-variant.gguf")
    }

    @Test func missingTensorIsNamed() throws {
        let file = try Self.variant("llama_tiny", dropping: ["blk.1.ffn_gate.weight"])
        #expect(throws: ModelError.missingTensor("blk.1.ffn_gate.weight (llama_tiny-variant.gguf)")) {
            _ = try GGUFCheckpoint.loadModel(file)
        }
    }

    @Test func wrongShapeIsNamedWithBothShapes() throws {
        let file = try Self.variant("gpt2_tiny", reshaping: ["blk.1.attn_qkv.weight": [96, 16]])
        #expect(throws: ModelError.shapeMismatch(name: "blk.1.attn_qkv.weight (gpt2_tiny-variant.gguf)",
                                                 expected: [96, 32], found: [96, 16])) {
            _ = try GGUFCheckpoint.loadModel(file)
        }
    }

    /// A first-layer tensor that disagrees with the hyperparameters names the key behind its shape.
    @Test func shapeThatContradictsTheHyperparametersNamesTheKey() throws {
        let file = try Self.variant("gpt2_tiny", reshaping: ["blk.0.attn_qkv.weight": [96, 16]])
        #expect(throws: ModelError.configMismatch(field: "gpt2.embedding_length", detail: "gpt2_tiny-variant.gguf: tensor "
                                                  + "'blk.0.attn_qkv.weight' has shape [96, 16] but the config implies [96, 32]")) {
            _ = try GGUFCheckpoint.loadModel(file)
        }
    }

    @Test func unsupportedArchitectureSaysWhatLoads() throws {
        let file = try Self.variant("llama_tiny", metadata: ["general.architecture": .string("falcon")])
        do {
            _ = try GGUFCheckpoint.loadModel(file)
            Issue.record("a falcon GGUF loaded")
        } catch let error as ModelError {
            guard case .unsupported(let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(message.contains("'falcon'") && message.contains("gpt2, llama, qwen2"))
        }
    }

    @Test func missingHyperparameterIsNamed() throws {
        let file = try Self.variant("qwen2_tiny", metadata: ["qwen2.block_count": nil])
        #expect(throws: ModelError.invalidConfig("qwen2_tiny-variant.gguf: metadata 'qwen2.block_count' is missing or not a positive integer")) {
            _ = try GGUFCheckpoint.loadModel(file)
        }
    }

    @Test func sentencePieceTokenizerIsRefusedClearly() throws {
        let file = try Self.variant("llama_tiny", metadata: ["tokenizer.ggml.model": .string("llama")])
        do {
            _ = try GGUFTokenizer.read(file)
            Issue.record("a SentencePiece tokenizer was accepted")
        } catch let error as ModelError {
            #expect("\(error)".contains("tokenizer.ggml.model 'llama'"))
        }
    }

    @Test func unknownFileIsNotTakenForGGUF() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-not-gguf-\(UUID().uuidString).bin")
        try Data("not a model".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(!ModelRegistry.isGGUF(url))
        #expect(throws: ModelError.self) { _ = try ModelRegistry.loadForGeneration(path: url) }
    }
}
