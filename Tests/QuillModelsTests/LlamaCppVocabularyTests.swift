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
                        "starcoder", "refact", "command-r", "llama-spm", "phi-3", "gemma-4", "bert-bge"]
    /// Vocabularies with no test vectors, which must still load.
    static let loadOnly = ["aquila", "baichuan", "gpt-neox"]
    /// Vocabularies Quill cannot run, with the text their error must name.
    static let refused = [("nomic-bert-moe", "'t5'")]

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

    @Test(.enabled(if: directory != nil, "llama.cpp vocab files absent: run Scripts/setup/fetch_assets.sh"), arguments: loadOnly)
    func vocabulariesWithoutVectorsLoad(_ name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        #expect(tokenizer.decode(tokenizer.encode("Hello world")).hasSuffix("Hello world"), "\(name)")
    }

    @Test(.enabled(if: directory != nil, "llama.cpp vocab files absent: run Scripts/setup/fetch_assets.sh"), arguments: refused)
    func unsupportedVocabulariesAreATypedError(_ name: String, _ named: String) throws {
        let url = Self.directory!.appendingPathComponent("ggml-vocab-\(name).gguf")
        do {
            _ = try GGUFTokenizer.load(GGUFFile(url: url))
            Issue.record("\(name) loaded; expected an error naming \(named)")
        } catch let error as TokenizerError {
            #expect(error.description.contains(named), "\(error)")
            #expect(error.description.contains("ggml-vocab-\(name).gguf"), "\(error)")
        }
    }

    /// llama.cpp's SentencePiece conventions: add_bos_token adds <s>, the ▁ prefix comes before the text
    /// even when BOS is added, and again after every added token.
    @Test(.enabled(if: directory != nil, "llama.cpp vocab files absent: run Scripts/setup/fetch_assets.sh"))
    func sentencePieceAddsBOSAndPrefixesAfterSpecialTokens() throws {
        let tokenizer = try Self.tokenizer("llama-spm")
        let plain = tokenizer.encode("Hello", addSpecialTokens: false, parseSpecial: false)
        #expect(tokenizer.encode("Hello", addSpecialTokens: true, parseSpecial: false) == [1] + plain)
        let parsed = tokenizer.encode("</s>Hello", addSpecialTokens: false, parseSpecial: true)
        #expect(parsed == [2] + plain)
        let literal = tokenizer.encode("</s>Hello", addSpecialTokens: false, parseSpecial: false)
        #expect(!literal.contains(2) && literal.count > plain.count + 1)
        #expect(tokenizer.endOfGenerationIDs.contains(2))
        #expect(tokenizer.decode(plain) == " Hello")
    }
}
