// Model-side reading of Hugging Face model directories: config.json decoded into a typed config
// (the configs' own ModelErrors reach the caller unchanged), model_type lookup, and copying checkpoint
// tensors into named parameters with name and shape checks (accepting HF's prefixes, e.g. "bert.").
import Foundation
import QuillFormats
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

extension WeightSource {
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
