// Supervised fine-tuning data: an SFTExample is one rendered conversation as token ids with a
// per-token loss mask (true on the assistant's tokens only, as TRL's assistant_only_loss or
// mlx-lm's --mask-prompt), and SFTPacking lays examples into fixed rows of T (input, target) pairs
// for the Trainer's masked loss: a target whose token is masked, and every pad, is `ignoreIndex`
// (-100, PyTorch's ignore_index), so the loss is the mean over assistant tokens alone.
//
// Packing is greedy, in order: an example of n tokens gives n−1 positions; it goes into the current
// row if it fits, else a new row is started (the old one padded). An example longer than T+1
// tokens is cut to its first T+1. Packed examples share a row's causal attention: a later example
// attends to the earlier ones in its row and RoPE positions continue across them (TRL's default
// packing does the same; only the loss is per-example). Rendering (the chat template) is the
// caller's: QuillTraining takes token ids, the CLI renders through QuillAssistant.
import QuillTensor

/// One training conversation: ids and, per id, whether the loss predicts it.
public struct SFTExample: Equatable, Sendable {
    public let tokens: [Int32]
    /// lossMask[i]: token i is a target the loss counts (an assistant token).
    public let lossMask: [Bool]

    public init(tokens: [Int32], lossMask: [Bool]) throws {
        guard tokens.count == lossMask.count else {
            throw TrainingError.invalidConfig("SFT example has \(tokens.count) tokens but \(lossMask.count) mask entries")
        }
        self.tokens = tokens
        self.lossMask = lossMask
    }

    /// An example from consecutive segments (a rendered prompt part, an assistant reply, ...), each
    /// counted by the loss or not.
    public init(segments: [(tokens: [Int32], trained: Bool)]) {
        tokens = segments.flatMap(\.tokens)
        lossMask = segments.flatMap { Array(repeating: $0.trained, count: $0.tokens.count) }
    }

    /// Tokens the loss counts as targets (position 0 never is: nothing predicts it).
    public var trainedTargets: Int { lossMask.dropFirst().filter { $0 }.count }
}

public enum SFTPacking {
    /// The target of a position the loss ignores (crossEntropy ignores every negative target).
    public static let ignoreIndex: Int32 = -100

    /// Rows of `time` inputs and targets, row-major (rows · time each). Pads are `padToken` inputs
    /// with ignored targets. Examples with fewer than two tokens or no trained target are skipped.
    public static func pack(_ examples: [SFTExample], time: Int, padToken: Int32) throws
        -> (inputs: [Int32], targets: [Int32], rows: Int) {
        guard time >= 1 else { throw TrainingError.invalidConfig("SFT packing needs a sequence length of at least 1") }
        var inputs: [Int32] = [], targets: [Int32] = []
        var used = 0   // positions filled in the current (last) row
        func padRow() {
            guard used > 0 else { return }
            let missing = time - used
            inputs += Array(repeating: padToken, count: missing)
            targets += Array(repeating: ignoreIndex, count: missing)
            used = 0
        }
        for example in examples {
            let n = min(example.tokens.count, time + 1)
            guard n >= 2, example.lossMask[1..<n].contains(true) else { continue }
            let positions = n - 1
            if used + positions > time { padRow() }
            for i in 0..<positions {
                inputs.append(example.tokens[i])
                targets.append(example.lossMask[i + 1] ? example.tokens[i + 1] : ignoreIndex)
            }
            used += positions
            if used == time { used = 0 }
        }
        padRow()
        return (inputs, targets, inputs.count / time)
    }
}

/// Packed SFT rows drawn as batches: each batch row is a packed row chosen by the loader's own
/// seeded RNG (with replacement, as DataLoader's windows), so the RNG state is the whole position
/// and a checkpoint restores it exactly.
public struct SFTLoader {
    public let inputs: [Int32]
    public let targets: [Int32]
    public let rows: Int
    public let batchSize: Int
    public let time: Int
    public var rng: RandomGenerator
    public private(set) var batchesDrawn = 0

    public init(examples: [SFTExample], batchSize: Int, time: Int, padToken: Int32, seed: UInt64, name: String) throws {
        let packed = try SFTPacking.pack(examples, time: time, padToken: padToken)
        guard packed.rows > 0 else {
            throw TrainingError.invalidConfig("\(name): no example has an assistant token to train on")
        }
        (inputs, targets, rows) = packed
        self.batchSize = batchSize
        self.time = time
        rng = RandomGenerator(seed: seed)
    }

    /// The next batch; in a data-parallel run rank `rank`'s share (as DataLoader.next).
    public mutating func next(rank: Int = 0, of ranks: Int = 1) -> Batch {
        precondition(ranks >= 1 && batchSize % ranks == 0 && (0..<ranks).contains(rank), "SFTLoader: bad rank split")
        let share = batchSize / ranks, mine = rank * share..<(rank + 1) * share
        var x: [Int32] = [], y: [Int32] = []
        for row in 0..<batchSize {
            let r = rng.nextInt(below: rows)
            guard mine.contains(row) else { continue }
            x += inputs[r * time..<(r + 1) * time]
            y += targets[r * time..<(r + 1) * time]
        }
        batchesDrawn += 1
        return Batch(inputs: x, targets: y, batchSize: share, time: time)
    }

    /// Every packed row once, in order, in batches of at most `batchSize` (the evaluation pass).
    public func sequentialBatches() -> [Batch] {
        stride(from: 0, to: rows, by: batchSize).map { start in
            let end = min(rows, start + batchSize)
            return Batch(inputs: Array(inputs[start * time..<end * time]), targets: Array(targets[start * time..<end * time]),
                         batchSize: end - start, time: time)
        }
    }

    public mutating func restore(rng: RandomGenerator, batchesDrawn: Int) {
        self.rng = rng
        self.batchesDrawn = batchesDrawn
    }
}
