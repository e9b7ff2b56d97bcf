// `quill finetune`: supervised fine-tuning of a Llama-family or GPT model on chat JSONL rows
// ({"messages": [...]}) rendered through the model's own chat template (QuillAssistant's ChatFormat),
// with the loss on assistant tokens only, short examples packed into rows of --sequence-length, a
// held-out split for eval loss, and the Trainer's checkpoints and exact --resume.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillModels
import QuillTensor
import QuillTraining

struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a model on chat JSONL (assistant-only loss, packed examples, held-out eval).",
        discussion: """
        Each line of --data is {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", ...}]};
        a bad line is an error naming it. Rows are shuffled by --seed and the last --validation-fraction
        (at least one row) is held out for eval loss. The output folder is an HF model directory with
        checkpoints/step-N, as `quill train`.
        Example:
          quill finetune --model .assets/SmolLM2-135M-Instruct.Q4_1.gguf --data chat.jsonl --method full \\
            --batch-size 4 --sequence-length 256 --max-steps 100 --learning-rate 2e-5 --output runs/sft
        """)

    @Option(help: "Model to fine-tune: an HF directory (gpt2, llama, mistral, qwen2) or a .gguf file.") var model: String
    @Option(help: "Chat JSONL file, one {\"messages\": [...]} row per line.") var data: String
    @Option(help: "full (every weight trains) or lora (adapters only, saved in PEFT's format).") var method = "full"
    @Option(name: .customLong("lora-r"), help: "LoRA rank.") var loraR = 8
    @Option(name: .customLong("lora-alpha"), help: "LoRA alpha (scale alpha/r, or alpha/sqrt(r) with --rslora).") var loraAlpha: Float = 16
    @Option(name: .customLong("lora-targets"), help: "Comma-separated modules: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj.")
    var loraTargets = "q_proj,v_proj"
    @Option(name: .customLong("lora-dropout"), help: "Dropout on the adapters' input (only 0 is supported yet).") var loraDropout: Float = 0
    @Flag(help: "Rank-stabilised LoRA scale alpha/sqrt(r).") var rslora = false
    @Option(help: "Output (checkpoint) folder.") var output: String
    @Flag(help: "Continue the checkpoint in --output exactly where it stopped.") var resume = false
    @Option(name: .customLong("validation-fraction")) var validationFraction = 0.1
    @Option(name: .customLong("batch-size")) var batchSize = 4
    @Option(name: .customLong("sequence-length")) var sequenceLength = 256
    @Option(name: .customLong("gradient-accumulation")) var gradientAccumulation = 1
    @Option(name: .customLong("max-steps")) var maxSteps = 100
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 2e-5
    @Option(name: .customLong("min-learning-rate")) var minLearningRate: Float = 2e-6
    @Option(name: .customLong("warmup-steps")) var warmupSteps = 10
    @Option(name: .customLong("weight-decay")) var weightDecay: Float = 0
    @Option(name: .customLong("gradient-clip")) var gradientClip: Float = 1
    @Option(name: .customLong("eval-interval")) var evalInterval = 25
    @Option(name: .customLong("checkpoint-interval")) var checkpointInterval = 100
    @Option var seed: UInt64 = 1337
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func config() -> TrainingConfig {
        var c = TrainingConfig()
        c.model = model; c.data = data; c.batchSize = batchSize; c.sequenceLength = sequenceLength
        c.gradientAccumulation = gradientAccumulation; c.maxSteps = maxSteps; c.learningRate = learningRate
        c.minLearningRate = minLearningRate; c.warmupSteps = warmupSteps; c.weightDecay = weightDecay
        c.gradientClip = gradientClip; c.evalInterval = evalInterval; c.checkpointInterval = checkpointInterval
        c.seed = seed; c.dropout = 0
        return c
    }

    /// The rows rendered with the model's chat template, split into (train, held-out) by a seeded shuffle.
    func examples() throws -> (train: [SFTExample], validation: [SFTExample], pad: Int32) {
        guard method == "full" || method == "lora" else { throw CommandError("--method must be full or lora, got '\(method)'") }
        guard loraDropout == 0 else { throw CommandError("--lora-dropout \(loraDropout): only 0 is supported yet") }
        guard validationFraction > 0 && validationFraction < 1 else {
            throw CommandError("--validation-fraction must be between 0 and 1, got \(validationFraction)")
        }
        let rows = try SFTConversations.read(URL(fileURLWithPath: data))
        guard rows.count >= 2 else { throw CommandError("\(data) has \(rows.count) row; fine-tuning needs at least 2 (one held out)") }
        let loaded = try ModelRegistry.loadForGeneration(path: URL(fileURLWithPath: model))
        let format = ChatFormat(model: loaded)
        var examples: [SFTExample] = []
        for (i, row) in rows.enumerated() {
            let messages = row.map { ChatMessage(role: $0.role, content: $0.content) }
            if let bad = messages.firstIndex(where: { !ChatFormat.roles.contains($0.role) }) {
                throw CommandError("\(data) row \(i + 1): messages[\(bad)] has role '\(messages[bad].role)'; expected \(ChatFormat.roles.sorted().joined(separator: ", "))")
            }
            examples.append(try SFTConversations.example(row, name: "\(data) row \(i + 1)") { count, prompt in
                var options = format.options
                options.addGenerationPrompt = prompt
                let encoder = ChatPromptEncoder(template: format.template, tokenizer: format.tokenizer, options: options)
                do { return try encoder.encode(Array(messages.prefix(count))).tokens.map(Int32.init) } catch {
                    throw CommandError("\(data) row \(i + 1): \(error)")
                }
            })
        }
        var rng = RandomGenerator(seed: seed)
        for i in stride(from: examples.count - 1, to: 0, by: -1) { examples.swapAt(i, rng.nextInt(below: i + 1)) }
        let held = max(1, Int((Double(examples.count) * validationFraction).rounded()))
        let pad = Int32(loaded.tokenizer.endOfTextID ?? 0)
        return (Array(examples.dropLast(held)), Array(examples.suffix(held)), pad)
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            let c = config()
            let (train, validation, pad) = try examples()
            let trained = train.map(\.trainedTargets).reduce(0, +)
            print("\(train.count) training rows (\(trained) assistant tokens), \(validation.count) held out")
            let cut = (train + validation).filter { !$0.lossMask.prefix(sequenceLength + 1).dropFirst().contains(true) }.count
            if cut > 0 {
                FileHandle.standardError.write(Data("quill: \(cut) rows have no assistant token within --sequence-length \(sequenceLength) and are skipped\n".utf8))
            }
            let trainer = try Trainer(config: c, output: URL(fileURLWithPath: output), tokenizerName: model,
                                      vocabularySize: 0, eosTokenID: nil, resume: resume,
                                      data: .sft(train: train, validation: validation, padToken: pad),
                                      lora: method == "lora" ? LoRAConfig(rank: loraR, alpha: loraAlpha,
                                          targets: loraTargets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                          rsLoRA: rslora) : nil)
            if !trainer.adapters.isEmpty {
                print("LoRA: \(trainer.adapters.count) adapters, \(trainer.adapters.flatMap(\.namedParameters).reduce(0) { $0 + $1.tensor.count }) trained parameters")
            }
            print("fine-tuning \(trainer.model.modelType), \(trainer.model.parameterCount) parameters, step \(trainer.state.step) → \(c.maxSteps)")
            if trainer.state.step == 0 { print(String(format: "held-out loss before: %.4f", try trainer.evaluate())) }
            try trainer.runShowingProgress(heldOut: "held-out")
            let last = trainer.state.validationLosses.last.map { String(format: "%.4f", $0.loss) } ?? "n/a"
            let saved = trainer.adapters.isEmpty ? "model and checkpoints" : "PEFT adapter (adapter_config.json, adapter_model.safetensors)"
            print("done: step \(trainer.state.step), held-out loss \(last); \(saved) in \(output)")
        }
    }
}
