// Sentence embeddings as sentence-transformers computes them: modules.json names the Transformer
// (its folder), a Pooling module (1_Pooling/config.json: mean, CLS, max or mean·√len over the
// attention mask) and optionally Normalize (L2). Batches are sorted by length to keep padding small.
import Foundation
import QuillFormats
import QuillTensor

/// Runs a BERT encoder over token-id sequences and pools each into one vector.
///
/// ```swift
/// let embedder = try SentenceEmbedder.load(directory: URL(fileURLWithPath: ".assets/all-MiniLM-L6-v2"))
/// let vectors = try embedder.embed([[101, 7592, 2088, 102], [101, 2129, 2024, 2017, 102]])  // 2 × 384
/// ```
public final class SentenceEmbedder {
    /// How token vectors become one sentence vector (sentence-transformers' pooling modes).
    public enum Pooling: String, Sendable {
        /// Average over the real (unmasked) tokens.
        case mean
        /// The first token's vector ([CLS]).
        case cls
        /// Elementwise maximum over the real tokens.
        case max
        /// Sum over the real tokens divided by √length.
        case meanSqrtLength
    }

    public let model: BERT
    public let pooling: Pooling
    /// Whether vectors are scaled to unit L2 norm (a Normalize module in modules.json).
    public let normalize: Bool
    /// Sequences per forward pass.
    public var batchSize: Int

    /// Length of each embedding.
    public var dimension: Int { model.config.hiddenSize }
    /// Longest id sequence accepted (callers truncate, e.g. the tokenizer at 512 with [SEP] kept).
    public var maximumLength: Int { model.config.maxPositionEmbeddings }

    public init(model: BERT, pooling: Pooling = .mean, normalize: Bool = true, batchSize: Int = 32) {
        self.model = model
        self.pooling = pooling
        self.normalize = normalize
        self.batchSize = max(1, batchSize)
    }

    /// Loads a sentence-transformers directory. Without modules.json the directory is a plain BERT
    /// model and pooling defaults to mean without normalisation, as sentence-transformers does.
    public static func load(directory: URL, batchSize: Int = 32) throws -> SentenceEmbedder {
        let modulesURL = directory.appendingPathComponent("modules.json")
        guard let data = FileManager.default.contents(atPath: modulesURL.path) else {
            return SentenceEmbedder(model: try BERT.load(directory: directory), pooling: .mean, normalize: false,
                                    batchSize: batchSize)
        }
        let modules = try json(data, modulesURL).arrayValue ?? []
        func path(of kind: String) -> String? {
            modules.first { $0["type"]?.stringValue?.hasSuffix("models.\(kind)") == true }.map { $0["path"]?.stringValue ?? "" }
        }
        guard let transformer = path(of: "Transformer") else {
            throw ModelError.invalidConfig("\(modulesURL.path) lists no sentence_transformers.models.Transformer")
        }
        let model = try BERT.load(directory: transformer.isEmpty ? directory : directory.appendingPathComponent(transformer))
        var pooling = Pooling.mean
        if let poolingPath = path(of: "Pooling") {
            let url = directory.appendingPathComponent(poolingPath).appendingPathComponent("config.json")
            guard let poolingData = FileManager.default.contents(atPath: url.path) else {
                throw ModelError.invalidConfig("\(url.path) is missing or unreadable")
            }
            pooling = try Self.pooling(from: json(poolingData, url), url)
        }
        return SentenceEmbedder(model: model, pooling: pooling, normalize: path(of: "Normalize") != nil, batchSize: batchSize)
    }

    /// One vector per sequence, in input order. Sequences are sorted by length and cut into batches
    /// of at most `batchSize`, starting a new batch before padding would double a batch's token count.
    public func embed(_ sequences: [[Int]]) throws -> [[Float]] {
        var result = [[Float]](repeating: [], count: sequences.count)
        func run(_ members: [Int]) throws {
            for (i, vector) in try embedBatch(members.map { sequences[$0] }).enumerated() { result[members[i]] = vector }
        }
        var members: [Int] = [], tokens = 0
        for index in sequences.indices.sorted(by: { sequences[$0].count < sequences[$1].count }) {
            let n = sequences[index].count
            if !members.isEmpty && (members.count == batchSize || (members.count + 1) * n > 2 * (tokens + n)) {
                try run(members)
                members = []
                tokens = 0
            }
            members.append(index)
            tokens += n
        }
        if !members.isEmpty { try run(members) }
        return result
    }

    /// One padded forward pass over `batch`, then pooling (and normalisation) per sequence.
    public func embedBatch(_ batch: [[Int]]) throws -> [[Float]] {
        let states = try model.hiddenStates(batch)                            // (B·T, C)
        let T = batch.map(\.count).max() ?? 0, C = dimension
        return batch.enumerated().map { b, sequence in
            let rows = states.data + b * T * C, n = sequence.count
            var v = [Float](repeating: pooling == .max ? -.infinity : 0, count: C)
            switch pooling {
            case .cls:
                for j in 0..<C { v[j] = rows[j] }
            case .max:
                for t in 0..<n { for j in 0..<C { v[j] = Swift.max(v[j], rows[t * C + j]) } }
            case .mean, .meanSqrtLength:
                var sum = [Double](repeating: 0, count: C)
                for t in 0..<n { for j in 0..<C { sum[j] += Double(rows[t * C + j]) } }
                let divisor = pooling == .mean ? Double(n) : Double(n).squareRoot()
                v = sum.map { Float($0 / divisor) }
            }
            if normalize {
                let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                let scale = Float(1 / Swift.max(norm, 1e-12))
                v = v.map { $0 * scale }
            }
            return v
        }
    }

    /// The one pooling mode a 1_Pooling/config.json enables.
    static func pooling(from config: JSONValue, _ url: URL) throws -> Pooling {
        let modes: [(String, Pooling)] = [("pooling_mode_mean_tokens", .mean), ("pooling_mode_cls_token", .cls),
                                          ("pooling_mode_max_tokens", .max), ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLength)]
        let enabled = modes.filter { config[$0.0]?.boolValue == true }
        guard enabled.count == 1 else {
            throw ModelError.unsupported("\(url.path) enables \(enabled.map(\.0)); Quill supports exactly one pooling mode")
        }
        return enabled[0].1
    }
}

/// Parses JSON with a typed error naming the file.
private func json(_ data: Data, _ url: URL) throws -> JSONValue {
    do { return try JSONValue(parsing: data) } catch {
        throw ModelError.invalidConfig("\(url.path) is not valid JSON: \(error)")
    }
}
