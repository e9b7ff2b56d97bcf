// Learns a byte-level BPE vocabulary from a corpus: pre-tokenize (GPT-2 pattern by default) and count
// distinct pieces, then repeatedly merge the most frequent adjacent pair. Pair counts are updated
// incrementally from the words that contain the merged pair (as in Hugging Face's BpeTrainer), with a
// lazily-refreshed max-heap; ties go to the smaller (left id, right id), so training is deterministic.

import Foundation

/// Trains byte-level BPE vocabularies.
///
/// ```swift
/// let trainer = BPETrainer(vocabularySize: 8192)
/// let tokenizer = try trainer.train(text: corpus)
/// try tokenizer.writeHuggingFaceJSON("out/tokenizer.json")   // loads in HF tokenizers
/// try tokenizer.tiktokenRankFile().write(toFile: "out/vocab.tiktoken", atomically: true, encoding: .utf8)
/// ```
public struct BPETrainer: Sendable {
    /// Final vocabulary size: 256 byte tokens + learned merges + special tokens.
    public var vocabularySize: Int
    /// Pre-tokenization pattern (pieces never merge across its boundaries).
    public var pattern: PreTokenizerPattern
    /// Special tokens, given the last ids in this order.
    public var specialTokens: [String]

    public init(vocabularySize: Int, pattern: PreTokenizerPattern = .gpt2, specialTokens: [String] = ["<|endoftext|>"]) {
        self.vocabularySize = vocabularySize
        self.pattern = pattern
        self.specialTokens = specialTokens
    }

    /// Trains on `text`. `progress(mergesDone, mergesWanted)` is called every 100 merges.
    public func train(text: String, progress: ((Int, Int) -> Void)? = nil) throws(TokenizerError) -> BPETokenizer {
        let ordinaryTarget = vocabularySize - specialTokens.count
        guard ordinaryTarget >= 256 else {
            throw .invalidTrainingOptions("vocabulary size \(vocabularySize) leaves no room for the 256 byte tokens "
                + "and \(specialTokens.count) special tokens; use at least \(256 + specialTokens.count)")
        }
        guard Set(specialTokens).count == specialTokens.count, !specialTokens.contains("") else {
            throw .invalidTrainingOptions("special tokens must be distinct and non-empty")
        }
        var state = BPETrainingState(words: Self.countWords(text, pattern: pattern))
        state.learn(until: ordinaryTarget, progress: progress)
        let tokens = state.tokens.enumerated().map { (bytes: $0.element, id: $0.offset) }
        let model = try BytePairModel(tokens: tokens, merges: state.merges, preTokenization: PreTokenization(pattern), wholePieceLookup: false,
                                      source: "trainer")
        var specials: [String: Int] = [:]
        for (k, name) in specialTokens.enumerated() { specials[name] = state.tokens.count + k }
        return BPETokenizer(model: model, specialTokens: specials, endOfTextToken: specialTokens.first ?? "<|endoftext|>")
    }

    /// Distinct pre-tokenized pieces and how often each occurs (ordinary encoding: special text is plain text).
    static func countWords(_ text: String, pattern: PreTokenizerPattern) -> [(bytes: [UInt8], count: Int)] {
        var text = text
        return text.withUTF8 { buffer -> [(bytes: [UInt8], count: Int)] in
            guard let base = buffer.baseAddress else { return [] }
            let index = ByteSliceMap(capacity: 1 << 16)
            var words: [(bytes: [UInt8], count: Int)] = []
            let pre = PreTokenizer(bytes: buffer, pattern: pattern)
            var i = 0
            while i < buffer.count {
                let end = pre.pieceEnd(from: i)
                let h = ByteSliceMap.hash(base + i, end - i)
                if let k = index.find(base + i, end - i, hash: h) {
                    words[Int(k)].count += 1
                } else {
                    index.insert(base + i, end - i, hash: h, value: UInt64(words.count))
                    words.append((Array(buffer[i..<end]), 1))
                }
                i = end
            }
            // Deterministic order regardless of hashing: by bytes.
            return words.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        }
    }
}

