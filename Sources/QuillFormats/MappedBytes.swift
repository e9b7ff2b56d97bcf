// Read-only bytes of a whole file or buffer, kept alive by reference counting so that tensor views
// can hand out zero-copy pointers. Files are mapped with POSIX mmap (MAP_PRIVATE, copy-on-write: a
// borrowed tensor that training updates gets private copies of its pages; the file never changes).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Immutable bytes backing a parsed file: either a memory-mapped file or an owned copy.
///
/// Tensor views (``SafetensorsTensor``, ``GGUFTensor``) keep a reference to it, so the mapping
/// stays valid for as long as any view exists.
public final class MappedBytes: @unchecked Sendable {
    /// The bytes, valid until the object is deinitialised. The readers never write them; a borrowed
    /// tensor may (copy-on-write, private to this process).
    public let buffer: UnsafeRawBufferPointer
    private let release: Release

    private enum Release {
        case none
        case unmap(UnsafeMutableRawPointer, Int)
        case deallocate(UnsafeMutableRawPointer)
    }

    /// Error from opening or mapping a file; carries the `errno` text.
    public struct OpenError: Error, CustomStringConvertible {
        /// The file that could not be opened.
        public let path: String
        /// What went wrong, e.g. "No such file or directory".
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Maps `url` copy-on-write (the file is opened read-only). An empty file gives an empty buffer.
    public init(mapping url: URL) throws(OpenError) {
        let path = url.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw OpenError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw OpenError(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw OpenError(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            buffer = UnsafeRawBufferPointer(start: nil, count: 0)
            release = .none
            return
        }
        guard let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else {
            throw OpenError(path: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        buffer = UnsafeRawBufferPointer(start: pointer, count: size)
        release = .unmap(pointer, size)
    }

    /// Copies `bytes` into an owned, 64-byte aligned buffer (used for in-memory parsing and fuzzing).
    public init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        let count = bytes.count
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        let typed = pointer.bindMemory(to: UInt8.self, capacity: max(count, 1))
        _ = UnsafeMutableBufferPointer(start: typed, count: count).initialize(from: bytes)
        buffer = UnsafeRawBufferPointer(start: pointer, count: count)
        release = .deallocate(pointer)
    }

    deinit {
        switch release {
        case .none: break
        case let .unmap(pointer, size): munmap(pointer, size)
        case let .deallocate(pointer): pointer.deallocate()
        }
    }

    /// Number of bytes.
    public var count: Int { buffer.count }

    /// A sub-range of the buffer; the caller has already checked that `range` is inside.
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[range])
    }
}
