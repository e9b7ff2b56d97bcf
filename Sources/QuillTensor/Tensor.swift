// The float32 tensor: a shape over contiguous row-major storage, plus an optional gradient.
// Ops (Tensor+*.swift) treat the last dimension as channels and flatten the leading ones,
// as llm.c does, so most code never needs strided views.
import Foundation

/// A dense float32 tensor. Reference type: layers hold their parameters, the tape holds activations.
public final class Tensor {
    /// Dimensions, outermost first. A scalar is `[1]`.
    public let shape: [Int]
    public let storage: TensorStorage
    /// When true, ops recorded on a `GradientTape` propagate gradients into `grad`.
    public var requiresGrad: Bool
    /// Accumulated gradient, same shape; created on first use in backward.
    public var grad: Tensor?
    /// Optional name (checkpoint key for parameters; helps error messages).
    public var name: String?

    public var count: Int { storage.count }
    public var data: UnsafeMutablePointer<Float> { storage.pointer }
    /// Size of the last dimension.
    public var lastDimension: Int { shape.last ?? 1 }
    /// Product of all but the last dimension.
    public var rows: Int { lastDimension == 0 ? 0 : count / lastDimension }

    /// A zero-filled tensor.
    public init(zeros shape: [Int], requiresGrad: Bool = false, name: String? = nil) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.storage = TensorStorage(count: shape.reduce(1, *))
        self.requiresGrad = requiresGrad
        self.name = name
    }

    /// A tensor over existing `storage` (borrowed or uninitialised), whose count must match the shape.
    public init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false, name: String? = nil) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == storage.count,
                     "Tensor: storage of \(storage.count) floats for shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
        self.name = name
    }

    /// A tensor holding `scalars` (row-major), which must match the shape's element count.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false, name: String? = nil) {
        self.init(zeros: shape, requiresGrad: requiresGrad, name: name)
        precondition(scalars.count == count, "Tensor: \(scalars.count) scalars for shape \(shape)")
        scalars.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A new tensor with the same shape and a copy of the values (no gradient).
    public func copy() -> Tensor {
        let t = Tensor(zeros: shape, name: name)
        t.data.update(from: data, count: count)
        return t
    }

    /// The values as an array (row-major).
    public var scalars: [Float] { Array(storage.buffer) }

    /// Element at a flat index.
    public subscript(flat index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// The gradient buffer, allocating a zeroed one on first use.
    @discardableResult
    public func ensureGrad() -> Tensor {
        if let g = grad { return g }
        let g = Tensor(zeros: shape)
        grad = g
        return g
    }

    /// Fills with N(mean, std²) draws from `rng` in row-major order.
    public func fillNormal(mean: Float = 0, std: Float, rng: inout RandomGenerator) {
        for i in 0..<count { data[i] = mean + std * rng.nextNormal() }
    }

    /// Fills every element with `value`.
    public func fill(_ value: Float) {
        for i in 0..<count { data[i] = value }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
    }
}
