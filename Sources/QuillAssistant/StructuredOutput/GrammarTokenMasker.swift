// Which tokens a grammar allows next, per step, as XGrammar (Dong et al. 2024) splits the work: for each
// stack top (a terminal position with its callers' return positions, up to `contextDepth` frames), one
// walk of the vocabulary trie from that cut stack finds the tokens it accepts whatever lies below
// ("context-independent", cached once per grammar and vocabulary) and the few that run past the cut
// ("uncertain"); a step then ORs the cached sets of its stacks and checks only the uncertain tokens
// against the real stack. A few frames, not one, because JSON's small rules (whitespace, a string's
// closing quote) would leave half the vocabulary uncertain. `naiveMask` tries
// every token instead and is kept beside it as the reference.
import Foundation

/// Per-position token masks for one grammar over one vocabulary; shared by all sequences (thread-safe).
public final class GrammarTokenMasker: @unchecked Sendable {
    public let grammar: CompiledGrammar
    public let vocabulary: TokenVocabulary

    public struct PositionMask: Sendable {
        public var accepted: TokenBitset
        /// Ids, in trie (byte) order, whose bytes may leave the position's rule: checked per stack.
        public var uncertain: [Int32]
    }

    private let lock = NSLock()
    private var positions: [[Int32]: PositionMask] = [:]
    /// Frames of a stack's top that key its cached mask.
    static let contextDepth = 3
    /// Stacks for the per-position walks (frames with no caller), reused across positions.
    private let frames: GrammarStacks

    public init(grammar: CompiledGrammar, vocabulary: TokenVocabulary) {
        self.grammar = grammar
        self.vocabulary = vocabulary
        frames = GrammarStacks(grammar)
    }

    /// Positions whose masks have been computed so far.
    public var cachedPositionCount: Int { lock.lock(); defer { lock.unlock() }; return positions.count }

    /// The cached mask of terminal position `p` (computed on first use).
    @discardableResult
    public func positionMask(_ p: Int32) -> PositionMask { contextMask([p]) }

    /// The cached mask of a stack cut to the frames `key` (top first: positions, then return positions).
    func contextMask(_ key: [Int32]) -> PositionMask {
        lock.lock()
        defer { lock.unlock() }
        if let m = positions[key] { return m }
        let m = computeMask(key)
        positions[key] = m
        return m
    }

    /// One preorder walk of the trie from the cut stack `key` (see the file comment).
    private func computeMask(_ key: [Int32]) -> PositionMask {
        let v = vocabulary
        var accepted = TokenBitset(count: v.size)
        var uncertain: [Int32] = []
        var states = [Int32](repeating: 0, count: v.maxDepth + 1)
        var poppedBefore = [Bool](repeating: false, count: v.maxDepth + 1)
        states[0] = frames.chainState(key)
        var i = 0
        let n = v.nodeCount
        while i < n {
            let d = Int(v.nodeDepth[i])
            let s = frames.step(states[d - 1], v.nodeByte[i])
            let live = frames.isLive(s), poppedHere = frames.isComplete(s), before = poppedBefore[d - 1]
            if !live {
                if poppedHere || before {
                    for t in v.tokens(at: i) {
                        if poppedHere { accepted.insert(Int(t)) } else { uncertain.append(t) }
                    }
                    let end = Int(v.subtreeEnd[i])
                    if i + 1 < end { for j in (i + 1)..<end { uncertain += v.tokens(at: j) } }
                }
                i = Int(v.subtreeEnd[i])
                continue
            }
            for t in v.tokens(at: i) { accepted.insert(Int(t)) }
            states[d] = s
            poppedBefore[d] = before || poppedHere
            i += 1
        }
        return PositionMask(accepted: accepted, uncertain: uncertain)
    }

    /// The tokens whose bytes `state` of `stacks` allows (end-of-generation ids are the caller's).
    func mask(_ stacks: GrammarStacks, _ state: Int32) -> TokenBitset {
        let v = vocabulary
        var mask = TokenBitset(count: v.size)
        var depthStates = [Int32](repeating: 0, count: v.maxDepth + 1)
        for node in stacks.stacks[Int(state)] where node >= 0 {
            var key: [Int32] = [], frame = node
            while frame >= 0 && key.count < Self.contextDepth {
                key.append(stacks.position[Int(frame)])
                frame = stacks.parent[Int(frame)]
            }
            let entry = contextMask(key)
            mask.formUnion(entry.accepted)
            guard !entry.uncertain.isEmpty else { continue }
            // Uncertain tokens come sorted, so consecutive ones share prefixes: keep the state per depth.
            depthStates[0] = stacks.singleStackState(node)
            var previous: [UInt8] = []
            var valid = 0                                       // depthStates[0...valid] are current
            for t in entry.uncertain {
                let bytes = v.bytes[Int(t)]
                var d = 0
                let limit = min(valid, previous.count, bytes.count)
                while d < limit, bytes[d] == previous[d] { d += 1 }
                var alive = true
                while d < bytes.count {
                    let next = stacks.step(depthStates[d], bytes[d])
                    if next == GrammarStacks.dead { alive = false; break }
                    d += 1
                    depthStates[d] = next
                }
                valid = d
                previous = bytes
                if alive { mask.insert(Int(t)) }
            }
        }
        return mask
    }

    /// The reference: every token's bytes run through the matcher from `state`.
    func naiveMask(_ stacks: GrammarStacks, _ state: Int32) -> TokenBitset {
        let v = vocabulary
        var mask = TokenBitset(count: v.size)
        for (id, bytes) in v.bytes.enumerated() where !bytes.isEmpty {
            var s = state
            for b in bytes {
                s = stacks.step(s, b)
                if s == GrammarStacks.dead { break }
            }
            if s != GrammarStacks.dead { mask.insert(id) }
        }
        return mask
    }
}
