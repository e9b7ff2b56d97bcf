// What besides weights a checkpoint needs for an exact resume: step, RNG streams, loader position,
// the run's config and its loss history. Saved as trainer_state.json inside the checkpoint's own
// directory, beside model.safetensors and optimizer.safetensors (which carries the same step).
import Foundation
import QuillTensor

public struct LossPoint: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Float
    public init(step: Int, loss: Float) { self.step = step; self.loss = loss }
}

public struct TrainingState: Codable, Equatable {
    public var step: Int
    public var config: TrainingConfig
    public var tokenizer: String
    public var loaderRNG: RandomGenerator
    public var loaderBatches: Int
    public var dropoutRNG: RandomGenerator
    public var trainLosses: [LossPoint]
    public var validationLosses: [LossPoint]
    public var elapsedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case step, config, tokenizer, loaderRNG = "loader_rng", loaderBatches = "loader_batches"
        case dropoutRNG = "dropout_rng", trainLosses = "train_losses", validationLosses = "validation_losses"
        case elapsedSeconds = "elapsed_seconds"
    }
}
