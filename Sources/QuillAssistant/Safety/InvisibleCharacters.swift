// Characters that read one way to a person and another way to a model: bidirectional overrides and
// isolates (the "Trojan Source" trick, CVE-2021-42574), zero-width characters, the BOM, Unicode tag
// characters (which smuggle invisible ASCII), C0/C1 controls and the noncharacters ChatPromptEncoder
// uses as fences. Input sanitisation and the RAG prompt builder share this one list.

/// The invisible and direction-changing characters Quill removes from (or refuses in) prompt text.
public enum InvisibleCharacters {
    /// Whether `scalar` is hidden or changes the direction of the text around it. Tab and line feed
    /// are ordinary text; carriage return is kept only when `keepCarriageReturn` (user text from
    /// Windows clients), since documents gain nothing from it.
    public static func isHidden(_ scalar: Unicode.Scalar, keepCarriageReturn: Bool = false) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A: return false
        case 0x0D: return !keepCarriageReturn
        case 0x00...0x1F, 0x7F...0x9F: return true                       // C0 / C1 controls
        case 0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFFA0: return true  // soft hyphen, fillers, ALM
        case 0x200B...0x200F: return true                                 // zero width space / non-joiner / joiner, LRM, RLM
        case 0x202A...0x202E: return true                                 // LRE, RLE, PDF, LRO, RLO
        case 0x2060...0x2064: return true                                 // word joiner, invisible operators
        case 0x2066...0x2069: return true                                 // LRI, RLI, FSI, PDI
        case 0x206A...0x206F: return true                                 // deprecated format characters
        case 0xFEFF: return true                                          // BOM / zero width no-break space
        case 0xFFF9...0xFFFB: return true                                 // interlinear annotation
        case 0xFDD0...0xFDEF: return true                                 // noncharacters (ChatPromptEncoder's fences)
        case 0xE0000...0xE007F: return true                               // tag characters (invisible ASCII)
        default: return false
        }
    }

    /// `text` without its hidden characters.
    public static func strip(_ text: String, keepCarriageReturn: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isHidden($0, keepCarriageReturn: keepCarriageReturn) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !isHidden(scalar, keepCarriageReturn: keepCarriageReturn) { out.append(scalar) }
        return String(out)
    }

    /// The first hidden character of `text` and its offset in Unicode scalars, if any.
    public static func first(in text: String, keepCarriageReturn: Bool = false) -> (offset: Int, scalar: Unicode.Scalar)? {
        for (offset, scalar) in text.unicodeScalars.enumerated() where isHidden(scalar, keepCarriageReturn: keepCarriageReturn) {
            return (offset, scalar)
        }
        return nil
    }

    /// "U+202E" for error messages.
    public static func name(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
