// Multi-core encoding: many texts at once, or one large text cut at boundaries where every supported
// pattern is guaranteed to end a piece (ASCII letter, space, ASCII letter), so the ids are identical
// to a serial encode. Work is spread with DispatchQueue.concurrentPerform, one cache per worker.

import Foundation

extension BPETokenizer {
    /// Encodes each text (ordinary encoding) in parallel; `result[i] == encode(texts[i])`.
    public func encodeBatch(_ texts: [String]) -> [[Int]] {
        var results = [[Int]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { output in
            let output = output
            DispatchQueue.concurrentPerform(iterations: texts.count) { i in
                output[i] = encode(texts[i])
            }
        }
        return results
    }

    /// Encodes one large text (ordinary encoding) on several cores; identical to `encode(text)`.
    /// - Parameter chunkCount: number of pieces to cut the text into (default: one per active processor; each chunk warms its own piece cache).
    public func encodeParallel(_ text: String, chunkCount: Int? = nil) -> [Int] {
        var text = text
        return text.withUTF8 { buffer -> [Int] in
            let chunks = Self.safeChunks(buffer, count: chunkCount ?? ProcessInfo.processInfo.activeProcessorCount)
            var parts = [[Int]](repeating: [], count: chunks.count)
            parts.withUnsafeMutableBufferPointer { output in
                let output = output
                DispatchQueue.concurrentPerform(iterations: chunks.count) { i in
                    var state = EncodeState(expectedBytes: chunks[i].count)
                    defer { state.free() }
                    model.encodeOrdinary(UnsafeBufferPointer(rebasing: buffer[chunks[i]]), state: &state)
                    output[i] = state.output.ints
                }
            }
            return Array(parts.joined())
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
