// Structure-aware fuzzing of the model loaders: well-formed config.json and GGUF files that declare
// absurd or inconsistent sizes (0, −1, 2³¹, 2³²−1, 2⁴⁰, 10¹², 2⁶², off by one, doubled) for every
// integer field, and safetensors whose tensors disagree with the config. Each must load (when the value
// is harmless) or end in a typed ModelError — never a trap, a hang or a terabyte allocation.
import Foundation
import Testing
import QuillFormats
import QuillModels

@Suite("Hostile model files")
struct HostileModelFileTests {
    static let fixtures = ["gpt2_tiny", "llama_tiny", "qwen2_tiny", "llama_scaled_llama3"]
    static let absurd: [Int] = [0, -1, -5, 1, 2, 1 << 31, (1 << 32) - 1, 1 << 40, 1_000_000_000, 1_000_000_000_000, 1 << 62, Int.max]

    static func fixture(_ folder: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)")
    }

    /// Hostile values for a field whose real value is `value`.
    static func values(around value: Int) -> [Int] { absurd + [value - 1, value + 1, value * 2, value * 1000] }

    static func config(_ directory: URL) throws -> JSONValue {
        try JSONValue(parsing: Data(contentsOf: directory.appendingPathComponent("config.json")))
    }

    /// A copy of `source` with config.json's `keys` set to `value` (weights linked, not copied).
    static func directory(_ source: URL, setting keys: [String], to value: Int) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name != "config.json" {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent(name))
        }
        let pairs = try config(source).objectPairs!
        var members = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) }), order = pairs.map(\.key)
        for key in keys {
            if members[key] == nil { order.append(key) }
            members[key] = .int(Int64(value))
        }
        try Data(JSONValue.object(members, keys: order).jsonText.utf8).write(to: dir.appendingPathComponent("config.json"))
        return dir
    }

    /// Loads `dir` as a user would (`quill generate`) and runs one token; the error, if any.
    static func loadAndRun(_ dir: URL) -> Error? {
        do {
            let loaded = try ModelRegistry.loadForGeneration(path: dir)
            _ = try loaded.model.forward([0], cache: loaded.model.makeCache(capacity: 4, type: .f32))
            return nil
        } catch { return error }
    }

    @Test(arguments: fixtures)
    func everyIntegerConfigFieldWithHostileValuesEndsCleanly(folder: String) throws {
        let source = Self.fixture(folder)
        var rejected = 0, cases = 0
        for (key, original) in try Self.config(source).objectPairs! {
            guard case .int(let number) = original else { continue }
            for value in Self.values(around: Int(number)) {
                let dir = try Self.directory(source, setting: [key], to: value)
                defer { try? FileManager.default.removeItem(at: dir) }
                cases += 1
                guard let error = Self.loadAndRun(dir) else { continue }
                rejected += 1
                #expect(error is ModelError, "\(folder) \(key) = \(value): \(type(of: error)) \(error)")
            }
        }
        #expect(cases > 50 && rejected > cases / 2, "\(folder): \(rejected) of \(cases) rejected")
    }

    @Test func everyIntegerBERTConfigFieldWithHostileValuesEndsCleanly() throws {
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("quill-hostile-bert-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: source) }
        try BERT(config: BERTConfig(vocabularySize: 40, hiddenSize: 16, layerCount: 2, headCount: 2, intermediateSize: 32,
                                    maxPositionEmbeddings: 12)).save(directory: source)
        var cases = 0
        for (key, original) in try Self.config(source).objectPairs! {
            guard case .int(let number) = original else { continue }
            for value in Self.values(around: Int(number)) {
                let dir = try Self.directory(source, setting: [key], to: value)
                defer { try? FileManager.default.removeItem(at: dir) }
                cases += 1
                do { _ = try BERT.load(directory: dir).hiddenStates([[1, 2, 3]]) } catch {
                    #expect(error is ModelError, "BERT \(key) = \(value): \(type(of: error)) \(error)")
                }
            }
        }
        #expect(cases > 100)
    }

    /// The cases from the report: the bundled model's config.json with absurd sizes.
    @Test(arguments: [("n_positions", 1_000_000_000_000), ("n_positions", 1 << 40), ("n_embd", 1_000_000_000),
                      ("n_layer", 10_000_000), ("n_embd", 512), ("n_positions", 512), ("n_layer", 7), ("n_layer", 5)])
    func bundledModelWithAbsurdSizesNamesTheField(field: String, value: Int) throws {
        let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Models/shakespeare-gpt")
        // n_ctx says the same as n_positions; both are set.
        let dir = try Self.directory(bundled, setting: field == "n_positions" ? [field, "n_ctx"] : [field], to: value)
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = try #require(Self.loadAndRun(dir) as? ModelError)
        #expect("\(error)".contains(field), "\(error)")
    }

    /// Every tensor of a fixture rewritten with another shape (a row short, a row more, flattened).
    @Test(arguments: ["gpt2_tiny", "llama_tiny"])
    func tensorsThatDisagreeWithTheConfigAreTypedErrors(folder: String) throws {
        let source = Self.fixture(folder)
        let file = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        for name in file.names {
            let shape = file.tensor(named: name)!.shape
            for wrong in [[shape[0] + 1] + shape.dropFirst(), [max(1, shape[0] - 1)] + shape.dropFirst(), [shape.reduce(1, *)]] where wrong != shape {
                let dir = try Self.directory(source, setting: [], to: 0)
                defer { try? FileManager.default.removeItem(at: dir) }
                let weights = dir.appendingPathComponent("model.safetensors")
                try FileManager.default.removeItem(at: weights)
                let entries: [SafetensorsWriter.Entry] = try file.names.map { n in
                    let t = file.tensor(named: n)!
                    let s = n == name ? wrong : t.shape
                    return .init(name: n, shape: s, floats: n == name ? [Float](repeating: 0.5, count: s.reduce(1, *)) : try t.floats())
                }
                try SafetensorsWriter.write(tensors: entries, metadata: ["format": "pt"], to: weights)
                let error = Self.loadAndRun(dir)
                #expect(error is ModelError, "\(folder): \(name) as \(wrong): \(String(describing: error))")
            }
        }
    }

    /// `source` with metadata `key` set to `value` (tensors copied as stored).
    static func rewrite(_ source: GGUFFile, _ key: String, _ value: GGUFValue) throws -> GGUFFile {
        var writer = GGUFWriter()
        for k in source.metadataKeys { writer.addMetadata(k, k == key ? value : source.metadata[k]!) }
        for info in source.tensors {
            try writer.addTensor(name: info.name, type: info.type, shape: info.shape, bytes: source.tensor(named: info.name)!.bytes)
        }
        return try GGUFFile(bytes: writer.serialized(), fileName: source.fileName)
    }

    @Test(arguments: ["gpt2_tiny", "llama_tiny", "qwen2_tiny"])
    func everyIntegerGGUFKeyWithHostileValuesEndsCleanly(folder: String) throws {
        let plain = try GGUFModelErrorTests.variant(folder)
        var cases = 0
        for key in plain.metadataKeys {
            guard let original = plain.metadata[key]?.intValue else { continue }
            var values: [GGUFValue] = Self.values(around: original).filter { $0 >= 0 && $0 <= Int(UInt32.max) }.map { .uint32(UInt32($0)) }
            values += [.uint64(1 << 40), .uint64(UInt64.max), .int64(-1), .int32(-7), .int64(Int64.max)]
            for value in values {
                cases += 1
                let file = try Self.rewrite(plain, key, value)
                for inference in [true, false] {
                    do {
                        let model = try GGUFCheckpoint.loadModel(file, forInference: inference)
                        _ = try model.forward([0], cache: model.makeCache(capacity: 4, type: .f32))
                    } catch {
                        #expect(error is ModelError, "\(folder) \(key) = \(value): \(type(of: error)) \(error)")
                    }
                }
            }
        }
        #expect(cases > 100)
    }

    /// A declared context of 2²⁴ positions with 4096-wide keys would reserve 256 GiB per cache: the
    /// cache is clamped to KVCache.maximumReservedBytes (64 GiB) and the request then overflows cleanly.
    @Test func absurdDeclaredContextGetsABoundedCache() throws {
        let config = LlamaConfig(vocabularySize: 16, hiddenSize: 64, intermediateSize: 32, layerCount: 2, headCount: 2,
                                 headSize: 2048, maxPositionEmbeddings: 1 << 24)
        let model = try Llama(config: config, seed: nil)
        let cache = model.makeCache()
        #expect(cache.capacity == 1 << 20 && cache.byteCount <= KVCache.maximumReservedBytes)
        #expect(model.makeCache(capacity: 100, type: .f16).capacity == 100)
    }

    /// The cases from the report: a Quill-written GPT-2 GGUF declaring an absurd context or depth.
    @Test(arguments: [("gpt2.context_length", UInt32.max), ("gpt2.block_count", UInt32(1 << 30)),
                      ("gpt2.context_length", 17), ("gpt2.block_count", 3), ("gpt2.block_count", 1)])
    func ggufWithAbsurdSizesNamesTheKey(key: String, value: UInt32) throws {
        let file = try GGUFModelErrorTests.variant("gpt2_tiny", metadata: [key: .uint32(value)])
        do {
            _ = try GGUFCheckpoint.loadModel(file, forInference: true)
            Issue.record("\(key) = \(value) loaded")
        } catch let error as ModelError {
            #expect("\(error)".contains(key), "\(error)")
        }
    }
}
