// The backtracking matcher: leftmost-first (Perl / Oniguruma / ECMAScript) semantics over UTF-8,
// an explicit stack instead of recursion, and two memos that keep tokenizer regexes linear — a class
// run's end is reused by later starts inside it, and positions where a run's continuation failed are
// skipped next time (so `\s+$` over a long blank run is not quadratic). A step budget bounds the rest.

/// Per-call matching state for one `RegexProgram` (not shared between threads).
struct RegexMatcher {
    private struct Frame {
        var pc: Int
        var position: Int
        /// -1: a plain branch; otherwise the lowest position a run may give back to.
        var minimum: Int
        /// For a run: the position its scan ended at.
        var top: Int
    }

    let program: RegexProgram
    /// llama.cpp matching: every non-ASCII White_Space scalar is seen as U+000B, as its
    /// `unicode_regex_split` does before handing the text to std::regex.
    let mapsWhiteSpace: Bool
    private let ops: [RegexOp]
    private var text: UnsafePointer<UInt8>
    private var low = 0
    private var high = 0
    private var stack: [Frame] = []
    private var generation = 0
    private var failGeneration: [Int]
    private var failLow: [Int]
    private var failHigh: [Int]
    private var runGeneration: [Int]
    private var runStart: [Int]
    private var runEnd: [Int]
    private var steps = 0
    private var budget = 0
    /// Set when the step budget ran out; the rest of the range is then left unsplit.
    private(set) var exhausted = false
    private var recordsFailures = true

    init(_ program: RegexProgram, mapsWhiteSpace: Bool) {
        self.program = program
        self.mapsWhiteSpace = mapsWhiteSpace
        ops = program.ops
        let n = program.ops.count
        failGeneration = [Int](repeating: -1, count: n)
        failLow = [Int](repeating: 0, count: n)
        failHigh = [Int](repeating: 0, count: n)
        runGeneration = [Int](repeating: -1, count: n)
        runStart = [Int](repeating: 0, count: n)
        runEnd = [Int](repeating: 0, count: n)
        text = UnsafePointer(bitPattern: 1)!
    }

    /// Calls `body(start, end)` for each piece of `base[low..<high]` — every match and every stretch
    /// between matches, in order, none empty (Hugging Face's `Isolated` split behaviour).
    /// `emptyMatchRetry`: after an empty match, look for a non-empty one at the same place first (ECMAScript
    /// `regex_iterator`); otherwise move on one scalar (Oniguruma's `find_iter`).
    mutating func split(_ base: UnsafePointer<UInt8>, _ low: Int, _ high: Int, emptyMatchRetry: Bool,
                        _ body: (Int, Int) -> Void) {
        text = base
        self.low = low
        self.high = high
        generation += 1
        steps = 0
        budget = 1_000_000 + 500 * (high - low)
        exhausted = false
        var s = low
        var gapStart = low
        let filter = program.firstScalars
        while s < high && !exhausted {
            let (v, n) = decode(s)
            if let filter, !filter.contains(v) { s += n; continue }
            if let end = execute(0, from: s, notEmpty: false) {
                if end > s {
                    if gapStart < s { body(gapStart, s) }
                    body(s, end)
                    s = end
                    gapStart = end
                    continue
                }
                if gapStart < s { body(gapStart, s) }          // an empty match still splits here
                gapStart = s
                if emptyMatchRetry, let again = execute(0, from: s, notEmpty: true), again > s {
                    body(s, again)
                    s = again
                    gapStart = again
                    continue
                }
            }
            s += n
        }
        if gapStart < high { body(gapStart, high) }
    }

    // MARK: Scalars

