// Upper bounds on every size a model file declares (config.json keys, GGUF hyperparameters), checked
// before anything is allocated: far above any released model, far below what would overflow an Int
// product or ask the allocator for terabytes. A file past them is refused with a typed error naming
// the field; sizes within them are then checked against the tensors the file actually holds.
enum ModelLimits {
    /// Decoder/encoder layers (the largest released models have ~130).
    static let layers = 1 << 12
    /// Residual width, MLP width, head size, projection widths (released models: ≤ 53,248).
    static let width = 1 << 20
    /// Attention heads (query or key/value) per layer.
    static let heads = 1 << 12
    /// Token ids (released vocabularies: ≤ 262,144).
    static let vocabulary = 1 << 24
    /// Positions a model may declare (released contexts: ≤ 10M; Quill sizes its caches by the request).
    static let context = 1 << 24
    /// BERT token types (segments).
    static let tokenTypes = 1 << 16

    /// `value` for `field` when it is in 1...limit, else `ModelError.invalidConfig` naming the field.
    @discardableResult
    static func check(_ value: Int, _ field: String, limit: Int) throws -> Int {
        guard value > 0 else { throw ModelError.invalidConfig("\(field) must be positive, got \(value)") }
        guard value <= limit else {
            throw ModelError.invalidConfig("\(field) is \(value), more than Quill accepts (\(limit)); the file is damaged or not a model Quill runs")
        }
        return value
    }
}
