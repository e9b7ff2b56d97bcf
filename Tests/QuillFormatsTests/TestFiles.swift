// Shared helpers for the QuillFormats tests: temporary directories, the repository's asset folder
// (located from #filePath or $QUILL_ASSETS), and hand-built safetensors bytes.
import Foundation
@testable import QuillFormats

enum TestFiles {
    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("quill-formats-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `.assets` at the repository root, or `$QUILL_ASSETS` when set.
    static var assetsDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["QUILL_ASSETS"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".assets")
    }

    /// The all-MiniLM-L6-v2 model directory fetched by Scripts/setup/fetch_assets.sh.
    static var miniLM: URL { assetsDirectory.appendingPathComponent("all-MiniLM-L6-v2") }

    static var miniLMAvailable: Bool {
        FileManager.default.fileExists(atPath: miniLM.appendingPathComponent("model.safetensors").path)
    }

    /// A safetensors file from a literal header and a data section (no validation, no padding).
    static func safetensors(header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + data
    }
}

extension TestFiles {
    /// A file from Tests/QuillFormatsTests/Fixtures (written by Scripts/check/formats_crosscheck.py).
    static func fixture(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name)
    }

    /// The values Scripts/check/formats_crosscheck.py builds with `pattern(n)`: (i % 97 − 48) / 7 in Float.
    static func pattern(_ count: Int) -> [Float] {
        (0..<count).map { Float($0 % 97 - 48) / 7 }
    }
}
