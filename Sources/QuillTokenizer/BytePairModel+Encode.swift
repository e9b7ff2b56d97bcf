// The hot path: ordinary text → ids. Most time is spent here. Pieces repeat (words), so each call
// keeps a cache from piece bytes to ids; a miss runs the byte-pair merge: O(n²) on a stack of small
// arrays for short pieces, a heap over a linked list for long ones (same leftmost-lowest-rank order).

import Foundation

/// A growable UInt32 buffer without Swift array overhead.
struct IDBuffer {
    private(set) var base: UnsafeMutablePointer<UInt32>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    func free() { base.deallocate() }

    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity {
            var newCapacity = capacity * 2
            while count + extra > newCapacity { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
            grown.update(from: base, count: count)
            base.deallocate()
            base = grown
            capacity = newCapacity
        }
    }

    @inline(__always)
    mutating func append(_ id: UInt32) {
        reserve(1)
        base[count] = id
        count += 1
    }

    @inline(__always)
    mutating func append(from source: UnsafePointer<UInt32>, count n: Int) {
        reserve(n)
        if n <= 4 {  // the usual case: a word is one or two tokens; a loop beats a memmove call
            for k in 0..<n { base[count + k] = source[k] }
        } else {
            (base + count).update(from: source, count: n)
        }
        count += n
    }

    mutating func removeAll() { count = 0 }

    var ints: [Int] {
        [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int(base[i]) }
            initialized = count
        }
    }
}

/// Scratch state of one encode call (or one worker of a parallel encode): output, piece caches, merge buffers.
struct EncodeState {
    static let maxCachedPiece = 48
    static let maxSmallPiece = 256

    var output: IDBuffer
    let useCache: Bool
    /// Pieces of ≤ 16 bytes (almost all); longer ones up to `maxCachedPiece` go to `longCache`.
    var shortCache: PieceCache
    let longCache: ByteSliceMap?
    var cachedIDs: IDBuffer
    let scratchIDs: UnsafeMutablePointer<UInt32>
    let scratchRanks: UnsafeMutablePointer<UInt64>
    let scratchStarts: UnsafeMutablePointer<Int>
    /// tiktoken rule only: memoized pair ranks (id pairs repeat across words; a byte-string lookup does not need to).
    let pairCache: PairMap

    /// `expectedBytes` sizes the buffers; short inputs skip the caches (building them costs more than they save).
    init(expectedBytes: Int) {
        useCache = expectedBytes >= 256
        output = IDBuffer(capacity: expectedBytes / 3 + 16)
        shortCache = PieceCache(capacity: useCache ? min(expectedBytes / 128, 1 << 15) : 1)
        longCache = useCache ? ByteSliceMap(capacity: 256) : nil
        cachedIDs = IDBuffer(capacity: useCache ? 4096 : 16)
        scratchIDs = .allocate(capacity: Self.maxSmallPiece)
        scratchRanks = .allocate(capacity: Self.maxSmallPiece)
        scratchStarts = .allocate(capacity: Self.maxSmallPiece + 1)
        pairCache = PairMap(capacity: useCache ? min(expectedBytes / 64, 1 << 16) : 16)
    }

    func free() {
        output.free()
        shortCache.free()
        cachedIDs.free()
        scratchIDs.deallocate()
        scratchRanks.deallocate()
        scratchStarts.deallocate()
    }
}