    @inline(__always)
    private func decode(_ i: Int) -> (UInt32, Int) {
        let b0 = text[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        var value: UInt32
        var length: Int
        if b0 & 0xE0 == 0xC0 { value = UInt32(b0 & 0x1F); length = 2 }
        else if b0 & 0xF0 == 0xE0 { value = UInt32(b0 & 0x0F); length = 3 }
        else { value = UInt32(b0 & 0x07); length = 4 }
        if i + length > high { return (0xFFFD, 1) }
        for k in 1..<length { value = value << 6 | UInt32(text[i + k] & 0x3F) }
        if mapsWhiteSpace && UnicodeClassTable.isWhiteSpace(value) { value = 0x0B }
        return (value, length)
    }

    @inline(__always)
    private func previous(_ i: Int) -> Int {
        var j = i - 1
        while j > low && text[j] & 0xC0 == 0x80 { j -= 1 }
        return j
    }

    private func isWordScalar(_ v: UInt32) -> Bool {
        if v < 0x80 || mapsWhiteSpace {
            return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || v == 0x5F
        }
        let word = GeneralCategory.letters | GeneralCategory.marks | GeneralCategory.decimalNumber
            | GeneralCategory.connectorPunctuation
        return UnicodeCategoryTable.shared.categoryBit(v) & word != 0
    }

    private func holds(_ assertion: RegexAssertion, at p: Int) -> Bool {
        switch assertion {
        case .textStart: return p == low
        case .textEnd: return p == high
        case .lineStart: return p == low || text[p - 1] == 0x0A
        case .lineEnd: return p == high || text[p] == 0x0A
        case .wordBoundary, .notWordBoundary:
            let before = p > low && isWordScalar(decode(previous(p)).0)
            let after = p < high && isWordScalar(decode(p).0)
            return (before != after) == (assertion == .wordBoundary)
        }
    }

    // MARK: Execution

    /// The end of the first match of the program at `entry` starting at `start`, or nil.
    private mutating func execute(_ entry: Int, from start: Int, notEmpty: Bool) -> Int? {
        let base = stack.count
        let savedRecording = recordsFailures
        recordsFailures = savedRecording && !notEmpty
        defer { recordsFailures = savedRecording }
        var pc = entry
        var p = start
        while true {
            steps &+= 1
            if steps > budget {
                exhausted = true
                stack.removeSubrange(base...)
                return nil
            }
            var failed = false
            switch ops[pc] {
            case .set(let s):
                if p < high {
                    let (v, n) = decode(p)
                    if program.sets[s].contains(v) { p += n; pc += 1 } else { failed = true }
                } else {
                    failed = true
                }
            case .run(let s, let minimum, let maximum, let possessive):
                if let (end, floor) = scanRun(pc: pc, set: s, from: p, minimum: minimum, maximum: maximum) {
                    if possessive {
                        p = end
                        pc += 1
                    } else if let first = candidate(pc + 1, end, floor: floor) {
                        stack.append(Frame(pc: pc + 1, position: first, minimum: floor, top: end))
                        p = first
                        pc += 1
                    } else {
                        recordFailure(pc + 1, floor, end)
                        failed = true
                    }
                } else {
                    failed = true
                }
            case .split(let first, let second):
                stack.append(Frame(pc: second, position: p, minimum: -1, top: 0))
                pc = first
            case .jump(let target):
                pc = target
            case .assert(let kind):
                if holds(kind, at: p) { pc += 1 } else { failed = true }
            case .look(let entry, let negated):
                let matched = execute(entry, from: p, notEmpty: false) != nil
                if exhausted { stack.removeSubrange(base...); return nil }
                if matched != negated { pc += 1 } else { failed = true }
            case .atomic(let entry):
                if let end = execute(entry, from: p, notEmpty: false) { p = end; pc += 1 } else { failed = true }
                if exhausted { stack.removeSubrange(base...); return nil }
            case .match:
                if notEmpty && p == start {
                    failed = true
                } else {
                    stack.removeSubrange(base...)
                    return p
                }
            }
            guard failed else { continue }
            // Backtrack: the newest alternative, or give back one more scalar of the newest run.
            var resumed = false
            while stack.count > base {
                var frame = stack.removeLast()
                if frame.minimum < 0 {
                    pc = frame.pc
                    p = frame.position
                    resumed = true
                    break
                }
                if frame.position > frame.minimum,
                   let next = candidate(frame.pc, previous(frame.position), floor: frame.minimum) {
                    frame.position = next
                    stack.append(frame)
                    pc = frame.pc
                    p = next
                    resumed = true
                    break
                }
                recordFailure(frame.pc, frame.minimum, frame.top)
            }
            if !resumed { return nil }
        }
    }

    /// Scans a greedy run from `p`; returns where it ends and the lowest position it may give back to,
    /// or nil when fewer than `minimum` scalars match.
    private mutating func scanRun(pc: Int, set s: Int, from p: Int, minimum: Int, maximum: Int) -> (Int, Int)? {
        let unbounded = maximum == Int.max
        if unbounded && minimum <= 1 && runGeneration[pc] == generation && runStart[pc] <= p && p < runEnd[pc] {
            return (runEnd[pc], minimum == 0 ? p : p + decode(p).1)     // inside a run already scanned
        }
        let set = program.sets[s]
        var q = p
        var count = 0
        var floor = minimum == 0 ? p : -1
        while count < maximum && q < high {
            let (v, n) = decode(q)
            guard set.contains(v) else { break }
            q += n
            count += 1
            if count == minimum { floor = q }
        }
        steps &+= count
        guard count >= minimum else { return nil }
        if unbounded && q > p {
            runGeneration[pc] = generation
            runStart[pc] = p
            runEnd[pc] = q
        }
        return (q, floor)
    }

    /// The highest position at or below `x` (and at or above `floor`) not known to fail at `pc`.
    @inline(__always)
    private func candidate(_ pc: Int, _ x: Int, floor: Int) -> Int? {
        guard x >= floor else { return nil }
        if failGeneration[pc] == generation && failLow[pc] <= x && x <= failHigh[pc] {
            guard failLow[pc] > floor else { return nil }
            let below = previous(failLow[pc])
            return below >= floor ? below : nil
        }
        return x
    }

    /// Every position in `low…high` failed at `pc` (within this range: a failure there does not depend
    /// on where the match started).
    private mutating func recordFailure(_ pc: Int, _ from: Int, _ to: Int) {
        guard recordsFailures, from <= to else { return }
        if failGeneration[pc] == generation && from <= failHigh[pc] && to >= failLow[pc] {
            failLow[pc] = min(failLow[pc], from)
            failHigh[pc] = max(failHigh[pc], to)
        } else {
            failGeneration[pc] = generation
            failLow[pc] = from
            failHigh[pc] = to
        }
    }
}
