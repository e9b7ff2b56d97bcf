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
        (base + count).update(from: source, count: n)
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

/// Scratch state of one encode call (or one worker of a parallel encode): output, piece cache, merge buffers.
struct EncodeState {
    static let maxCachedPiece = 48
    static let maxSmallPiece = 256

    var output: IDBuffer
    let cache: ByteSliceMap?
    var cachedIDs: IDBuffer
    let scratchIDs: UnsafeMutablePointer<UInt32>
    let scratchRanks: UnsafeMutablePointer<UInt64>

    /// `expectedBytes` sizes the buffers; short inputs skip the cache (building it costs more than it saves).
    init(expectedBytes: Int) {
        output = IDBuffer(capacity: expectedBytes / 3 + 16)
        cache = expectedBytes >= 512 ? ByteSliceMap(capacity: min(expectedBytes / 16, 1 << 16)) : nil
        cachedIDs = IDBuffer(capacity: expectedBytes >= 512 ? 4096 : 16)
        scratchIDs = .allocate(capacity: Self.maxSmallPiece)
        scratchRanks = .allocate(capacity: Self.maxSmallPiece)
    }

    func free() {
        output.free()
        cachedIDs.free()
        scratchIDs.deallocate()
        scratchRanks.deallocate()
    }
}

extension BytePairModel {
    /// Encodes valid UTF-8 (no special-token handling), appending to `state.output`.
    func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, state: inout EncodeState) {
        guard let base = text.baseAddress else { return }
        let pre = PreTokenizer(bytes: text, pattern: pattern)
        let n = text.count
        var i = 0
        while i < n {
            let end = pre.pieceEnd(from: i)
            let length = end - i
            let piece = base + i
            if length == 1 {
                state.output.append(byteIDs[Int(piece[0])])
            } else if length <= EncodeState.maxCachedPiece, let cache = state.cache {
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

    /// O(n²) merge over two small arrays: part ids and the packed rank of each adjacent pair.
    private func mergeSmall(_ piece: UnsafePointer<UInt8>, _ n: Int, state: inout EncodeState) {
        let ids = state.scratchIDs
        let ranks = state.scratchRanks
        for k in 0..<n { ids[k] = byteIDs[Int(piece[k])] }
        for k in 0..<(n - 1) { ranks[k] = pairs.lookup(ids[k], ids[k + 1]) }
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
            while k < m - 2 { ranks[k] = ranks[k + 1]; k += 1 }
            m -= 1
            if at < m - 1 { ranks[at] = pairs.lookup(ids[at], ids[at + 1]) }
            if at > 0 { ranks[at - 1] = pairs.lookup(ids[at - 1], ids[at]) }
        }
        state.output.append(from: ids, count: m)
    }

    /// O(n log n) merge for long pieces: a min-heap of (rank, position) over a doubly linked list of parts,
    /// with stale heap entries skipped when popped.
    private func mergeLarge(_ piece: UnsafePointer<UInt8>, _ n: Int, state: inout EncodeState) {
        var ids = (0..<n).map { byteIDs[Int(piece[$0])] }
        var next = (0..<n).map { $0 + 1 < n ? $0 + 1 : -1 }
        var prev = (0..<n).map { $0 - 1 }
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        for k in 0..<(n - 1) {
            let r = pairs.lookup(ids[k], ids[k + 1])
            if r != PairMap.empty { heap.push(rank: r, position: k) }
        }
        while let (rank, k) = heap.pop() {
            guard alive[k] else { continue }
            let j = next[k]
            guard j >= 0, pairs.lookup(ids[k], ids[j]) == rank else { continue }
            ids[k] = UInt32(truncatingIfNeeded: rank)
            alive[j] = false
            next[k] = next[j]
            if next[j] >= 0 { prev[next[j]] = k }
            if prev[k] >= 0 {
                let r = pairs.lookup(ids[prev[k]], ids[k])
                if r != PairMap.empty { heap.push(rank: r, position: prev[k]) }
            }
            if next[k] >= 0 {
                let r = pairs.lookup(ids[k], ids[next[k]])
                if r != PairMap.empty { heap.push(rank: r, position: k) }
            }
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
