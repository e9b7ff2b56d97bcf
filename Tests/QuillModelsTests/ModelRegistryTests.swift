// ModelRegistry: model_type dispatch over the committed fixtures (gpt2, llama, qwen2, a llama
// relabelled mistral) and a tiny BERT, and the typed errors for unknown types, missing tensors,
// wrong shapes, a missing config and asking for the wrong kind of model.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTensor
import TestSupport

@Suite("Model registry")
struct ModelRegistryTests {
    static func fixture(_ name: String) -> URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(name)") }

    /// A copy of a fixture folder in a temporary directory, with config.json edited by `edit`.
    static func copy(_ name: String, edit: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-registry-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixture(name), to: dir)
        let configURL = dir.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return dir
    }

    @Test func dispatchesOnModelType() throws {
        guard case .languageModel(let gpt) = try ModelRegistry.load(directory: Self.fixture("gpt2_tiny")) else {
            Issue.record("gpt2_tiny did not load as a language model"); return
        }
        #expect(gpt is GPT)
        for folder in ["llama_tiny", "qwen2_tiny", "llama_scaled_llama3"] {
            let model = try ModelRegistry.loadLanguageModel(directory: Self.fixture(folder))
            #expect((model as? Llama)?.config.modelType == (folder == "qwen2_tiny" ? "qwen2" : "llama"))
        }
        let bertDir = try BERTTests.tinyDirectory()
        defer { try? FileManager.default.removeItem(at: bertDir) }
        guard case .embedder(let embedder) = try ModelRegistry.load(directory: bertDir) else {
            Issue.record("tiny BERT did not load as an embedder"); return
        }
        #expect(embedder.dimension == 16)
        #expect(throws: ModelError.self) { try ModelRegistry.loadLanguageModel(directory: bertDir) }
        #expect(throws: ModelError.self) { try ModelRegistry.loadEmbedder(directory: Self.fixture("llama_tiny")) }
    }

    @Test func mistralIsTheLlamaGraph() throws {
        let dir = try Self.copy("llama_tiny") { $0["model_type"] = "mistral"; $0["sliding_window"] = 64 }
        defer { try? FileManager.default.removeItem(at: dir) }
        let mistral = try ModelRegistry.loadLanguageModel(directory: dir)
        let llama = try ModelRegistry.loadLanguageModel(directory: Self.fixture("llama_tiny"))
        #expect(mistral.contextLength == 64)
        let ids = [3, 9, 27, 1, 44]
        #expect(try mistral.forward(ids, cache: mistral.makeCache()).scalars == llama.forward(ids, cache: llama.makeCache()).scalars)
    }

    @Test func unknownModelTypeIsATypedError() throws {
        let dir = try Self.copy("llama_tiny") { $0["model_type"] = "mamba" }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelError.unsupported("model_type 'mamba' in \(dir.path)/config.json; Quill loads gpt2, llama, mistral, qwen2, bert")) {
            try ModelRegistry.load(directory: dir)
        }
    }

    @Test func missingTensorIsATypedError() throws {
        let dir = try Self.copy("llama_tiny")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(url: url)
        let kept = try file.names.filter { $0 != "model.layers.1.mlp.up_proj.weight" }
            .map { try Tensor(safetensors: file.tensor(named: $0)!).safetensorsEntry(name: $0) }
        try SafetensorsWriter.write(tensors: kept, metadata: ["format": "pt"], to: url)
        #expect(throws: ModelError.missingTensor("model.layers.1.mlp.up_proj.weight")) {
            try ModelRegistry.loadLanguageModel(directory: dir)
        }
    }

    @Test func wrongShapeIsATypedError() throws {
        let dir = try Self.copy("qwen2_tiny") { $0["intermediate_size"] = 96 }
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelError.configMismatch(field: "intermediate_size, hidden_size", detail: "\(dir.path)/model.safetensors: "
                                                  + "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [80, 32] but the config implies [96, 32]")) {
            try ModelRegistry.loadLanguageModel(directory: dir)
        }
    }

    @Test func missingConfigOrModelTypeIsATypedError() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("quill-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: ModelError.invalidConfig("\(empty.path)/config.json is missing or unreadable")) {
            try ModelRegistry.load(directory: empty)
        }
        let untyped = try Self.copy("llama_tiny") { $0.removeValue(forKey: "model_type") }
        defer { try? FileManager.default.removeItem(at: untyped) }
        #expect(throws: ModelError.invalidConfig("\(untyped.path)/config.json has no \"model_type\"")) {
            try ModelRegistry.load(directory: untyped)
        }
    }
}
