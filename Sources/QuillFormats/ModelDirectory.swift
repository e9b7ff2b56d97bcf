// A Hugging Face model directory (the layout `save_pretrained` writes): config.json, model.safetensors
// or model.safetensors.index.json with its shards, tokenizer.json, tokenizer_config.json and
// generation_config.json. Finds the files and loads them; model code decodes its own typed config.
import Foundation

/// A model directory as Hugging Face `transformers` writes and reads it.
///
/// ```swift
/// let directory = try ModelDirectory(url: URL(fileURLWithPath: "all-MiniLM-L6-v2"))
/// let config = try directory.config()                       // JSONValue
/// print(config["model_type"]?.stringValue ?? "?")             // "bert"
/// let bert: BertConfig = try directory.decodeConfig()       // your own Codable type
/// let weights = try directory.openWeights()                  // single file or shards
/// ```
public struct ModelDirectory: Sendable {
    /// The directory.
    public let url: URL
    /// `config.json`, when present.
    public let configURL: URL?
    /// `model.safetensors`, when present.
    public let weightsURL: URL?
    /// `model.safetensors.index.json` (sharded weights), when present.
    public let weightsIndexURL: URL?
    /// `tokenizer.json`, when present.
    public let tokenizerURL: URL?
    /// `tokenizer_config.json`, when present.
    public let tokenizerConfigURL: URL?
    /// `generation_config.json`, when present.
    public let generationConfigURL: URL?

    /// Looks at `url`, which must be a directory; missing files are nil, not errors.
    public init(url: URL) throws(ModelDirectoryError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelDirectoryError(directory: url.path, "is not a directory")
        }
        self.url = url
        func find(_ name: String) -> URL? {
            let file = url.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: file.path) ? file : nil
        }
        configURL = find("config.json")
        weightsURL = find("model.safetensors")
        weightsIndexURL = find("model.safetensors.index.json")
        tokenizerURL = find("tokenizer.json")
        tokenizerConfigURL = find("tokenizer_config.json")
        generationConfigURL = find("generation_config.json")
    }

    /// `config.json` parsed; an error when it is missing or not valid JSON.
    public func config() throws(ModelDirectoryError) -> JSONValue {
        guard let configURL else { throw ModelDirectoryError(directory: url.path, "has no config.json") }
        return try json(at: configURL)
    }

    /// `config.json` decoded into a model's own `Decodable` configuration.
    public func decodeConfig<Config: Decodable>(_ type: Config.Type = Config.self) throws(ModelDirectoryError) -> Config {
        guard let configURL else { throw ModelDirectoryError(directory: url.path, "has no config.json") }
        do {
            return try JSONDecoder().decode(Config.self, from: Data(contentsOf: configURL))
        } catch {
            throw ModelDirectoryError(directory: url.path, "config.json does not decode as \(Config.self): \(error)")
        }
    }

    /// `model_type` from config.json (e.g. "gpt2", "llama", "bert"), or nil.
    public var modelType: String? { (try? config())?["model_type"]?.stringValue }

    /// `generation_config.json` parsed, or nil when absent.
    public func generationConfig() throws(ModelDirectoryError) -> JSONValue? {
        guard let generationConfigURL else { return nil }
        return try json(at: generationConfigURL)
    }

    /// `tokenizer_config.json` parsed, or nil when absent.
    public func tokenizerConfig() throws(ModelDirectoryError) -> JSONValue? {
        guard let tokenizerConfigURL else { return nil }
        return try json(at: tokenizerConfigURL)
    }

    /// Any JSON file inside the directory (e.g. "1_Pooling/config.json"), or nil when absent.
    public func json(named relativePath: String) throws(ModelDirectoryError) -> JSONValue? {
        let file = url.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return try json(at: file)
    }

    /// Opens the weights: the sharded index when there is one, else model.safetensors.
    public func openWeights() throws(ModelDirectoryError) -> ShardedSafetensors {
        do {
            if let weightsIndexURL { return try ShardedSafetensors(indexURL: weightsIndexURL) }
            if let weightsURL { return ShardedSafetensors(file: try SafetensorsFile(url: weightsURL)) }
        } catch {
            throw ModelDirectoryError(directory: url.path, error.description)
        }
        let other = FileManager.default.fileExists(atPath: url.appendingPathComponent("pytorch_model.bin").path)
            ? " (pytorch_model.bin is not supported: re-save it with safe_serialization=True)" : ""
        throw ModelDirectoryError(directory: url.path, "has no model.safetensors or model.safetensors.index.json" + other)
    }

    private func json(at file: URL) throws(ModelDirectoryError) -> JSONValue {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw ModelDirectoryError(directory: url.path, "cannot read \(file.lastPathComponent): \(error.localizedDescription)")
        }
        do { return try JSONValue(parsing: data) } catch {
            throw ModelDirectoryError(directory: url.path, "\(file.lastPathComponent) is not valid JSON: \(error)")
        }
    }
}

/// A model directory that is missing a file or has one that cannot be read.
public struct ModelDirectoryError: Error, CustomStringConvertible, Equatable {
    /// The directory path.
    public let directory: String
    /// What is wrong, e.g. "has no config.json".
    public let message: String

    public init(directory: String, _ message: String) {
        self.directory = directory
        self.message = message
    }

    public var description: String { "\(directory): \(message)" }
}
