// Loads that borrow the checkpoint's memory: F32 safetensors tensors used in place, GGUF matmul
// weights as WeightMatrix views with float copies filled on demand. Checked against the copying
// loads (same logits bit for bit, same float parameters) and for never writing the mapped file.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor
import TestSupport

@Suite("Borrowed weights")
struct BorrowedWeightsTests {
    static let folders = ["gpt2_tiny", "llama_tiny", "qwen2_tiny"]
    static let ids = [3, 14, 15, 9, 26, 5, 35, 8]

    static func directory(_ folder: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)")
    }

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("quill-borrow-\(UUID().uuidString)-\(name)")
    }

    static func parameters(_ model: any LanguageModel) -> [(name: String, tensor: Tensor)] {
        (model as? any Module)?.namedParameters ?? []
    }

    /// Prompt logits for every position, then one decode step's.
    static func logits(_ model: any LanguageModel) throws -> [Float] {
        let cache = model.makeCache()
        return try model.forward(ids, cache: cache, allLogits: true).scalars + model.forward([7], cache: cache).scalars
    }

    /// The copying load: every parameter of a fresh model overwritten from model.safetensors.
    static func copiedLoad(_ dir: URL) throws -> any LanguageModel {
        let fresh: any LanguageModel = try ModelRegistry.modelType(directory: dir) == "gpt2"
            ? GPT(config: try JSONDecoder().decode(GPTConfig.self, from: Data(contentsOf: dir.appendingPathComponent("config.json"))), seed: 0)
            : Llama(config: try JSONDecoder().decode(LlamaConfig.self, from: Data(contentsOf: dir.appendingPathComponent("config.json"))), seed: 0)
        let file = try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        for (name, tensor) in parameters(fresh) {
            let entry = try #require(file.tensor(named: name) ?? file.tensor(named: "transformer." + name))
            try tensor.load(from: entry)
            #expect(!tensor.storage.isBorrowed)
        }
        return fresh
    }

    @Test(arguments: folders)
    func safetensorsF32IsUsedInPlaceWithTheCopiedLogits(folder: String) throws {
        let dir = Self.directory(folder)
        let borrowed = try ModelRegistry.loadLanguageModel(directory: dir)
        let parameters = Self.parameters(borrowed)
        #expect(!parameters.isEmpty && parameters.allSatisfy { $0.tensor.storage.isBorrowed }, "\(folder): every F32 tensor borrowed")
        #expect(try Self.logits(borrowed) == Self.logits(Self.copiedLoad(dir)))
    }

    /// For every weight type: the inference load (matrices in place, float copies pending, embedding rows
    /// decoded one by one) gives the logits of the same load after `materialize()`, and its materialized
    /// parameters equal the float load's exactly.
    @Test(arguments: folders, [GGMLType.f32, .f16, .q8_0, .q4_0])
    func ggufMaterializesOnDemandToTheFloatLoad(folder: String, type: GGMLType) throws {
        let gguf = Self.temporary("\(folder)-\(type.name).gguf")
        defer { try? FileManager.default.removeItem(at: gguf) }
        try ModelConverter.convert(input: Self.directory(folder), output: gguf, type: type)
        let lazy = try GGUFCheckpoint.load(url: gguf, forInference: true).model
        func materialized() -> Bool { (lazy as? GPT)?.isMaterialized ?? (lazy as! Llama).isMaterialized }
        // GPT-2's matmuls are transposed in the file, so they always wait; Llama's F32 ones are borrowed.
        #expect(materialized() == (type == .f32 && folder != "gpt2_tiny"), "\(folder) \(type.name)")
        let lazyLogits = try Self.logits(lazy)
        #expect(materialized() == (type == .f32 && folder != "gpt2_tiny"), "inference must not fill the float copies")
        let eager = try GGUFCheckpoint.load(url: gguf, forInference: true).model
        if let gpt = eager as? GPT { gpt.materialize() } else { (eager as! Llama).materialize() }
        #expect(try Self.logits(eager) == lazyLogits, "\(folder) \(type.name)")
        let float = try GGUFCheckpoint.load(url: gguf).model
        // The stored-format kernels stay within GGUFModelTests' bounds of the all-float load (relative to max |logit|).
        let reference = try Self.logits(float), bound: Float = [.f32: 1e-5, .f16: 0.002, .q8_0: 0.04, .q4_0: 0.6][type]!
        let diff = Fixtures.maxAbsoluteDifference(lazyLogits, reference)
        #expect(diff <= bound * reference.map(abs).max()!, "\(folder) \(type.name): \(diff)")
        let (a, b) = (Self.parameters(lazy), Self.parameters(float))
        #expect(a.map(\.name) == b.map(\.name))
        for ((name, x), (_, y)) in zip(a, b) { #expect(x.scalars == y.scalars, "\(folder) \(type.name): \(name)") }
        if type == .q8_0, let gpt = lazy as? GPT {   // re-quantizing reads the materialized floats
            let again = try GGUFCheckpoint.load(url: gguf).model as! GPT
            try gpt.quantize(to: .q8_0); try again.quantize(to: .q8_0)
            #expect(try Self.logits(gpt) == Self.logits(again))
        }
    }

    @Test func trainingABorrowedModelNeverWritesTheFile() throws {
        let dir = Self.temporary("gpt2"), gguf = Self.temporary("llama.gguf")
        defer { for u in [dir, gguf] { try? FileManager.default.removeItem(at: u) } }
        try FileManager.default.copyItem(at: Self.directory("gpt2_tiny"), to: dir)
        try ModelConverter.convert(input: Self.directory("llama_tiny"), output: gguf, type: .f32)
        let weights = dir.appendingPathComponent("model.safetensors")
        let before = (try Data(contentsOf: weights), try Data(contentsOf: gguf))
        let gpt = try GPT.load(directory: dir)
        let llama = try GGUFCheckpoint.load(url: gguf, forInference: true).model as! Llama
        let inputs: [Int32] = [3, 14, 15, 9, 26, 5, 35, 8], targets: [Int32] = [14, 15, 9, 26, 5, 35, 8, 2]
        var rng = RandomGenerator(seed: 0)
        for model in [gpt as any Module, llama] {
            let optimizer = AdamW(parameters: model.namedParameters)
            let tape = GradientTape()
            let loss = tape.record {
                (model as? GPT)?.loss(inputs, targets: targets, batch: 1, time: 8, rng: &rng)
                    ?? llama.loss(inputs, targets: targets, batch: 1, time: 8)
            }
            tape.backward(from: loss)
            optimizer.update(learningRate: 1e-2)
        }
        #expect(gpt.wte.weight.storage.isBorrowed)
        #expect(try Data(contentsOf: weights) == before.0 && Data(contentsOf: gguf) == before.1)
        let reloaded = try GPT.load(directory: dir)
        #expect(reloaded.wte.weight.scalars != gpt.wte.weight.scalars, "the step changed the borrowed (copy-on-write) weights")
        #expect(try Self.logits(reloaded) == Self.logits(Self.copiedLoad(Self.directory("gpt2_tiny"))))
    }
}
