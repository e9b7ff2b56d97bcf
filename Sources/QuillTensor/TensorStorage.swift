// Reference-counted float32 buffer behind every Tensor: either an owned, 64-byte-aligned allocation
// (zero-filled on creation, freed with the last Tensor using it) or a borrowed region of memory kept
// alive by its owner — e.g. an F32 tensor inside a copy-on-write file mapping, used without a copy.
import Foundation

/// A block of `count` floats: owned (aligned for AVX-512 loads) or borrowed from an owner object.
public final class TensorStorage {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// Keeps borrowed memory valid (a mapped file); nil when this storage owns `pointer`.
    public let owner: AnyObject?
    private let unmapBytes: Int

    /// Allocates `count` zeroed floats.
    public convenience init(count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// Allocates `count` floats without initialising them; the caller writes every element before
    /// any read (a loader about to copy a checkpoint tensor in, so no page is touched twice).
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        owner = nil
        unmapBytes = 0
    }

    /// `count` zeros in fresh anonymous pages, which cost nothing until touched: a placeholder for
    /// parameters that are filled on demand (GGUF matmul weights of an inference load).
    public init(lazyZerosCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            fatalError("TensorStorage: cannot map \(bytes) bytes: \(String(cString: strerror(errno)))")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        owner = nil
        unmapBytes = bytes
    }

    /// Uses `count` floats at `pointer` in place, retaining `owner` for as long as this storage lives.
    /// The memory must be writable by this process and private to it (e.g. a MAP_PRIVATE mapping, where
    /// a write copies the page and never reaches the file), and 4-byte aligned.
    public init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        precondition(Int(bitPattern: pointer) % MemoryLayout<Float>.alignment == 0, "TensorStorage: misaligned borrowed floats")
        self.count = count
        self.pointer = pointer
        self.owner = owner
        unmapBytes = 0
    }

    deinit {
        if unmapBytes > 0 { munmap(pointer, unmapBytes) } else if owner == nil { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    /// Whether the floats live in memory this storage does not own.
    public var isBorrowed: Bool { owner != nil }

    /// Sets every element to zero.
    public func zero() {
        memset(pointer, 0, count * MemoryLayout<Float>.stride)
    }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
