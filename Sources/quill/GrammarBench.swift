// `quill bench grammar`: the structured-output costs on a model's vocabulary — schema compile time,
// per-step token-mask time (first sequence with cold position caches, a second one warm, and the naive
// every-token check beside them), and generation ms/token with and without the constraint.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillFormats
import QuillGeneration
import QuillModels

struct GrammarBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grammar",
        abstract: "Time JSON-schema compilation, token masks and constrained decoding.",
        discussion: """
        Masks are timed along a valid document's tokens; generation runs the model at temperature 1.
        Example:
          quill bench grammar --model smollm2 --gen-tokens 64
        """)

    @Option(help: ArgumentHelp(stringLiteral: ModelLocator.help)) var model: String?
    @Option(help: "A JSON schema file (default: a typical tool-call schema).") var schema: String?
    @Option(help: "A JSON document valid under the schema, whose tokens the mask timing follows (default: one for the default schema).")
    var document: String?
    @Option(name: .customLong("gen-tokens"), help: "Tokens generated with and without the constraint (0 skips).") var genTokens = 64

    static let toolSchema = #"""
        {"type": "object", "properties": {
          "location": {"type": "string", "description": "City and country"},
          "unit": {"enum": ["celsius", "fahrenheit"]},
          "days": {"type": "integer"},
          "include_hourly": {"type": "boolean"},
          "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5}},
         "required": ["location", "unit", "days", "include_hourly", "tags"], "additionalProperties": false}
        """#

    static let toolDocument = #"{"location": "Paris, France", "unit": "celsius", "days": 3, "include_hourly": false, "tags": ["rain", "wind", "weekend"]}"#

    func run() throws {
        let url = try ModelLocator.resolve(model)
        let loaded = try ModelRegistry.loadForGeneration(path: url)
        var t = Date()
        let vocabulary = TokenVocabulary(tokenizer: loaded.tokenizer, size: loaded.model.vocabularySize)
        print(String(format: "vocabulary: %d tokens, byte trie built in %.1f ms", vocabulary.size, ms(since: t)))
        let text = try schema.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? Self.toolSchema
        let schemaValue = try JSONValue(parsing: Data(text.utf8))
        t = Date()
        let grammar = try CompiledGrammar(JSONSchemaCompiler.compile(schemaValue))
        print(String(format: "schema compile: %.2f ms (%d rules, %d terminal positions)", ms(since: t), grammar.ruleCount, grammar.terminalCount))
        // Per-token masks along a valid document's own tokens: a fresh masker (positions computed as they
        // are met), the same masker again (all cached), and the naive every-token check.
        let documentText = try document.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? Self.toolDocument
        let tokens = loaded.tokenizer.encode(documentText)
        var masker = GrammarTokenMasker(grammar: grammar, vocabulary: vocabulary)
        for label in ["cold", "warm", "naive"] {
            let perStep = try walk(masker, tokens, naive: label == "naive")
            print(String(format: "mask %@: %.3f ms/token over the document's %d tokens", label, perStep, tokens.count))
        }
        t = Date()
        for p in 0..<Int32(grammar.elementCount) where grammar.isTerminal(p) { _ = masker.positionMask(p) }
        print(String(format: "%d single-frame position masks precomputed in %.1f ms", grammar.terminalCount, ms(since: t)))
        guard genTokens > 0 else { return }
        let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer)
        let prompt = loaded.tokenizer.encode("Weather in Paris as JSON:")
        for label in ["free", "schema, cold", "schema, warm"] {
            var p = GenerationParameters(maxTokens: genTokens, sampling: .init(temperature: 1, seed: 1), stopAtEndOfText: label != "free")
            if label == "schema, cold" { masker = GrammarTokenMasker(grammar: grammar, vocabulary: vocabulary) }
            if label != "free" { p.constraint = GrammarConstraint(masker) }
            t = Date()
            let result = try generator.generate(promptTokens: prompt, parameters: p)
            let perToken = result.stats.decodeSeconds * 1000 / Double(max(1, result.tokens.count - 1))
            print(String(format: "generate %@: %.2f ms/token decode over %d tokens (%.1f s total)", label, perToken, result.tokens.count,
                         Date().timeIntervalSince(t)))
        }
    }

    /// Mean ms per mask over `tokens` from a fresh sequence state (each token accepted after its mask).
    func walk(_ masker: GrammarTokenMasker, _ tokens: [Int], naive: Bool) throws -> Double {
        let state = GrammarConstraintState(masker)
        var total = 0.0
        for id in tokens {
            let t = Date()
            let mask = naive ? state.naiveMask() : state.mask()
            total += ms(since: t)
            guard mask.contains(id) else { throw CommandError("the document's token \(id) is not allowed by the schema") }
            state.accept(id)
        }
        return total / Double(max(1, tokens.count))
    }

    func ms(since t: Date) -> Double { Date().timeIntervalSince(t) * 1000 }
}
