// Data-parallel training: the batch split over ranks, gradient averaging in buckets (against a
// simulated peer, so it runs without MPI), and, where Open MPI is built in and `mpirun` exists, two
// real ranks of `quill train --distributed mpi` against one process with the same global batch.
import Foundation
import Testing
import QuillFormats
import QuillTensor
@testable import QuillTraining

/// A "world of two" inside one process: the other rank's contribution is a fixed buffer per call.
final class SimulatedPeer: Communicator {
    var peer: [[Float]]           // what rank 1 sends on each successive allreduce
    private(set) var calls = 0
    init(peer: [[Float]]) { self.peer = peer }
    var rank: Int { 0 }
    var size: Int { 2 }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        let other = peer[calls]; calls += 1
        precondition(other.count == buffer.count, "simulated peer sent \(other.count) floats for \(buffer.count)")
        for i in 0..<buffer.count { buffer[i] += other[i] }
    }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    func barrier() throws {}
}

@Suite("Data-parallel training")
struct DistributedTrainingTests {
    @Test func ranksTogetherSeeTheOneProcessBatch() throws {
        let data = try makeCorpus("dp-loader")
        let shard = try TokenShard(url: data.appendingPathComponent("train.bin"))
        var whole = try DataLoader(shard: shard, batchSize: 6, time: 8, seed: 3)
        var r0 = whole, r1 = whole, r2 = whole
        for _ in 0..<4 {
            let all = whole.next()
            let parts = [r0.next(rank: 0, of: 3), r1.next(rank: 1, of: 3), r2.next(rank: 2, of: 3)]
            #expect(parts.allSatisfy { $0.batchSize == 2 })
            #expect(parts.flatMap(\.inputs) == all.inputs && parts.flatMap(\.targets) == all.targets)
        }
        #expect(r1.rng == whole.rng && r1.batchesDrawn == whole.batchesDrawn)   // one sampler position for all
    }

    @Test func gradientsAreAveragedAcrossBucketBoundaries() throws {
        // Three tensors (5, 3, 4 elements) through 4-element buckets: the buckets straddle tensors.
        let tensors = [Tensor(shape: [5], scalars: (0..<5).map(Float.init)),
                       Tensor(shape: [3], scalars: [10, 20, 30]),
                       Tensor(shape: [4], scalars: [1, 1, 1, 1])]
        let mine: [[Float]] = [[1, 2, 3, 4, 5], [6, 7, 8], [-1, -2, -3, -4]]
        for (t, g) in zip(tensors, mine) { t.grad = Tensor(shape: t.shape, scalars: g) }
        let theirs: [Float] = [3, 2, 1, 0, -5, 0, 1, 2, 1, 2, 3, 4]
        let peer = SimulatedPeer(peer: stride(from: 0, to: 12, by: 4).map { Array(theirs[$0..<$0 + 4]) })
        try GradientAllReduce(communicator: peer, bucketElements: 4).average(tensors)
        #expect(peer.calls == 3)
        let averaged = tensors.flatMap { $0.grad!.scalars }
        #expect(averaged == [2, 2, 2, 2, 0, 3, 4, 5, 0, 0, 0, 0])
    }

