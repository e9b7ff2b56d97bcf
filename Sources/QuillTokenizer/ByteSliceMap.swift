// An open-addressing hash map from byte strings to 64-bit values, with its keys packed in one
// buffer: the BPE vocabulary (bytes → id) and the per-call piece cache (bytes → ids) both use it.
// Raw pointers instead of Swift arrays so the hot loop has no bounds checks, retains or copies.

import Foundation


/// Byte-string → `UInt64` hash map (linear probing, power-of-two capacity, load ≤ 1/2).
final class ByteSliceMap: @unchecked Sendable {
    private struct Slot {
        var hash: UInt32
        var length: UInt32  // UInt32.max marks an empty slot
        var offset: UInt32
        var value: UInt64
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private(set) var count = 0
    private var keys: UnsafeMutablePointer<UInt8>
    private var keysCount = 0
    private var keysCapacity: Int

    init(capacity: Int = 64, keyBytes: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(hash: 0, length: .max, offset: 0, value: 0), count: size)
        mask = size - 1
        keysCapacity = max(keyBytes, 16)
        keys = .allocate(capacity: keysCapacity)
    }

    deinit {
        slots.deallocate()
        keys.deallocate()
    }

    /// A fast 64-bit hash of `n` bytes at `p` (8 bytes per step, multiply-xorshift mixing).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { w |= UInt64(p[i]) << shift; shift += 8; i += 1 }
            h = (h ^ w) &* 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 29
        }
        return h &* 0x9E37_79B9_7F4A_7C15
    }

    /// The value stored for the `n` bytes at `p`, if any.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> UInt64? {
        let tag = UInt32(truncatingIfNeeded: h >> 32)
        var index = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[index]
            if slot.length == .max { return nil }
            if slot.hash == tag && Int(slot.length) == n && memcmp(keys + Int(slot.offset), p, n) == 0 {
                return slot.value
            }
            index = (index + 1) & mask
        }
    }

    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64? {
        find(p, n, hash: Self.hash(p, n))
    }

    func find(_ bytes: [UInt8]) -> UInt64? {
        bytes.withUnsafeBufferPointer { find($0.baseAddress ?? UnsafePointer(keys), $0.count) }
    }

    /// Inserts or replaces the value for the `n` bytes at `p`.
    func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, value: UInt64) {
        if (count + 1) * 2 > mask + 1 { grow() }
        let tag = UInt32(truncatingIfNeeded: h >> 32)
        var index = Int(truncatingIfNeeded: h) & mask
        while slots[index].length != .max {
            let slot = slots[index]
            if slot.hash == tag && Int(slot.length) == n && memcmp(keys + Int(slot.offset), p, n) == 0 {
                slots[index].value = value
                return
            }
            index = (index + 1) & mask
        }
        if keysCount + n > keysCapacity {
            var newCapacity = keysCapacity * 2
            while keysCount + n > newCapacity { newCapacity *= 2 }
            let newKeys = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newKeys.update(from: keys, count: keysCount)
            keys.deallocate()
            keys = newKeys
            keysCapacity = newCapacity
        }
        (keys + keysCount).update(from: p, count: n)
        slots[index] = Slot(hash: tag, length: UInt32(n), offset: UInt32(keysCount), value: value)
        keysCount += n
        count += 1
    }

    func insert(_ bytes: [UInt8], value: UInt64) {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            insert(base, buffer.count, hash: Self.hash(base, buffer.count), value: value)
        }
    }

    private func grow() {
        let oldSlots = slots
        let oldSize = mask + 1
        let newSize = oldSize * 2
        slots = .allocate(capacity: newSize)
        slots.initialize(repeating: Slot(hash: 0, length: .max, offset: 0, value: 0), count: newSize)
        mask = newSize - 1
        for i in 0..<oldSize where oldSlots[i].length != .max {
            let slot = oldSlots[i]
            let h = Self.hash(keys + Int(slot.offset), Int(slot.length))
            var index = Int(truncatingIfNeeded: h) & mask
            while slots[index].length != .max { index = (index + 1) & mask }
            slots[index] = slot
        }
        oldSlots.deallocate()
    }
}
