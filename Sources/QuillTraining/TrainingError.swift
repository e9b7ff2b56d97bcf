// Typed errors for training inputs: configs, data and checkpoints.

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case dataTooSmall(path: String, tokens: Int, needed: Int)
    case checkpoint(String)
    /// A fine-tuning data file's row is unusable (the message names the file and line).
    case invalidData(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid training config: \(m)"
        case .dataTooSmall(let p, let t, let n): return "\(p): only \(t) tokens, need at least \(n) for one window"
        case .checkpoint(let m): return "checkpoint: \(m)"
        case .invalidData(let m): return "invalid fine-tuning data: \(m)"
        }
    }
}
