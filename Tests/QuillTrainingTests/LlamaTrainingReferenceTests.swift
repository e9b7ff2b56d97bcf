// The training step on a Llama model against PyTorch: Scripts/reference/llama_train_reference.py runs
// 8 AdamW steps (accumulation 2, global-norm clipping at 5.6, warmup + cosine schedule) from the
// llama_tiny fixture on fixed batches; Quill's OptimizerStep must give the same losses, gradient norms,
// learning rates and final weights within the tolerances below (float32 on both sides). Measured on
// this machine: losses within 9.5e-7 (1.8e-7 relative), norms within 1.9e-6 (3.3e-7 relative), final
// weights within 7.5e-7; the tolerances leave about 10× room for other kernels' rounding.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor
import TestSupport
@testable import QuillTraining

@Suite("Llama training against PyTorch")
struct LlamaTrainingReferenceTests {
    static let model = Fixtures.repositoryRoot.appendingPathComponent("Tests/QuillModelsTests/Fixtures/llama_tiny")
    static let reference = Fixtures.repositoryRoot
        .appendingPathComponent("Tests/QuillTrainingTests/Fixtures/llama_train/reference.safetensors")

    /// Largest |loss − torch loss| over the 8 steps, relative to the loss (~5.4).
    static let lossTolerance: Float = 1e-5
    /// Largest |norm − torch norm| relative to the norm (~5–7).
    static let normTolerance: Float = 1e-5
    /// Largest |w − torch w| over every final weight (weights are O(0.1–1); 8 steps move them ~1e-2).
    static let weightTolerance: Float = 1e-5

    @Test func eightStepsMatchPyTorch() throws {
        let file = try SafetensorsFile(url: Self.reference).metadata
        func meta(_ key: String) throws -> Double {
            guard let v = file[key].flatMap(Double.init) else { throw TrainingError.invalidConfig("reference lacks \(key)") }
            return v
        }
        let steps = Int(try meta("steps")), accumulation = Int(try meta("accumulation"))
        let B = Int(try meta("batch")), T = Int(try meta("time"))
        let tensors = try Fixtures.tensors(Self.reference)
        let inputs = try Fixtures.integers(Self.reference, "inputs").map(Int32.init)
        let targets = try Fixtures.integers(Self.reference, "targets").map(Int32.init)
        #expect(inputs.count == steps * accumulation * B * T)

        let model = try TrainableModels.load(Self.model)
        #expect(model is Llama && model.modelType == "llama")
        let optimizer = AdamW(parameters: model.namedParameters,
                              hyperparameters: .init(beta1: Float(try meta("beta1")), beta2: Float(try meta("beta2")),
                                                     epsilon: Float(try meta("epsilon")), weightDecay: Float(try meta("weight_decay"))))
        let schedule = LearningRateSchedule(maxLearningRate: Float(try meta("max_lr")), minLearningRate: Float(try meta("min_lr")),
                                            warmupSteps: Int(try meta("warmup")), decaySteps: steps)
        let stepper = OptimizerStep(model: model, optimizer: optimizer, schedule: schedule, gradientClip: Float(try meta("clip")))
        var rng = RandomGenerator(seed: 0)
        let n = B * T
        for step in 0..<steps {
            let batches = (0..<accumulation).map { a in
                let o = (step * accumulation + a) * n
                return Batch(inputs: Array(inputs[o..<o + n]), targets: Array(targets[o..<o + n]), batchSize: B, time: T)
            }
            let result = try stepper.run(batches, step: step, rng: &rng)
            let loss = tensors["losses"]!.scalars[step], norm = tensors["gradient_norms"]!.scalars[step]
            #expect(abs(result.loss - loss) <= Self.lossTolerance * loss, "step \(step + 1): loss \(result.loss), torch \(loss)")
            #expect(abs(result.gradientNorm - norm) <= Self.normTolerance * norm,
                    "step \(step + 1): gradient norm \(result.gradientNorm), torch \(norm)")
            #expect(abs(result.learningRate - tensors["learning_rates"]!.scalars[step]) <= 1e-9)
        }
        var worst: Float = 0, worstName = ""
        for (name, tensor) in model.namedParameters {
            let expected = try #require(tensors["final." + name], "the reference has no final \(name)")
            let d = Fixtures.maxAbsoluteDifference(tensor.scalars, expected.scalars)
            if d > worst { (worst, worstName) = (d, name) }
        }
        #expect(worst <= Self.weightTolerance, "largest final-weight difference \(worst) in \(worstName)")
    }
}
