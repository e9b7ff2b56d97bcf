// The one training loop for every family (any TrainableModel: GPT-2, Llama, Mistral, Qwen2):
// minibatches of random windows → OptimizerStep (loss on the tape, backward with accumulation,
// global-norm clipping, AdamW at the scheduled LR); periodic evaluation on the held-out shard and
// atomic checkpoints from which `resume` continues bit-identically.
import Foundation
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor

/// One line of progress, reported after every optimiser step.
public struct TrainingProgress: Sendable {
    public let step: Int            // steps completed
    public let maxSteps: Int
    public let loss: Float          // mean training loss of this step
    public let learningRate: Float
    public let gradientNorm: Float
    public let tokensPerSecond: Double
    public let elapsedSeconds: Double
    public let validationLoss: Float?   // set on evaluation steps
    public var etaSeconds: Double {
        step == 0 ? 0 : elapsedSeconds / Double(step) * Double(maxSteps - step)
    }
}

public final class Trainer {
    public let config: TrainingConfig
    public let model: any TrainableModel
    public let optimizer: AdamW
    public let output: URL
    public private(set) var state: TrainingState
    private var loader: any BatchSource
    private let validation: TokenShard?
    /// SFT runs: the held-out examples, packed (evaluated whole, token-weighted).
    private let validationSFT: SFTLoader?
    private let stepper: OptimizerStep
    /// The data-parallel ranks (one process unless `--distributed mpi`); `config.batchSize` is the
    /// global batch, split evenly over them.
    public let gradients: GradientAllReduce
    public var communicator: any Communicator { gradients.communicator }
    /// LoRA runs: the adapters (the only trained parameters) and their settings.
    public private(set) var adapters: [LoRAAdapter] = []
    public let lora: LoRAConfig?

    /// A fresh run (`resume == false`) or the continuation of the checkpoint in `output`. A fresh run
    /// trains a new GPT of the config's shape (`vocabularySize`, `eosTokenID` from the tokenizer), or,
    /// when `config.model` names one, continues training that model (HF directory or GGUF file).
    public init(config: TrainingConfig, output: URL, tokenizerName: String, vocabularySize: Int,
                eosTokenID: Int?, resume: Bool, communicator: any Communicator = SingleProcess(),
                data: TrainingData = .shards, lora: LoRAConfig? = nil) throws {
        self.lora = lora
        try config.validate()
        guard config.batchSize % communicator.size == 0 else {
            throw TrainingError.invalidConfig("batch_size \(config.batchSize) is the global batch and must divide evenly over \(communicator.size) ranks")
        }
        gradients = GradientAllReduce(communicator: communicator)
        var train: TokenShard?
        switch data {
        case .shards:
            let dataDir = URL(fileURLWithPath: config.data)
            let shard = try TokenShard(url: dataDir.appendingPathComponent("train.bin"))
            train = shard
            validation = try TokenShard(url: dataDir.appendingPathComponent("val.bin"))
            _ = try DataLoader(shard: validation!, batchSize: 1, time: config.sequenceLength, seed: 0)
            validationSFT = nil
        case .sft(_, let held, let pad):
            validation = nil
            validationSFT = try SFTLoader(examples: held, batchSize: config.batchSize, time: config.sequenceLength,
                                          padToken: pad, seed: 0, name: "held-out split")
        }
        self.output = output
        let checkpoint = resume ? try Checkpoint.latestDirectory(in: output) : output
        if resume {
            let saved = try Checkpoint.loadState(from: checkpoint)
            guard saved.config == config else {
                throw TrainingError.checkpoint("\(output.path) was trained with a different config; resume with the same flags/config file")
            }
            self.config = saved.config
            state = saved
            model = try TrainableModels.load(checkpoint)
        } else {
            self.config = config
            if let path = config.model {
                model = try TrainableModels.load(URL(fileURLWithPath: path))
                if communicator.isRoot { try TokenizerFiles.copy(from: URL(fileURLWithPath: path), to: output) }
            } else {
                model = try GPT(config: config.modelConfig(vocabularySize: vocabularySize, eosTokenID: eosTokenID),
                                seed: config.seed)
            }
            state = TrainingState(step: 0, config: config, tokenizer: tokenizerName,
                                  loaderRNG: RandomGenerator(seed: config.seed &+ 1), loaderBatches: 0,
                                  dropoutRNG: RandomGenerator(seed: config.seed &+ 2),
                                  trainLosses: [], validationLosses: [], elapsedSeconds: 0)
        }
        guard config.sequenceLength <= model.contextLength else {
            throw TrainingError.invalidConfig("sequence_length \(config.sequenceLength) is longer than the model's context (\(model.contextLength))")
        }
        for shard in [train, validation].compactMap({ $0 }) {
            let largest = shard.maxToken()
            guard largest < model.vocabularySize else {
                throw TrainingError.invalidConfig("\(shard.path) holds token id \(largest) but the vocabulary has \(model.vocabularySize) ids; prepare the data with the same tokenizer")
            }
        }
        var trained = model.namedParameters
        if let lora {
            guard !resume else { throw TrainingError.invalidConfig("resuming a LoRA run is not supported yet; start it again") }
            guard let llama = model as? Llama else {
                throw TrainingError.invalidConfig("LoRA needs a Llama-family model (llama, mistral, qwen2), got \(model.modelType)")
            }
            adapters = try llama.attachLoRA(lora, seed: config.seed)
            trained = adapters.flatMap(\.namedParameters)
        }
        optimizer = AdamW(parameters: trained,
                          hyperparameters: .init(beta1: config.beta1, beta2: config.beta2, weightDecay: config.weightDecay))
        if resume { try Checkpoint.loadOptimizer(optimizer, from: checkpoint, step: state.step) }
        if !resume { try gradients.broadcastFromRoot(model.namedParameters.map(\.tensor)) }   // one start on every rank
        switch data {
        case .shards:
            loader = try DataLoader(shard: train!, batchSize: config.batchSize, time: config.sequenceLength, seed: 0)
        case .sft(let examples, _, let pad):
            let sft = try SFTLoader(examples: examples, batchSize: config.batchSize, time: config.sequenceLength,
                                    padToken: pad, seed: 0, name: "training split")
            for (name, l) in [("training", sft), ("held-out", validationSFT!)] {
                let largest = max(l.inputs.max() ?? 0, l.targets.max() ?? 0)
                guard largest < model.vocabularySize else {
                    throw TrainingError.invalidConfig("the \(name) examples hold token id \(largest) but the model has \(model.vocabularySize) ids")
                }
            }
            loader = sft
        }
        loader.restore(rng: state.loaderRNG, batchesDrawn: state.loaderBatches)
        let schedule = LearningRateSchedule(maxLearningRate: config.learningRate, minLearningRate: config.minLearningRate,
                                            warmupSteps: config.warmupSteps, decaySteps: config.maxSteps)
        stepper = OptimizerStep(model: model, optimizer: optimizer, schedule: schedule, gradientClip: config.gradientClip,
                                gradients: gradients)
    }

