// Tensors over checkpoint bytes in place: an F32 safetensors or GGUF tensor whose row-major layout is
// the model's becomes a Tensor borrowing the (copy-on-write, MAP_PRIVATE) mapping, with no copy and
// no zero-fill; a write (training) copies the touched pages privately and never reaches the file.
import QuillTensor

extension Tensor {
    /// A tensor over `entry`'s F32 bytes, or nil when it is another dtype or not 4-byte aligned.
    public convenience init?(borrowing entry: SafetensorsTensor) {
        guard entry.dtype == .f32 else { return nil }
        let shape = entry.shape.isEmpty ? [1] : entry.shape
        guard let storage = Self.borrowedStorage(entry.storage.slice(entry.byteRange), count: entry.elementCount,
                                                 owner: entry.storage) else { return nil }
        self.init(shape: shape, storage: storage, name: entry.name)
    }

    /// A tensor over `entry`'s F32 elements (row-major `entry.shape`), or nil when it is another type
    /// or not 4-byte aligned.
    public convenience init?(borrowing entry: GGUFTensor) {
        guard entry.type == .f32 else { return nil }
        let shape = entry.shape.isEmpty ? [1] : entry.shape
        guard let storage = Self.borrowedStorage(entry.storage.slice(entry.byteRange), count: entry.info.elementCount,
                                                 owner: entry.storage) else { return nil }
        self.init(shape: shape, storage: storage, name: entry.name)
    }

    /// A tensor of `shape` whose elements are left uninitialised, for a loader that writes them all.
    public convenience init(uninitialized shape: [Int], name: String? = nil) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)), name: name)
    }

    private static func borrowedStorage(_ bytes: UnsafeRawBufferPointer, count: Int, owner: MappedBytes) -> TensorStorage? {
        guard count > 0, bytes.count == count * MemoryLayout<Float>.stride, let base = bytes.baseAddress,
              Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 else { return nil }
        let floats = UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: Float.self)
        return TensorStorage(borrowing: floats, count: count, owner: owner)
    }
}
