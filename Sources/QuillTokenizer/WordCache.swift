// The per-call cache of pieces of 2–8 bytes (96% of the pieces of English prose: " the", ",\n" is two
// pieces, " nothing"): the piece's bytes in one UInt64 are the key, a slot is 16 bytes (four per cache
// line), and a hit is one multiply, one load and two compares. Longer pieces use `PieceCache`.

/// Packed piece (2...8 bytes) → its ids (the id itself for one-token pieces, else an offset into a side buffer).
struct WordCache {
    static let maxLength = 8

    /// `meta` = length (bits 56–63; 0 marks an empty slot) | id count (bits 48–55) | payload (bits 0–47).
    private struct Slot {
        var key: UInt64
        var meta: UInt64
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var shift: UInt64
    private var used = 0
    private var size: Int

    init(capacity: Int) {
        size = 64
        while size * 4 < capacity * 5 { size <<= 1 }
        shift = UInt64(64 - size.trailingZeroBitCount)
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(key: 0, meta: 0), count: size)
    }

    func free() { slots.deallocate() }

    /// The `n` (1...8) bytes at `p` packed little-endian; `readable` bytes may be read from `p` (≥ n).
    @inline(__always)
    static func pack(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) -> UInt64 {
        if readable >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            return word & (UInt64.max >> UInt64(64 - 8 * n))
        }
        return ShortTokenTable.pack(p, n)
    }

    @inline(__always)
    private func slotIndex(_ key: UInt64, _ n: Int) -> Int {
        Int(truncatingIfNeeded: ((key ^ UInt64(n) << 59) &* 0x9E37_79B9_7F4A_7C15) >> shift)  // Fibonacci hashing
    }

    /// The cached `meta` of the piece (see `Slot`), or 0 when it is not cached.
    @inline(__always)
    func find(_ key: UInt64, _ n: Int) -> UInt64 {
        var index = slotIndex(key, n)
        let length = UInt64(n)
        while true {
            let slot = slots[index]
            if slot.meta == 0 { return 0 }
            if slot.key == key && slot.meta >> 56 == length { return slot.meta }
            index = (index + 1) & (size - 1)
        }
    }

    mutating func insert(_ key: UInt64, _ n: Int, payload: Int, count: Int) {
        // Load ≤ 4/5: Shakespeare's 25k distinct short pieces fit 512 KB instead of 1 MB (probes stay within a
        // line or two: 4 slots per line, and frequent pieces, inserted early, sit near their home slot).
        if (used + 1) * 5 > size * 4 { grow() }
        var index = slotIndex(key, n)
        while slots[index].meta != 0 { index = (index + 1) & (size - 1) }
        slots[index] = Slot(key: key, meta: UInt64(n) << 56 | UInt64(count) << 48 | UInt64(payload))
        used += 1
    }

    private mutating func grow() {
        let old = slots, oldSize = size
        size *= 2
        shift -= 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(key: 0, meta: 0), count: size)
        for i in 0..<oldSize where old[i].meta != 0 {
            var index = slotIndex(old[i].key, Int(old[i].meta >> 56))
            while slots[index].meta != 0 { index = (index + 1) & (size - 1) }
            slots[index] = old[i]
        }
        old.deallocate()
    }
}
