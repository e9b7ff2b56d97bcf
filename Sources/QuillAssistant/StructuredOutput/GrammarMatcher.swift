// Matches text against a compiled grammar byte by byte: a pushdown automaton that advances every live
// parse stack at once (llama.cpp's llama_grammar_accept, over hash-consed stacks). One matcher per
// sequence; it owns its stacks, so it is cheap to make and never shared between threads.

/// The parse state of one sequence.
///
/// ```swift
/// let m = GrammarMatcher(try CompiledGrammar(gbnf: #"root ::= [0-9]+"#))
/// m.accept(Array("42".utf8))   // true
/// m.isComplete                  // true: the text so far is a whole sentence of the grammar
/// ```
public final class GrammarMatcher {
    public let grammar: CompiledGrammar
    let stacks: GrammarStacks
    /// The current state (a set of stacks).
    public private(set) var state: Int32

    public init(_ grammar: CompiledGrammar) {
        self.grammar = grammar
        stacks = GrammarStacks(grammar)
        state = stacks.rootState()
    }

    /// Advances over `bytes`; false (and the state unchanged) when the grammar rejects them.
    @discardableResult
    public func accept(_ bytes: [UInt8]) -> Bool {
        var s = state
        for b in bytes {
            s = stacks.step(s, b)
            if s == GrammarStacks.dead { return false }
        }
        state = s
        return true
    }

    /// The text so far is a complete match (end of generation is allowed here).
    public var isComplete: Bool { stacks.isComplete(state) }
    /// Some byte can still follow.
    public var canContinue: Bool { stacks.isLive(state) }

    /// Whether `bytes` would be accepted from the current state (the state is unchanged).
    public func allows(_ bytes: [UInt8]) -> Bool {
        var s = state
        for b in bytes {
            s = stacks.step(s, b)
            if s == GrammarStacks.dead { return false }
        }
        return true
    }

    /// Whether the whole of `text` is a sentence of `grammar`.
    public static func matches(_ grammar: CompiledGrammar, _ text: String) -> Bool {
        let m = GrammarMatcher(grammar)
        return m.accept(Array(text.utf8)) && m.isComplete
    }
}
