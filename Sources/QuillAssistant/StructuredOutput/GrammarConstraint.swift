// A grammar as a generation constraint: each sequence gets a matcher whose step masks come from the
// shared `GrammarTokenMasker` and are cached per parse state (inside a JSON string the state repeats
// token after token, so most steps are one lookup), and end of generation is allowed only where the
// grammar is complete.
import QuillGeneration

/// Constrains generation to a grammar (set it as `GenerationParameters.constraint`).
///
/// ```swift
/// let vocabulary = TokenVocabulary(tokenizer: tokenizer, size: model.vocabularySize)
/// let grammar = try CompiledGrammar(JSONSchemaCompiler.compile(schema))
/// parameters.constraint = GrammarConstraint(GrammarTokenMasker(grammar: grammar, vocabulary: vocabulary))
/// ```
public struct GrammarConstraint: TokenConstraint {
    public let masker: GrammarTokenMasker

    public init(_ masker: GrammarTokenMasker) { self.masker = masker }

    public init(grammar: CompiledGrammar, vocabulary: TokenVocabulary) {
        masker = GrammarTokenMasker(grammar: grammar, vocabulary: vocabulary)
    }

    public func makeState(endOfGeneration: Set<Int>) -> any TokenConstraintState {
        GrammarConstraintState(masker, endOfGeneration: endOfGeneration)
    }

    /// A state whose end-of-generation ids are the vocabulary's.
    public func makeState() -> GrammarConstraintState { GrammarConstraintState(masker) }
}

/// One sequence's parse state and its mask cache.
public final class GrammarConstraintState: TokenConstraintState {
    public let masker: GrammarTokenMasker
    let stacks: GrammarStacks
    public private(set) var state: Int32
    /// Ids that end the sequence: allowed exactly where the grammar is complete.
    public let endOfGeneration: Set<Int>
    private var masks: [Int32: TokenBitset] = [:]
    /// Masks kept per sequence before the cache is emptied (each is V/8 bytes).
    static let maxCachedMasks = 256

    /// `endOfGeneration`: the sequence's end ids (default: the vocabulary's).
    public init(_ masker: GrammarTokenMasker, endOfGeneration: Set<Int>? = nil) {
        self.masker = masker
        self.endOfGeneration = (endOfGeneration ?? masker.vocabulary.endOfGeneration).filter { $0 >= 0 && $0 < masker.vocabulary.size }
        stacks = GrammarStacks(masker.grammar)
        state = stacks.rootState()
    }

    /// The tokens allowed next.
    public func mask() -> TokenBitset {
        if let m = masks[state] { return m }
        if masks.count >= Self.maxCachedMasks { masks.removeAll(keepingCapacity: true) }
        var m = masker.mask(stacks, state)
        if stacks.isComplete(state) { for id in endOfGeneration { m.insert(id) } }
        masks[state] = m
        return m
    }

    /// The reference mask (every token tried), for tests and benchmarks.
    public func naiveMask() -> TokenBitset {
        var m = masker.naiveMask(stacks, state)
        if stacks.isComplete(state) { for id in endOfGeneration { m.insert(id) } }
        return m
    }

    public func apply(to logits: inout [Float]) { mask().apply(to: &logits) }

    public func allows(_ token: Int) -> Bool { mask().contains(token) }

    public func accept(_ token: Int) {
        guard token >= 0, token < masker.vocabulary.size else { return }
        var s = state
        for b in masker.vocabulary.bytes[token] {
            s = stacks.step(s, b)
            if s == GrammarStacks.dead { return }           // not allowed: the state stays as it was
        }
        state = s
    }

    /// Advances over raw bytes (text already produced, e.g. a forced prefix); false when rejected.
    @discardableResult
    public func accept(bytes: [UInt8]) -> Bool {
        var s = state
        for b in bytes {
            s = stacks.step(s, b)
            if s == GrammarStacks.dead { return false }
        }
        state = s
        return true
    }

    public var isComplete: Bool { stacks.isComplete(state) }

    /// Complete with nothing more to add, or stuck where no token fits (never for a well-formed grammar
    /// over a byte-complete vocabulary; ending beats sampling from an empty distribution).
    public var mustEnd: Bool {
        (!stacks.isLive(state)) || mask().isEmpty
    }
}
