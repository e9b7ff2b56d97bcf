// `quill train`: train a new GPT, or continue a GPT-2 / Llama-family model (--model), on prepared
// shards from a JSON/YAML config and/or flags, with a progress bar (step, loss, lr, tokens/s, ETA),
// periodic eval, checkpoints and --resume.
import ArgumentParser
import Foundation
import QuillFormats
import QuillTensor
import QuillTokenizer
import QuillTraining

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a GPT, or continue a Llama-family model, on token shards (next-token prediction).",
        discussion: """
        Flags override the config file; the output folder is a Hugging Face model directory plus
        loss_curve.svg and checkpoints/step-N (model, optimizer.safetensors, trainer_state.json; each
        written whole and renamed into place, so a crash never leaves a mixed checkpoint).
        Example:
          quill train --config Models/shakespeare-gpt/train.yaml --output runs/shakespeare
          quill train --data data/shakespeare --n-layer 4 --n-embd 128 --max-steps 2000 --output runs/small
          quill train --config Models/shakespeare-gpt/train.yaml --output runs/shakespeare --resume
          quill train --config Models/shakespeare-gpt/train.yaml --output runs/shakespeare --export Models/shakespeare-gpt
          quill train --model .assets/SmolLM2-135M-Instruct.Q4_1.gguf --data data/smol --batch-size 1 \\
            --sequence-length 64 --max-steps 20 --learning-rate 1e-5 --output runs/smol
        With --model (an HF directory or a .gguf, dequantized to F32) the data must be tokenized with that
        model's tokenizer (quill data prepare --tokenizer MODEL); the --n-* shape flags are ignored.
        """)

    @Option(help: "JSON or flat YAML training config.") var config: String?
    @Option(help: "Output (checkpoint) folder.") var output: String
    @Flag(help: "Continue the checkpoint in --output exactly where it stopped.") var resume = false
    @Option(help: "Folder with train.bin and val.bin.") var data: String?
    @Option(help: "Model to continue training: an HF directory (gpt2, llama, mistral, qwen2) or a .gguf file.")
    var model: String?
    @Option(name: .customLong("n-layer")) var nLayer: Int?
    @Option(name: .customLong("n-head")) var nHead: Int?
    @Option(name: .customLong("n-embd")) var nEmbd: Int?
    @Option(name: .customLong("context-length")) var contextLength: Int?
    @Option var dropout: Float?
    @Option(name: .customLong("batch-size")) var batchSize: Int?
    @Option(name: .customLong("sequence-length")) var sequenceLength: Int?
    @Option(name: .customLong("gradient-accumulation")) var gradientAccumulation: Int?
    @Option(name: .customLong("max-steps")) var maxSteps: Int?
    @Option(name: .customLong("learning-rate")) var learningRate: Float?
    @Option(name: .customLong("min-learning-rate")) var minLearningRate: Float?
    @Option(name: .customLong("warmup-steps")) var warmupSteps: Int?
    @Option(name: .customLong("weight-decay")) var weightDecay: Float?
    @Option(name: .customLong("gradient-clip")) var gradientClip: Float?
    @Option(name: .customLong("eval-interval")) var evalInterval: Int?
    @Option(name: .customLong("checkpoint-interval")) var checkpointInterval: Int?
    @Option var seed: UInt64?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "none, or mpi for data parallelism over `mpirun -np N quill train …` (--batch-size is the global batch).")
    var distributed = "none"
    @Option(help: "After training, also write the model (HF files only) to this folder.") var export: String?
    @Option(name: .customLong("export-dtype"), help: "Storage type of the exported weights: f32, f16 or bf16.")
    var exportDtype: String = "f16"

    func resolvedConfig() throws -> TrainingConfig {
        var c = try config.map { try TrainingConfig.load(url: URL(fileURLWithPath: $0)) } ?? TrainingConfig()
        func set<T>(_ v: T?, _ k: WritableKeyPath<TrainingConfig, T>) { if let v { c[keyPath: k] = v } }
        if let model { c.model = model }
        set(data, \.data); set(nLayer, \.nLayer); set(nHead, \.nHead); set(nEmbd, \.nEmbd)
        set(contextLength, \.contextLength); set(dropout, \.dropout); set(batchSize, \.batchSize)
        set(sequenceLength, \.sequenceLength); set(gradientAccumulation, \.gradientAccumulation)
        set(maxSteps, \.maxSteps); set(learningRate, \.learningRate); set(minLearningRate, \.minLearningRate)
        set(warmupSteps, \.warmupSteps); set(weightDecay, \.weightDecay); set(gradientClip, \.gradientClip)
        set(evalInterval, \.evalInterval); set(checkpointInterval, \.checkpointInterval); set(seed, \.seed)
        return c
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            let c = try resolvedConfig()
            // Checked before training so a typo does not surface after an hour of work.
            guard let dtype = SafetensorsDType(rawValue: exportDtype.uppercased()), [.f32, .f16, .bf16].contains(dtype) else {
                throw CommandError("--export-dtype must be f32, f16 or bf16, got '\(exportDtype)'")
            }
            let tok = ByteTokenizer()
            let communicator = try Distributed.communicator(distributed)
            let trainer = try Trainer(config: c, output: URL(fileURLWithPath: output), tokenizerName: c.model ?? "bytes",
                                      vocabularySize: tok.vocabularySize, eosTokenID: tok.endOfTextID, resume: resume,
                                      communicator: communicator)
            // Every rank trains; rank 0 alone reports, checkpoints and exports.
            guard communicator.isRoot else { return try trainer.run() }
            let ranks = communicator.size > 1 ? ", \(communicator.size) ranks × batch \(c.batchSize / communicator.size)" : ""
            print("training \(trainer.model.modelType), \(trainer.model.parameterCount) parameters, step \(trainer.state.step) → \(c.maxSteps)\(ranks)")
            try trainer.runShowingProgress(heldOut: "val")
            if let export {
                try trainer.model.save(directory: URL(fileURLWithPath: export), dtype: dtype)
                print("exported \(exportDtype) model to \(export)")
            }
            let last = trainer.state.validationLosses.last.map { String(format: "%.4f", $0.loss) } ?? "n/a"
            print("done: step \(trainer.state.step), val loss \(last), \(ProgressBar.duration(trainer.state.elapsedSeconds)) of training; checkpoint in \(output)")
            if communicator.size > 1 {
                print(String(format: "allreduce: %.2f s of %.2f s of training steps", trainer.gradients.seconds, trainer.state.elapsedSeconds))
            }
        }
    }
}
