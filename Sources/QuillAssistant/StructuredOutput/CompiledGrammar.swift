// A grammar lowered to bytes for the pushdown matcher, as llama.cpp's llama_grammar lays rules out:
// every rule is a list of alternatives, each a run of elements (a byte-set terminal or a rule
// reference) closed by an end marker, all in one flat array. Groups, classes and repetitions become
// auxiliary rules; identical ones are shared. Left recursion is refused (the matcher would not end).

/// 256 bits: which bytes a terminal accepts.
struct ByteSet: Hashable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init(_ ranges: [ClosedRange<UInt8>]) {
        for r in ranges { for b in r { insert(b) } }
    }

    mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    @inline(__always) func contains(_ b: UInt8) -> Bool {
        let w: UInt64
        switch b >> 6 {
        case 0: w = words.0
        case 1: w = words.1
        case 2: w = words.2
        default: w = words.3
        }
        return w & (UInt64(1) << UInt64(b & 63)) != 0
    }

    static func == (a: ByteSet, b: ByteSet) -> Bool { a.words == b.words }
    func hash(into h: inout Hasher) { h.combine(words.0); h.combine(words.1); h.combine(words.2); h.combine(words.3) }
}

/// The flat, byte-level form of a ``Grammar``. Immutable; share one between sequences.
public final class CompiledGrammar: Sendable {
    /// Per element: ≥ 0 a rule id, `end` closes an alternative, ≤ -2 terminal `-(k + 2)` with byte set k.
    let elements: [Int32]
    let byteSets: [ByteSet]
    /// Per rule: the element index where each alternative starts.
    let alternatives: [[Int32]]
    let ruleNames: [String]
    let rootRule: Int32
    /// The grammar this was compiled from (its GBNF text is `source.text`).
    public let source: Grammar

    static let end: Int32 = -1

    public init(_ grammar: Grammar) throws(GrammarError) {
        var lowering = GrammarLowering(grammar)
        try lowering.run()
        elements = lowering.elements
        byteSets = lowering.byteSets
        alternatives = lowering.alternatives
        ruleNames = lowering.names
        rootRule = lowering.ids[grammar.root]!
        source = grammar
        try checkLeftRecursion()
    }

    /// Parses and compiles GBNF text.
    public convenience init(gbnf: String) throws(GrammarError) {
        try self.init(Grammar(parsing: gbnf))
    }

    public var ruleCount: Int { alternatives.count }
    /// Number of elements (terminals, rule references and alternative ends) in the flat layout.
    public var elementCount: Int { elements.count }
    /// Number of terminal positions (what per-position token masks are cached for).
    public var terminalCount: Int { elements.reduce(0) { $0 + ($1 <= -2 ? 1 : 0) } }

    @inline(__always) public func isTerminal(_ p: Int32) -> Bool { elements[Int(p)] <= -2 }
    @inline(__always) func byteSet(at p: Int32) -> ByteSet { byteSets[Int(-elements[Int(p)] - 2)] }

    /// Refuses rules that can reach themselves without consuming a byte (`a ::= a "x" | …`).
    private func checkLeftRecursion() throws(GrammarError) {
        let n = alternatives.count
        var nullable = [Bool](repeating: false, count: n)
        var changed = true
        while changed {
            changed = false
            for r in 0..<n where !nullable[r] {
                for start in alternatives[r] where prefixNullable(from: start, to: nil, nullable) {
                    nullable[r] = true; changed = true; break
                }
            }
        }
        // Edges r → s when s can come first in r.
        var edges = [[Int]](repeating: [], count: n)
        for r in 0..<n {
            for start in alternatives[r] {
                var p = Int(start)
                while elements[p] >= 0 {
                    edges[r].append(Int(elements[p]))
                    if !nullable[Int(elements[p])] { break }
                    p += 1
                }
            }
        }
        var color = [UInt8](repeating: 0, count: n)               // 0 new, 1 on the path, 2 done
        func visit(_ r: Int) -> Int? {
            color[r] = 1
            for s in edges[r] {
                if color[s] == 1 { return s }
                if color[s] == 0, let cycle = visit(s) { return cycle }
            }
            color[r] = 2
            return nil
        }
        for r in 0..<n where color[r] == 0 {
            if let cycle = visit(r) {
                let name = ruleNames[cycle]
                throw .whole(name.first?.isNumber == true && name.contains("-")
                    ? "a group or repetition can loop without matching any character (a repeated item that matches the empty string?)"
                    : "rule '\(name)' is left-recursive (it can reach itself before matching any character); rewrite it with repetition")
            }
        }
    }

    private func prefixNullable(from start: Int32, to stop: Int?, _ nullable: [Bool]) -> Bool {
        var p = Int(start)
        while elements[p] != Self.end {
            guard elements[p] >= 0, nullable[Int(elements[p])] else { return false }
            p += 1
        }
        return true
    }
}

