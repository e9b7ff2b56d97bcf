// Model-side reading of Hugging Face model directories: config.json decoded into a typed config
// (the configs' own ModelErrors reach the caller unchanged), model_type lookup, and copying checkpoint
// tensors into named parameters with name and shape checks (accepting HF's prefixes, e.g. "bert.").
import Foundation
import QuillFormats
import QuillNN
import QuillTensor

enum ConfigLoading {
    /// The bytes of DIR/config.json, or a typed error naming the path.
    static func configData(_ directory: URL) throws -> Data {
        let url = directory.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelError.invalidConfig("\(url.path) is missing or unreadable")
        }
        return data
    }

    /// config.json decoded as `type`; decoding failures become `ModelError.invalidConfig` naming the file.
    static func config<T: Decodable>(_ type: T.Type, in directory: URL) throws -> T {
        let data = try configData(directory)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch ModelError.invalidConfig(let message) {
            throw ModelError.invalidConfig("\(directory.appendingPathComponent("config.json").path): \(message)")
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.invalidConfig("\(directory.appendingPathComponent("config.json").path): \(error)")
        }
    }

    /// The "model_type" string of DIR/config.json.
    static func modelType(_ directory: URL) throws -> String {
        let json: JSONValue
        do { json = try JSONValue(parsing: try configData(directory)) } catch let e as ModelError { throw e } catch {
            throw ModelError.invalidConfig("\(directory.appendingPathComponent("config.json").path) is not valid JSON: \(error)")
        }
        guard let type = json["model_type"]?.stringValue else {
            throw ModelError.invalidConfig("\(directory.appendingPathComponent("config.json").path) has no \"model_type\"")
        }
        return type
    }
}

/// What a loader's ParameterFactory returns for a parameter it could not load, so that the layer does not
/// allocate its own initial value: untouched anonymous pages (nothing is committed), thrown away with the
/// model when the loader rethrows the recorded error.
func placeholder(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, storage: TensorStorage(lazyZerosCount: shape.reduce(1, *)))
}

/// The first error met by a ParameterFactory, which cannot throw, for the loader to rethrow.
final class LoadFailure {
    private(set) var error: Error?
    func record(_ e: Error) { if error == nil { error = e } }
    func check() throws { if let error { throw error } }
}

extension WeightSource {
    /// A ParameterFactory over the checkpoint (names looked up as `load(into:prefixes:)` does): an F32
    /// tensor is borrowed from the copy-on-write mapping, other float dtypes are converted into fresh
    /// storage. Missing tensors and shape mismatches go to `failure`.
    func parameters(prefixes: [String] = [], failure: LoadFailure) -> ParameterFactory {
        { name, shape in
            let candidates = [name] + prefixes.map { $0 + name }
            guard let entry = candidates.lazy.compactMap({ self.tensor(named: $0) }).first else {
                failure.record(ModelError.missingTensor(name)); return placeholder(shape)
            }
            guard entry.shape == shape else {
                failure.record(ModelError.shapeMismatch(name: name, expected: shape, found: entry.shape)); return placeholder(shape)
            }
            if let borrowed = Tensor(borrowing: entry) { return borrowed }
            let t = Tensor(uninitialized: shape)
            do { try t.load(from: entry) } catch { failure.record(error); return placeholder(shape) }
            return t
        }
    }

    /// Copies every parameter from the checkpoint, looking each name up as is and then with each
    /// of `prefixes` in front. Throws `missingTensor` / `shapeMismatch` naming the parameter.
    func load(into parameters: [(name: String, tensor: Tensor)], prefixes: [String] = []) throws {
        for (name, tensor) in parameters {
            let candidates = [name] + prefixes.map { $0 + name }
            guard let entry = candidates.lazy.compactMap({ self.tensor(named: $0) }).first else {
                throw ModelError.missingTensor(name)
            }
            guard entry.shape == tensor.shape else {
                throw ModelError.shapeMismatch(name: name, expected: tensor.shape, found: entry.shape)
            }
            try tensor.load(from: entry)
        }
    }
}