    /// Trains until `maxSteps` (or `stopAfter` more steps, for tests of resume), checkpointing on
    /// the configured interval and at the end.
    public func run(stopAfter: Int? = nil, progress: (TrainingProgress) -> Void = { _ in }) throws {
        let end = min(config.maxSteps, stopAfter.map { state.step + $0 } ?? config.maxSteps)
        let tokensPerStep = Double(config.batchSize * config.sequenceLength * config.gradientAccumulation)
        while state.step < end {
            let started = Date()
            let microbatches = (0..<config.gradientAccumulation).map { _ in loader.next(rank: communicator.rank, of: communicator.size) }
            let result = try stepper.run(microbatches, step: state.step, rng: &state.dropoutRNG)
            let (meanLoss, lr, norm) = (result.loss, result.learningRate, result.gradientNorm)
            state.step += 1
            state.trainLosses.append(LossPoint(step: state.step, loss: meanLoss))
            let seconds = Date().timeIntervalSince(started)
            state.elapsedSeconds += seconds
            var validationLoss: Float?
            if state.step % config.evalInterval == 0 || state.step == config.maxSteps {
                validationLoss = try evaluate()
                state.validationLosses.append(LossPoint(step: state.step, loss: validationLoss!))
            }
            if communicator.isRoot && (state.step % config.checkpointInterval == 0 || state.step == end) {
                try saveCheckpoint()
            }
            progress(TrainingProgress(step: state.step, maxSteps: config.maxSteps, loss: meanLoss, learningRate: lr,
                                      gradientNorm: norm, tokensPerSecond: tokensPerStep / max(seconds, 1e-9),
                                      elapsedSeconds: state.elapsedSeconds, validationLoss: validationLoss))
        }
    }

    /// Mean loss over `evalBatches` held-out batches; the same batches every time (fixed seed).
    public func evaluate() throws -> Float {
        var unused = RandomGenerator(seed: 0)
        if let held = validationSFT {   // every held-out row once; mean over all its assistant targets
            var total = 0.0, counted = 0
            for b in held.sequentialBatches() {
                let n = b.targets.filter { $0 >= 0 }.count
                let loss = model.loss(b.inputs, targets: b.targets, batch: b.batchSize, time: b.time, training: false, rng: &unused)
                total += Double(loss.scalars[0]) * Double(n)
                counted += n
            }
            return Float(total / Double(max(counted, 1)))
        }
        guard let validation else { return 0 }
        var val = try DataLoader(shard: validation, batchSize: config.batchSize, time: config.sequenceLength,
                                 seed: config.seed &+ 3)
        var total: Float = 0
        for _ in 0..<config.evalBatches {
            let b = val.next()
            total += model.loss(b.inputs, targets: b.targets, batch: b.batchSize, time: b.time, training: false,
                                rng: &unused).scalars[0]
        }
        return total / Float(config.evalBatches)
    }

    /// Writes a complete checkpoint (weights, optimizer moments, state) as one atomic step under
    /// `output/checkpoints/`, then refreshes the model files and loss curve at the top of `output`
    /// (so the folder loads as a model directory; resume reads only the checkpoint).
    public func saveCheckpoint() throws {
        state.loaderRNG = loader.rng
        state.loaderBatches = loader.batchesDrawn
        if let lora {   // the adapter alone, in PEFT's format (the base is unchanged)
            try LoRAFiles.save(adapters, config: lora, baseModel: config.model ?? "", to: output)
            return try LossCurve.writeSVG(train: state.trainLosses, validation: state.validationLosses,
                                          to: output.appendingPathComponent("loss_curve.svg"))
        }
        try Checkpoint.save(model: model, optimizer: optimizer, state: state, to: output)
        try model.save(directory: output, dtype: .f32)
        try LossCurve.writeSVG(train: state.trainLosses, validation: state.validationLosses,
                               to: output.appendingPathComponent("loss_curve.svg"))
    }
}
