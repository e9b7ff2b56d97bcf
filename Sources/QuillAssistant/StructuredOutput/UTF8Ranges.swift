// Unicode scalar ranges as UTF-8 byte-range sequences, so that a character class over scalars becomes
// alternatives of byte terminals (the range-splitting algorithm of Russ Cox's RE2 and of the
// utf8-ranges crate): each output sequence matches exactly the encodings of one sub-range.

enum UTF8Ranges {
    /// The complement of `ranges` within the Unicode scalars (surrogates excluded), merged and sorted.
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in normalized(ranges) {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = max(next, r.upperBound &+ 1)
        }
        if next <= 0x10FFFF { out.append(next...0x10FFFF) }
        return out
    }

    /// Sorted, merged, clipped to 0…0x10FFFF.
    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let sorted = ranges.compactMap { r -> ClosedRange<UInt32>? in
            r.lowerBound > 0x10FFFF ? nil : r.lowerBound...min(r.upperBound, 0x10FFFF)
        }.sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt32>] = []
        for r in sorted {
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// Byte-range sequences (1 to 4 ranges each) matching the UTF-8 encodings of the scalars in `ranges`.
    static func sequences(_ ranges: [ClosedRange<UInt32>]) -> [[ClosedRange<UInt8>]] {
        var out: [[ClosedRange<UInt8>]] = []
        for r in normalized(ranges) {
            // Surrogates have no UTF-8 encoding.
            if r.lowerBound < 0xD800 { split(r.lowerBound, min(r.upperBound, 0xD7FF), into: &out) }
            if r.upperBound > 0xDFFF { split(max(r.lowerBound, 0xE000), r.upperBound, into: &out) }
        }
        return out
    }

    private static func split(_ lo: UInt32, _ hi: UInt32, into out: inout [[ClosedRange<UInt8>]]) {
        guard lo <= hi else { return }
        for limit: UInt32 in [0x7F, 0x7FF, 0xFFFF] where lo <= limit && limit < hi {
            split(lo, limit, into: &out)
            split(limit + 1, hi, into: &out)
            return
        }
        if hi <= 0x7F { out.append([UInt8(lo)...UInt8(hi)]); return }
        for k in 1..<4 {
            let m: UInt32 = (1 << (6 * k)) - 1
            if lo & ~m != hi & ~m {
                if lo & m != 0 { split(lo, lo | m, into: &out); split((lo | m) + 1, hi, into: &out); return }
                if hi & m != m { split(lo, (hi & ~m) - 1, into: &out); split(hi & ~m, hi, into: &out); return }
            }
        }
        let a = encode(lo), b = encode(hi)
        out.append(zip(a, b).map { $0...$1 })
    }

    static func encode(_ v: UInt32) -> [UInt8] {
        Array(String(Character(Unicode.Scalar(v)!)).utf8)
    }
}
