// Open MPI's MPI_COMM_WORLD as a Communicator (through the inline wrappers in Sources/CMPI/shim.h).
// MPI is initialised once per process, on first use, and finalised at exit; counts above Int32.max
// are split, since MPI counts are C ints.
#if QUILL_MPI
import CMPI
import Foundation

public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    nonisolated(unsafe) private static var shared: MPICommunicator?
    private static let lock = NSLock()

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// Every process of the job (`mpirun -np N`); a process started without mpirun is a world of one.
    public static func world() throws -> MPICommunicator {
        lock.lock(); defer { lock.unlock() }
        if let shared { return shared }
        var provided: Int32 = 0
        try check(quill_mpi_init(&provided), "MPI_Init_thread")
        guard provided >= Int32(MPI_THREAD_SERIALIZED) else {
            throw DistributedError("this MPI grants thread level \(provided); Quill needs MPI_THREAD_SERIALIZED")
        }
        atexit { _ = quill_mpi_finalize() }
        let world = MPICommunicator(rank: Int(quill_mpi_rank()), size: Int(quill_mpi_size()))
        shared = world
        return world
    }

    private static func check(_ code: Int32, _ call: String) throws {
        guard code == MPI_SUCCESS else { throw DistributedError("\(call) failed with MPI error \(code)") }
    }

    private static let maxCount = Int(Int32.max)

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = buffer.baseAddress else { return }
        for start in stride(from: 0, to: buffer.count, by: Self.maxCount) {
            let n = min(Self.maxCount, buffer.count - start)
            try Self.check(quill_mpi_allreduce_sum_f32(base + start, Int32(n)), "MPI_Allreduce")
        }
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        guard let base = buffer.baseAddress else { return }
        for start in stride(from: 0, to: buffer.count, by: Self.maxCount) {
            let n = min(Self.maxCount, buffer.count - start)
            try Self.check(quill_mpi_allreduce_sum_f64(base + start, Int32(n)), "MPI_Allreduce")
        }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard let base = buffer.baseAddress else { return }
        for start in stride(from: 0, to: buffer.count, by: Self.maxCount) {
            let n = min(Self.maxCount, buffer.count - start)
            try Self.check(quill_mpi_broadcast_bytes(base + start, Int32(n), Int32(root)), "MPI_Bcast")
        }
    }

    public func barrier() throws { try Self.check(quill_mpi_barrier(), "MPI_Barrier") }
}
#endif
