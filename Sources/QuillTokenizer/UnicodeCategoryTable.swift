// Unicode general categories (Lu, Ll, …, Cn) for every scalar, in a two-stage table built once on
// first use from `Unicode.Scalar.Properties.generalCategory`, so the regex engine's `\p{…}` classes are
// one load per scalar. Only the regex path needs it; the hand-written pre-tokenizers use UnicodeClassTable.

/// Bit positions of the general categories, in the order Unicode lists them.
enum GeneralCategory {
    static let names = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No",
                        "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So",
                        "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"]

    /// The bit of one category name ("Lu"), or of a major class ("L" = Lu|Ll|Lt|Lm|Lo); nil if unknown.
    static func mask(named name: String) -> UInt32? {
        if let index = names.firstIndex(of: name) { return 1 << UInt32(index) }
        let majors: [String: String] = ["Letter": "L", "Mark": "M", "Number": "N", "Punctuation": "P",
                                        "Symbol": "S", "Separator": "Z", "Other": "C"]
        let major = majors[name] ?? name
        guard major.count == 1 else { return nil }
        let bits = names.enumerated().filter { $0.element.hasPrefix(major) }.reduce(UInt32(0)) { $0 | 1 << UInt32($1.offset) }
        return bits == 0 ? nil : bits
    }

    static let letters = mask(named: "L")!
    static let marks = mask(named: "M")!
    static let decimalNumber = mask(named: "Nd")!
    static let connectorPunctuation = mask(named: "Pc")!

    static func index(of category: Unicode.GeneralCategory) -> UInt8 {
        switch category {
        case .uppercaseLetter: return 0
        case .lowercaseLetter: return 1
        case .titlecaseLetter: return 2
        case .modifierLetter: return 3
        case .otherLetter: return 4
        case .nonspacingMark: return 5
        case .spacingMark: return 6
        case .enclosingMark: return 7
        case .decimalNumber: return 8
        case .letterNumber: return 9
        case .otherNumber: return 10
        case .connectorPunctuation: return 11
        case .dashPunctuation: return 12
        case .openPunctuation: return 13
        case .closePunctuation: return 14
        case .initialPunctuation: return 15
        case .finalPunctuation: return 16
        case .otherPunctuation: return 17
        case .mathSymbol: return 18
        case .currencySymbol: return 19
        case .modifierSymbol: return 20
        case .otherSymbol: return 21
        case .spaceSeparator: return 22
        case .lineSeparator: return 23
        case .paragraphSeparator: return 24
        case .control: return 25
        case .format: return 26
        case .surrogate: return 27
        case .privateUse: return 28
        case .unassigned: return 29
        @unknown default: return 29
        }
    }
}

/// `stage2[stage1[scalar >> 8] << 8 | scalar & 0xFF]` is the category index; identical blocks are shared.
final class UnicodeCategoryTable: @unchecked Sendable {
    static let shared = UnicodeCategoryTable()

    private let stage1: UnsafeMutablePointer<UInt16>
    private let stage2: UnsafeMutablePointer<UInt8>

    private init() {
        var stage1 = [UInt16](repeating: 0, count: 0x110000 >> 8)
        var stage2: [UInt8] = []
        var blockIndex: [[UInt8]: UInt16] = [:]
        var block = [UInt8](repeating: 0, count: 256)
        for high in 0..<(0x110000 >> 8) {
            let plane = high >> 8
            for low in 0..<256 {
                let value = UInt32(high << 8 | low)
                if (4...13).contains(plane) {
                    block[low] = 29                                    // unassigned
                } else if plane >= 15 {
                    block[low] = value & 0xFFFE == 0xFFFE ? 29 : 28    // private use, but for the noncharacters
                } else {
                    block[low] = Unicode.Scalar(value).map { GeneralCategory.index(of: $0.properties.generalCategory) } ?? 27
                }
            }
            if let existing = blockIndex[block] {
                stage1[high] = existing
            } else {
                let index = UInt16(stage2.count >> 8)
                blockIndex[block] = index
                stage2.append(contentsOf: block)
                stage1[high] = index
            }
        }
        self.stage1 = .allocate(capacity: stage1.count)
        self.stage1.initialize(from: stage1, count: stage1.count)
        self.stage2 = .allocate(capacity: stage2.count)
        self.stage2.initialize(from: stage2, count: stage2.count)
    }

    /// The category bit (`1 << index`) of `value`; values past U+10FFFF count as unassigned.
    @inline(__always)
    func categoryBit(_ value: UInt32) -> UInt32 {
        guard value < 0x110000 else { return 1 << 29 }
        return 1 << UInt32(stage2[Int(stage1[Int(value >> 8)]) << 8 | Int(value & 0xFF)])
    }
}
