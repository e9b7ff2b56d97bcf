// Compiled grammars and their token-mask caches, kept per model and reused by requests that send the
// same schema or grammar again (compiling, and above all the per-position masks, is the cost that
// hurts XGrammar on CPU servers per JSONSchemaBench, so a repeated schema must not pay it twice).
// The vocabulary's byte strings are built on first use.
import Foundation
import QuillFormats
import QuillTokenizer

/// What a request asks its output to follow.
public enum OutputFormat: Equatable, Sendable {
    /// Any JSON object (OpenAI `response_format: {"type": "json_object"}`).
    case jsonObject
    /// JSON valid under a schema (`{"type": "json_schema", "json_schema": {"schema": …}}`).
    case jsonSchema(JSONValue)
    /// A GBNF grammar (llama.cpp's `grammar` field).
    case grammar(String)

    /// The grammar this format stands for; schema and grammar errors are thrown as they are.
    public func grammar() throws -> Grammar {
        switch self {
        case .jsonObject: return JSONSchemaCompiler.anyObject()
        case .jsonSchema(let schema): return try JSONSchemaCompiler.compile(schema)
        case .grammar(let text): return try Grammar(parsing: text)
        }
    }

    var cacheKey: String {
        switch self {
        case .jsonObject: return "o"
        case .jsonSchema(let s): return "s" + s.jsonText
        case .grammar(let g): return "g" + g
        }
    }
}

/// Per-model cache of constraints by format (least recently used dropped beyond `capacity`). Thread-safe.
public final class GrammarCache: @unchecked Sendable {
    private let tokenizer: any Tokenizer
    private let vocabularySize: Int
    private let capacity: Int
    private let lock = NSLock()
    private var vocabulary: TokenVocabulary?
    private var entries: [String: (masker: GrammarTokenMasker, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    public init(tokenizer: any Tokenizer, vocabularySize: Int, capacity: Int = 32) {
        self.tokenizer = tokenizer; self.vocabularySize = vocabularySize; self.capacity = max(1, capacity)
    }

    /// The tokenizer's byte strings (built once).
    public var tokenVocabulary: TokenVocabulary {
        lock.lock(); defer { lock.unlock() }
        if let vocabulary { return vocabulary }
        let v = TokenVocabulary(tokenizer: tokenizer, size: vocabularySize)
        vocabulary = v
        return v
    }

    /// A constraint for `format`, compiled on first use. Throws `GrammarError` or `JSONSchemaError`.
    public func constraint(for format: OutputFormat) throws -> GrammarConstraint {
        try constraint(cacheKey: format.cacheKey, grammar: format.grammar)
    }

    /// A constraint for the grammar `grammar` builds, compiled on first use of `cacheKey` (a key that
    /// names the grammar exactly, such as a tool-forcing grammar's format and schemas).
    public func constraint(cacheKey key: String, grammar: () throws -> Grammar) throws -> GrammarConstraint {
        lock.lock()
        clock += 1
        if let hit = entries[key] {
            entries[key] = (hit.masker, clock)
            lock.unlock()
            return GrammarConstraint(hit.masker)
        }
        lock.unlock()
        let compiled = try CompiledGrammar(grammar())
        let masker = GrammarTokenMasker(grammar: compiled, vocabulary: tokenVocabulary)
        lock.lock(); defer { lock.unlock() }
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used })?.key {
            entries[oldest] = nil
        }
        entries[key] = (masker, clock)
        return GrammarConstraint(masker)
    }

    public var count: Int { lock.lock(); defer { lock.unlock() }; return entries.count }
}