/// The mutable state of one training run.
struct BPETrainingState {
    var symbols: [[Int32]]
    let frequency: [Int]
    var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
    var tokenIndex: [[UInt8]: Int] = Dictionary(uniqueKeysWithValues: (0..<256).map { ([UInt8($0)], $0) })
    var merges: [(left: Int, right: Int)] = []
    var pairCount: [UInt64: Int] = [:]
    var pairWords: [UInt64: [Int32]] = [:]
    var heap = BinaryHeap<CountedPair>()

    init(words: [(bytes: [UInt8], count: Int)]) {
        symbols = words.map { $0.bytes.map { Int32($0) } }
        frequency = words.map(\.count)
        for (w, word) in symbols.enumerated() where word.count > 1 {
            for k in 0..<(word.count - 1) {
                let key = Self.key(word[k], word[k + 1])
                pairCount[key, default: 0] += frequency[w]
                pairWords[key, default: []].append(Int32(w))
            }
        }
        for (key, count) in pairCount { heap.push(CountedPair(count: count, key: key)) }
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    /// Merges until there are `target` ordinary tokens or no pair is left.
    mutating func learn(until target: Int, progress: ((Int, Int) -> Void)?) {
        let wanted = target - tokens.count
        while tokens.count < target, let top = heap.pop() {
            let (count, key) = (top.count, top.key)
            let current = pairCount[key] ?? 0
            if current != count {  // stale entry: re-queue with the live count
                if current > 0 { heap.push(CountedPair(count: current, key: key)) }
                continue
            }
            if current <= 0 { break }
            apply(key)
            if let progress, merges.count % 100 == 0 { progress(merges.count, wanted) }
        }
    }

    /// Merges pair `key` everywhere: rewrites each word containing it and updates pair counts by the difference.
    mutating func apply(_ key: UInt64) {
        let a = Int32(truncatingIfNeeded: key >> 32), b = Int32(truncatingIfNeeded: key & 0xFFFF_FFFF)
        let mergedBytes = tokens[Int(a)] + tokens[Int(b)]
        let newID: Int32
        if let existing = tokenIndex[mergedBytes] {
            newID = Int32(existing)  // same bytes reached by another split: reuse the id (as HF does)
        } else {
            newID = Int32(tokens.count)
            tokenIndex[mergedBytes] = tokens.count
            tokens.append(mergedBytes)
        }
        merges.append((Int(a), Int(b)))
        var touched: Set<UInt64> = []
        var seen: Set<Int32> = []
        for w in pairWords[key] ?? [] where seen.insert(w).inserted {
            let old = symbols[Int(w)]
            var new: [Int32] = []
            new.reserveCapacity(old.count)
            var i = 0
            var changed = false
            while i < old.count {
                if i + 1 < old.count && old[i] == a && old[i + 1] == b {
                    new.append(newID); i += 2; changed = true
                } else {
                    new.append(old[i]); i += 1
                }
            }
            guard changed else { continue }
            let f = frequency[Int(w)]
            for k in 0..<(old.count - 1) {
                let p = Self.key(old[k], old[k + 1])
                pairCount[p, default: 0] -= f
                touched.insert(p)
            }
            if new.count > 1 {
                for k in 0..<(new.count - 1) {
                    let p = Self.key(new[k], new[k + 1])
                    pairCount[p, default: 0] += f
                    if new[k] == newID || new[k + 1] == newID { pairWords[p, default: []].append(w) }
                    touched.insert(p)
                }
            }
            symbols[Int(w)] = new
        }
        pairCount[key] = 0
        pairWords[key] = nil
        for p in touched.sorted() {
            let count = pairCount[p] ?? 0
            if count > 0 { heap.push(CountedPair(count: count, key: p)) } else { pairCount[p] = nil }
        }
    }
}
