// Compiles a regex tree into a flat program for the backtracking matcher (the classic split/jump
// encoding of Thompson and Pike, run depth-first): a greedy run over one class becomes a single `run`
// op that gives scalars back one at a time, and lookahead / atomic bodies become sub-programs.

/// One instruction.
enum RegexOp {
    /// Consume one scalar of `sets[i]`.
    case set(Int)
    /// Consume `min…max` scalars of `sets[i]`, as many as possible; give them back one by one on failure
    /// unless possessive.
    case run(set: Int, min: Int, max: Int, possessive: Bool)
    /// Try the first target; on failure, the second.
    case split(Int, Int)
    case jump(Int)
    case assert(RegexAssertion)
    /// Run the sub-program at the entry without consuming; continue if it matched (or, negated, did not).
    case look(entry: Int, negated: Bool)
    /// Run the sub-program at the entry once; continue after its first match, never backtracking into it.
    case atomic(entry: Int)
    case match
}

/// A compiled regex: ops (the main program starts at 0), the classes they test, and the scalars a
/// match can start with (nil when the regex can match empty, so every position must be tried).
final class RegexProgram: @unchecked Sendable {
    static let maxOps = 20_000

    let ops: [RegexOp]
    let sets: [RegexCharacterSet]
    let firstScalars: RegexCharacterSet?

    init(_ node: RegexNode, source: String) throws(TokenizerError) {
        var compiler = RegexCompiler(source: source)
        try compiler.emit(node)
        compiler.ops.append(.match)
        ops = compiler.ops
        sets = compiler.sets
        let (first, nullable) = Self.firstSets(node)
        firstScalars = nullable || first.isEmpty ? nil : RegexCharacterSet.union(first)
    }

    /// The classes of the scalars a match of `node` can begin with, and whether it can match empty.
    static func firstSets(_ node: RegexNode) -> ([RegexCharacterSet], Bool) {
        switch node {
        case .empty, .lookahead, .assertion: return ([], true)
        case .set(let set): return ([set], false)
        case .sequence(let items):
            var sets: [RegexCharacterSet] = []
            for item in items {
                let (first, nullable) = firstSets(item)
                sets += first
                if !nullable { return (sets, false) }
            }
            return (sets, true)
        case .choice(let items):
            var sets: [RegexCharacterSet] = []
            var nullable = false
            for item in items {
                let (first, itemNullable) = firstSets(item)
                sets += first
                nullable = nullable || itemNullable
            }
            return (sets, nullable)
        case .quantified(let child, let min, _, _):
            let (first, nullable) = firstSets(child)
            return (first, nullable || min == 0)
        case .atomic(let child): return firstSets(child)
        }
    }
}

struct RegexCompiler {
    let source: String
    var ops: [RegexOp] = []
    var sets: [RegexCharacterSet] = []

    private func fail(_ reason: String) -> TokenizerError {
        .invalidRegex(pattern: source, offset: 0, reason: reason)
    }

    private mutating func addSet(_ set: RegexCharacterSet) -> Int {
        sets.append(set)
        return sets.count - 1
    }

    mutating func emit(_ node: RegexNode) throws(TokenizerError) {
        guard ops.count <= RegexProgram.maxOps else {
            throw fail("compiles to more than \(RegexProgram.maxOps) instructions (repeat counts too large)")
        }
        switch node {
        case .empty:
            break
        case .set(let set):
            ops.append(.set(addSet(set)))
        case .sequence(let items):
            for item in items { try emit(item) }
        case .choice(let branches):
            // split(b1, next1); b1; jump end; next1: split(b2, next2); … ; last branch
            var jumps: [Int] = []
            for (k, branch) in branches.enumerated() {
                if k == branches.count - 1 {
                    try emit(branch)
                } else {
                    let split = ops.count
                    ops.append(.split(split + 1, 0))
                    try emit(branch)
                    jumps.append(ops.count)
                    ops.append(.jump(0))
                    ops[split] = .split(split + 1, ops.count)
                }
            }
            for j in jumps { ops[j] = .jump(ops.count) }
        case .quantified(let child, let min, let max, let mode):
            try emitQuantified(child, min: min, max: max, mode: mode)
        case .atomic(let child):
            try emitSubprogram(child) { .atomic(entry: $0) }
        case .lookahead(let child, let negated):
            try emitSubprogram(child) { .look(entry: $0, negated: negated) }
        case .assertion(let kind):
            ops.append(.assert(kind))
        }
    }

    /// `op(entry)`, a jump over the body, then the body ending in `match`.
    private mutating func emitSubprogram(_ child: RegexNode, _ op: (Int) -> RegexOp) throws(TokenizerError) {
        let at = ops.count
        ops.append(.match)
        ops.append(.jump(0))
        try emit(child)
        ops.append(.match)
        ops[at] = op(at + 2)
        ops[at + 1] = .jump(ops.count)
    }

    private mutating func emitQuantified(_ child: RegexNode, min: Int, max: Int?, mode: QuantifierMode) throws(TokenizerError) {
        if case .set(let set) = child, mode != .lazy {
            ops.append(.run(set: addSet(set), min: min, max: max ?? Int.max, possessive: mode == .possessive))
            return
        }
        if mode == .possessive {
            try emitSubprogram(.quantified(child, min: min, max: max, mode: .greedy)) { .atomic(entry: $0) }
            return
        }
        let greedy = mode == .greedy
        for _ in 0..<min { try emit(child) }
        guard let max else {
            guard !child.isNullable else {
                throw fail("a repeated group that can match the empty string is not supported")
            }
            let loop = ops.count
            ops.append(.split(0, 0))
            try emit(child)
            ops.append(.jump(loop))
            ops[loop] = greedy ? .split(loop + 1, ops.count) : .split(ops.count, loop + 1)
            return
        }
        var splits: [Int] = []
        for _ in min..<max {
            splits.append(ops.count)
            ops.append(.split(0, 0))
            try emit(child)
        }
        for s in splits { ops[s] = greedy ? .split(s + 1, ops.count) : .split(ops.count, s + 1) }
    }
}
