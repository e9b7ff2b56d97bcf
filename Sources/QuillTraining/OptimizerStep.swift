// One optimiser step of the training loop, for any TrainableModel: the loss of each microbatch on
// its own tape, backward with seed 1/accumulation (so gradients are the mean's), global-norm
// clipping fused into AdamW, at the scheduled learning rate. In a data-parallel run the gradients
// are averaged over the ranks (and the loss with them) between backward and clipping. The Trainer calls it with the loader's
// batches; the PyTorch reference test (Scripts/reference/llama_train_reference.py) with fixed ones.
import QuillModels
import QuillNN
import QuillTensor

/// What one step did, for the loss curve and the progress line.
public struct StepResult: Equatable, Sendable {
    /// Mean training loss over the step's microbatches.
    public let loss: Float
    public let learningRate: Float
    /// Global gradient norm before clipping.
    public let gradientNorm: Float
}

public final class OptimizerStep {
    public let model: any TrainableModel
    public let optimizer: AdamW
    public let schedule: LearningRateSchedule
    /// Maximum global gradient norm (0 or less: no clipping).
    public let gradientClip: Float
    /// The ranks' gradient averaging (a no-op in one process).
    public let gradients: GradientAllReduce
    private let parameters: [Tensor]

    public init(model: any TrainableModel, optimizer: AdamW, schedule: LearningRateSchedule, gradientClip: Float,
                gradients: GradientAllReduce = GradientAllReduce(communicator: SingleProcess(), bucketElements: 1)) {
        self.model = model
        self.gradients = gradients
        self.optimizer = optimizer
        self.schedule = schedule
        self.gradientClip = gradientClip
        parameters = optimizer.parameters.map(\.tensor)
    }

    /// Runs step `step` (0-based: it sets the learning rate) over `microbatches` (one per accumulation
    /// round, at least one); dropout draws from `rng` in order.
    public func run(_ microbatches: [Batch], step: Int, rng: inout RandomGenerator) throws -> StepResult {
        precondition(!microbatches.isEmpty, "OptimizerStep.run: no microbatches")
        model.zeroGradients()
        for t in parameters { t.grad?.storage.zero() }   // LoRA adapters live outside the model's parameters
        var lossSum: Float = 0
        let seed = 1 / Float(microbatches.count)
        for batch in microbatches {
            let tape = GradientTape()
            let loss = tape.record {
                model.loss(batch.inputs, targets: batch.targets, batch: batch.batchSize, time: batch.time,
                           training: true, rng: &rng)
            }
            lossSum += loss.scalars[0]
            tape.backward(from: loss, seed: seed)
        }
        try gradients.average(parameters)
        var loss = lossSum / Float(microbatches.count)
        let ranks = gradients.communicator
        if ranks.size > 1 { loss = Float(try ranks.mean([Double(loss)])[0]) }
        // Clipping is fused into the AdamW pass: one sweep over the gradients instead of two.
        let norm = GradientClipping.globalNorm(parameters)
        let lr = schedule.learningRate(at: step)
        optimizer.update(learningRate: lr, gradientScale: GradientClipping.scale(forNorm: norm, maxNorm: gradientClip))
        return StepResult(loss: loss, learningRate: lr, gradientNorm: norm)
    }
}