    @Test func aGlobalBatchThatDoesNotSplitIsATypedError() throws {
        let data = try makeCorpus("dp-split")
        var c = tinyConfig(data: data)
        c.batchSize = 3
        let peer = SimulatedPeer(peer: [])
        #expect(throws: TrainingError.self) {
            try Trainer(config: c, output: temporaryDirectory("dp-split-out"), tokenizerName: "bytes",
                        vocabularySize: 257, eosTokenID: 256, resume: false, communicator: peer)
        }
        #expect(throws: DistributedError.self) { try Distributed.communicator("nccl") }
    }

    static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func run(_ exe: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, out)
    }

    /// Two ranks × batch 2 against one process × batch 4, same seed and data, no dropout: the same
    /// losses and weights up to reduction order (the mean over the batch is summed in two halves).
    /// Measured: max |Δloss| 4.8e-7 (train and validation), max |Δweight| 7.3e-7 after 12 steps; bounds 1e-5.
    @Test(.enabled(if: Distributed.mpiAvailable && mpirun != nil,
                   "Open MPI is not built in or mpirun is absent (apt-get install libopenmpi-dev openmpi-bin, touch Package.swift)"))
    func twoRanksTrainLikeOneProcessWithTheCombinedBatch() throws {
        let exe = try #require(CheckpointCrashTests.quillExecutable(), "the quill executable is not beside the test bundle")
        let data = try makeCorpus("dp-data")
        let one = temporaryDirectory("dp-one"), two = temporaryDirectory("dp-two")
        let common = ["train", "--data", data.path, "--n-layer", "2", "--n-head", "2", "--n-embd", "32",
                      "--context-length", "32", "--batch-size", "4", "--sequence-length", "16", "--gradient-accumulation", "2",
                      "--max-steps", "12", "--warmup-steps", "2", "--eval-interval", "6", "--checkpoint-interval", "6",
                      "--dropout", "0", "--seed", "11", "--threads", "1"]
        let single = try Self.run(exe.path, common + ["--output", one.path])
        #expect(single.status == 0, "\(single.output)")
        let mpi = try Self.run(Self.mpirun!, ["--allow-run-as-root", "--oversubscribe", "-np", "2", exe.path]
                               + common + ["--output", two.path, "--distributed", "mpi"])
        #expect(mpi.status == 0, "\(mpi.output)")
        #expect(mpi.output.contains("2 ranks × batch 2"), "\(mpi.output)")
        let a = try Checkpoint.loadState(from: Checkpoint.latestDirectory(in: one))
        let b = try Checkpoint.loadState(from: Checkpoint.latestDirectory(in: two))
        #expect(b.step == 12 && a.trainLosses.count == b.trainLosses.count)
        let lossGap = zip(a.trainLosses, b.trainLosses).map { abs($0.loss - $1.loss) }.max() ?? .infinity
        let valGap = zip(a.validationLosses, b.validationLosses).map { abs($0.loss - $1.loss) }.max() ?? .infinity
        let wa = try SafetensorsFile(url: Checkpoint.latestDirectory(in: one).appendingPathComponent("model.safetensors"))
        let wb = try SafetensorsFile(url: Checkpoint.latestDirectory(in: two).appendingPathComponent("model.safetensors"))
        var weightGap: Float = 0
        for t in wa.tensors {
            let x = try t.floats(), y = try #require(wb.tensor(named: t.name)).floats()
            weightGap = max(weightGap, zip(x, y).map { abs($0 - $1) }.max() ?? 0)
        }
        print("2 ranks vs 1 process: max |Δ train loss| \(lossGap), |Δ val loss| \(valGap), |Δ weight| \(weightGap)")
        #expect(lossGap <= 1e-5 && valGap <= 1e-5, "losses differ by \(lossGap) / \(valGap)")
        #expect(weightGap <= 1e-5, "weights differ by \(weightGap)")

        // Resuming with another number of ranks: one process to step 6, then two ranks to step 12, ends
        // where the one-process run did (the sampler and the batch are global, so only reduction order differs).
        // (Part one in this process, with the very config the CLI run saved, stopped after 6 steps.)
        let mixed = temporaryDirectory("dp-mixed")
        try Trainer(config: a.config, output: mixed, tokenizerName: "bytes", vocabularySize: 257, eosTokenID: 256,
                    resume: false).run(stopAfter: 6)
        let resumed = try Self.run(Self.mpirun!, ["--allow-run-as-root", "--oversubscribe", "-np", "2", exe.path]
                                   + common + ["--output", mixed.path, "--distributed", "mpi", "--resume"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let c = try Checkpoint.loadState(from: Checkpoint.latestDirectory(in: mixed))
        #expect(c.step == 12 && c.trainLosses.count == a.trainLosses.count)
        let resumeGap = zip(a.trainLosses, c.trainLosses).map { abs($0.loss - $1.loss) }.max() ?? .infinity
        #expect(resumeGap <= 1e-5, "1 → 2 ranks on resume: losses differ by \(resumeGap)")
    }
}
