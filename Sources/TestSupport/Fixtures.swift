// Locating test fixtures and PyPI assets, and comparing float arrays with stated tolerances.
import Foundation
import QuillFormats
import QuillTensor

public enum Fixtures {
    /// The repository root, found from this source file's path (Sources/TestSupport/Fixtures.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where `Scripts/setup/fetch_assets.sh` puts PyPI assets: $QUILL_ASSETS or <repo>/.assets.
    public static var assetsDirectory: URL {
        if let env = ProcessInfo.processInfo.environment["QUILL_ASSETS"] { return URL(fileURLWithPath: env) }
        return repositoryRoot.appendingPathComponent(".assets")
    }

    /// URL of an asset if it exists (tests skip with a message naming `make assets` otherwise).
    public static func asset(_ relativePath: String) -> URL? {
        let url = assetsDirectory.appendingPathComponent(relativePath)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// Loads every tensor of a safetensors file as float32 (ints converted), keyed by name.
    public static func tensors(_ url: URL) throws -> [String: Tensor] {
        let file = try SafetensorsFile(url: url)
        var out: [String: Tensor] = [:]
        for name in file.names {
            let entry = file.tensor(named: name)!
            out[name] = try Tensor(safetensors: entry)
        }
        return out
    }

    /// Integer tensors (I32/I64) of a safetensors file as Int arrays.
    public static func integers(_ url: URL, _ name: String) throws -> [Int] {
        let entry = try SafetensorsFile(url: url).requireTensor(named: name)
        return entry.withUnsafeBytes { raw in
            switch entry.dtype {
            case .i64: return (0..<entry.elementCount).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            default: return (0..<entry.elementCount).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            }
        }
    }

    /// Largest |a - b| over two equally long arrays.
    public static func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "maxAbsoluteDifference: \(a.count) vs \(b.count) elements")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
