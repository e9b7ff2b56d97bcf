// Parses the regex dialect tokenizer files use (Oniguruma as Hugging Face `tokenizers` runs it, and
// ECMAScript as llama.cpp's std::regex fallback runs it) into a tree: alternation, groups, classes,
// `\p{…}`, greedy / lazy / possessive quantifiers, atomic groups, lookahead, anchors and `(?i)`.

/// The regex tree the compiler turns into a program.
indirect enum RegexNode {
    case empty
    case set(RegexCharacterSet)
    case sequence([RegexNode])
    case choice([RegexNode])
    case quantified(RegexNode, min: Int, max: Int?, mode: QuantifierMode)
    case atomic(RegexNode)
    case lookahead(RegexNode, negated: Bool)
    case assertion(RegexAssertion)

    /// Whether the node can match without consuming a scalar.
    var isNullable: Bool {
        switch self {
        case .empty, .lookahead, .assertion: return true
        case .set: return false
        case .sequence(let items): return items.allSatisfy(\.isNullable)
        case .choice(let items): return items.contains(where: \.isNullable)
        case .quantified(let node, let min, _, _): return min == 0 || node.isNullable
        case .atomic(let node): return node.isNullable
        }
    }
}

enum QuantifierMode { case greedy, lazy, possessive }

enum RegexAssertion {
    case textStart, textEnd, lineStart, lineEnd, wordBoundary, notWordBoundary
}

/// Recursive-descent parser over the pattern's scalars.
struct RegexParser {
    static let maxRepeat = 100_000
    static let maxDepth = 100

    let source: String
    let flavor: SplitRegex.Flavor
    private let scalars: [UInt32]
    private var index = 0
    private var caseInsensitive = false
    private var depth = 0

    init(_ source: String, flavor: SplitRegex.Flavor) {
        self.source = source
        self.flavor = flavor
        scalars = source.unicodeScalars.map(\.value)
    }

    mutating func parse() throws(TokenizerError) -> RegexNode {
        let node = try parseChoice()
        if index < scalars.count { throw fail("unbalanced ')'") }
        return node
    }

    private func fail(_ reason: String) -> TokenizerError {
        .invalidRegex(pattern: source, offset: index, reason: reason)
    }

    private var atEnd: Bool { index >= scalars.count }
    private func peek(_ ahead: Int = 0) -> UInt32? { index + ahead < scalars.count ? scalars[index + ahead] : nil }
    private mutating func take() -> UInt32 { defer { index += 1 }; return scalars[index] }
    private mutating func eat(_ c: Character) -> Bool {
        if peek() == c.unicodeScalars.first!.value { index += 1; return true }
        return false
    }

    // MARK: Structure

