// Learning-rate schedule used by GPT-style training: linear warmup, then cosine decay to a floor
// (as in the GPT-3 paper and nanoGPT's get_lr).
import Foundation

public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var maxLearningRate: Float
    public var minLearningRate: Float
    public var warmupSteps: Int
    public var decaySteps: Int

    public init(maxLearningRate: Float, minLearningRate: Float, warmupSteps: Int, decaySteps: Int) {
        self.maxLearningRate = maxLearningRate
        self.minLearningRate = minLearningRate
        self.warmupSteps = warmupSteps
        self.decaySteps = decaySteps
    }

    /// Learning rate for 0-based `step`.
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps {
            return maxLearningRate * Float(step + 1) / Float(warmupSteps)
        }
        if step >= decaySteps { return minLearningRate }
        let progress = Double(step - warmupSteps) / Double(max(1, decaySteps - warmupSteps))
        let coefficient = 0.5 * (1 + cos(Double.pi * progress))
        return minLearningRate + Float(coefficient) * (maxLearningRate - minLearningRate)
    }
}
