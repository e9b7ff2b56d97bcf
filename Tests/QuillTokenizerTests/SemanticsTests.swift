// Special-token semantics (tiktoken's allowed/disallowed rules), decoding that never crashes,
// the round-trip property on random Unicode, random bytes and ids, the streaming detokenizer,
// parallel batch encoding, and fuzzed loaders — all on a small vocabulary trained in-process.

import Foundation
import Testing
@testable import QuillTokenizer

/// SplitMix64: a tiny seeded generator so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Tokenizer semantics")
struct SemanticsTests {
    static let tokenizer = try! BPETrainer(vocabularySize: 700, specialTokens: ["<|endoftext|>", "<|im_start|>"])
        .train(text: TrainerTests.corpus)

    static func randomString(_ rng: inout SeededGenerator, length: Int) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<length {
            // Mix ASCII, BMP and supplementary planes (surrogates are not scalars and are skipped).
            let plane = Int.random(in: 0..<4, using: &rng)
            let value: UInt32 = plane == 0 ? UInt32.random(in: 0...0x7F, using: &rng)
                : plane == 1 ? UInt32.random(in: 0x80...0xFFFF, using: &rng)
                : UInt32.random(in: 0x10000...0x10FFFF, using: &rng)
            if let scalar = Unicode.Scalar(value) { s.append(scalar) }
        }
        return String(s)
    }

    @Test("special tokens: disallowed by default, allowed on request, or plain text")
    func specials() throws {
        let t = Self.tokenizer
        let text = "hi<|endoftext|>there<|im_start|>"
        #expect(throws: TokenizerError.disallowedSpecialToken(token: "<|endoftext|>", offset: 2)) {
            try t.encode(text, allowedSpecial: .none)
        }
        let all = try t.encode(text, allowedSpecial: .all)
        #expect(all.contains(698) && all.contains(699))
        #expect(t.decode(all) == text)
        let one = try t.encode(text, allowedSpecial: .only(["<|endoftext|>"]), disallowedSpecial: .none)
        #expect(one.contains(698) && !one.contains(699))
        #expect(try t.encode(text, allowedSpecial: .none, disallowedSpecial: .none) == t.encode(text))
        #expect(!t.encode(text).contains(698))
        #expect(throws: TokenizerError.unknownSpecialToken("<|nope|>")) {
            try t.encode(text, allowedSpecial: .only(["<|nope|>"]))
        }
    }

    @Test("decode(encode(x)) == x on random Unicode from all planes (seeded)")
    func roundTrip() {
        var rng = SeededGenerator(state: 42)
        for _ in 0..<300 {
            let s = Self.randomString(&rng, length: Int.random(in: 0..<80, using: &rng))
            #expect(Self.tokenizer.decode(Self.tokenizer.encode(s)) == s)
        }
    }

    @Test("random ids and bytes never crash; out-of-range ids decode to U+FFFD or throw when checked")
    func noCrash() {
        var rng = SeededGenerator(state: 7)
        for _ in 0..<300 {
            let ids = (0..<Int.random(in: 0..<20, using: &rng)).map { _ in Int.random(in: -5..<1000, using: &rng) }
            _ = Self.tokenizer.decode(ids)
            var stream = StreamingDetokenizer(tokenizer: Self.tokenizer)
            var streamed = ""
            for id in ids { streamed += stream.append(id) }
            streamed += stream.finish()
            #expect(streamed == Self.tokenizer.decode(ids))
            let bytes = (0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = Self.tokenizer.encode(String(decoding: bytes, as: UTF8.self))
        }
        #expect(Self.tokenizer.decode([-1, 100_000]) == "\u{FFFD}\u{FFFD}")
        #expect(throws: TokenizerError.unknownTokenID(id: 100_000, vocabularySize: 700)) {
            try Self.tokenizer.decodeChecked([65, 100_000])
        }
    }

    @Test("streaming detokenizer emits only whole characters")
    func streaming() {
        let text = "héllo 🙂 世界 — ok"
        let ids = Self.tokenizer.encode(text)
        var stream = StreamingDetokenizer(tokenizer: Self.tokenizer)
        var out = ""
        for id in ids {
            let piece = stream.append(id)
            #expect(!piece.contains("\u{FFFD}"))
            out += piece
        }
        out += stream.finish()
        #expect(out == text)
        var partial = StreamingDetokenizer(tokenizer: ByteTokenizer())
        #expect(partial.append([0xF0, 0x9F]) == "")
        #expect(partial.append([0x99, 0x82]) == "🙂")
        #expect(partial.append(0xE4) == "")
        #expect(partial.finish() == "\u{FFFD}")
    }

    @Test("parallel batch and chunked encoding give identical ids")
    func parallel() {
        var rng = SeededGenerator(state: 3)
        let texts = (0..<50).map { _ in Self.randomString(&rng, length: 40) } + [TrainerTests.corpus]
        #expect(Self.tokenizer.encodeBatch(texts) == texts.map { Self.tokenizer.encode($0) })
        #expect(Self.tokenizer.encodeParallel(TrainerTests.corpus, chunkCount: 9) == Self.tokenizer.encode(TrainerTests.corpus))
    }

    @Test("fuzzed loaders fail with typed errors, never crash")
    func fuzzedLoaders() throws {
        let good = Self.tokenizer.quillFormatData()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededGenerator(state: 11)
        for trial in 0..<60 {
            var data = good
            if trial % 2 == 0 {
                data = data.prefix(Int.random(in: 0..<data.count, using: &rng))
            } else {
                for _ in 0..<8 { data[Int.random(in: 0..<data.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            let path = dir.appendingPathComponent("f\(trial).quilltok").path
            try data.write(to: URL(fileURLWithPath: path))
            _ = try? BPETokenizer(quillFile: path)
            let ranks = dir.appendingPathComponent("f\(trial).tiktoken").path
            try Data(Self.tokenizer.tiktokenRankFile().utf8.prefix(Int.random(in: 0..<2000, using: &rng))).write(to: URL(fileURLWithPath: ranks))
            _ = try? BPETokenizer(tiktokenFile: ranks)
            let json = dir.appendingPathComponent("f\(trial).json").path
            try Data("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}".utf8).write(to: URL(fileURLWithPath: json))
            #expect(throws: TokenizerError.self) { try HuggingFaceTokenizerFile.load(path: json) }
        }
        #expect(throws: TokenizerError.self) { try TokenizerLoader.load("/nonexistent/tokenizer") }
    }
}
