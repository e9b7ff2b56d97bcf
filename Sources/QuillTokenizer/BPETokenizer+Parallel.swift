// Multi-core encoding: many texts at once, or one large text cut at boundaries where every supported
// pattern is guaranteed to end a piece (ASCII letter, space, ASCII letter), so the ids are identical
// to a serial encode. One worker per core, each with its own piece cache (no sharing, no locks).

import Foundation

extension BPETokenizer {
    /// Encodes each text (ordinary encoding) in parallel; `result[i] == encode(texts[i])`.
    /// Each worker takes every `workers`-th text and keeps one piece cache across them, so words seen in one
    /// text are not merged again in the next.
    public func encodeBatch(_ texts: [String], workers: Int? = nil) -> [[Int]] {
        let workerCount = max(1, min(workers ?? ProcessInfo.processInfo.activeProcessorCount, texts.count))
        var results = [[Int]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { output in
            let output = output
            DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
                let mine = stride(from: worker, to: texts.count, by: workerCount)
                let bytes = mine.reduce(0) { $0 + texts[$1].utf8.count }
                var state = EncodeState(expectedBytes: bytes, output: IDBuffer(capacity: 1024))
                defer { state.free() }
                for i in mine {
                    if addedTokenSplitter.hasUserDefined { output[i] = encode(texts[i]); continue }
                    var text = addPrefixSpace && !texts[i].hasPrefix(" ") ? " " + texts[i] : texts[i]
                    state.output.count = 0
                    text.withUTF8 { _ = model.encodeOrdinary($0, state: &state) }
                    var ids = state.output.ints
                    model.dropMissingBytes(&ids)
                    output[i] = ids
                }
            }
        }
        return results
    }

    /// Encodes one large text (ordinary encoding) on several cores; identical to `encode(text)`.
    /// - Parameter chunkCount: number of pieces to cut the text into (default: one per active processor;
    ///   each chunk warms its own piece cache, so more chunks than cores only adds work).
    public func encodeParallel(_ text: String, chunkCount: Int? = nil) -> [Int] {
        // Chunk boundaries are safe only for one hand-written pattern and no added tokens to find first.
        if model.singlePattern == nil || addedTokenSplitter.hasUserDefined || model.hasMissingBytes { return encode(text) }
        var text = addPrefixSpace && !text.hasPrefix(" ") ? " " + text : text
        return text.withUTF8 { buffer -> [Int] in
            let chunks = Self.safeChunks(buffer, count: chunkCount ?? ProcessInfo.processInfo.activeProcessorCount)
            if chunks.count == 1 { return model.encodeOrdinaryToArray(buffer) }
            // 1. Each worker encodes its chunk into its own buffer.
            var parts = [IDBuffer?](repeating: nil, count: chunks.count)
            parts.withUnsafeMutableBufferPointer { parts in
                let parts = parts
                DispatchQueue.concurrentPerform(iterations: chunks.count) { i in
                    var state = EncodeState(expectedBytes: chunks[i].count,
                                            output: IDBuffer(capacity: chunks[i].count / 3 + 16))
                    model.encodeOrdinary(UnsafeBufferPointer(rebasing: buffer[chunks[i]]), state: &state)
                    parts[i] = state.output
                    state.output = IDBuffer(capacity: 0)  // ownership moved to `parts`
                    state.free()
                }
            }
            // 2. The parts are copied into the result side by side, also in parallel.
            let offsets = parts.reduce(into: [0]) { $0.append($0.last! + $1!.count) }
            let ids = [Int](unsafeUninitializedCapacity: offsets.last!) { storage, initialized in
                let storage = storage
                DispatchQueue.concurrentPerform(iterations: parts.count) { i in
                    (storage.baseAddress! + offsets[i]).initialize(from: parts[i]!.base, count: parts[i]!.count)
                }
                initialized = offsets.last!
            }
            for part in parts { part!.free() }
            return ids
        }
    }

    /// Cuts `buffer` into about `count` ranges, each boundary just before a space that sits between two
    /// ASCII letters: the letter run before it ends there and the space starts a new piece, in every pattern.
    static func safeChunks(_ buffer: UnsafeBufferPointer<UInt8>, count: Int) -> [Range<Int>] {
        let n = buffer.count
        guard count > 1, n > 4096 else { return [0..<n] }
        @inline(__always) func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        var ranges: [Range<Int>] = []
        var start = 0
        for k in 1..<count {
            var cut = max(start + 1, n * k / count)
            while cut + 1 < n && !(buffer[cut] == 0x20 && isLetter(buffer[cut - 1]) && isLetter(buffer[cut + 1])) {
                cut += 1
            }
            if cut + 1 >= n { break }
            ranges.append(start..<cut)
            start = cut
        }
        ranges.append(start..<n)
        return ranges
    }
}
