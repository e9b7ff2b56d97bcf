// Several safetensors files behind one name lookup: either a single file, or the Hugging Face
// sharded layout where `model.safetensors.index.json` has {"metadata": {...}, "weight_map": {name: file}}.
import Foundation

/// A checkpoint made of one or more safetensors shards, looked up by tensor name.
///
/// ```swift
/// let weights = try ShardedSafetensors(indexURL: dir.appendingPathComponent("model.safetensors.index.json"))
/// let q = try weights.requireTensor(named: "model.layers.0.self_attn.q_proj.weight")
/// ```
public final class ShardedSafetensors: @unchecked Sendable {
    /// The opened shards, in the order their file names first appear in the index.
    public let files: [SafetensorsFile]
    /// All tensor names: shard by shard, each in file order.
    public let names: [String]
    /// The index's `metadata` object (e.g. `total_size`), empty for a single file.
    public let indexMetadata: JSONValue
    private let lookup: [String: SafetensorsFile]

    /// Treats one file as a one-shard checkpoint.
    public init(file: SafetensorsFile) {
        files = [file]
        names = file.names
        indexMetadata = .object([])
        lookup = Dictionary(uniqueKeysWithValues: file.names.map { ($0, file) })
    }

    /// Opens every shard named by the index file and checks that each listed tensor is in its shard
    /// and that no tensor appears in two shards.
    public init(indexURL: URL) throws(SafetensorsError) {
        let indexName = indexURL.lastPathComponent
        func fail(_ why: String) -> SafetensorsError { SafetensorsError(file: indexName, .invalidIndex(why)) }
        let data: Data
        do { data = try Data(contentsOf: indexURL) } catch {
            throw SafetensorsError(file: indexName, .cannotOpen(error.localizedDescription))
        }
        let index: JSONValue
        do { index = try JSONValue(parsing: data) } catch { throw fail("not valid JSON: \(error)") }
        guard let weightMap = index["weight_map"]?.objectPairs else { throw fail("no 'weight_map' object") }
        var shardOrder: [String] = []
        var wanted: [String: String] = [:]
        for (name, value) in weightMap {
            guard let shard = value.stringValue, !shard.isEmpty, !shard.contains("/"), shard != "..", shard != "." else {
                throw fail("weight_map entry for '\(name)' is not a plain file name")
            }
            if !shardOrder.contains(shard) { shardOrder.append(shard) }
            wanted[name] = shard
        }
        let directory = indexURL.deletingLastPathComponent()
        var files: [SafetensorsFile] = []
        var lookup: [String: SafetensorsFile] = [:]
        var names: [String] = []
        for shard in shardOrder {
            let file = try SafetensorsFile(url: directory.appendingPathComponent(shard))
            for name in file.names {
                if let other = lookup[name] {
                    throw SafetensorsError(file: shard, tensor: name, .invalidIndex("also stored in \(other.fileName)"))
                }
                lookup[name] = file
                names.append(name)
            }
            files.append(file)
        }
        for (name, shard) in wanted where lookup[name]?.fileName != shard {
            throw SafetensorsError(file: shard, tensor: name, .invalidIndex("listed in \(indexName) but not in \(shard)"))
        }
        self.files = files
        self.names = names
        self.lookup = lookup
        indexMetadata = index["metadata"] ?? .object([])
    }

    /// The tensor called `name`, or nil.
    public func tensor(named name: String) -> SafetensorsTensor? { lookup[name]?.tensor(named: name) }

    /// The tensor called `name`, or an error naming it.
    public func requireTensor(named name: String) throws(SafetensorsError) -> SafetensorsTensor {
        guard let tensor = tensor(named: name) else {
            throw SafetensorsError(file: files.first?.fileName ?? "checkpoint", tensor: name, .notFound)
        }
        return tensor
    }

    /// All tensors, shard by shard.
    public var tensors: [SafetensorsTensor] { names.map { tensor(named: $0)! } }

    /// Metadata merged over shards (later shards do not override earlier keys).
    public var metadata: [String: String] {
        files.reduce(into: [:]) { merged, file in merged.merge(file.metadata) { first, _ in first } }
    }

    /// Total number of elements over all tensors.
    public var parameterCount: Int { files.reduce(0) { $0 + $1.parameterCount } }
}
