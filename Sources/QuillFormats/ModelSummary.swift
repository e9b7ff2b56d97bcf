// What `quill inspect` shows about a .safetensors file, a sharded index, a .gguf file or a model
// directory: format, architecture, parameter count, dtypes, a tensor table and the metadata.
import Foundation

/// A format-independent description of a checkpoint, built by ``inspect(url:)`` and printed by ``render(maxTensors:showMetadata:)``.
public struct ModelSummary: Sendable {
    /// One row of the tensor table.
    public struct TensorRow: Sendable, Equatable {
        public let name: String
        public let dtype: String
        /// Row-major shape (GGUF dimensions are reversed to match).
        public let shape: [Int]
        public let byteCount: Int
        public let elementCount: Int
    }

    /// "safetensors", "safetensors (N shards)", "GGUF v3" or "model directory (...)".
    public let format: String
    /// Architecture, e.g. "bert (BertModel)" or "llama"; nil when the files do not say.
    public let architecture: String?
    public let tensors: [TensorRow]
    /// Metadata as (key, printable value) in file order.
    public let metadata: [(key: String, value: String)]

    /// Total number of elements.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    /// Tensor count and bytes per dtype, largest first.
    public var dtypes: [(dtype: String, tensors: Int, bytes: Int)] {
        var totals: [String: (Int, Int)] = [:]
        for row in tensors {
            let (count, bytes) = totals[row.dtype] ?? (0, 0)
            totals[row.dtype] = (count + 1, bytes + row.byteCount)
        }
        return totals.map { ($0.key, $0.value.0, $0.value.1) }.sorted { ($1.bytes, $0.dtype) < ($0.bytes, $1.dtype) }
    }

    /// Reads `url`, choosing the format from the file extension or the directory layout.
    public static func inspect(url: URL) throws -> ModelSummary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelDirectoryError(directory: url.path, "does not exist")
        }
        if isDirectory.boolValue { return try directory(ModelDirectory(url: url)) }
        if url.lastPathComponent.hasSuffix(".index.json") {
            let shards = try ShardedSafetensors(indexURL: url)
            return summary(of: shards, format: "safetensors (\(shards.files.count) shards)", architecture: siblingArchitecture(of: url))
        }
        if url.pathExtension == "gguf" { return gguf(try GGUFFile(url: url)) }
        if url.pathExtension == "safetensors" {
            return summary(of: ShardedSafetensors(file: try SafetensorsFile(url: url)), format: "safetensors",
                           architecture: siblingArchitecture(of: url))
        }
        throw ModelDirectoryError(directory: url.path, "is not a .safetensors, .gguf, index.json file or a model directory")
    }

    static func directory(_ directory: ModelDirectory) throws -> ModelSummary {
        let weights = try directory.openWeights()
        let present = [("config.json", directory.configURL), ("tokenizer.json", directory.tokenizerURL),
                       ("tokenizer_config.json", directory.tokenizerConfigURL),
                       ("generation_config.json", directory.generationConfigURL)].filter { $0.1 != nil }.map(\.0)
        let inner = summary(of: weights, format: "", architecture: architecture(from: try? directory.config()))
        let shards = weights.files.count > 1 ? "\(weights.files.count) safetensors shards" : "model.safetensors"
        return ModelSummary(format: "model directory (\(([shards] + present).joined(separator: ", ")))",
                            architecture: inner.architecture, tensors: inner.tensors, metadata: inner.metadata)
    }

    static func summary(of weights: ShardedSafetensors, format: String, architecture: String?) -> ModelSummary {
        let rows = weights.tensors.map {
            TensorRow(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, byteCount: $0.byteCount, elementCount: $0.elementCount)
        }
        let metadata = weights.metadata.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        return ModelSummary(format: format, architecture: architecture, tensors: rows, metadata: metadata)
    }

    static func gguf(_ file: GGUFFile) -> ModelSummary {
        let rows = file.tensors.map {
            TensorRow(name: $0.name, dtype: $0.type.name, shape: $0.shape, byteCount: $0.byteCount, elementCount: $0.elementCount)
        }
        let metadata = file.metadataKeys.map { (key: $0, value: file.metadata[$0]!.summary()) }
        return ModelSummary(format: "GGUF v\(file.version), alignment \(file.alignment)", architecture: file.architecture,
                            tensors: rows, metadata: metadata)
    }

    static func architecture(from config: JSONValue?) -> String? {
        guard let config else { return nil }
        let type = config["model_type"]?.stringValue
        let classes = config["architectures"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ")
        switch (type, classes) {
        case let (type?, classes?) where !classes.isEmpty: return "\(type) (\(classes))"
        case let (type?, _): return type
        case let (nil, classes?) where !classes.isEmpty: return classes
        default: return nil
        }
    }

    static func siblingArchitecture(of file: URL) -> String? {
        let config = file.deletingLastPathComponent().appendingPathComponent("config.json")
        return architecture(from: (try? Data(contentsOf: config)).flatMap { try? JSONValue(parsing: $0) })
    }

    /// The report as text: a summary block, the tensor table (first `maxTensors` rows) and the metadata.
    public func render(maxTensors: Int? = nil, showMetadata: Bool = true) -> String {
        var lines = ["format:       \(format)", "architecture: \(architecture ?? "unknown")",
                     "parameters:   \(Self.humanCount(parameterCount)) (\(parameterCount))",
                     "tensors:      \(tensors.count), \(Self.humanBytes(tensors.reduce(0) { $0 + $1.byteCount }))",
                     "dtypes:       " + dtypes.map { "\($0.dtype) ×\($0.tensors) (\(Self.humanBytes($0.bytes)))" }.joined(separator: ", ")]
        let shown = tensors.prefix(maxTensors ?? tensors.count)
        if !shown.isEmpty {
            let shapes = shown.map { "[" + $0.shape.map(String.init).joined(separator: ", ") + "]" }
            let nameWidth = max(4, shown.map(\.name.count).max()!)
            let dtypeWidth = max(5, shown.map(\.dtype.count).max()!)
            let shapeWidth = max(5, shapes.map(\.count).max()!)
            func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
                a.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  " + b.padding(toLength: dtypeWidth, withPad: " ", startingAt: 0)
                    + "  " + c.padding(toLength: shapeWidth, withPad: " ", startingAt: 0) + "  " + d
            }
            lines += ["", row("name", "dtype", "shape", "bytes")]
            for (tensor, shape) in zip(shown, shapes) { lines.append(row(tensor.name, tensor.dtype, shape, String(tensor.byteCount))) }
            if shown.count < tensors.count { lines.append("… \(tensors.count - shown.count) more tensors") }
        }
        if showMetadata && !metadata.isEmpty {
            lines += ["", "metadata:"] + metadata.map { "  \($0.key) = \($0.value)" }
        }
        return lines.joined(separator: "\n")
    }

    static func humanCount(_ n: Int) -> String {
        n >= 1_000_000_000 ? String(format: "%.2fB", Double(n) / 1e9)
            : n >= 1_000_000 ? String(format: "%.2fM", Double(n) / 1e6)
            : n >= 1_000 ? String(format: "%.1fK", Double(n) / 1e3) : String(n)
    }

    static func humanBytes(_ n: Int) -> String {
        n >= 1 << 30 ? String(format: "%.2f GiB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / Double(1 << 20))
            : n >= 1 << 10 ? String(format: "%.1f KiB", Double(n) / 1024) : "\(n) B"
    }
}
