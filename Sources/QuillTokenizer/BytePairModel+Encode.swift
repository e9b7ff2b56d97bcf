// The hot path: ordinary text → ids. Most time is spent here. Pieces repeat (words), so each call
// keeps a cache from piece bytes to ids; a miss runs the byte-pair merge: O(n²) on a stack of small
// arrays for short pieces, a heap over a linked list for long ones (same leftmost-lowest-rank order).

import Foundation

/// The ids being produced: either owned (grows as needed) or borrowed from the `[Int]` being returned, so the
/// result is written once, in place (a borrowed buffer cannot grow: the encoder stops and hands back a resume point).
struct IDBuffer {
    private(set) var base: UnsafeMutablePointer<Int>
    var count = 0
    private(set) var capacity: Int
    let owned: Bool

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        owned = true
    }

    init(borrowing base: UnsafeMutablePointer<Int>, capacity: Int) {
        self.base = base
        self.capacity = capacity
        owned = false
    }

    func free() { if owned { base.deallocate() } }

    /// Makes room for `extra` more ids; false when the buffer is borrowed and full.
    @inline(__always)
    mutating func ensure(_ extra: Int) -> Bool {
        if count + extra <= capacity { return true }
        guard owned else { return false }
        var newCapacity = capacity * 2
        while count + extra > newCapacity { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<Int>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
        return true
    }

    /// Appends after `ensure` made room.
    @inline(__always)
    mutating func appendUnchecked(_ id: UInt32) {
        base[count] = Int(id)
        count += 1
    }

    @inline(__always)
    mutating func appendUnchecked(from source: UnsafePointer<UInt32>, count n: Int) {
        for k in 0..<n { base[count + k] = Int(source[k]) }  // usually 1–3 ids: a loop beats a memmove call
        count += n
    }

    /// Appends, growing an owned buffer (a full borrowed one traps).
    mutating func append(_ id: UInt32) {
        precondition(ensure(1), "borrowed IDBuffer is full")
        appendUnchecked(id)
    }

    var ints: [Int] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

/// The ids of cached pieces that are more than one token (UInt32, appended, never removed).
struct CachedIDs {
    private(set) var base: UnsafeMutablePointer<UInt32>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    func free() { base.deallocate() }

    /// Appends ids `source[0..<n]` and returns the offset they were stored at.
    mutating func append(from source: UnsafePointer<Int>, count n: Int) -> Int {
        if count + n > capacity {
            while count + n > capacity { capacity *= 2 }
            let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
            grown.update(from: base, count: count)
            base.deallocate()
            base = grown
        }
        for k in 0..<n { base[count + k] = UInt32(truncatingIfNeeded: source[k]) }
        count += n
        return count - n
    }
}

/// Scratch state of one encode call (or one worker of a parallel encode): output, piece caches, merge buffers.
struct EncodeState {
    static let maxCachedPiece = 48
    static let maxSmallPiece = 256

    var output: IDBuffer
    let useCache: Bool
    /// Pieces of 2–8 bytes (nearly all); 9–16 bytes go to `shortCache`, up to `maxCachedPiece` to `longCache`.
    var wordCache: WordCache
    var shortCache: PieceCache
    let longCache: ByteSliceMap?
    var cachedIDs: CachedIDs
    let scratchIDs: UnsafeMutablePointer<UInt32>
    let scratchRanks: UnsafeMutablePointer<UInt64>
    let scratchStarts: UnsafeMutablePointer<Int>

    /// `expectedBytes` sizes the caches; short inputs skip them (building them costs more than they save).
    init(expectedBytes: Int, output: IDBuffer) {
        useCache = expectedBytes >= 256
        self.output = output
        // Distinct pieces grow slower than the text (~25k short ones in 5 MB of Shakespeare); the caches grow
        // when the estimate is too small, which costs less than a table too large for L2.
        wordCache = WordCache(capacity: useCache ? min(expectedBytes / 256, 1 << 14) : 1)
        shortCache = PieceCache(capacity: useCache ? min(expectedBytes / 2048, 1 << 12) : 1)
        longCache = useCache ? ByteSliceMap(capacity: 256) : nil
        cachedIDs = CachedIDs(capacity: useCache ? 4096 : 16)
        scratchIDs = .allocate(capacity: Self.maxSmallPiece)
        scratchRanks = .allocate(capacity: Self.maxSmallPiece)
        scratchStarts = .allocate(capacity: Self.maxSmallPiece + 1)
    }

    func free() {
        output.free()
        wordCache.free()
        shortCache.free()
        cachedIDs.free()
        scratchIDs.deallocate()
        scratchRanks.deallocate()
        scratchStarts.deallocate()
    }
}

extension BytePairModel {
    /// Encodes valid UTF-8 (no special-token handling) straight into the storage of the returned array, sized
    /// for one id per 3 bytes (English prose has ~1 per 3.2; tokens never outnumber bytes, so short texts get
    /// `count` slots). Text that needs more finishes in an owned buffer that is appended.
    func encodeOrdinaryToArray(_ text: UnsafeBufferPointer<UInt8>) -> [Int] {
        let n = text.count
        guard n > 0 else { return [] }
        var rest: [Int] = []
        var ids = [Int](unsafeUninitializedCapacity: n < 4096 ? n : n / 3 + 64) { storage, initialized in
            var state = EncodeState(expectedBytes: n,
                                    output: IDBuffer(borrowing: storage.baseAddress!, capacity: storage.count))
            defer { state.free() }
            let resume = encodeOrdinary(text, state: &state)
            initialized = state.output.count
            if resume < n {  // pieces are position-independent, so encoding can resume at any piece start
                state.output = IDBuffer(capacity: (n - resume) / 2 + 16)
                encodeOrdinary(UnsafeBufferPointer(rebasing: text[resume...]), state: &state)
                rest = state.output.ints
            }
        }
        ids.append(contentsOf: rest)
        dropMissingBytes(&ids)
        return ids
    }

    /// Encodes valid UTF-8 (no special-token handling), appending to `state.output`. Returns `text.count`, or,
    /// when a borrowed output fills up, the offset of the first piece not encoded (encode the rest from there).
    @discardableResult
    func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, state: inout EncodeState) -> Int {
        switch singlePattern {
        case .gpt2?: return encodeGPT2(text, state: &state)
        case let pattern?: return encodeGeneral(text, pattern: pattern, state: &state)
        case nil: return encodePipeline(text, state: &state)
        }
    }

    /// Several pre-tokenizer steps: the pieces are found first (a regex step may look ahead anywhere in
    /// the piece it splits, so a borrowed output that fills up cannot resume mid-text), then merged.
    func encodePipeline(_ text: UnsafeBufferPointer<UInt8>, state: inout EncodeState) -> Int {
        guard let base = text.baseAddress else { return 0 }
        guard state.output.ensure(text.count) else { return 0 }  // BPE never gives more ids than bytes
        let pieces = preTokenization.pieces(text)
        for (start, end) in pieces { emitPiece(base + start, end - start, readable: text.count - start, state: &state) }
        return text.count
    }

    /// The pattern-independent loop: `PreTokenizer` finds each piece. Also the reference the GPT-2 fast path
    /// is tested against.
    func encodeGeneral(_ text: UnsafeBufferPointer<UInt8>, pattern: PreTokenizerPattern, state: inout EncodeState) -> Int {
        guard let base = text.baseAddress else { return 0 }
        let pre = PreTokenizer(bytes: text, pattern: pattern)
        let n = text.count
        var i = 0
        while i < n {
            let end = pre.pieceEnd(from: i)
            guard state.output.ensure(end - i) else { return i }  // BPE never gives more ids than bytes
            emitPiece(base + i, end - i, readable: n - i, state: &state)
            i = end
        }
        return n
    }

    /// Appends the ids of one piece: from the caches, or by merging (and caching the result).
    /// The caller has made room for `n` ids.
    @inline(__always)
    func emitPiece(_ piece: UnsafePointer<UInt8>, _ n: Int, readable: Int, state: inout EncodeState) {
        if n == 1 {
            state.output.appendUnchecked(byteIDs[Int(piece[0])])
        } else if n <= WordCache.maxLength && state.useCache {
            let key = WordCache.pack(piece, n, readable: readable)
            let meta = state.wordCache.find(key, n)
            if meta != 0 {
                emitCached(meta, state: &state)
            } else {
                let (payload, count) = encodeAndRemember(piece, n, state: &state)
                state.wordCache.insert(key, n, payload: payload, count: count)
            }
        } else if n <= PieceCache.maxLength && state.useCache {
            let (lo, hi) = PieceCache.pack(piece, n, readable: readable)
            if let hit = state.shortCache.find(lo, hi, n) {
                emitCached(UInt64(hit.count) << 48 | UInt64(hit.payload), state: &state)
            } else {
                let (payload, count) = encodeAndRemember(piece, n, state: &state)
                state.shortCache.insert(lo, hi, n, payload: payload, count: count)
            }
        } else if n <= EncodeState.maxCachedPiece, let cache = state.longCache {
            let h = ByteSliceMap.hash(piece, n)
            if let packed = cache.find(piece, n, hash: h) {
                emitCached(packed, state: &state)
            } else {
                let (payload, count) = encodeAndRemember(piece, n, state: &state)
                cache.insert(piece, n, hash: h, value: UInt64(count) << 48 | UInt64(payload))
            }
        } else {
            encodePiece(piece, n, state: &state)
        }
    }

    /// Emits a cache entry packed as `count << 48 | payload` (higher bits ignored).
    @inline(__always)
    func emitCached(_ meta: UInt64, state: inout EncodeState) {
        let count = Int((meta >> 48) & 0xFF)
        let payload = Int(meta & 0xFFFF_FFFF_FFFF)
        if count == 1 {
            state.output.appendUnchecked(UInt32(truncatingIfNeeded: payload))
        } else {
            state.output.appendUnchecked(from: state.cachedIDs.base + payload, count: count)
        }
    }

    /// Merges a piece not seen before; returns what its cache entry stores: (id, 1) or (offset of its ids, count).
    func encodeAndRemember(_ piece: UnsafePointer<UInt8>, _ n: Int, state: inout EncodeState) -> (Int, Int) {
        let start = state.output.count
        encodePiece(piece, n, state: &state)
        let produced = state.output.count - start
        if produced == 1 { return (state.output.base[start], 1) }
        return (state.cachedIDs.append(from: state.output.base + start, count: produced), produced)
    }

    /// Byte-pair merge of one piece of `n` bytes.
    @inline(__always)
    func encodePiece(_ piece: UnsafePointer<UInt8>, _ n: Int, state: inout EncodeState) {
        if n == 1 {
            state.output.appendUnchecked(byteIDs[Int(piece[0])])
            return
        }
        if wholePieceLookup, let id = tokenID(piece, n) {
            state.output.appendUnchecked(id)
            return
        }
        if n <= EncodeState.maxSmallPiece {
            mergeSmall(piece, n, state: &state)
        } else {
            mergeLarge(piece, n, state: &state)
        }
    }

    /// O(n²) merge over small arrays: part ids, part start offsets, and the packed rank of each adjacent pair.
    private func mergeSmall(_ piece: UnsafePointer<UInt8>, _ n: Int, state: inout EncodeState) {
        let ids = state.scratchIDs
        let ranks = state.scratchRanks
        let starts = state.scratchStarts
        for k in 0..<n { ids[k] = byteIDs[Int(piece[k])]; starts[k] = k }
        starts[n] = n
        for k in 0..<(n - 1) { ranks[k] = pairRank(piece, ids[k], ids[k + 1], start: k, end: k + 2) }
        var m = n
        while m > 1 {
            var best = PairMap.empty
            var at = -1
            var k = 0
            while k < m - 1 {
                if ranks[k] < best { best = ranks[k]; at = k }
                k += 1
            }
            if at < 0 { break }
            ids[at] = UInt32(truncatingIfNeeded: best)
            k = at + 1
            while k < m - 1 { ids[k] = ids[k + 1]; k += 1 }
            k = at + 1
            while k < m { starts[k] = starts[k + 1]; k += 1 }
            k = at + 1
            while k < m - 2 { ranks[k] = ranks[k + 1]; k += 1 }
            m -= 1
            if at < m - 1 {
                ranks[at] = pairRank(piece, ids[at], ids[at + 1], start: starts[at], end: starts[at + 2])
            }
            if at > 0 {
                ranks[at - 1] = pairRank(piece, ids[at - 1], ids[at], start: starts[at - 1], end: starts[at + 1])
            }
        }
        state.output.appendUnchecked(from: ids, count: m)
    }

    /// O(n log n) merge for long pieces: a min-heap of (rank, position) over a doubly linked list of parts
    /// (a part is named by the offset of its first byte), with stale heap entries skipped when popped.
    private func mergeLarge(_ piece: UnsafePointer<UInt8>, _ n: Int, state: inout EncodeState) {
        var ids = (0..<n).map { byteIDs[Int(piece[$0])] }
        var next = (0..<n).map { $0 + 1 < n ? $0 + 1 : -1 }
        var prev = (0..<n).map { $0 - 1 }
        var alive = [Bool](repeating: true, count: n)
        var heap = BinaryHeap<RankedMerge>()
        func rank(_ k: Int) -> UInt64 {  // of the pair starting at part k, or empty
            let j = next[k]
            guard j >= 0 else { return PairMap.empty }
            return pairRank(piece, ids[k], ids[j], start: k, end: next[j] >= 0 ? next[j] : n)
        }
        for k in 0..<(n - 1) {
            let r = rank(k)
            if r != PairMap.empty { heap.push(RankedMerge(rank: r, position: k)) }
        }
        while let top = heap.pop() {
            let (r, k) = (top.rank, top.position)
            guard alive[k], next[k] >= 0, rank(k) == r else { continue }
            let j = next[k]
            ids[k] = UInt32(truncatingIfNeeded: r)
            alive[j] = false
            next[k] = next[j]
            if next[j] >= 0 { prev[next[j]] = k }
            if prev[k] >= 0 {
                let left = rank(prev[k])
                if left != PairMap.empty { heap.push(RankedMerge(rank: left, position: prev[k])) }
            }
            let right = rank(k)
            if right != PairMap.empty { heap.push(RankedMerge(rank: right, position: k)) }
        }
        var k = 0
        while k >= 0 {
            state.output.appendUnchecked(ids[k])
            k = next[k]
        }
    }
}