    private mutating func parseChoice() throws(TokenizerError) -> RegexNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) groups deep") }
        let savedCase = caseInsensitive
        defer { caseInsensitive = savedCase }
        var branches = [try parseSequence()]
        while eat("|") { branches.append(try parseSequence()) }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }

    private mutating func parseSequence() throws(TokenizerError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek(), c != 0x7C, c != 0x29 {  // | )
            guard let atom = try parseAtom() else { continue }
            items.append(try parseQuantifiers(atom))
        }
        return items.count == 1 ? items[0] : items.isEmpty ? .empty : .sequence(items)
    }

    private mutating func parseQuantifiers(_ atom: RegexNode) throws(TokenizerError) -> RegexNode {
        var node = atom
        while let c = peek() {
            var bounds: (Int, Int?)
            switch c {
            case 0x2A: index += 1; bounds = (0, nil)           // *
            case 0x2B: index += 1; bounds = (1, nil)           // +
            case 0x3F: index += 1; bounds = (0, 1)             // ?
            case 0x7B:                                          // {n,m}, else a literal brace
                guard let counted = try parseBraces() else { return node }
                bounds = counted
            default: return node
            }
            if case .assertion = node { throw fail("a quantifier after an anchor") }
            if case .lookahead = node { throw fail("a quantifier after a lookahead") }
            var mode = QuantifierMode.greedy
            if eat("?") { mode = .lazy } else if eat("+") { mode = .possessive }
            if let max = bounds.1, max < bounds.0 { throw fail("{\(bounds.0),\(max)}: the maximum is below the minimum") }
            node = .quantified(node, min: bounds.0, max: bounds.1, mode: mode)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}`, `{,m}`; nil (and nothing consumed) when the brace is a literal.
    private mutating func parseBraces() throws(TokenizerError) -> (Int, Int?)? {
        let start = index
        index += 1
        func number(_ parser: inout RegexParser) -> Int? {
            var value: Int?
            while let c = parser.peek(), c >= 0x30, c <= 0x39 {
                value = min((value ?? 0) * 10 + Int(c - 0x30), Self.maxRepeat + 1)
                parser.index += 1
            }
            return value
        }
        let low = number(&self)
        var high = low
        if eat(",") { high = number(&self) }
        guard eat("}"), low != nil || high != nil else { index = start; return nil }
        let lower = low ?? 0
        if lower > Self.maxRepeat || (high ?? 0) > Self.maxRepeat {
            throw fail("repeat count above \(Self.maxRepeat)")
        }
        let sawComma = scalars[start..<index].contains(0x2C)
        return (lower, sawComma ? high : lower)
    }

    private mutating func parseAtom() throws(TokenizerError) -> RegexNode? {
        let c = take()
        switch c {
        case 0x28: return try parseGroup()                                  // (
        case 0x5B: return .set(try parseClass())                            // [
        case 0x2E:                                                          // .
            let excluded: [ClosedRange<UInt32>] = flavor == .llamaCpp ? [0x0A...0x0A, 0x0D...0x0D] : [0x0A...0x0A]
            return .set(RegexCharacterSet(parts: [ScalarPredicate(ranges: excluded)], negated: true))
        case 0x5E: return .assertion(flavor == .llamaCpp ? .textStart : .lineStart)   // ^
        case 0x24: return .assertion(flavor == .llamaCpp ? .textEnd : .lineEnd)       // $
        case 0x5C: return try parseEscape()                                           // \
        case 0x2A, 0x2B, 0x3F: throw fail("nothing to repeat")
        default: return .set(.literal(c, caseVariants: caseInsensitive))
        }
    }

    private mutating func parseGroup() throws(TokenizerError) -> RegexNode? {
        guard eat("?") else { return try closeGroup(parseChoice()) }
        guard let kind = peek() else { throw fail("unterminated group") }
        switch kind {
        case 0x3A: index += 1; return try closeGroup(parseChoice())                     // (?:
        case 0x3D: index += 1; return try .lookahead(closeGroup(parseChoice()), negated: false)  // (?=
        case 0x21: index += 1; return try .lookahead(closeGroup(parseChoice()), negated: true)   // (?!
        case 0x3E: index += 1; return try .atomic(closeGroup(parseChoice()))            // (?>
        case 0x3C where peek(1) == 0x3D || peek(1) == 0x21:
            throw fail("lookbehind is not supported")
        case 0x3C, 0x50, 0x27:                                                          // (?<name> (?P<name> (?'name'
            if kind == 0x50 { index += 1 }
            let close: UInt32 = take() == 0x27 ? 0x27 : 0x3E
            while let c = peek(), c != close { index += 1 }
            guard eat(close == 0x27 ? "'" : ">") else { throw fail("unterminated group name") }
            return try closeGroup(parseChoice())
        default:
            return try parseFlags()
        }
    }

    /// `(?i)` (rest of the enclosing group), `(?i:…)`, `(?-i)`; other flags are refused.
    private mutating func parseFlags() throws(TokenizerError) -> RegexNode? {
        var on = true
        var value = caseInsensitive
        while let c = peek() {
            index += 1
            switch c {
            case 0x2D: on = false                                   // -
            case 0x69: value = on                                   // i
            case 0x29: caseInsensitive = value; return nil          // ) — applies to what follows
            case 0x3A:                                              // :
                let saved = caseInsensitive
                caseInsensitive = value
                defer { caseInsensitive = saved }
                return try closeGroup(parseChoice())
            default:
                throw fail("the group flag '\(Character(Unicode.Scalar(c) ?? "?"))' is not supported (only i)")
            }
        }
        throw fail("unterminated group")
    }

    private mutating func closeGroup(_ node: RegexNode) throws(TokenizerError) -> RegexNode {
        guard eat(")") else { throw fail("missing ')'") }
        return node
    }

    // MARK: Escapes and classes

    private mutating func parseEscape() throws(TokenizerError) -> RegexNode {
        guard let c = peek() else { throw fail("a trailing backslash") }
        switch c {
        case 0x62: index += 1; return .assertion(.wordBoundary)            // \b
        case 0x42: index += 1; return .assertion(.notWordBoundary)         // \B
        case 0x41: index += 1; return .assertion(.textStart)               // \A
        case 0x7A, 0x5A: index += 1; return .assertion(.textEnd)           // \z \Z
        case 0x31...0x39: throw fail("backreferences are not supported")
        case 0x47, 0x4B: throw fail("\\\(Character(Unicode.Scalar(c)!)) is not supported")
        default:
            return .set(try parseClassEscape(inClass: false))
        }
    }

    /// An escape that stands for scalars (`\s`, `\p{L}`, `\n`, `\x41`, `\.`), inside or outside a class.
    private mutating func parseClassEscape(inClass: Bool) throws(TokenizerError) -> RegexCharacterSet {
        guard !atEnd else { throw fail("a trailing backslash") }
        let c = take()
        func part(_ p: ScalarPredicate, _ negated: Bool) -> RegexCharacterSet {
            var p = p
            p.inverted = negated
            return RegexCharacterSet(parts: [p], negated: false)
        }
        switch c {
        case 0x73, 0x53: return part(whiteSpace, c == 0x53)                 // \s \S
        case 0x64, 0x44: return part(digit, c == 0x44)                      // \d \D
        case 0x77, 0x57: return part(word, c == 0x57)                       // \w \W
        case 0x68, 0x48:                                                    // \h \H (onig: hex digit)
            return part(ScalarPredicate(ranges: [0x30...0x39, 0x41...0x46, 0x61...0x66]), c == 0x48)
        case 0x70, 0x50: return part(try parseProperty(), c == 0x50)        // \p{..} \P{..}
        case 0x6E: return .literal(0x0A, caseVariants: false)
        case 0x72: return .literal(0x0D, caseVariants: false)
        case 0x74: return .literal(0x09, caseVariants: false)
        case 0x66: return .literal(0x0C, caseVariants: false)
        case 0x76: return .literal(0x0B, caseVariants: false)
        case 0x61: return .literal(0x07, caseVariants: false)
        case 0x65: return .literal(0x1B, caseVariants: false)
        case 0x30: return .literal(0, caseVariants: false)
        case 0x62 where inClass: return .literal(0x08, caseVariants: false)
        case 0x78: return .literal(try parseHex(braced: eat("{"), digits: 2), caseVariants: caseInsensitive)   // \xHH \x{H…}
        case 0x75: return .literal(try parseHex(braced: eat("{"), digits: 4), caseVariants: caseInsensitive)   // \uHHHH \u{H…}
        default:
            let isLetterOrDigit = (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
            if isLetterOrDigit { throw fail("unknown escape \\\(Character(Unicode.Scalar(c)!))") }
            return .literal(c, caseVariants: caseInsensitive)
        }
    }

    private mutating func parseHex(braced: Bool, digits: Int) throws(TokenizerError) -> UInt32 {
        var value: UInt32 = 0
        var count = 0
        while let c = peek(), let d = Self.hexValue(c), braced || count < digits {
            value = value &* 16 &+ d
            count += 1
            index += 1
            if count > 8 { throw fail("hex escape too long") }
        }
        if braced && !eat("}") { throw fail("unterminated \\x{…}") }
        guard count > 0, braced || count == digits, value < 0x110000 else { throw fail("bad hex escape") }
        return value
    }

    private static func hexValue(_ c: UInt32) -> UInt32? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// `\p{L}`, `\p{Lu}`, `\pL`, `\p{^L}`. llama.cpp collapses every `\p{L*}` to "letter" (its
    /// `unicode_regex_split` maps Lu, Ll, … onto one class), and knows only N, L, P, M and S.
    private mutating func parseProperty() throws(TokenizerError) -> ScalarPredicate {
        var name = ""
        var negated = false
        if eat("{") {
            if eat("^") { negated = true }
            while let c = peek(), c != 0x7D { name.unicodeScalars.append(Unicode.Scalar(take())!) }
            guard eat("}") else { throw fail("unterminated \\p{…}") }
        } else if let c = peek() {
            index += 1
            name = String(Unicode.Scalar(c).map(Character.init) ?? "?")
        }
        var mask: UInt32?
        if flavor == .llamaCpp {
            let known = ["N", "L", "P", "M", "S", "Lu", "Ll", "Lt", "Lm", "Lo"]
            if known.contains(name) { mask = GeneralCategory.mask(named: String(name.prefix(1))) }
        } else {
            mask = GeneralCategory.mask(named: name)
        }
        guard let mask else { throw fail("the property \\p{\(name)} is not supported (general categories only)") }
        return ScalarPredicate(categories: mask, inverted: negated)
    }

    private var whiteSpace: ScalarPredicate {
        // llama.cpp maps every non-ASCII White_Space scalar to U+000B before matching, so ASCII is enough.
        flavor == .llamaCpp ? ScalarPredicate(ranges: [0x09...0x0D, 0x20...0x20]) : ScalarPredicate(whiteSpace: true)
    }

    private var digit: ScalarPredicate {
        flavor == .llamaCpp ? ScalarPredicate(ranges: [0x30...0x39]) : ScalarPredicate(categories: GeneralCategory.decimalNumber)
    }

    private var word: ScalarPredicate {
        flavor == .llamaCpp
            ? ScalarPredicate(ranges: [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
            : ScalarPredicate(categories: GeneralCategory.letters | GeneralCategory.marks | GeneralCategory.decimalNumber
                                | GeneralCategory.connectorPunctuation)
    }

    /// A bracket expression after its `[`.
    private mutating func parseClass() throws(TokenizerError) -> RegexCharacterSet {
        let negated = eat("^")
        var literal = ScalarPredicate()
        var others: [RegexCharacterSet] = []
        var first = true
        while true {
            guard let c = peek() else { throw fail("unterminated character class") }
            if c == 0x5D && !first { index += 1; break }                    // ]
            first = false
            if c == 0x5B && flavor == .huggingFace {
                throw fail("nested classes and class operators are not supported")
            }
            if c == 0x26 && peek(1) == 0x26 && flavor == .huggingFace { throw fail("class intersection (&&) is not supported") }
            var low: UInt32
            if c == 0x5C {
                index += 1
                let escaped = try parseClassEscape(inClass: true)
                guard let single = Self.singleScalar(escaped) else { others.append(escaped); continue }
                low = single
            } else {
                low = take()
            }
            var high = low
            if peek() == 0x2D, let next = peek(1), next != 0x5D {            // a range a-b
                index += 1
                if next == 0x5C {
                    index += 1
                    guard let single = Self.singleScalar(try parseClassEscape(inClass: true)) else {
                        throw fail("a class escape cannot end a range")
                    }
                    high = single
                } else {
                    high = take()
                }
                guard low <= high else { throw fail("range out of order") }
            }
            literal.ranges.append(low...high)
            if caseInsensitive {
                literal.ranges += RegexCharacterSet.asciiCaseRanges(of: low...high)
                if low == high { literal.ranges += RegexCharacterSet.caseForms(of: low).map { $0...$0 } }
            }
        }
        var parts = others.flatMap(\.parts)
        if !literal.ranges.isEmpty { parts.append(literal) }
        return RegexCharacterSet(parts: parts, negated: negated)
    }

    /// The scalar of a one-scalar literal set (case variants aside), for class ranges.
    private static func singleScalar(_ set: RegexCharacterSet) -> UInt32? {
        guard set.parts.count == 1, let part = set.parts.first, !part.inverted, part.categories == 0, !part.whiteSpace,
              let first = part.ranges.first, first.lowerBound == first.upperBound else { return nil }
        return first.lowerBound
    }
}
