// Typed errors for everything a user controls at the model level: configs, token ids, context.

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    case contextOverflow(needed: Int, contextLength: Int)
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A config field (`field`, in the file's own spelling) disagrees with the checkpoint's tensors.
    case configMismatch(field: String, detail: String)
    case unsupported(String)
    /// A request the model cannot run as given (e.g. an empty sequence to embed).
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid model config: \(m)"
        case .tokenOutOfRange(let id, let v): return "token id \(id) is outside the vocabulary (0..<\(v))"
        case .contextOverflow(let n, let c):
            return "sequence of \(n) tokens exceeds the model's context length of \(c)"
        case .missingTensor(let n): return "checkpoint has no tensor '\(n)'"
        case .shapeMismatch(let n, let e, let f): return "tensor '\(n)' has shape \(f), expected \(e)"
        case .configMismatch(let f, let d): return "config \(f) does not match the weights: \(d)"
        case .unsupported(let m): return "unsupported: \(m)"
        case .invalidInput(let m): return "invalid input: \(m)"
        }
    }
}
