// The per-call cache of pieces of 9–16 bytes (2–8-byte pieces go to `WordCache`): the piece's bytes packed into two
// UInt64 words are the key, so a lookup is one multiply-hash and two integer compares — no memcmp, no
// ARC traffic (raw pointers in a struct, freed explicitly by the owning EncodeState).

/// Packed piece (≤ 16 bytes) → (offset, count) of its ids in a side buffer.
struct PieceCache {
    static let maxLength = 16

    /// 24 bytes. `meta` = length (bits 56–63, 0 marks an empty slot) | id count (bits 48–55) | payload:
    /// the id itself when the piece is one token (no second memory access on a hit), else the offset of its ids.
    private struct Slot {
        var lo: UInt64
        var hi: UInt64
        var meta: UInt64
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private var used = 0

    init(capacity: Int) {
        var size = 64
        while size * 3 < capacity * 4 { size <<= 1 }
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(lo: 0, hi: 0, meta: 0), count: size)
        mask = size - 1
    }

    func free() { slots.deallocate() }

    /// Packs `n` (1...16) bytes at `p`; `readable` is how many bytes may be read from `p` (≥ n).
    @inline(__always)
    static func pack(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) -> (UInt64, UInt64) {
        if readable >= 16 {
            let raw = UnsafeRawPointer(p)
            var lo = raw.loadUnaligned(as: UInt64.self)
            var hi = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            if n < 8 {
                lo &= (1 << UInt64(8 * n)) &- 1
                hi = 0
            } else if n < 16 {
                hi &= (1 << UInt64(8 * (n - 8))) &- 1
            }
            return (UInt64(littleEndian: lo), UInt64(littleEndian: hi))
        }
        var lo: UInt64 = 0, hi: UInt64 = 0
        for k in 0..<min(n, 8) { lo |= UInt64(p[k]) << UInt64(8 * k) }
        if n > 8 { for k in 8..<n { hi |= UInt64(p[k]) << UInt64(8 * (k - 8)) } }
        return (lo, hi)
    }

    @inline(__always)
    private func slotIndex(_ lo: UInt64, _ hi: UInt64, _ n: Int) -> Int {
        var h = (lo ^ (hi &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(n)) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 32
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The cached entry: `(payload, count)` where payload is the id when count == 1, else the ids' offset.
    @inline(__always)
    func find(_ lo: UInt64, _ hi: UInt64, _ n: Int) -> (payload: Int, count: Int)? {
        var index = slotIndex(lo, hi, n)
        while true {
            let slot = slots[index]
            let length = Int(slot.meta >> 56)
            if length == 0 { return nil }
            if slot.lo == lo && slot.hi == hi && length == n {
                return (Int(slot.meta & 0xFFFF_FFFF_FFFF), Int((slot.meta >> 48) & 0xFF))
            }
            index = (index + 1) & mask
        }
    }

    mutating func insert(_ lo: UInt64, _ hi: UInt64, _ n: Int, payload: Int, count: Int) {
        if (used + 1) * 4 > (mask + 1) * 3 { grow() }  // load ≤ 3/4: a smaller table stays in cache
        var index = slotIndex(lo, hi, n)
        while slots[index].meta != 0 { index = (index + 1) & mask }
        slots[index] = Slot(lo: lo, hi: hi, meta: UInt64(n) << 56 | UInt64(count) << 48 | UInt64(payload))
        used += 1
    }

    private mutating func grow() {
        let old = slots, oldSize = mask + 1
        slots = .allocate(capacity: oldSize * 2)
        slots.initialize(repeating: Slot(lo: 0, hi: 0, meta: 0), count: oldSize * 2)
        mask = oldSize * 2 - 1
        for i in 0..<oldSize where old[i].meta != 0 {
            var index = slotIndex(old[i].lo, old[i].hi, Int(old[i].meta >> 56))
            while slots[index].meta != 0 { index = (index + 1) & mask }
            slots[index] = old[i]
        }
        old.deallocate()
    }
}
