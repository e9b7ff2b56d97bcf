// The per-model grammar cache: a repeated format reuses its compiled grammar and position masks, the
// least recently used one is dropped past the capacity, and errors come back typed.
import Foundation
import QuillFormats
import QuillTokenizer
import Testing
@testable import QuillAssistant

@Suite("Grammar cache")
struct GrammarCacheTests {
    @Test func repeatedFormatsShareTheirMasker() throws {
        let cache = GrammarCache(tokenizer: ByteTokenizer(), vocabularySize: 257, capacity: 2)
        let schema = OutputFormat.jsonSchema(try JSONValue(parsing: Data(#"{"type": "boolean"}"#.utf8)))
        let a = try cache.constraint(for: schema), b = try cache.constraint(for: schema)
        #expect(a.masker === b.masker)
        #expect(a.masker.vocabulary === cache.tokenVocabulary && cache.tokenVocabulary.size == 257)
        let object = try cache.constraint(for: .jsonObject)
        #expect(object.masker !== a.masker && cache.count == 2)
        _ = try cache.constraint(for: schema)                      // schema is now the most recent
        _ = try cache.constraint(for: .grammar(#"root ::= "x""#))  // evicts json_object
        #expect(cache.count == 2)
        #expect(try cache.constraint(for: schema).masker === a.masker)
        #expect(try cache.constraint(for: .jsonObject).masker !== object.masker)
    }

    @Test func badFormatsThrowTypedErrors() throws {
        let cache = GrammarCache(tokenizer: ByteTokenizer(), vocabularySize: 257)
        #expect(throws: GrammarError.self) { try cache.constraint(for: .grammar("root ::= (")) }
        #expect(throws: JSONSchemaError.self) {
            try cache.constraint(for: .jsonSchema(try JSONValue(parsing: Data(#"{"type": "string", "pattern": "a{"}"#.utf8))))
        }
        #expect(cache.count == 0)
    }
}
