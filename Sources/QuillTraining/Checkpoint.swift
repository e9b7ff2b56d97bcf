// Checkpoint files in a model directory: the HF model files (config.json, model.safetensors),
// optimizer.safetensors (AdamW moments) and trainer_state.json. Each file is replaced atomically
// and trainer_state.json is written last; the step recorded in each safetensors file's metadata
// must match it, so a crash mid-save is detected on resume instead of silently mixing steps.
import Foundation
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor

public enum Checkpoint {
    static let stateFile = "trainer_state.json"
    static let optimizerFile = "optimizer.safetensors"

    public static func save(model: GPT, optimizer: AdamW, state: TrainingState, to dir: URL) throws {
        try model.save(directory: dir)
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
            throw TrainingError.checkpoint("\(optimizerFile) is from step \(file.metadata["step"] ?? "?"), trainer state from step \(step): the last save was interrupted")
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
}
