// llama.cpp's own tokenizer test vectors: for every vocabulary-only GGUF in .assets/llama.cpp/vocab with
// .inp/.out files, Quill's ids must equal the expected ids for every input. Read as tests/test-tokenizer-0.cpp
// reads them: inputs split on "\n__ggml_vocab_test__\n", one line of ids per input, no BOS/EOS, no special parsing.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTokenizer
import TestSupport

@Suite("llama.cpp vocabulary test vectors")
struct LlamaCppVocabularyTests {
    static let directory = Fixtures.asset("llama.cpp/vocab")
    static let names = ["gpt-2", "llama-bpe", "qwen2", "qwen35", "deepseek-llm", "deepseek-coder", "falcon", "mpt",
                        "starcoder", "refact", "command-r"]

    /// (input, expected ids) pairs of one vocabulary.
    static func cases(_ name: String) throws -> [(String, [Int])] {
        let base = directory!.appendingPathComponent("ggml-vocab-\(name).gguf")
        let raw = try String(contentsOf: base.appendingPathExtension("inp"), encoding: .utf8)
        let lines = try String(contentsOf: base.appendingPathExtension("out"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var inputs: [String] = []
        var rest = Substring(raw)
        let separator = "\n__ggml_vocab_test__\n"
        while !rest.isEmpty {
            guard let range = rest.range(of: separator) else { inputs.append(String(rest)); break }
            inputs.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        #expect(lines.count >= inputs.count, "\(name): \(inputs.count) inputs but \(lines.count) output lines")
        return inputs.enumerated().map { k, input in
            (input, lines[k].split(separator: " ").compactMap { Int($0) })
        }
    }

    static func tokenizer(_ name: String) throws -> any Tokenizer {
        let url = directory!.appendingPathComponent("ggml-vocab-\(name).gguf")
        return try #require(try GGUFTokenizer.load(GGUFFile(url: url)))
    }

    @Test(.enabled(if: directory != nil, "llama.cpp vocab files absent: run Scripts/setup/fetch_assets.sh"), arguments: names)
    func idsEqualLlamaCpp(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        var failures: [String] = []
        let cases = try Self.cases(name)
        for (input, expected) in cases {
            let ids = tokenizer.encode(input, addSpecialTokens: false, parseSpecial: false)
            if ids != expected { failures.append("\(input.debugDescription.prefix(80)): \(ids) ≠ \(expected)") }
        }
        #expect(failures.isEmpty, "\(name): \(failures.count) of \(cases.count) inputs differ; first: \(failures.prefix(3).joined(separator: " | "))")
    }
}
