// Random training windows over a token shard: each sample is T+1 consecutive tokens at an offset
// drawn from the loader's own seeded RNG, giving inputs x[0..<T] and targets x[1...T] (nanoGPT's
// get_batch). The RNG state is the loader's whole position, so checkpoints restore it exactly.
import QuillTensor

public struct Batch {
    public let inputs: [Int32]    // (B, T) row-major
    public let targets: [Int32]   // (B, T)
    public let batchSize: Int
    public let time: Int

    public init(inputs: [Int32], targets: [Int32], batchSize: Int, time: Int) {
        precondition(inputs.count == batchSize * time && targets.count == inputs.count, "Batch: inputs and targets must be B·T")
        self.inputs = inputs; self.targets = targets; self.batchSize = batchSize; self.time = time
    }
}

public struct DataLoader {
    public let shard: TokenShard
    public let batchSize: Int
    public let time: Int
    public var rng: RandomGenerator
    /// Batches drawn so far.
    public private(set) var batchesDrawn: Int = 0

    public init(shard: TokenShard, batchSize: Int, time: Int, seed: UInt64) throws {
        guard shard.count > time + 1 else {
            throw TrainingError.dataTooSmall(path: shard.path, tokens: shard.count, needed: time + 2)
        }
        self.shard = shard
        self.batchSize = batchSize
        self.time = time
        rng = RandomGenerator(seed: seed)
    }

    /// The next batch; in a data-parallel run of `ranks` processes, rank `rank`'s share of it: every
    /// rank draws the same `batchSize` windows and keeps rows rank·B/ranks ..< (rank+1)·B/ranks, so
    /// the ranks together see exactly the batch one process would (`batchSize` divisible by `ranks`).
    public mutating func next(rank: Int = 0, of ranks: Int = 1) -> Batch {
        precondition(ranks >= 1 && batchSize % ranks == 0 && (0..<ranks).contains(rank), "DataLoader: bad rank split")
        let share = batchSize / ranks, mine = rank * share..<(rank + 1) * share
        var inputs: [Int32] = [], targets: [Int32] = []
        inputs.reserveCapacity(share * time)
        targets.reserveCapacity(share * time)
        for row in 0..<batchSize {
            let start = rng.nextInt(below: shard.count - time)
            guard mine.contains(row) else { continue }
            for i in start..<start + time {
                inputs.append(shard[i])
                targets.append(shard[i + 1])
            }
        }
        batchesDrawn += 1
        return Batch(inputs: inputs, targets: targets, batchSize: share, time: time)
    }

    /// Restores the position saved in a checkpoint.
    public mutating func restore(rng: RandomGenerator, batchesDrawn: Int) {
        self.rng = rng
        self.batchesDrawn = batchesDrawn
    }
}

/// Where the Trainer's batches come from: random windows of a token shard or packed SFT rows. The
/// RNG state and count are the whole position (saved in checkpoints).
public protocol BatchSource {
    var rng: RandomGenerator { get }
    var batchesDrawn: Int { get }
    mutating func next(rank: Int, of ranks: Int) -> Batch
    mutating func restore(rng: RandomGenerator, batchesDrawn: Int)
}

extension DataLoader: BatchSource {}
extension SFTLoader: BatchSource {}

/// What a Trainer trains on: `config.data`'s train.bin / val.bin, or chat examples (token ids with
/// assistant-only loss masks) packed into rows of `sequenceLength`, pads being `padToken`.
public enum TrainingData {
    case shards
    case sft(train: [SFTExample], validation: [SFTExample], padToken: Int32)
}
