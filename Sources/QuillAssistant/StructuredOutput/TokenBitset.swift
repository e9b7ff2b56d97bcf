// A set of token ids as one bit per vocabulary entry: what the constrained decoder computes per step
// and applies to a row of logits (disallowed entries become -infinity).

/// A bitset over `0..<count` token ids.
public struct TokenBitset: Equatable, Sendable {
    public let count: Int
    private(set) var words: [UInt64]

    public init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    @inline(__always) public func contains(_ id: Int) -> Bool {
        id >= 0 && id < count && words[id >> 6] & (1 << UInt64(id & 63)) != 0
    }

    @inline(__always) public mutating func insert(_ id: Int) {
        words[id >> 6] |= 1 << UInt64(id & 63)
    }

    public mutating func formUnion(_ other: TokenBitset) {
        precondition(other.count == count, "TokenBitset: sizes differ")
        words.withUnsafeMutableBufferPointer { w in
            other.words.withUnsafeBufferPointer { o in for i in 0..<w.count { w[i] |= o[i] } }
        }
    }

    /// Number of ids in the set.
    public var cardinality: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// The ids in the set, ascending.
    public var members: [Int] {
        var out: [Int] = []
        for (w, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                out.append(w * 64 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return out
    }

    /// Sets every logit outside the set to -infinity (a row longer than `count` loses its tail too).
    public func apply(to logits: inout [Float]) {
        let n = logits.count
        logits.withUnsafeMutableBufferPointer { z in
            words.withUnsafeBufferPointer { w in
                for i in 0..<w.count {
                    let word = w[i]
                    if word == UInt64.max { continue }
                    let base = i * 64
                    for j in 0..<min(64, n - base) where word & (1 << UInt64(j)) == 0 { z[base + j] = -.infinity }
                }
                if n > w.count * 64 { for i in (w.count * 64)..<n { z[i] = -.infinity } }
            }
        }
    }
}
