// Crash-safe checkpoints. A checkpoint is one directory, checkpoints/step-NNNNNNNN, holding the HF
// model files, optimizer.safetensors (AdamW moments) and trainer_state.json. It is written whole into
// a temporary sibling, fsync'ed, renamed into place, and only then named by checkpoints/latest (itself
// replaced atomically): a crash at any instant leaves the previous checkpoint complete and current.
import Foundation
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor

public enum Checkpoint {
    static let stateFile = "trainer_state.json"
    static let optimizerFile = "optimizer.safetensors"
    static let folder = "checkpoints"
    static let latestFile = "latest"

    /// Writes a complete checkpoint of step `state.step` under `output/checkpoints/`, points
    /// `checkpoints/latest` at it, and removes all but the newest `keep` checkpoints.
    public static func save(model: any TrainableModel, optimizer: AdamW, state: TrainingState, to output: URL, keep: Int = 2) throws {
        let root = output.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let name = stepName(state.step)
        let staging = root.appendingPathComponent(".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            try write(model: model, optimizer: optimizer, state: state, into: staging)
            synchronizeDirectory(staging)
            let final = root.appendingPathComponent(name)
            // A directory of the same step can only be a checkpoint that `latest` does not name yet
            // (the run was killed between the rename and the pointer update, then resumed).
            if FileManager.default.fileExists(atPath: final.path) { try FileManager.default.removeItem(at: final) }
            guard rename(staging.path, final.path) == 0 else {
                throw TrainingError.checkpoint("cannot rename \(staging.path) to \(final.path): \(String(cString: strerror(errno)))")
            }
            synchronizeDirectory(root)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
        try writeAtomically(Data((name + "\n").utf8), to: root.appendingPathComponent(latestFile))
        synchronizeDirectory(root)
        prune(root, keeping: keep, current: name)
    }

    /// The directory of the checkpoint to resume from: the one `checkpoints/latest` names, or, for a
    /// folder written before checkpoints had their own directories, `output` itself.
    public static func latestDirectory(in output: URL) throws -> URL {
        let root = output.appendingPathComponent(folder)
        let pointer = root.appendingPathComponent(latestFile)
        guard let data = FileManager.default.contents(atPath: pointer.path) else {
            if FileManager.default.fileExists(atPath: output.appendingPathComponent(stateFile).path) { return output }
            throw TrainingError.checkpoint("\(output.path) holds no checkpoint (no \(folder)/\(latestFile)): nothing to resume")
        }
        let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.hasPrefix("step-"), !name.contains("/"), !name.contains("..") else {
            throw TrainingError.checkpoint("\(pointer.path) names '\(name)', which is not a checkpoint directory")
        }
        let directory = root.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(stateFile).path) else {
            throw TrainingError.checkpoint("\(pointer.path) names \(name), but \(directory.path) holds no \(stateFile)")
        }
        return directory
    }

    public static func loadState(from dir: URL) throws -> TrainingState {
        let url = dir.appendingPathComponent(stateFile)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.checkpoint("\(url.path) not found: nothing to resume")
        }
        do { return try JSONDecoder().decode(TrainingState.self, from: data) } catch {
            throw TrainingError.checkpoint("\(url.path) is not a valid trainer state: \(error)")
        }
    }

    public static func loadOptimizer(_ optimizer: AdamW, from dir: URL, step: Int) throws {
        let file = try SafetensorsFile(url: dir.appendingPathComponent(optimizerFile))
        guard file.metadata["step"] == String(step), let optStep = file.metadata["optimizer_step"].flatMap(Int.init) else {
            throw TrainingError.checkpoint("\(optimizerFile) is from step \(file.metadata["step"] ?? "?"), trainer state from step \(step): the checkpoint is inconsistent")
        }
        for (i, p) in optimizer.parameters.enumerated() {
            for (prefix, tensor) in [("m.", optimizer.firstMoments[i]), ("v.", optimizer.secondMoments[i])] {
                guard let entry = file.tensor(named: prefix + p.name) else {
                    throw TrainingError.checkpoint("\(optimizerFile) has no '\(prefix + p.name)'")
                }
                try tensor.load(from: entry)
            }
        }
        optimizer.step = optStep
    }

    /// The model, optimizer and state files of one checkpoint, into an existing directory.
    static func write(model: any TrainableModel, optimizer: AdamW, state: TrainingState, into dir: URL) throws {
        try model.save(directory: dir, dtype: .f32)
        let stepMeta = ["step": String(state.step), "optimizer_step": String(optimizer.step)]
        var entries: [SafetensorsWriter.Entry] = []
        for (i, p) in optimizer.parameters.enumerated() {
            entries.append(optimizer.firstMoments[i].safetensorsEntry(name: "m." + p.name))
            entries.append(optimizer.secondMoments[i].safetensorsEntry(name: "v." + p.name))
        }
        try SafetensorsWriter.write(tensors: entries, metadata: stepMeta, to: dir.appendingPathComponent(optimizerFile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(encoder.encode(state), to: dir.appendingPathComponent(stateFile))
    }

    static func stepName(_ step: Int) -> String {
        "step-" + String(repeating: "0", count: max(0, 8 - String(step).count)) + String(step)
    }

    /// Deletes older checkpoints and abandoned staging folders; failures only leave extra files behind.
    private static func prune(_ root: URL, keeping keep: Int, current: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return }
        let steps = names.filter { $0.hasPrefix("step-") }.sorted()
        for name in steps.dropLast(max(1, keep)) where name != current {
            try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
        }
        for name in names where name.hasPrefix(".step-") && !name.contains("-\(getpid())-") {
            try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
        }
    }
}
