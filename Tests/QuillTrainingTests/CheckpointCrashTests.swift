// Crash safety of checkpoints: a real `quill train` process is killed with SIGKILL at random moments
// (most land inside a save, since it checkpoints every step), resumed each time, and must end with
// exactly the losses and weights of an uninterrupted run: never a model from one step beside an
// optimizer from another. Once for a fresh GPT, once for a Llama continued with --model.
import Foundation
import Testing
import QuillFormats
@testable import QuillTraining

@Suite("Checkpoint crash safety")
struct CheckpointCrashTests {
    /// The `quill` executable built beside this test bundle (`swift build --build-tests` builds it).
    static func quillExecutable() -> URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("quill")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func trainArguments(family: String, data: URL, output: URL) -> [String] {
        if family == "llama" {
            return ["train", "--model", TrainerFamilyTests.llamaTiny.path, "--data", data.path, "--output", output.path,
                    "--batch-size", "2", "--sequence-length", "16", "--max-steps", "40", "--warmup-steps", "2",
                    "--eval-interval", "5", "--checkpoint-interval", "1", "--seed", "5", "--threads", "1"]
        }
        return ["train", "--data", data.path, "--output", output.path, "--n-layer", "2", "--n-head", "2", "--n-embd", "32",
         "--context-length", "32", "--batch-size", "4", "--sequence-length", "16", "--gradient-accumulation", "1",
         "--max-steps", "48", "--warmup-steps", "2", "--eval-interval", "5", "--checkpoint-interval", "1",
         "--dropout", "0.1", "--seed", "5", "--threads", "1"]
    }

    static func start(_ exe: URL, _ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test(arguments: ["gpt2", "llama"])
    func killedRunsResumeToTheUninterruptedResult(family: String) throws {
        guard let exe = Self.quillExecutable() else {
            Issue.record("the quill executable is not beside the test bundle; build with `swift build --build-tests`")
            return
        }
        let data = family == "llama" ? try TrainerFamilyTests.smallVocabularyCorpus("crash-data") : try makeCorpus("crash-data")
        func arguments(_ output: URL) -> [String] { Self.trainArguments(family: family, data: data, output: output) }
        let straight = temporaryDirectory("crash-straight")
        let reference = try Self.start(exe, arguments(straight))
        reference.waitUntilExit()
        #expect(reference.terminationStatus == 0)

        let interrupted = temporaryDirectory("crash-killed")
        var rng = SystemRandomNumberGenerator()
        var kills = 0, finished = false
        // Start (or resume) and kill at a random moment until a run gets to the end by itself.
        for _ in 0..<40 where !finished {
            let hasCheckpoint = FileManager.default.fileExists(atPath: interrupted.appendingPathComponent("checkpoints/latest").path)
            let p = try Self.start(exe, arguments(interrupted) + (hasCheckpoint ? ["--resume"] : []))
            usleep(UInt32.random(in: 20_000...250_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
            if p.terminationReason == .exit {
                #expect(p.terminationStatus == 0, "a resumed run failed: the checkpoint it found was inconsistent")
                finished = true
            }
        }
        if !finished {
            let last = try Self.start(exe, arguments(interrupted) + ["--resume"])
            last.waitUntilExit()
            #expect(last.terminationStatus == 0)
        }
        #expect(kills > 0, "no run was still going when its kill came; the test did not interrupt anything")

        let a = try Checkpoint.loadState(from: Checkpoint.latestDirectory(in: straight))
        let b = try Checkpoint.loadState(from: Checkpoint.latestDirectory(in: interrupted))
        #expect(b.step == a.step && a.step == (family == "llama" ? 40 : 48))
        #expect(a.trainLosses == b.trainLosses)
        #expect(a.validationLosses == b.validationLosses)
        let weightsA = try SafetensorsFile(url: Checkpoint.latestDirectory(in: straight).appendingPathComponent("model.safetensors"))
        let weightsB = try SafetensorsFile(url: Checkpoint.latestDirectory(in: interrupted).appendingPathComponent("model.safetensors"))
        #expect(weightsA.tensors.count == weightsB.tensors.count)
        for t in weightsA.tensors {
            #expect(weightsB.tensor(named: t.name).map { Array($0.bytes) } == Array(t.bytes), "\(t.name) differs")
        }
    }
}
