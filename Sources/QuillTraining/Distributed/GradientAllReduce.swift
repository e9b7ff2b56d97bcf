// Data-parallel gradient averaging: after each rank's backward, every parameter's gradient becomes
// the mean over ranks. Gradients are packed into fixed-size buckets (one MPI_Allreduce per bucket,
// so a 124M model is ~30 calls, not ~150 per tensor), summed, and unpacked scaled by 1/size.
// Also broadcasts rank 0's starting weights, so every rank begins from the same model.
import Foundation
import QuillTensor

public final class GradientAllReduce {
    public let communicator: any Communicator
    private let bucket: UnsafeMutableBufferPointer<Float>
    /// Seconds spent in the collectives (the allreduce share of a step).
    public private(set) var seconds: Double = 0

    /// `bucketElements` floats per collective (16 MB by default).
    public init(communicator: any Communicator, bucketElements: Int = 4 << 20) {
        self.communicator = communicator
        bucket = .allocate(capacity: max(1, bucketElements))
    }

    deinit { bucket.deallocate() }

    /// Averages the gradients of `parameters` over every rank, in place. A parameter without a
    /// gradient contributes zeros and gets none back (every rank runs the same graph, so it is the
    /// same parameters on each).
    public func average(_ parameters: [Tensor]) throws {
        guard communicator.size > 1 else { return }
        let start = DispatchTimeClock.now()
        defer { seconds += DispatchTimeClock.since(start) }
        let scale = 1 / Float(communicator.size)
        var pending: [(tensor: Tensor, offset: Int, count: Int, at: Int)] = []
        var filled = 0
        func flush() throws {
            guard filled > 0 else { return }
            try communicator.allReduceSum(UnsafeMutableBufferPointer(rebasing: bucket[0..<filled]))
            for p in pending {
                guard let g = p.tensor.grad else { continue }
                let dst = g.data + p.offset, src = bucket.baseAddress! + p.at
                for i in 0..<p.count { dst[i] = src[i] * scale }
            }
            pending.removeAll(keepingCapacity: true)
            filled = 0
        }
        for t in parameters {
            var offset = 0
            while offset < t.count {
                if filled == bucket.count { try flush() }
                let n = min(t.count - offset, bucket.count - filled)
                if let g = t.grad {
                    (bucket.baseAddress! + filled).update(from: g.data + offset, count: n)
                } else {
                    (bucket.baseAddress! + filled).update(repeating: 0, count: n)
                }
                pending.append((t, offset, n, filled))
                filled += n
                offset += n
            }
        }
        try flush()
    }

    /// Overwrites every parameter on every rank with rank 0's values.
    public func broadcastFromRoot(_ parameters: [Tensor]) throws {
        guard communicator.size > 1 else { return }
        for t in parameters {
            try communicator.broadcast(UnsafeMutableRawBufferPointer(start: t.data, count: t.count * MemoryLayout<Float>.size), root: 0)
        }
    }
}

/// Monotonic seconds without Foundation's Date arithmetic.
enum DispatchTimeClock {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    static func since(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
