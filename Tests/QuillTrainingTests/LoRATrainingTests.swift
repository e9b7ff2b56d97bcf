// LoRA training on the tiny Llama: adapters on q_proj and v_proj, the base frozen, AdamW over the
// adapters alone through OptimizerStep on the SFT reference's masked rows. The loss falls, no base
// weight moves, the adapter is written in PEFT's format, and with QUILL_LORA_CHECK_DIR set the test
// also writes its logits there for Scripts/check/peft_adapter_check.py (PEFT over the same base).
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor
import TestSupport
@testable import QuillTraining

@Suite("LoRA training")
struct LoRATrainingTests {
    @Test func adaptersTrainBaseStaysAndSavesAsPEFT() throws {
        let model = try Llama.load(directory: SFTDataTests.model)
        let before = model.namedParameters.map { $0.tensor.scalars }
        let config = LoRAConfig(rank: 4, alpha: 8, targets: ["q_proj", "v_proj"])
        let adapters = try model.attachLoRA(config, seed: 3)
        #expect(adapters.count == 4)
        let parameters = adapters.flatMap(\.namedParameters)
        let optimizer = AdamW(parameters: parameters, hyperparameters: .init(weightDecay: 0))
        let stepper = OptimizerStep(model: model, optimizer: optimizer,
                                    schedule: LearningRateSchedule(maxLearningRate: 1e-2, minLearningRate: 1e-2, warmupSteps: 0, decaySteps: 8),
                                    gradientClip: 1)
        let inputs = try Fixtures.integers(SFTDataTests.reference, "inputs").map(Int32.init)
        let targets = try Fixtures.integers(SFTDataTests.reference, "targets").map(Int32.init)
        let batch = Batch(inputs: inputs, targets: targets, batchSize: inputs.count / 12, time: 12)
        var rng = RandomGenerator(seed: 0)
        var losses: [Float] = []
        for step in 0..<8 { losses.append(try stepper.run([batch], step: step, rng: &rng).loss) }
        #expect(losses.last! < losses.first! - 0.2, "LoRA loss \(losses)")
        for ((name, t), old) in zip(model.namedParameters, before) { #expect(t.scalars == old, "\(name) moved") }
        #expect(adapters.allSatisfy { $0.b.scalars.contains { $0 != 0 } })

        let dir = ProcessInfo.processInfo.environment["QUILL_LORA_CHECK_DIR"].map { URL(fileURLWithPath: $0) }
            ?? temporaryDirectory("lora-peft")
        try LoRAFiles.save(adapters, config: config, baseModel: SFTDataTests.model.path, to: dir)
        let saved = try SafetensorsFile(url: dir.appendingPathComponent("adapter_model.safetensors"))
        #expect(saved.names.sorted().first == "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
        let json = try JSONValue(parsing: Data(contentsOf: dir.appendingPathComponent("adapter_config.json")))
        #expect(json["r"]?.intValue == 4 && json["peft_type"]?.stringValue == "LORA")
        let ids = Array(inputs[0..<12])
        let logits = model.logits(ids, batch: 1, time: 12)
        try SafetensorsWriter.write(tensors: [.init(name: "ids", shape: [12], floats: ids.map(Float.init)),
                                              .init(name: "logits", shape: logits.shape, floats: logits.scalars)],
                                    to: dir.appendingPathComponent("quill_logits.safetensors"))
    }

    /// The Trainer with `lora`: only adapters train on packed SFT rows, the held-out loss falls, the
    /// output holds the PEFT adapter; resume and a GPT base are typed errors.
    @Test func trainerFineTunesWithLoRA() throws {
        var c = TrainingConfig()
        c.model = TrainerFamilyTests.llamaTiny.path
        c.data = "toy.jsonl"; c.batchSize = 4; c.sequenceLength = 16; c.maxSteps = 10
        c.learningRate = 2e-2; c.minLearningRate = 2e-3; c.warmupSteps = 1; c.evalInterval = 10; c.checkpointInterval = 100
        let data = TrainingData.sft(train: SFTConversationTests.examples(64, seed: 1),
                                    validation: SFTConversationTests.examples(8, seed: 2), padToken: 0)
        let lora = LoRAConfig(rank: 4, alpha: 8, targets: ["q_proj", "k_proj", "v_proj", "o_proj"], rsLoRA: true)
        let out = temporaryDirectory("lora-trainer")
        let trainer = try Trainer(config: c, output: out, tokenizerName: "toy", vocabularySize: 64, eosTokenID: 2,
                                  resume: false, data: data, lora: lora)
        #expect(trainer.adapters.count == 8 && trainer.optimizer.parameters.count == 16)
        let base = trainer.model.namedParameters.map { $0.tensor.scalars }
        let before = try trainer.evaluate()
        try trainer.run()
        let after = trainer.state.validationLosses.last!.loss
        #expect(after < before - 0.3, "LoRA held-out loss \(before) → \(after)")
        #expect(trainer.model.namedParameters.map { $0.tensor.scalars } == base)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("adapter_model.safetensors").path))
        #expect(throws: TrainingError.self) {
            try Trainer(config: c, output: out, tokenizerName: "toy", vocabularySize: 64, eosTokenID: 2, resume: true, data: data, lora: lora)
        }
        #expect(throws: (any Error).self) {
            try Trainer(config: c, output: out, tokenizerName: "toy", vocabularySize: 64, eosTokenID: 2, resume: false, data: data,
                        lora: LoRAConfig(targets: ["qproj"]))
        }
        print("LoRA toy (r 4, rsLoRA, q/k/v/o): held-out assistant loss \(before) → \(after) in 10 steps")
    }
}
