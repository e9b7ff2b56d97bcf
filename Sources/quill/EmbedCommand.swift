// `quill embed`: sentence vectors from a BERT sentence-transformers directory (e.g. all-MiniLM-L6-v2),
// one JSON array per input per line. Wiring only: QuillModels.TextEmbedder tokenizes, batches and pools.
import ArgumentParser
import Foundation
import QuillModels
import QuillTensor

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed sentences with a BERT sentence-transformers model; one JSON array per input per line.",
        discussion: """
        Inputs come from --file (one per line) or the arguments. Text is tokenized with the model \
        directory's WordPiece tokenizer and truncated, keeping [CLS] and [SEP], at \
        sentence_bert_config.json's max_seq_length (256 for all-MiniLM-L6-v2), as sentence-transformers \
        does; --max-seq-length overrides it (up to the model's position limit, 512 for MiniLM).

        Examples:
          quill embed --model .assets/all-MiniLM-L6-v2 "A man is eating food." "A man rides a horse."
          quill embed --model .assets/all-MiniLM-L6-v2 --file sentences.txt --batch-size 64 > vectors.jsonl
        """)

    @Option(help: "Sentence-transformers or BERT model directory (config.json + model.safetensors + tokenizer.json).")
    var model: String
    @Option(help: "Read inputs from this file, one per line.") var file: String?
    @Option(name: .customLong("batch-size"), help: "Sequences per forward pass.") var batchSize: Int = 32
    @Flag(help: "Print JSON arrays (the default and only format; accepted for scripts that pass it).") var json = false
    @Option(name: .customLong("max-seq-length"), help: "Truncate inputs at this many tokens (default: the directory's max_seq_length).")
    var maxSeqLength: Int?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Argument(help: "Texts to embed (when no --file is given).") var texts: [String] = []

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
        guard (file == nil) != texts.isEmpty else { throw ValidationError("give either --file or texts, not both or neither") }
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            var inputs = texts
            if let file {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw CommandError("cannot read \(file) as UTF-8 text")
                }
                inputs = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if inputs.last == "" { inputs.removeLast() }
            }
            let embedder = try TextEmbedder.load(directory: try ModelLocator.resolve(model), batchSize: batchSize,
                                                 maxSequenceLength: maxSeqLength)
            var out = ""
            for vector in try embedder.embed(inputs) {
                out += "[" + vector.map { "\($0)" }.joined(separator: ",") + "]\n"
                if out.utf8.count > 1 << 16 { FileHandle.standardOutput.write(Data(out.utf8)); out = "" }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}
