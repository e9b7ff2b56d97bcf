// Everything a training run needs, as one Codable struct: read from a JSON file or a flat YAML
// file (`key: value` lines), overridden by CLI flags, and saved in the checkpoint for --resume.
import Foundation
import QuillModels

public struct TrainingConfig: Codable, Equatable, Sendable {
    /// A model to continue training (HF directory or .gguf: GPT-2 or Llama family); nil trains a new
    /// GPT of the shape below (its vocabulary size comes from the tokenizer).
    public var model: String?
    // New GPT's shape (ignored when `model` is set)
    public var nLayer = 4
    public var nHead = 4
    public var nEmbd = 128
    public var contextLength = 256
    public var dropout: Float = 0
    public var bias = true
    // Data
    public var data = "data/shakespeare"        // folder with train.bin and val.bin
    public var batchSize = 8
    public var sequenceLength = 256             // T per sample, ≤ contextLength
    public var gradientAccumulation = 1
    // Optimisation
    public var maxSteps = 1000
    public var learningRate: Float = 1e-3
    public var minLearningRate: Float = 1e-4
    public var warmupSteps = 100
    public var weightDecay: Float = 0.1
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var gradientClip: Float = 1.0
    // Bookkeeping
    public var evalInterval = 100
    public var evalBatches = 20
    public var checkpointInterval = 500
    public var seed: UInt64 = 1337

    public init() {}

    /// Checks ranges and relations between fields; throws naming the first bad one.
    public func validate() throws {
        func bad(_ m: String) -> TrainingError { .invalidConfig(m) }
        if batchSize < 1 { throw bad("batch_size must be ≥ 1, got \(batchSize)") }
        // A given model's own context is checked once it is loaded (Trainer).
        if sequenceLength < 1 || (model == nil && sequenceLength > contextLength) {
            throw bad("sequence_length must be in 1...context_length (\(contextLength)), got \(sequenceLength)")
        }
        if gradientAccumulation < 1 { throw bad("gradient_accumulation must be ≥ 1") }
        if maxSteps < 0 { throw bad("max_steps must be ≥ 0") }
        if !(learningRate > 0) || minLearningRate < 0 { throw bad("learning rates must be positive") }
        if warmupSteps < 0 { throw bad("warmup_steps must be ≥ 0") }
        if evalInterval < 1 || checkpointInterval < 1 || evalBatches < 1 {
            throw bad("eval_interval, eval_batches and checkpoint_interval must be ≥ 1")
        }
        if !(0..<1).contains(beta1) || !(0..<1).contains(beta2) { throw bad("betas must be in [0, 1)") }
    }

    /// The GPT configuration this run trains.
    public func modelConfig(vocabularySize: Int, eosTokenID: Int?) -> GPTConfig {
        GPTConfig(nLayer: nLayer, nHead: nHead, nEmbd: nEmbd, contextLength: contextLength,
                  vocabularySize: vocabularySize, dropout: dropout, bias: bias, eosTokenID: eosTokenID)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model
        case nLayer = "n_layer", nHead = "n_head", nEmbd = "n_embd", contextLength = "context_length"
        case dropout, bias, data, batchSize = "batch_size", sequenceLength = "sequence_length"
        case gradientAccumulation = "gradient_accumulation", maxSteps = "max_steps"
        case learningRate = "learning_rate", minLearningRate = "min_learning_rate"
        case warmupSteps = "warmup_steps", weightDecay = "weight_decay", beta1, beta2
        case gradientClip = "gradient_clip", evalInterval = "eval_interval", evalBatches = "eval_batches"
        case checkpointInterval = "checkpoint_interval", seed
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = TrainingConfig()
        func read<T: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<TrainingConfig, T>) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { d[keyPath: path] = v }
        }
        if let m = try c.decodeIfPresent(String.self, forKey: .model) { d.model = m }
        try read(.nLayer, \.nLayer); try read(.nHead, \.nHead); try read(.nEmbd, \.nEmbd)
        try read(.contextLength, \.contextLength); try read(.dropout, \.dropout); try read(.bias, \.bias)
        try read(.data, \.data); try read(.batchSize, \.batchSize); try read(.sequenceLength, \.sequenceLength)
        try read(.gradientAccumulation, \.gradientAccumulation); try read(.maxSteps, \.maxSteps)
        try read(.learningRate, \.learningRate); try read(.minLearningRate, \.minLearningRate)
        try read(.warmupSteps, \.warmupSteps); try read(.weightDecay, \.weightDecay)
        try read(.beta1, \.beta1); try read(.beta2, \.beta2); try read(.gradientClip, \.gradientClip)
        try read(.evalInterval, \.evalInterval); try read(.evalBatches, \.evalBatches)
        try read(.checkpointInterval, \.checkpointInterval); try read(.seed, \.seed)
        self = d
    }

    /// Loads a `.json` file, or a flat YAML file of `key: value` lines (`#` comments allowed).
    public static func load(url: URL) throws -> TrainingConfig {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.invalidConfig("cannot read \(url.path)")
        }
        let json: Data
        if url.pathExtension.lowercased() == "json" {
            json = data
        } else {
            json = try flatYAMLToJSON(String(decoding: data, as: UTF8.self), path: url.path)
        }
        do { return try JSONDecoder().decode(TrainingConfig.self, from: json) } catch {
            throw TrainingError.invalidConfig("\(url.path): \(error)")
        }
    }

    /// Converts `key: value` lines into a JSON object, rejecting unknown keys and nesting.
    static func flatYAMLToJSON(_ text: String, path: String) throws -> Data {
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        var object: [String: Any] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw TrainingError.invalidConfig("\(path):\(n + 1): expected 'key: value'")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard known.contains(key) else { throw TrainingError.invalidConfig("\(path):\(n + 1): unknown key '\(key)'") }
            if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()); object[key] = value; continue }
            if let i = Int(value) { object[key] = i }
            else if let d = Double(value) { object[key] = d }
            else if value == "true" || value == "false" { object[key] = value == "true" }
            else { object[key] = value }
        }
        return try JSONSerialization.data(withJSONObject: object)
    }
}
