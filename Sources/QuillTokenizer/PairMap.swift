// The merge table of a BPE vocabulary: (left id, right id) → (rank, merged id), as an
// open-addressing hash map keyed by the two ids packed in one UInt64 (no hashing of byte strings
// inside the merge loop).

/// `(left, right)` token pair → packed `rank << 32 | mergedID`.
final class PairMap: @unchecked Sendable {
    static let empty: UInt64 = .max

    private var keys: UnsafeMutablePointer<UInt64>
    private var values: UnsafeMutablePointer<UInt64>
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = .allocate(capacity: size)
        keys.initialize(repeating: Self.empty, count: size)
        values = .allocate(capacity: size)
        values.initialize(repeating: 0, count: size)
        mask = size - 1
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    static func key(_ left: UInt32, _ right: UInt32) -> UInt64 { UInt64(left) << 32 | UInt64(right) }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The packed `rank << 32 | mergedID` for the pair, or `PairMap.empty` when the pair never merges.
    @inline(__always)
    func lookup(_ left: UInt32, _ right: UInt32) -> UInt64 {
        let key = Self.key(left, right)
        if key == Self.empty { return Self.empty }  // a missing byte's placeholder on both sides
        var index = slot(key)
        while true {
            let k = keys[index]
            if k == key { return values[index] }
            if k == Self.empty { return Self.empty }
            index = (index + 1) & mask
        }
    }

    func insert(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32) {
        if (count + 1) * 2 > mask + 1 { grow() }
        let key = Self.key(left, right)
        var index = slot(key)
        while keys[index] != Self.empty && keys[index] != key { index = (index + 1) & mask }
        if keys[index] == Self.empty { count += 1 }
        keys[index] = key
        values[index] = UInt64(rank) << 32 | UInt64(merged)
    }

    /// Every entry as (left, right, rank, merged), in slot order.
    func entries() -> [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)] {
        var result: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)] = []
        result.reserveCapacity(count)
        for i in 0...mask where keys[i] != Self.empty {
            result.append((UInt32(keys[i] >> 32), UInt32(truncatingIfNeeded: keys[i]),
                           UInt32(values[i] >> 32), UInt32(truncatingIfNeeded: values[i])))
        }
        return result
    }

    private func grow() {
        let oldKeys = keys, oldValues = values, oldSize = mask + 1
        let newSize = oldSize * 2
        keys = .allocate(capacity: newSize)
        keys.initialize(repeating: Self.empty, count: newSize)
        values = .allocate(capacity: newSize)
        values.initialize(repeating: 0, count: newSize)
        mask = newSize - 1
        for i in 0..<oldSize where oldKeys[i] != Self.empty {
            var index = slot(oldKeys[i])
            while keys[index] != Self.empty { index = (index + 1) & mask }
            keys[index] = oldKeys[i]
            values[index] = oldValues[i]
        }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}