extension BytePairModel {
    /// Encodes valid UTF-8 (no special-token handling), appending to `state.output`.
    func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, state: inout EncodeState) {
        guard let base = text.baseAddress else { return }
        let pre = PreTokenizer(bytes: text, pattern: pattern)
        let alpha = UnicodeClassTable.shared.asciiAlpha
        // GPT-2 and cl100k agree on the commonest piece, ` ?[A-Za-z]+` followed by an ASCII non-letter, so it
        // is found here without the general state machine (o200k splits it by letter case).
        let fastPath = pattern != .o200k
        let n = text.count
        var i = 0
        while i < n {
            var end = -1
            if fastPath {
                var j = i
                if base[j] == 0x20 && j + 1 < n { j += 1 }
                if alpha[Int(base[j])] != 0 {
                    j += 1
                    while j < n && alpha[Int(base[j])] != 0 { j += 1 }
                    if j == n || base[j] < 0x80 { end = j }
                }
            }
            if end < 0 { end = pre.pieceEnd(from: i) }
            let length = end - i
            let piece = base + i
            if length == 1 {
                state.output.append(byteIDs[Int(piece[0])])
            } else if length <= PieceCache.maxLength && state.useCache {
                let (lo, hi) = PieceCache.pack(piece, length, readable: n - i)
                if let hit = state.shortCache.find(lo, hi, length) {
                    if hit.count == 1 {
                        state.output.append(UInt32(truncatingIfNeeded: hit.payload))
                    } else {
                        state.output.append(from: state.cachedIDs.base + hit.payload, count: hit.count)
                    }
                } else {
                    let start = state.output.count
                    encodePiece(piece, length, state: &state)
                    let produced = state.output.count - start
                    if produced == 1 {
                        state.shortCache.insert(lo, hi, length, payload: Int(state.output.base[start]), count: 1)
                    } else {
                        let offset = state.cachedIDs.count
                        state.cachedIDs.append(from: state.output.base + start, count: produced)
                        state.shortCache.insert(lo, hi, length, payload: offset, count: produced)
                    }
                }
            } else if length <= EncodeState.maxCachedPiece, let cache = state.longCache {
                let h = ByteSliceMap.hash(piece, length)
                if let packed = cache.find(piece, length, hash: h) {
                    state.output.append(from: state.cachedIDs.base + Int(packed >> 8), count: Int(packed & 0xFF))
                } else {
                    let start = state.output.count
                    encodePiece(piece, length, state: &state)
                    let produced = state.output.count - start
                    let offset = state.cachedIDs.count
                    state.cachedIDs.append(from: state.output.base + start, count: produced)
                    cache.insert(piece, length, hash: h, value: UInt64(offset) << 8 | UInt64(produced))
                }
            } else {
                encodePiece(piece, length, state: &state)
            }
            i = end
        }
    }

    /// Byte-pair merge of one piece of `n` bytes.
    @inline(__always)
    func encodePiece(_ piece: UnsafePointer<UInt8>, _ n: Int, state: inout EncodeState) {
        if n == 1 {
            state.output.append(byteIDs[Int(piece[0])])
            return
        }
        if wholePieceLookup, let id = tokenMap.find(piece, n) {
            state.output.append(UInt32(id))
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
        for k in 0..<(n - 1) { ranks[k] = pairRank(piece, state.pairCache, ids[k], ids[k + 1], start: k, end: k + 2) }
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
                ranks[at] = pairRank(piece, state.pairCache, ids[at], ids[at + 1], start: starts[at], end: starts[at + 2])
            }
            if at > 0 {
                ranks[at - 1] = pairRank(piece, state.pairCache, ids[at - 1], ids[at], start: starts[at - 1], end: starts[at + 1])
            }
        }
        state.output.append(from: ids, count: m)
    }

    /// O(n log n) merge for long pieces: a min-heap of (rank, position) over a doubly linked list of parts
    /// (a part is named by the offset of its first byte), with stale heap entries skipped when popped.
    private func mergeLarge(_ piece: UnsafePointer<UInt8>, _ n: Int, state: inout EncodeState) {
        var ids = (0..<n).map { byteIDs[Int(piece[$0])] }
        var next = (0..<n).map { $0 + 1 < n ? $0 + 1 : -1 }
        var prev = (0..<n).map { $0 - 1 }
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        func rank(_ k: Int) -> UInt64 {  // of the pair starting at part k, or empty
            let j = next[k]
            guard j >= 0 else { return PairMap.empty }
            return pairRank(piece, state.pairCache, ids[k], ids[j], start: k, end: next[j] >= 0 ? next[j] : n)
        }
        for k in 0..<(n - 1) {
            let r = rank(k)
            if r != PairMap.empty { heap.push(rank: r, position: k) }
        }
        while let (r, k) = heap.pop() {
            guard alive[k], next[k] >= 0, rank(k) == r else { continue }
            let j = next[k]
            ids[k] = UInt32(truncatingIfNeeded: r)
            alive[j] = false
            next[k] = next[j]
            if next[j] >= 0 { prev[next[j]] = k }
            if prev[k] >= 0 {
                let left = rank(prev[k])
                if left != PairMap.empty { heap.push(rank: left, position: prev[k]) }
            }
            let right = rank(k)
            if right != PairMap.empty { heap.push(rank: right, position: k) }
        }
        var k = 0
        while k >= 0 {
            state.output.append(ids[k])
            k = next[k]
        }
    }
}

/// Binary min-heap of (packed rank, position); ties go to the lower position (leftmost merge first).
struct MinHeap {
    private var items: [(rank: UInt64, position: Int)] = []

    @inline(__always)
    private func less(_ a: (rank: UInt64, position: Int), _ b: (rank: UInt64, position: Int)) -> Bool {
        a.rank < b.rank || (a.rank == b.rank && a.position < b.position)
    }

    mutating func push(rank: UInt64, position: Int) {
        items.append((rank, position))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !less(items[i], items[parent]) { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (UInt64, Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count && less(items[l], items[smallest]) { smallest = l }
                if r < items.count && less(items[r], items[smallest]) { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return (top.rank, top.position)
    }
}
