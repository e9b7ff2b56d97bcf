// Reference-counted, 64-byte-aligned float32 buffer behind every Tensor.
// Zero-filled on creation; freed when the last Tensor using it goes away.
import Foundation

/// An owned block of `count` floats, aligned for AVX-512 loads.
public final class TensorStorage {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` zeroed floats.
    public init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// Sets every element to zero.
    public func zero() {
        memset(pointer, 0, count * MemoryLayout<Float>.stride)
    }

    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
