// `quill bench load` and `quill bench embed`: time a model file from open to first-token-ready
// (directory or GGUF, every run reported so the warm page-cache figure is visible; the tokenizer's
// share timed again alone), and sentence
// embedding throughput (sentences/s, model load excluded) over a file of one sentence per line.
import ArgumentParser
import Foundation
import QuillFormats
import QuillModels
import QuillTensor

struct LoadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Time loading a model directory or GGUF file until one token's logits are computed.",
        discussion: """
        Each run loads from scratch (the OS page cache stays warm after the first run: report the later runs).
        Example:
          quill bench load --model gpt2_124m-f32.gguf --runs 3
        """)

    @Option(help: ArgumentHelp(stringLiteral: ModelLocator.help)) var model: String
    @Option(help: "Number of timed loads.") var runs: Int = 3
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        try runReportingErrors {
            guard runs > 0 else { throw CommandError("--runs must be at least 1") }
            if let threads { Parallel.configure(threads: threads) }
            let url = try ModelLocator.resolve(model)
            // A directory without a tokenizer file (e.g. Scripts/bench/make_gpt2_124m.py's random GPT-2) is timed
            // weights-only: loadForGeneration refuses it, and one token's logits need no tokenizer.
            let isGGUF = ModelRegistry.isGGUF(url)
            let names = isGGUF ? [] : (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            let weightsOnly = !isGGUF
                && !names.contains { $0 == "tokenizer.json" || $0 == "vocab.quilltok" || $0.hasSuffix(".tiktoken") }
            if weightsOnly { print("(no tokenizer file in \(model): timing the weights only)") }
            for run in 1...runs {
                let start = Date()
                let lm = weightsOnly ? try ModelRegistry.loadLanguageModel(directory: url)
                                     : try ModelRegistry.loadForGeneration(path: url).model
                let loadedAt = Date()
                _ = try lm.forward([0], cache: lm.makeCache())
                let end = Date()
                // The tokenizer's share of the load, timed again on its own (GGUF: with the file's parse).
                let tokenizerStart = Date()
                if isGGUF { _ = try GGUFTokenizer.read(GGUFFile(url: url)) } else if !weightsOnly {
                    _ = try ModelRegistry.tokenizer(directory: url, for: lm)
                }
                let tokenizerMs = weightsOnly ? 0 : Date().timeIntervalSince(tokenizerStart) * 1000
                print(String(format: "run %d: load %.1f ms (tokenizer alone %.1f ms), first token %.1f ms, total %.1f ms", run,
                             loadedAt.timeIntervalSince(start) * 1000, tokenizerMs, end.timeIntervalSince(loadedAt) * 1000,
                             end.timeIntervalSince(start) * 1000))
            }
        }
    }
}

struct EmbedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Sentences per second of a sentence-transformers model over a file (one sentence per line).",
        discussion: """
        Example:
          quill bench embed --model .assets/all-MiniLM-L6-v2 --file sentences.txt --batch-size 32
        """)

    @Option(help: "Sentence-transformers directory.") var model: String
    @Option(help: "One sentence per line.") var file: String
    @Option(name: .customLong("batch-size"), help: "Sequences per forward pass.") var batchSize: Int = 32
    @Option(name: .customLong("max-seq-length"), help: "Truncate inputs at this many tokens (default: the directory's max_seq_length).")
    var maxSeqLength: Int?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CommandError("cannot read \(file)") }
            let sentences = text.split(separator: "\n").map(String.init)
            guard !sentences.isEmpty else { throw CommandError("\(file) has no lines") }
            let embedder = try TextEmbedder.load(directory: try ModelLocator.resolve(model), batchSize: batchSize,
                                                 maxSequenceLength: maxSeqLength)
            _ = try embedder.embed(Array(sentences.prefix(8)))                 // warm-up
            let start = Date()
            let ids = embedder.tokenize(sentences)
            let tokenized = Date()
            _ = try embedder.embed(sentences)
            let seconds = Date().timeIntervalSince(start)
            let tokens = ids.reduce(0) { $0 + $1.count }
            print(String(format: "%d sentences (%d tokens, batch %d, truncated at %d): %.2f s, %.1f sentences/s (tokenize %.0f ms)",
                         sentences.count, tokens, batchSize, embedder.maxSequenceLength, seconds, Double(sentences.count) / seconds,
                         tokenized.timeIntervalSince(start) * 1000))
        }
    }
}
