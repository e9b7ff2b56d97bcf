// Vocabulary lookup for the merge loop (bytes → id, which under tiktoken's rule is also the rank): 2-byte
// strings in a direct 64K-entry table, 3–8-byte strings in an open-addressing table whose 16-byte slots hold
// the key inline (one cache line, no memcmp). Longer strings go to the general `ByteSliceMap`.

/// Byte strings of 2...8 bytes → token id, for the tokens of that length.
final class ShortTokenTable: @unchecked Sendable {
    static let maxLength = 8
    static let missing = UInt32.max

    /// `key` = the bytes packed little-endian, zero-padded; `value` = length << 32 | id, 0 for an empty slot.
    private struct Slot {
        var key: UInt64
        var value: UInt64
    }

    /// Id of every 2-byte token, `missing` elsewhere; indexed by `first << 8 | second`.
    private let pairs: UnsafeMutablePointer<UInt32>
    private let slots: UnsafeMutablePointer<Slot>
    private let mask: Int

    /// Builds the tables from token bytes in id order (`bytes[offsets[id]..<offsets[id + 1]]`).
    init(tokenBytes: [UInt8], tokenOffsets: [Int]) {
        pairs = .allocate(capacity: 1 << 16)
        pairs.initialize(repeating: Self.missing, count: 1 << 16)
        let limit = tokenOffsets.count - 1
        var medium = 0
        for id in 0..<limit {
            let length = tokenOffsets[id + 1] - tokenOffsets[id]
            if length >= 3 && length <= Self.maxLength { medium += 1 }
        }
        var size = 64
        while size * 3 < medium * 4 { size <<= 1 }  // load ≤ 3/4: GPT-2's 37k tokens of 3–8 bytes fit in 1 MB
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(key: 0, value: 0), count: size)
        mask = size - 1
        tokenBytes.withUnsafeBufferPointer { blob in
            guard let base = blob.baseAddress else { return }
            for id in 0..<limit {
                let start = tokenOffsets[id], length = tokenOffsets[id + 1] - start
                if length == 2 {
                    let index = Int(base[start]) << 8 | Int(base[start + 1])
                    if pairs[index] == Self.missing { pairs[index] = UInt32(id) }
                } else if length >= 3 && length <= Self.maxLength {
                    let key = Self.pack(base + start, length)
                    var index = slot(key, length)
                    while slots[index].value != 0 && slots[index].key != key { index = (index + 1) & mask }
                    if slots[index].value == 0 { slots[index] = Slot(key: key, value: UInt64(length) << 32 | UInt64(id)) }
                }
            }
        }
    }

    deinit {
        pairs.deallocate()
        slots.deallocate()
    }

    /// The `n` (≤ 8) bytes at `p`, little-endian, zero-padded.
    @inline(__always)
    static func pack(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var key: UInt64 = 0
        for k in 0..<n { key |= UInt64(p[k]) << UInt64(8 * k) }
        return key
    }

    @inline(__always)
    private func slot(_ key: UInt64, _ n: Int) -> Int {
        let h = (key ^ UInt64(n) << 61) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> 32) & mask
    }

    /// The id of the token whose bytes are the `n` (2...8) bytes at `p`, or `missing`.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        if n == 2 { return pairs[Int(p[0]) << 8 | Int(p[1])] }
        let key = Self.pack(p, n)
        let tagged = UInt64(n) << 32
        var index = slot(key, n)
        while true {
            let s = slots[index]
            if s.value == 0 { return Self.missing }
            if s.key == key && s.value & 0xFFFF_FFFF_0000_0000 == tagged { return UInt32(truncatingIfNeeded: s.value) }
            index = (index + 1) & mask
        }
    }
}
