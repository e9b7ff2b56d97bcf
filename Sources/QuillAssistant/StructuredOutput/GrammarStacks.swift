// The pushdown automaton's memory: parse stacks as hash-consed nodes (an element position plus the node
// of the caller's return position, as XGrammar's persistent stack tree shares them), and sets of stacks
// interned as states with a lazily filled 256-way transition table, so a byte step is one table lookup
// once seen. A stack whose last frame pops reports `popped` (-1): the grammar is complete (or, for a
// position cache, the frame ended). Calls in tail position push nothing, so repetitions stay flat.

/// Stack nodes and interned stack sets for one grammar. Not thread-safe: one owner at a time.
final class GrammarStacks {
    let grammar: CompiledGrammar
    /// The stack that popped its last frame.
    static let popped: Int32 = -1
    /// The state with no stacks (input rejected).
    static let dead: Int32 = 0

    // Stack nodes: the element to match next (or to return to) and the caller's node (-1: none).
    private(set) var position: [Int32] = []
    private(set) var parent: [Int32] = []
    private var nodeIndex: [Int64: Int32] = [:]

    // States: sorted, unique stack sets (tops are terminals; `popped` may be among them).
    private(set) var stacks: [[Int32]] = []
    private var stateIndex: [[Int32]: Int32] = [:]
    /// Per state, 256 successors (-2: not computed yet).
    private var transitions: [[Int32]] = []

    init(_ grammar: CompiledGrammar) {
        self.grammar = grammar
        _ = state(for: [])                                  // id 0 = dead
    }

    var stateCount: Int { stacks.count }

    /// The state before any input: every alternative of the root rule, expanded.
    func rootState() -> Int32 {
        var out: [Int32] = []
        for start in grammar.alternatives[Int(grammar.rootRule)] { expand(start, parent: -1, into: &out) }
        return state(for: out)
    }

    /// The state of a single stack (its top at terminal position `p`, no caller): what per-position
    /// mask caches start from.
    func frameState(position p: Int32) -> Int32 {
        state(for: [node(p, -1)])
    }

    /// The state of the stack made of `positions` (top first) with no caller below the last: a real
    /// stack cut to its top frames, what per-context mask caches start from.
    func chainState(_ positions: [Int32]) -> Int32 {
        var top: Int32 = -1
        for p in positions.reversed() { top = node(p, top) }
        return state(for: [top])
    }

    /// The state of one real stack node (`node` must be a stack top of some state).
    func singleStackState(_ node: Int32) -> Int32 { state(for: [node]) }

    @inline(__always) func isComplete(_ s: Int32) -> Bool { stacks[Int(s)].first == Self.popped }
    /// Some stack can still take a byte.
    @inline(__always) func isLive(_ s: Int32) -> Bool { stacks[Int(s)].last.map { $0 >= 0 } ?? false }

    /// The state after byte `b` (`dead` when no stack accepts it).
    @inline(__always) func step(_ s: Int32, _ b: UInt8) -> Int32 {
        let t = transitions[Int(s)][Int(b)]
        if t != -2 { return t }
        return computeStep(s, b)
    }

    private func computeStep(_ s: Int32, _ b: UInt8) -> Int32 {
        var out: [Int32] = []
        for n in stacks[Int(s)] where n >= 0 {
            let p = position[Int(n)]
            if grammar.byteSet(at: p).contains(b) { expand(p + 1, parent: parent[Int(n)], into: &out) }
        }
        let next = state(for: out)
        transitions[Int(s)][Int(b)] = next
        return next
    }

    /// Pushes the closure of "match from element `p` with caller `parent`" onto `out`: terminals become
    /// stack tops, rule references expand into their alternatives, an alternative's end returns.
    private func expand(_ p: Int32, parent: Int32, into out: inout [Int32]) {
        let e = grammar.elements[Int(p)]
        if e <= -2 {
            out.append(node(p, parent))
        } else if e == CompiledGrammar.end {
            if parent < 0 { out.append(Self.popped) } else { expand(position[Int(parent)], parent: self.parent[Int(parent)], into: &out) }
        } else {
            let ret = grammar.elements[Int(p) + 1] == CompiledGrammar.end ? parent : node(p + 1, parent)
            for start in grammar.alternatives[Int(e)] { expand(start, parent: ret, into: &out) }
        }
    }

    private func node(_ p: Int32, _ parent: Int32) -> Int32 {
        let key = Int64(p) << 32 | Int64(UInt32(bitPattern: parent))
        if let n = nodeIndex[key] { return n }
        let n = Int32(position.count)
        position.append(p)
        self.parent.append(parent)
        nodeIndex[key] = n
        return n
    }

    private func state(for list: [Int32]) -> Int32 {
        let set = Array(Set(list)).sorted()
        if let s = stateIndex[set] { return s }
        let s = Int32(stacks.count)
        stacks.append(set)
        stateIndex[set] = s
        transitions.append([Int32](repeating: -2, count: 256))
        return s
    }
}
