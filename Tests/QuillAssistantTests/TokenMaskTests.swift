// The constrained decoder's token masks: the cached (XGrammar-style) mask equals the naive "try every
// token" mask on random states of several grammars, over a synthetic vocabulary full of tokens that
// straddle JSON punctuation and split UTF-8 characters, and over SmolLM2's 49k vocabulary when present;
// no reachable state allows nothing; end of generation only where the grammar is complete.
import Foundation
import QuillFormats
import QuillModels
import QuillTensor
import TestSupport
import Testing
@testable import QuillAssistant

enum MaskFixtures {
    /// Every byte, then pieces of JSON texts (2–6 bytes, cut anywhere, so many split a UTF-8
    /// character or cross a quote), a few long runs, and an end-of-text id last.
    static let vocabulary: TokenVocabulary = {
        var pieces = Set<[UInt8]>()
        let texts = SchemaCase.all.flatMap { $0.instances.map(\.text) } + [#"{"name": "José 日本 😀", "tags": ["x"], "n": -12.5e3}"#]
        for text in texts {
            let b = Array(text.utf8)
            for start in b.indices { for n in 2...6 where start + n <= b.count { pieces.insert(Array(b[start..<start + n])) } }
        }
        pieces.insert(Array("    ".utf8)); pieces.insert(Array("\n  ".utf8)); pieces.insert(Array(String(repeating: " ", count: 24).utf8))
        var bytes = (0...255).map { [UInt8($0)] } + pieces.sorted { $0.lexicographicallyPrecedes($1) }
        bytes.append([])                                             // end of text: no bytes
        return TokenVocabulary(bytes: bytes, endOfGeneration: [bytes.count - 1])
    }()

    static var grammars: [(String, CompiledGrammar)] {
        var out = SchemaCase.all.map { ($0.name, try! CompiledGrammar(JSONSchemaCompiler.compile($0.schema))) }
        out.append(("json_object", try! CompiledGrammar(JSONSchemaCompiler.anyObject())))
        out.append(("unicode gbnf", try! CompiledGrammar(gbnf: #"root ::= ("é"+ | [^a-z"]{2,4} | "日本" [0-9]*) ("," root)?"#)))
        return out
    }

    /// Walks `steps` random allowed tokens from the start, calling `check` on every state first.
    static func walk(_ grammar: CompiledGrammar, _ vocabulary: TokenVocabulary, seed: UInt64, steps: Int,
                     check: (GrammarConstraintState) -> Void) {
        let state = GrammarConstraint(grammar: grammar, vocabulary: vocabulary).makeState()
        var rng = RandomGenerator(seed: seed)            // Quill's one seeded generator
        for _ in 0..<steps {
            check(state)
            let allowed = state.mask().members.filter { !vocabulary.endOfGeneration.contains($0) }
            guard !allowed.isEmpty else { return }
            state.accept(allowed[Int.random(in: 0..<allowed.count, using: &rng)])
        }
    }
}

@Suite("Token masks")
struct TokenMaskTests {
    @Test func cachedMasksEqualNaiveMasksOnRandomStates() {
        let v = MaskFixtures.vocabulary
        for (name, grammar) in MaskFixtures.grammars {
            for seed: UInt64 in 1...3 {
                var steps = 0
                MaskFixtures.walk(grammar, v, seed: seed, steps: 40) { state in
                    steps += 1
                    let fast = state.mask(), naive = state.naiveMask()
                    #expect(fast == naive, "\(name) seed \(seed) step \(steps): \(fast.cardinality) vs \(naive.cardinality) tokens")
                    #expect(!fast.isEmpty, "\(name): a reachable state allows no token")
                    #expect(fast.contains(v.size - 1) == state.isComplete, "\(name): end of text only when complete")
                }
            }
        }
    }

    @Test func masksFollowTheGrammarAtAKnownState() throws {
        let v = MaskFixtures.vocabulary
        let grammar = try CompiledGrammar(gbnf: #"root ::= "{\"a\":" [0-9]+ "}""#)
        let state = GrammarConstraint(grammar: grammar, vocabulary: v).makeState()
        #expect(state.accept(bytes: Array(#"{"a":1"#.utf8)))
        let allowed = Set(state.mask().members.map { String(decoding: v.bytes[$0], as: UTF8.self) })
        #expect(allowed.contains("2") && allowed.contains("}") && allowed.contains("0}"))
        #expect(!allowed.contains("a") && !allowed.contains("},") && !allowed.contains("} "))
        #expect(!state.isComplete && !state.mask().contains(v.size - 1))
        state.accept(v.bytes.firstIndex(of: Array("}".utf8))!)
        #expect(state.isComplete && state.mustEnd && state.mask().members == [v.size - 1])
    }

    static let smol = Fixtures.asset("SmolLM2-135M-Instruct.Q4_1.gguf")

    @Test(.enabled(if: smol != nil, "SmolLM2 GGUF absent: run Scripts/setup/fetch_assets.sh"))
    func smolLM2MasksEqualNaiveMasks() throws {
        let tokenizer = try #require(try GGUFTokenizer.load(GGUFFile(url: Self.smol!)))
        let v = TokenVocabulary(tokenizer: tokenizer)
        #expect(v.size == 49152)
        let schema = SchemaCase.all.first { $0.name == "nested arrays" }!.schema
        for (name, grammar) in [("schema", try CompiledGrammar(JSONSchemaCompiler.compile(schema))),
                                ("json_object", try CompiledGrammar(JSONSchemaCompiler.anyObject()))] {
            MaskFixtures.walk(grammar, v, seed: 7, steps: 12) { state in
                let fast = state.mask()
                #expect(fast == state.naiveMask(), "\(name)")
                #expect(!fast.isEmpty)
                for id in v.endOfGeneration { #expect(fast.contains(id) == state.isComplete) }
            }
        }
    }
}
