// `quill tokenize`: text → token ids (what the model sees: BOS / EOS as the model declares them, as
// llama.cpp's llama-tokenize prints them), pieces, counts and API-style cost, plus a throughput benchmark.

import ArgumentParser
import Foundation
import QuillFormats
import QuillModels
import QuillTokenizer

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text into token ids, pieces or a token count.",
        discussion: """
            Examples:
              quill tokenize --tokenizer gpt2 "Hello world"
              quill tokenize --tokenizer .assets/SmolLM2-135M-Instruct.Q4_1.gguf --parse-special "<|im_start|>user"
              quill tokenize --tokenizer .assets/all-MiniLM-L6-v2 --pieces "Hello world"
              quill tokenize --tokenizer .assets/llama.cpp/vocab/ggml-vocab-llama-spm.gguf --show-pieces --text "Hello world"
              quill tokenize --tokenizer gpt2 --file .assets/shakespeare.txt --count --price-per-million 5.00
              quill tokenize --tokenizer gpt2 --file .assets/shakespeare.txt --benchmark
            """)

    @Option(help: "A .gguf file, tiktoken rank file, tokenizer.json, .quilltok file, model directory, 'gpt2' or 'bytes'.")
    var tokenizer: String = "gpt2"

    @Option(help: "Read the text from this file instead of the argument.")
    var file: String?

    @Option(name: .customLong("text"), help: "The text to encode (instead of the argument).")
    var textOption: String?

    @Flag(help: "Print a JSON object {\"ids\": [...], \"count\": n}.")
    var json = false

    @Flag(help: "Print each token's text (bytes shown with Swift escapes) instead of ids.")
    var pieces = false

    @Flag(help: "Print one '<id> -> '<piece>'' line per token, as llama.cpp's llama-tokenize does.")
    var showPieces = false

    @Flag(help: "Print only the number of tokens.")
    var count = false

    @Option(help: "With --count: also print the cost at this price per million tokens.")
    var pricePerMillion: Double?

    @Flag(help: "Encode special-token text (e.g. <|im_start|>) as the special token; by default it is plain text.")
    var parseSpecial = false

    @Flag(help: "Do not add the BOS / EOS the model declares.")
    var noSpecialTokens = false

    @Flag(help: "tiktoken's allowed_special=\"all\": special-token text becomes special tokens (BPE only).")
    var allowSpecial = false

    @Flag(help: "Measure load time and encode throughput (serial and parallel) on the input.")
    var benchmark = false

    @Argument(help: "The text to encode (when --file is not given).")
    var text: String?

    func run() throws {
        let loadStart = DispatchTime.now()
        let loaded: any Tokenizer
        loaded = try Self.load(tokenizer)
        let loadSeconds = Self.seconds(since: loadStart)
        let input = try readInput()
        if benchmark {
            try TokenizerBenchmark.run(loaded, text: input, loadSeconds: loadSeconds)
            return
        }
        var ids: [Int]
        if allowSpecial, let bpe = loaded as? BPETokenizer {
            do { ids = try bpe.encode(input, allowedSpecial: .all) } catch { throw ValidationError(error.description) }
        } else {
            ids = loaded.encode(input, addSpecialTokens: !noSpecialTokens, parseSpecial: parseSpecial)
        }
        if count {
            var line = "\(ids.count) tokens"
            if let price = pricePerMillion {
                line += String(format: ", $%.6f at $%.2f per million tokens", Double(ids.count) * price / 1e6, price)
            }
            print(line)
        } else if json {
            print("{\"count\": \(ids.count), \"ids\": [\(ids.map(String.init).joined(separator: ", "))]}")
        } else if showPieces {
            print(GGUFTokenizer.llamaTokenizeListing(ids, tokenizer: loaded))
        } else if pieces {
            print(ids.map { String(decoding: loaded.decodeBytes([$0]), as: UTF8.self).debugDescription }
                .joined(separator: " "))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }

    /// A tokenizer from a GGUF file (any kind, vocabulary-only files included) or `TokenizerLoader`'s specs.
    static func load(_ spec: String) throws -> any Tokenizer {
        do {
            return try GGUFTokenizer.load(spec: spec)
        } catch let error as TokenizerError {
            throw ValidationError(error.description)
        } catch {
            throw ValidationError("\(spec): \(error)")
        }
    }

    private func readInput() throws -> String {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        guard let text = textOption ?? text else { throw ValidationError("give the text to encode (--text or an argument), or --file FILE") }
        return text
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
