// Writes a file through a temporary sibling and rename(2), so readers never see a half-written
// checkpoint: the old file stays until the new one is complete and fsync'ed.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif

/// Sequential writer to `<dir>/.<name>.tmp-<pid>-<n>`, renamed over the destination on `commit()`.
final class AtomicFileWriter {
    let destination: URL
    private let temporaryPath: String
    private var fd: Int32
    private(set) var bytesWritten = 0

    struct Failure: Error {
        let reason: String
    }

    init(destination: URL) throws(Failure) {
        self.destination = destination
        let directory = destination.deletingLastPathComponent().path
        let name = ".\(destination.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        temporaryPath = (directory.isEmpty ? "." : directory) + "/" + name
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw Failure(reason: "cannot create \(temporaryPath): " + String(cString: strerror(errno)))
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                abandon()
                throw Failure(reason: "write failed: \(reason)")
            }
            offset += n
        }
        bytesWritten += bytes.count
    }

    func write(_ bytes: [UInt8]) throws(Failure) {
        try bytes.withUnsafeBytes { raw in Result { () throws(Failure) in try write(raw) } }.get()
    }

    func writeZeros(_ count: Int) throws(Failure) {
        if count > 0 { try write([UInt8](repeating: 0, count: count)) }
    }

    /// Flushes to disk and renames the temporary file over the destination.
    func commit() throws(Failure) {
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            abandon()
            throw Failure(reason: "fsync failed: \(reason)")
        }
        close(fd)
        fd = -1
        guard rename(temporaryPath, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw Failure(reason: "rename to \(destination.path) failed: \(reason)")
        }
    }

    /// Closes and deletes the temporary file (after an error).
    func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
    }
}

/// Writes `data` to `url` atomically: a temporary sibling, fsync, then rename(2) over the destination,
/// so a reader (or a resume after a crash) sees the old file or the new one, never a torn one.
public func writeAtomically(_ data: Data, to url: URL) throws {
    do {
        let writer = try AtomicFileWriter(destination: url)
        try data.withUnsafeBytes { raw in try writer.write(raw) }
        try writer.commit()
    } catch let failure as AtomicFileWriter.Failure {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                       NSLocalizedDescriptionKey: "cannot write \(url.path): \(failure.reason)"])
    }
}

/// fsyncs a directory so a rename inside it survives a power loss (a no-op where directories cannot be opened).
public func synchronizeDirectory(_ url: URL) {
    let fd = open(url.path, O_RDONLY)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
}
