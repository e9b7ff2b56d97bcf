// The processes of a data-parallel run and the two collectives training needs: summing buffers over
// every rank (gradients, losses) and sending rank 0's bytes to all (the starting weights). One process
// is the trivial case; `MPICommunicator` (Open MPI, built in when Package.swift finds it) is the real one.
import Foundation

/// What a collective failed with: the MPI error code and the call that returned it.
public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The ranks of one training job. Every rank calls every collective in the same order.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Sums `buffer` elementwise over every rank, in place, on every rank.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Overwrites `buffer` on every rank with rank `root`'s bytes.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    func barrier() throws
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }

    /// The mean of `values` over every rank (each rank passes its own).
    public func mean(_ values: [Double]) throws -> [Double] {
        var v = values
        try v.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return v.map { $0 / Double(size) }
    }
}

/// A run of one process: every collective is the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    public func barrier() throws {}
}

public enum Distributed {
    /// Whether this build links Open MPI (`--distributed mpi` works).
    public static var mpiAvailable: Bool {
        #if QUILL_MPI
        return true
        #else
        return false
        #endif
    }

    /// The communicator for `--distributed`: "none" (one process) or "mpi".
    public static func communicator(_ kind: String) throws -> any Communicator {
        switch kind {
        case "none": return SingleProcess()
        case "mpi":
            #if QUILL_MPI
            return try MPICommunicator.world()
            #else
            throw DistributedError("this quill was built without Open MPI: install libopenmpi-dev (pkg-config ompi-c), touch Package.swift and rebuild")
            #endif
        default: throw DistributedError("--distributed must be none or mpi, not '\(kind)'")
        }
    }
}
