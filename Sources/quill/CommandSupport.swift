// Shared CLI plumbing: turning library errors into one-line failures, finding the bundled model,
// loading a model directory with its tokenizer, and a terminal progress bar with rate and ETA.
import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillTokenizer

/// Runs `body`, turning any thrown error into "error: <reason>" on stderr and exit code 1.
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode { throw e } catch let e as CleanExit { throw e } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

enum ModelLocator {
    /// The model used when `--model` is not given (and $QUILL_MODEL is unset).
    static let defaultName = "shakespeare"

    /// What `--model` (or a model argument) names: a path, or a short name from ModelCatalog
    /// (`smollm2`, `shakespeare`) found in ./ or beside the repository holding this executable
    /// (.build/<config>/quill). Without one: $QUILL_MODEL, else the bundled Models/shakespeare-gpt.
    static func resolve(_ path: String?) throws -> URL {
        if let path { return try ModelCatalog.resolve(path) }
        if let env = ProcessInfo.processInfo.environment["QUILL_MODEL"] { return try ModelCatalog.resolve(env) }
        return try ModelCatalog.resolve(defaultName)
    }

    /// `--help` text for a model option: what it takes, with the short names.
    static let help = "Model directory or .gguf file, or a short name: "
        + ModelCatalog.entries.map { "\($0.name) (\($0.path))" }.joined(separator: ", ") + "."
}

/// A one-line progress bar on stderr: `[=====>    ] 40% 400/1000  loss 1.234  1.2k tok/s  ETA 2m10s`.
struct ProgressBar {
    let total: Int
    let width = 24
    private var lastDraw = Date.distantPast

    init(total: Int) { self.total = max(1, total) }

    mutating func update(_ done: Int, _ detail: String, force: Bool = false) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
        lastDraw = now
        let fraction = Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") +
            String(repeating: " ", count: max(0, width - filled - 1))
        let line = String(format: "\r[%@] %3d%% %d/%d  %@", bar, Int(fraction * 100), done, total, detail)
        FileHandle.standardError.write(Data(line.utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
