// `quill data prepare`: tokenize text files into train.bin / val.bin token shards (documents
// separated by <|endoftext|>; the last --val-fraction of the token stream is held out).
import ArgumentParser
import Foundation
import QuillTokenizer
import QuillTraining

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Prepare training data.", subcommands: [Prepare.self])

    struct Prepare: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prepare",
            abstract: "Tokenize text files into train.bin and val.bin shards.",
            discussion: """
            Example:
              quill data prepare --input .assets/shakespeare --output data/shakespeare --val-fraction 0.1
              quill data prepare --input notes/ --output data/smol --tokenizer .assets/SmolLM2-135M-Instruct.Q4_1.gguf
            """)

        @Option(help: "Text files or folders of .txt files (read in sorted order).") var input: [String]
        @Option(help: "Output folder for train.bin and val.bin.") var output: String
        @Option(help: "Tokenizer: 'bytes' (byte-level, 257 ids), or any `quill tokenize --tokenizer` spec (a .gguf, model directory, tokenizer.json, 'gpt2'), to train that model with `quill train --model`.")
        var tokenizer: String = "bytes"
        @Option(name: .customLong("val-fraction"), help: "Fraction of tokens held out for validation.") var valFraction: Double = 0.1

        func run() throws {
            try runReportingErrors {
                guard valFraction > 0 && valFraction < 1 else { throw CommandError("--val-fraction must be in (0, 1)") }
                let tok: any Tokenizer = tokenizer == "bytes" ? ByteTokenizer() : try TokenizeCommand.load(tokenizer)
                let files = try collectFiles(input)
                guard !files.isEmpty else { throw CommandError("no .txt files found in \(input)") }
                var tokens: [Int] = []
                var bar = ProgressBar(total: files.count)
                for (i, file) in files.enumerated() {
                    guard let data = FileManager.default.contents(atPath: file.path) else {
                        throw CommandError("cannot read \(file.path)")
                    }
                    tokens += tok.encode(String(decoding: data, as: UTF8.self))
                    if let eos = tok.endOfTextID { tokens.append(eos) }
                    bar.update(i + 1, file.lastPathComponent)
                }
                let split = Int(Double(tokens.count) * (1 - valFraction))
                let out = URL(fileURLWithPath: output)
                try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
                try TokenShard.write(Array(tokens[..<split]), to: out.appendingPathComponent("train.bin"))
                try TokenShard.write(Array(tokens[split...]), to: out.appendingPathComponent("val.bin"))
                print("wrote \(split) training and \(tokens.count - split) validation tokens from \(files.count) files to \(out.path)")
            }
        }

        func collectFiles(_ paths: [String]) throws -> [URL] {
            var files: [URL] = []
            for p in paths {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { throw CommandError("\(p) does not exist") }
                if isDir.boolValue {
                    let names = try FileManager.default.contentsOfDirectory(atPath: p).filter { $0.hasSuffix(".txt") }.sorted()
                    files += names.map { URL(fileURLWithPath: p).appendingPathComponent($0) }
                } else {
                    files.append(URL(fileURLWithPath: p))
                }
            }
            return files
        }
    }
}