/// Builds the flat arrays of a ``CompiledGrammar``.
private struct GrammarLowering {
    let grammar: Grammar
    var elements: [Int32] = []
    var byteSets: [ByteSet] = []
    var setIndex: [ByteSet: Int32] = [:]
    var alternatives: [[Int32]] = []
    var names: [String] = []
    var ids: [String: Int32] = [:]
    /// Auxiliary rules already made for an expression (shared, so their masks are cached once).
    var auxiliary: [GrammarExpression: Int32] = [:]
    /// Alternatives of each rule, built as symbol lists before being laid out.
    var bodies: [[[Int32]]] = []

    init(_ grammar: Grammar) { self.grammar = grammar }

    mutating func run() throws(GrammarError) {
        for (name, _) in grammar.rules { ids[name] = newRule(name) }
        guard ids[grammar.root] != nil else { throw .whole("no rule named '\(grammar.root)' (matching starts there)") }
        for (name, body) in grammar.rules {
            let id = ids[name]!
            bodies[Int(id)] = try alternativesOf(body)
        }
        for body in bodies {
            var starts: [Int32] = []
            for alt in body {
                starts.append(Int32(elements.count))
                elements += alt
                elements.append(CompiledGrammar.end)
            }
            alternatives.append(starts)
        }
    }

    private mutating func newRule(_ name: String) -> Int32 {
        let id = Int32(bodies.count)
        bodies.append([])
        names.append(name)                       // auxiliary names are never looked up
        return id
    }

    private mutating func terminal(_ set: ByteSet) -> Int32 {
        if let k = setIndex[set] { return -(k + 2) }
        let k = Int32(byteSets.count)
        byteSets.append(set)
        setIndex[set] = k
        return -(k + 2)
    }

    private mutating func alternativesOf(_ e: GrammarExpression) throws(GrammarError) -> [[Int32]] {
        if case .alternation(let items) = e {
            var out: [[Int32]] = []
            for item in items { out.append(try symbols(item)) }
            return out
        }
        return [try symbols(e)]
    }

    /// The symbols of one alternative.
    private mutating func symbols(_ e: GrammarExpression) throws(GrammarError) -> [Int32] {
        switch e {
        case .literal(let s): return s.utf8.map { terminal(ByteSet([$0...$0])) }
        case .sequence(let items):
            var out: [Int32] = []
            for item in items { out += try symbols(item) }
            return out
        case .rule(let name):
            guard let id = ids[name] else { throw .whole("reference to undefined rule '\(name)'") }
            return [id]
        case .characterClass(let ranges, let negated):
            let scalars = negated ? UTF8Ranges.complement(ranges) : ranges
            let seqs = UTF8Ranges.sequences(scalars)
            guard !seqs.isEmpty else { throw .whole("character class \(Grammar.render(e, nested: true)) matches no character") }
            if seqs.allSatisfy({ $0.count == 1 }) { return [terminal(ByteSet(seqs.map { $0[0] }))] }
            return [try auxiliaryRule(for: e) { this in
                let single = seqs.filter { $0.count == 1 }.map { $0[0] }
                var alts = single.isEmpty ? [] : [[this.terminal(ByteSet(single))]]
                for s in seqs where s.count > 1 { alts.append(s.map { this.terminal(ByteSet([$0])) }) }
                return alts
            }]
        case .alternation:
            return [try auxiliaryRule(for: e) { this throws(GrammarError) in try this.alternativesOf(e) }]
        case .repetition(let inner, let min, let max):
            return try repetition(inner, min: min, max: max)
        }
    }

    private mutating func repetition(_ inner: GrammarExpression, min: Int, max: Int?) throws(GrammarError) -> [Int32] {
        let unit = try unitSymbols(inner)
        var out: [Int32] = []
        for _ in 0..<min { out += unit }
        if let max {
            guard max > min else { return out }
            // opt_k ::= unit opt_(k-1) | ε, so "up to k more" never grows the stack (the tail is a call).
            var previous: Int32? = nil
            for k in 1...(max - min) {
                let key = GrammarExpression.repetition(inner, min: 0, max: k)
                if let id = auxiliary[key] { previous = id; continue }
                let id = newRule("\(names.count)-rep\(k)")
                auxiliary[key] = id
                bodies[Int(id)] = [unit + (previous.map { [$0] } ?? []), []]
                previous = id
            }
            out.append(previous!)
        } else {
            let key = GrammarExpression.repetition(inner, min: 0, max: nil)
            let id: Int32
            if let known = auxiliary[key] { id = known } else {
                id = newRule("\(names.count)-star")
                auxiliary[key] = id
                bodies[Int(id)] = [unit + [id], []]
            }
            out.append(id)
        }
        return out
    }

    /// Symbols for one repeated item: inline when it is a single element, else one shared rule.
    private mutating func unitSymbols(_ e: GrammarExpression) throws(GrammarError) -> [Int32] {
        let s = try symbols(e)
        if s.count == 1 { return s }
        return [try auxiliaryRule(for: .sequence([e])) { this throws(GrammarError) in [try this.symbols(e)] }]
    }

    private mutating func auxiliaryRule(for key: GrammarExpression,
                                        _ make: (inout GrammarLowering) throws(GrammarError) -> [[Int32]]) throws(GrammarError) -> Int32 {
        if let id = auxiliary[key] { return id }
        let id = newRule("\(names.count)-aux")
        auxiliary[key] = id
        bodies[Int(id)] = try make(&self)
        return id
    }
}
