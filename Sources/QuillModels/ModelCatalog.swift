// Short names for the models Quill ships or fetches (`smollm2`, `shakespeare`), resolved to files found
// beside the repository, so the CLI, the server and the Swift API accept the same names. A name whose
// asset is missing is a typed error that says how to get it.
import Foundation

/// A short model name is missing its files.
public enum ModelCatalogError: Error, CustomStringConvertible, Equatable {
    case assetMissing(name: String, searched: [String], fetch: String)

    public var description: String {
        switch self {
        case .assetMissing(let name, let searched, let fetch):
            return "model '\(name)' is not installed (looked for \(searched.joined(separator: ", "))); \(fetch)"
        }
    }
}

/// The models Quill knows by name.
///
/// ```swift
/// let url = try ModelCatalog.resolve("smollm2")          // …/.assets/SmolLM2-135M-Instruct.Q4_1.gguf
/// let loaded = try ModelRegistry.loadForGeneration(path: url)
/// ```
public enum ModelCatalog {
    public struct Entry: Sendable, Equatable {
        /// The short name (`quill generate --model smollm2`).
        public let name: String
        /// Where the model lives, relative to the repository root.
        public let path: String
        /// One line for listings and help.
        public let summary: String
        /// What to do when it is missing.
        public let fetch: String
    }

    public static let entries: [Entry] = [
        Entry(name: "smollm2", path: ".assets/SmolLM2-135M-Instruct.Q4_1.gguf",
              summary: "SmolLM2-135M-Instruct, Q4_1 GGUF (Apache-2.0; ChatML chat template)",
              fetch: "run Scripts/setup/fetch_assets.sh to fetch it"),
        Entry(name: "shakespeare", path: "Models/shakespeare-gpt",
              summary: "the bundled byte-level GPT trained on Shakespeare",
              fetch: "it ships in the repository's Models/ folder; run from a checkout of Quill"),
    ]

    /// The entry for a short name (case-insensitive), nil when `name` is not one.
    public static func entry(named name: String) -> Entry? {
        entries.first { $0.name == name.lowercased() }
    }

    /// Folders a catalog path is looked up under, in order: the current directory, then the package
    /// holding the running executable (the nearest folder above it with a Package.swift: .build/debug is
    /// a link into .build/<triple>/debug, so a fixed depth is not enough). `$QUILL_ASSETS`, when set,
    /// stands for `.assets` (as the tests use it).
    public static func defaultRoots() -> [URL] {
        var roots = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        guard let executable = CommandLine.arguments.first else { return roots }
        var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 where folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                roots.append(folder)
                break
            }
            folder = folder.deletingLastPathComponent()
        }
        return roots
    }

    /// The file or directory a `--model` value names: an existing path as is, a short name as its
    /// installed asset (ModelCatalogError.assetMissing when absent), anything else as a path (the
    /// loader reports it missing).
    public static func resolve(_ nameOrPath: String, roots: [URL] = defaultRoots(),
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if FileManager.default.fileExists(atPath: nameOrPath) { return URL(fileURLWithPath: nameOrPath) }
        guard let entry = entry(named: nameOrPath) else { return URL(fileURLWithPath: nameOrPath) }
        var candidates = roots.map { $0.appendingPathComponent(entry.path).standardizedFileURL }
        if let assets = environment["QUILL_ASSETS"], entry.path.hasPrefix(".assets/") {
            candidates.insert(URL(fileURLWithPath: assets).appendingPathComponent(String(entry.path.dropFirst(".assets/".count))), at: 0)
        }
        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0.path).inserted }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) { return found }
        throw ModelCatalogError.assetMissing(name: entry.name, searched: candidates.map(\.path), fetch: entry.fetch)
    }
}
