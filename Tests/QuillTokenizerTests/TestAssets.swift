// Locates the PyPI assets (.assets/ beside the package, or $QUILL_ASSETS) and the committed
// fixtures, so tests that need an absent asset can be skipped with a visible reason.

import Foundation

enum TestAssets {
    /// `$QUILL_ASSETS`, else `<repo root>/.assets` found from this source file's path.
    static let directory: URL = {
        if let env = ProcessInfo.processInfo.environment["QUILL_ASSETS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".assets")
    }()

    /// The path of an asset if it exists.
    static func path(_ relative: String) -> String? {
        let url = directory.appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url.path : nil
    }

    static var gpt2: String? { path("gpt2.tiktoken") }
    static var shakespeare: String? { path("shakespeare.txt") }
    static var miniLM: String? { path("all-MiniLM-L6-v2/tokenizer.json") }
    static var miniLMVocab: String? { path("all-MiniLM-L6-v2/vocab.txt") }
}

/// One golden case of `Fixtures/torture.json` (written by Scripts/reference/tokenizer_fixtures.py).
struct TortureCase: Decodable, CustomTestStringConvertible {
    let kind: String
    let text: String
    let gpt2: [Int]
    let cl100k: [Int]
    let o200k: [Int]
    let minilm: [Int]

    var testDescription: String { "\(kind): \(text.debugDescription.prefix(60))" }
}

enum Fixtures {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!
    }

    static let torture: [TortureCase] = {
        let data = try! Data(contentsOf: url("torture.json"))
        return try! JSONDecoder().decode([TortureCase].self, from: data)
    }()
}

import Testing
