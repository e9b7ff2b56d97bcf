// Grammar-constrained generation end to end: a tiny random GPT sampled at temperature 1 under a JSON
// schema always ends (finish reason stop) with text that parses and validates, for several seeds and
// for a byte tokenizer as for a trained BPE one (whose tokens cross JSON punctuation).
import Foundation
import QuillFormats
import QuillGeneration
import QuillModels
import QuillTokenizer
import Testing
@testable import QuillAssistant

@Suite("Constrained generation")
struct ConstrainedGenerationTests {
    static let schemas = [
        ##"""
        {"type": "object", "properties": {
           "name": {"type": "string", "maxLength": 8}, "age": {"type": "integer"},
           "tags": {"type": "array", "items": {"enum": ["red", "green"]}, "maxItems": 3},
           "ok": {"type": ["boolean", "null"]}, "score": {"type": "number"}},
         "required": ["name", "age", "tags"], "additionalProperties": false}
        """##,
        ##"""
        {"$defs": {"point": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                             "required": ["x", "y"], "additionalProperties": false}},
         "type": "array", "items": {"anyOf": [{"$ref": "#/$defs/point"}, {"const": "none"}, {"type": "string", "maxLength": 4}]},
         "minItems": 1, "maxItems": 4}
        """##,
    ]

    static func run(_ tokenizer: any Tokenizer, vocabularySize: Int, eos: Int, seeds: ClosedRange<UInt64>) throws {
        let model = try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 1024, vocabularySize: vocabularySize,
                                              eosTokenID: eos), seed: 3)
        let generator = Generator(model: model, tokenizer: tokenizer)
        let vocabulary = TokenVocabulary(tokenizer: tokenizer, size: vocabularySize)
        for text in schemas {
            let schema = try JSONValue(parsing: Data(text.utf8))
            let constraint = GrammarConstraint(grammar: try CompiledGrammar(JSONSchemaCompiler.compile(schema)), vocabulary: vocabulary)
            for seed in seeds {
                var p = GenerationParameters(maxTokens: 800, sampling: .init(temperature: 1, seed: seed))
                p.constraint = constraint
                let result = try generator.generate(prompt: "Answer in JSON:", parameters: p)
                #expect(result.finishReason == .stop, "seed \(seed): \(result.text)")
                let value = try? JSONValue(parsing: Data(result.text.utf8))
                #expect(value != nil, "seed \(seed): not JSON: \(result.text)")
                if let value { #expect(SchemaValidator.isValid(value, schema), "seed \(seed): invalid: \(result.text)") }
            }
        }
    }

    @Test func byteTokenizerOutputsParseAndValidate() throws {
        try Self.run(ByteTokenizer(), vocabularySize: 257, eos: 256, seeds: 1...6)
    }

    @Test func bpeTokenizerOutputsParseAndValidate() throws {
        var corpus = ""
        for i in 0..<40 { corpus += #"{"name": "ann\#(i)", "age": \#(i * 7), "tags": ["red", "green"], "ok": true, "x": -3, "y": 12} "# }
        corpus += "The quick brown fox jumps over the lazy dog. Ünïcödé 日本語 "
        let tokenizer = try BPETrainer(vocabularySize: 400).train(text: corpus)
        #expect(tokenizer.vocabularySize > 300)                 // many multi-byte tokens, several crossing quotes
        try Self.run(tokenizer, vocabularySize: tokenizer.vocabularySize, eos: tokenizer.endOfTextID!, seeds: 1...4)
    }
}
