// `quill tokenizer train` (learn a byte-level BPE vocabulary and write tokenizer.json, vocab.tiktoken and
// vocab.quilltok) and `quill tokenizer inspect` (sizes, specials, pattern, longest tokens, sample encoding).

import ArgumentParser
import Foundation
import QuillTokenizer

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer", abstract: "Train or inspect tokenizers.",
        subcommands: [Train.self, Inspect.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn a byte-level BPE vocabulary from text files.",
            discussion: """
                Writes OUT/tokenizer.json (Hugging Face), OUT/vocab.tiktoken and OUT/vocab.quilltok.
                Example:
                  quill tokenizer train --vocab-size 8192 .assets/shakespeare.txt -o runs/tok8k
                """)

        @Option(help: "Vocabulary size: 256 bytes + merges + special tokens.")
        var vocabSize: Int = 8192

        @Option(help: "Pre-tokenization pattern: gpt2, cl100k or o200k.")
        var pattern: String = "gpt2"

        @Option(help: "Special tokens (repeatable), given the last ids.")
        var special: [String] = ["<|endoftext|>"]

        @Option(name: .shortAndLong, help: "Output directory (created if needed).")
        var output: String

        @Argument(help: "Corpus text files.")
        var corpus: [String]

        func run() throws {
            guard let pattern = PreTokenizerPattern(rawValue: pattern) else {
                throw ValidationError("unknown pattern '\(self.pattern)'; use gpt2, cl100k or o200k")
            }
            var text = ""
            for file in corpus {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                text += String(decoding: data, as: UTF8.self)
            }
            let start = DispatchTime.now()
            let trainer = BPETrainer(vocabularySize: vocabSize, pattern: pattern, specialTokens: special)
            let tokenizer: BPETokenizer
            do {
                tokenizer = try trainer.train(text: text) { done, wanted in
                    let elapsed = TokenizeCommand.seconds(since: start)
                    let eta = elapsed / Double(max(done, 1)) * Double(wanted - done)
                    FileHandle.standardError.write(String(format: "\rmerges %d/%d  %.0f merges/s  ETA %.1fs ", done, wanted,
                                                          Double(done) / elapsed, eta).data(using: .utf8)!)
                }
            } catch { throw ValidationError(error.description) }
            FileHandle.standardError.write("\n".data(using: .utf8)!)
            let seconds = TokenizeCommand.seconds(since: start)
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                try tokenizer.writeHuggingFaceJSON(output + "/tokenizer.json")
                try tokenizer.tiktokenRankFile().write(toFile: output + "/vocab.tiktoken", atomically: true, encoding: .utf8)
                try tokenizer.writeQuillFile(output + "/vocab.quilltok")
            } catch let error as TokenizerError { throw ValidationError(error.description) }
            print(String(format: "trained %d tokens on %.2f MB in %.2f s → %@", tokenizer.vocabularySize,
                         Double(text.utf8.count) / 1e6, seconds, output))
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a tokenizer: size, special tokens, pattern, longest tokens.",
            discussion: "Example:\n  quill tokenizer inspect gpt2")

        @Argument(help: "A .gguf file, tiktoken rank file, tokenizer.json, .quilltok file, model directory, 'gpt2' or 'bytes'.")
        var tokenizer: String

        @Option(help: "Sample text to encode.")
        var sample: String = "Hello world! Ça va? 你好 🙂"

        func run() throws {
            let loaded: any Tokenizer
            loaded = try TokenizeCommand.load(tokenizer)
            print("type: \(type(of: loaded))")
            print("vocabulary size: \(loaded.vocabularySize)")
            print("end of text id: \(loaded.endOfTextID.map(String.init) ?? "none")")
            print("beginning of sequence: \(loaded.beginningOfSequenceID.map(String.init) ?? "none")"
                + (loaded.addsBeginningOfSequence ? " (added)" : "") + (loaded.addsEndOfSequence ? "; EOS added" : ""))
            print("end of generation ids: \(loaded.endOfGenerationIDs.sorted())")
            if let bpe = loaded as? BPETokenizer {
                let steps = bpe.preTokenization.steps.map { step -> String in
                    switch step {
                    case .pattern(let pattern): return pattern.rawValue
                    case .regex(let regex): return "regex \(regex.source.prefix(40).debugDescription)"
                    }
                }
                print("pre-tokenizer: \(steps.joined(separator: " → "))"
                    + (bpe.preTokenization.llamaCppName.map { " (llama.cpp '\($0)')" } ?? ""))
                let added = bpe.addedTokens
                print("special tokens (\(added.count); * = user-defined, matched in any text): "
                    + added.prefix(40).map { "\($0.text)=\($0.id)\($0.isControl ? "" : "*")" }.joined(separator: " ")
                    + (added.count > 40 ? " …" : ""))
                let longest = (0..<bpe.vocabularySize).compactMap { id in bpe.tokenBytes(id).map { (id, $0) } }
                    .sorted { $0.1.count > $1.1.count }.prefix(5)
                print("longest tokens: " + longest.map { "\($0.0):\(String(decoding: $0.1, as: UTF8.self).debugDescription)" }
                    .joined(separator: " "))
            } else if let wordPiece = loaded as? WordPieceTokenizer {
                print("special tokens: " + wordPiece.specialTokens.sorted { $0.value < $1.value }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: " "))
                print("max length: \(wordPiece.maxLength.map(String.init) ?? "none"), lowercase: \(wordPiece.normalizer.lowercase)")
            }
            let ids = loaded.encode(sample)
            print("sample: \(sample.debugDescription) → \(ids.count) tokens \(ids)")
        }
    }
}
