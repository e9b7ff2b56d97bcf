// `quill bench grammar`: the structured-output costs on a model's vocabulary — schema compile time,
// per-step token-mask time (first sequence with cold position caches, a second one warm, and the naive
// every-token check beside them), and generation ms/token with and without the constraint.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillFormats
import QuillGeneration
import QuillModels
import QuillTensor

struct GrammarBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grammar",
        abstract: "Time JSON-schema compilation, token masks and constrained decoding.",
        discussion: """
        Masks are timed on a random walk of allowed tokens (seeded); generation runs the model at temperature 1.
        Example:
          quill bench grammar --model smollm2 --steps 200 --gen-tokens 64
        """)

    @Option(help: ArgumentHelp(stringLiteral: ModelLocator.help)) var model: String?
    @Option(help: "A JSON schema file (default: a typical tool-call schema).") var schema: String?
    @Option(help: "Mask steps per walk.") var steps = 200
    @Option(name: .customLong("naive-steps"), help: "Steps also timed with the naive every-token check.") var naiveSteps = 5
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
        let masker = GrammarTokenMasker(grammar: grammar, vocabulary: vocabulary)
        for label in ["cold", "warm"] {
            let (perStep, count) = walk(masker, naive: false)
            print(String(format: "mask %@: %.3f ms/step over %d steps (%d positions cached)", label, perStep, count, masker.cachedPositionCount))
        }
        let (naive, n) = walk(masker, naive: true)
        print(String(format: "mask naive: %.3f ms/step over %d steps", naive, n))
        guard genTokens > 0 else { return }
        let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer)
        let prompt = loaded.tokenizer.encode("Weather in Paris as JSON:")
        for constrained in [false, true] {
            var p = GenerationParameters(maxTokens: genTokens, sampling: .init(temperature: 1, seed: 1), stopAtEndOfText: constrained)
            if constrained { p.constraint = GrammarConstraint(masker) }
            t = Date()
            let result = try generator.generate(promptTokens: prompt, parameters: p)
            let perToken = result.stats.decodeSeconds * 1000 / Double(max(1, result.tokens.count - 1))
            print(String(format: "generate %@: %.2f ms/token decode over %d tokens (%.1f s total)",
                         constrained ? "with schema" : "free", perToken, result.tokens.count, Date().timeIntervalSince(t)))
            if constrained { print("  output: \(result.text)") }
        }
    }

    /// Mean ms per mask over a seeded walk of allowed tokens from a fresh sequence state.
    func walk(_ masker: GrammarTokenMasker, naive: Bool) -> (Double, Int) {
        let state = GrammarConstraintState(masker)
        var rng = RandomGenerator(seed: 1)
        var total = 0.0, count = 0
        for _ in 0..<(naive ? naiveSteps : steps) {
            let t = Date()
            let mask = naive ? state.naiveMask() : state.mask()
            total += ms(since: t)
            count += 1
            let allowed = mask.members.filter { !masker.vocabulary.endOfGeneration.contains($0) }
            if allowed.isEmpty || state.mustEnd { break }
            state.accept(allowed[Int(rng.nextDouble() * Double(allowed.count)) % allowed.count])
        }
        return (total / Double(max(1, count)), count)
    }

    func ms(since t: Date) -> Double { Date().timeIntervalSince(t) * 1000 }
}
