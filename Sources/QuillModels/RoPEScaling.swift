// Rotary-embedding frequency tables for Llama-family configs: the default θ^(-2i/d), the rope_scaling
// variants of Hugging Face's modeling_rope_utils (linear, dynamic NTK, llama3), and GGUF's per-dimension
// divisors (`rope_freqs.weight`, how llama.cpp stores llama3 scaling). Every variant only changes the
// inverse frequencies that QuillTensor's `rope` op turns by.
import Foundation

/// A config.json `rope_scaling` entry. `nil` in the config (or `"rope_type": "default"`) means none.
public enum RoPEScaling: Equatable, Sendable {
    /// Position interpolation (Chen et al. 2023): every frequency divided by `factor`.
    case linear(factor: Double)
    /// Dynamic NTK: once the sequence passes `originalContextLength`, θ grows with its length.
    case dynamic(factor: Double, originalContextLength: Int)
    /// Llama 3.1: long wavelengths divided by `factor`, short ones kept, the band between blended.
    case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContextLength: Int)
    /// One divisor per frequency (headSize/2), as GGUF's `rope_freqs.weight` stores them and ggml's rope
    /// applies them (θ_i / factor_i): llama3 scaling after llama.cpp's converter, or any such table.
    case frequencyFactors([Double])

    /// headSize/2 inverse frequencies for a sequence of `length` positions (only dynamic NTK
    /// depends on it). `theta` is rope_theta; `contextLength` is max_position_embeddings.
    public static func inverseFrequencies(headSize: Int, theta: Double, scaling: RoPEScaling?,
                                          contextLength: Int, length: Int) -> [Double] {
        let d = Double(headSize)
        func base(_ theta: Double) -> [Double] {
            (0..<headSize / 2).map { 1 / pow(theta, Double(2 * $0) / d) }
        }
        switch scaling {
        case nil:
            return base(theta)
        case .linear(let factor):
            return base(theta).map { $0 / factor }
        case .dynamic(let factor, let original):
            guard length > original else { return base(theta) }
            let grown = theta * pow(factor * Double(length) / Double(original) - (factor - 1), d / (d - 2))
            return base(grown)
        case .llama3(let factor, let low, let high, let original):
            let lowWavelength = Double(original) / low, highWavelength = Double(original) / high
            return base(theta).map { f in
                let wavelength = 2 * Double.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / factor }
                let smooth = (Double(original) / wavelength - low) / (high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        case .frequencyFactors(let factors):
            precondition(factors.count == headSize / 2, "RoPEScaling: \(factors.count) frequency factors for head size \(headSize)")
            return zip(base(theta), factors).map { $0 / $1 }
        }
    }

    /// The divisors GGUF stores as `rope_freqs.weight` for this scaling (nil: none is stored), such that
    /// default frequency i / factor i is this scaling's frequency i. llama3 is written this way by
    /// llama.cpp's converter (there is no `rope.scaling.type` for it); linear is a metadata key instead.
    public func ggufFrequencyFactors(headSize: Int, theta: Double) -> [Double]? {
        switch self {
        case .linear, .dynamic: return nil
        case .frequencyFactors(let factors): return factors
        case .llama3:
            let base = Self.inverseFrequencies(headSize: headSize, theta: theta, scaling: nil, contextLength: 1, length: 1)
            let scaled = Self.inverseFrequencies(headSize: headSize, theta: theta, scaling: self, contextLength: 1, length: 1)
            return zip(base, scaled).map { $0 / $1 }
        }
    }
}

extension RoPEScaling: Codable {
    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type", type, factor
        case lowFrequencyFactor = "low_freq_factor", highFrequencyFactor = "high_freq_factor"
        case originalContextLength = "original_max_position_embeddings"
    }

    /// Decodes a rope_scaling object; throws `ModelError.unsupported` for kinds Quill lacks (yarn, longrope, ...).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decode(String.self, forKey: .type)
        func factor() throws -> Double {
            let f = try c.decode(Double.self, forKey: .factor)
            guard f >= 1 else { throw ModelError.invalidConfig("rope_scaling.factor must be ≥ 1, got \(f)") }
            return f
        }
        switch kind {
        case "linear":
            self = .linear(factor: try factor())
        case "dynamic":
            // HF falls back to max_position_embeddings; the config decoder fills it in when absent.
            self = .dynamic(factor: try factor(),
                            originalContextLength: try c.decodeIfPresent(Int.self, forKey: .originalContextLength) ?? 0)
        case "llama3":
            let low = try c.decode(Double.self, forKey: .lowFrequencyFactor)
            let high = try c.decode(Double.self, forKey: .highFrequencyFactor)
            guard high > low else { throw ModelError.invalidConfig("rope_scaling: high_freq_factor must exceed low_freq_factor") }
            self = .llama3(factor: try factor(), lowFrequencyFactor: low, highFrequencyFactor: high,
                           originalContextLength: try c.decode(Int.self, forKey: .originalContextLength))
        default:
            throw ModelError.unsupported("rope_scaling type '\(kind)' (Quill supports linear, dynamic and llama3)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .linear(let factor):
            try c.encode("linear", forKey: .ropeType)
            try c.encode(factor, forKey: .factor)
        case .dynamic(let factor, let original):
            try c.encode("dynamic", forKey: .ropeType)
            try c.encode(factor, forKey: .factor)
            try c.encode(original, forKey: .originalContextLength)
        case .llama3(let factor, let low, let high, let original):
            try c.encode("llama3", forKey: .ropeType)
            try c.encode(factor, forKey: .factor)
            try c.encode(low, forKey: .lowFrequencyFactor)
            try c.encode(high, forKey: .highFrequencyFactor)
            try c.encode(original, forKey: .originalContextLength)
        case .frequencyFactors:
            // transformers knows no such rope_type; writing one would give a config it refuses.
            throw ModelError.unsupported("rope scaling given as per-dimension frequency factors (GGUF rope_freqs.weight) "
                + "has no config.json form; keep the model as GGUF")
        }
    }
}
