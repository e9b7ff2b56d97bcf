// The scalar classes of Quill's tokenizer regex engine: a bracket expression, `\p{…}`, `\s`, `.` or a
// literal, as a union of (possibly inverted) parts — scalar ranges, general-category bits, White_Space —
// with the ASCII answers precomputed in a 128-bit map, since nearly every scalar tested is ASCII.

/// One part of a class: scalars in `ranges`, in the categories of `categories`, or (when `whiteSpace`)
/// with the White_Space property; `inverted` takes the complement (`\S`, `\P{L}` inside a bracket).
struct ScalarPredicate: Sendable {
    var ranges: [ClosedRange<UInt32>] = []
    var categories: UInt32 = 0
    var whiteSpace = false
    var inverted = false

    @inline(__always)
    func contains(_ v: UInt32) -> Bool {
        var hit = categories != 0 && categories & UnicodeCategoryTable.shared.categoryBit(v) != 0
        if !hit && whiteSpace { hit = UnicodeClassTable.isWhiteSpace(v) }
        if !hit {
            for range in ranges where range.contains(v) { hit = true; break }
        }
        return hit != inverted
    }
}

/// A set of scalars matched as one regex atom.
struct RegexCharacterSet: Sendable {
    var parts: [ScalarPredicate]
    var negated: Bool
    /// `contains` for 0..<64 and 64..<128, including `negated`.
    private(set) var asciiLow: UInt64 = 0
    private(set) var asciiHigh: UInt64 = 0
    /// Whether any scalar ≥ 0x80 can be in the set (false lets the matcher skip the table lookups).
    private(set) var mayContainNonASCII = true

    init(parts: [ScalarPredicate], negated: Bool) {
        self.parts = parts
        self.negated = negated
        for v in 0..<128 where slowContains(UInt32(v)) {
            if v < 64 { asciiLow |= 1 << UInt64(v) } else { asciiHigh |= 1 << UInt64(v - 64) }
        }
        mayContainNonASCII = negated || parts.contains { part in
            part.inverted || part.categories != 0 || part.whiteSpace || part.ranges.contains { $0.upperBound >= 0x80 }
        }
    }

    /// One literal scalar (with its other-case forms when `caseVariants`).
    static func literal(_ v: UInt32, caseVariants: Bool) -> RegexCharacterSet {
        var values: Set<UInt32> = [v]
        if caseVariants { values.formUnion(caseForms(of: v)) }
        return RegexCharacterSet(parts: [ScalarPredicate(ranges: values.sorted().map { $0...$0 })], negated: false)
    }

    /// Simple lower, upper and title case forms of `v` that are single scalars.
    static func caseForms(of v: UInt32) -> [UInt32] {
        guard let scalar = Unicode.Scalar(v) else { return [] }
        let properties = scalar.properties
        return [properties.lowercaseMapping, properties.uppercaseMapping, properties.titlecaseMapping]
            .compactMap { $0.unicodeScalars.count == 1 ? $0.unicodeScalars.first!.value : nil }
    }

    /// Adds the other ASCII case of the ASCII letters in `range` (what `(?i)` does to `[a-z]`).
    static func asciiCaseRanges(of range: ClosedRange<UInt32>) -> [ClosedRange<UInt32>] {
        var extra: [ClosedRange<UInt32>] = []
        for (lo, hi, shift) in [(UInt32(0x41), UInt32(0x5A), Int64(0x20)), (UInt32(0x61), UInt32(0x7A), Int64(-0x20))] {
            let a = max(range.lowerBound, lo), b = min(range.upperBound, hi)
            if a <= b { extra.append(UInt32(Int64(a) + shift)...UInt32(Int64(b) + shift)) }
        }
        return extra
    }

    @inline(__always)
    func contains(_ v: UInt32) -> Bool {
        if v < 64 { return asciiLow >> UInt64(v) & 1 != 0 }
        if v < 128 { return asciiHigh >> UInt64(v - 64) & 1 != 0 }
        guard mayContainNonASCII else { return false }
        return slowContains(v)
    }

    private func slowContains(_ v: UInt32) -> Bool {
        if !nested.isEmpty { return nested.contains { $0.contains(v) } }
        var hit = false
        for part in parts where part.contains(v) { hit = true; break }
        return hit != negated
    }

    /// The union of several sets (for the first-scalar filter).
    static func union(_ sets: [RegexCharacterSet]) -> RegexCharacterSet {
        if sets.count == 1 { return sets[0] }
        // A negated set is its own part, inverted; a plain one contributes its parts.
        var parts: [ScalarPredicate] = []
        var needsEvaluation = false
        for set in sets {
            if set.negated || set.parts.count > 1 { needsEvaluation = true }
            parts += set.parts
        }
        if !needsEvaluation { return RegexCharacterSet(parts: parts, negated: false) }
        return RegexCharacterSet(nested: sets)
    }

    /// For a union of sets that cannot be flattened into parts: a scalar is in it if it is in any of them.
    private var nested: [RegexCharacterSet] = []

    private init(nested sets: [RegexCharacterSet]) {
        parts = []
        negated = false
        nested = sets
        for v in 0..<128 where sets.contains(where: { $0.contains(UInt32(v)) }) {
            if v < 64 { asciiLow |= 1 << UInt64(v) } else { asciiHigh |= 1 << UInt64(v - 64) }
        }
        mayContainNonASCII = sets.contains { $0.mayContainNonASCII }
    }
}
