// Hostile GGUF tokenizer metadata: every `tokenizer.ggml.*` key of a small SentencePiece and a small
// byte-level vocabulary replaced by values of the wrong type, absurd ids, lists of the wrong length,
// bad merges and unknown model / pre names. Loading must succeed or throw a typed error, never crash.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTokenizer

@Suite("Hostile GGUF vocabularies")
struct HostileGGUFVocabularyTests {
    /// A vocab-only GGUF ("llama": <unk> <s> </s>, the 256 byte tokens, a few scored pieces).
    static func sentencePieceMetadata() -> [(String, GGUFValue)] {
        let pieces = ["\u{2581}H", "el", "lo", "\u{2581}Hel", "\u{2581}Hello", "\u{2581}w", "or", "ld", "\u{2581}world"]
        let tokens = ["<unk>", "<s>", "</s>"] + (0..<256).map { String(format: "<0x%02X>", $0) } + pieces
            + ["\u{2581}", "H", "e", "l", "o", "w", "r", "d"]
        let types = [2, 3, 3] + [Int32](repeating: 6, count: 256) + [Int32](repeating: 1, count: pieces.count + 8)
        let scores = [Float](repeating: 0, count: 259) + pieces.indices.map { -Float($0) } + [Float](repeating: -100, count: 8)
        return [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(tokens.map { .string($0) }, of: .string)),
            ("tokenizer.ggml.token_type", .array(types.map { .int32($0) }, of: .int32)),
            ("tokenizer.ggml.scores", .array(scores.map { .float32($0) }, of: .float32)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.ggml.add_bos_token", .bool(true)),
            ("tokenizer.ggml.add_space_prefix", .bool(true)),
        ]
    }

    static func file(_ metadata: [(String, GGUFValue)]) throws -> GGUFFile {
        var writer = GGUFWriter()
        writer.addMetadata("general.architecture", .string("llama"))
        for (key, value) in metadata { writer.addMetadata(key, value) }
        return try GGUFFile(bytes: writer.serialized(), fileName: "hostile.gguf")
    }

    /// nil when it loaded and ran, else the error's text.
    static func outcome(_ metadata: [(String, GGUFValue)]) -> String? {
        do {
            guard let tokenizer = try GGUFTokenizer.load(file(metadata)) else { return nil }
            let ids = tokenizer.encode("Hello world \u{1F999}</s>", addSpecialTokens: true, parseSpecial: true)
            _ = tokenizer.decode(ids + [-3, tokenizer.vocabularySize])
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theSmallVocabularyWorks() throws {
        let tokenizer = try #require(try GGUFTokenizer.load(Self.file(Self.sentencePieceMetadata())))
        // ▁Hello forms (▁H, el, lo, ▁Hel, ▁Hello by score); ▁w + or + ld has no joined piece "▁wor".
        #expect(tokenizer.encode("Hello world") == [263, 264, 265, 266])
        #expect(tokenizer.encode("Hello", addSpecialTokens: true, parseSpecial: false) == [1, 263])
        #expect(tokenizer.decode([263, 267]) == " Hello world")
        // \u{1F999} has no piece: its four bytes.
        #expect(tokenizer.encode("\u{1F999}") == [268] + [0xF0, 0x9F, 0xA6, 0x99].map { 3 + $0 })
    }

    static let hostileValues: [GGUFValue] = [
        .string("nonsense"), .uint32(1 << 31), .uint64(1 << 62), .int32(-5), .float32(1.5), .bool(true),
        .array([.int32(1), .int32(2)], of: .int32), .array([.string("a")], of: .string), .array([], of: .float32),
    ]

    @Test func everyKeyWithHostileValuesEndsCleanly() {
        let plain = Self.sentencePieceMetadata()
        var refused = 0, cases = 0
        for (k, (key, _)) in plain.enumerated() {
            for value in Self.hostileValues {
                var metadata = plain
                metadata[k] = (key, value)
                cases += 1
                if Self.outcome(metadata) != nil { refused += 1 }
            }
        }
        #expect(refused > cases / 2, "only \(refused) of \(cases) refused")
    }

    @Test(arguments: [
        ("tokenizer.ggml.model", GGUFValue.string("t5"), "'t5'"),
        ("tokenizer.ggml.model", .string("rwkv"), "'rwkv'"),
        ("tokenizer.ggml.scores", .array([.float32(0)], of: .float32), "scores"),
        ("tokenizer.ggml.token_type", .array([.int32(1)], of: .int32), "token_type"),
        ("tokenizer.ggml.bos_token_id", .uint32(1 << 30), "bos_token_id"),
        ("tokenizer.ggml.tokens", .array([], of: .string), "tokens"),
        ("tokenizer.ggml.tokens", .array([.int32(3)], of: .int32), "tokens"),
    ] as [(String, GGUFValue, String)])
    func hostileValuesNameTheField(_ key: String, _ value: GGUFValue, _ named: String) {
        var metadata = Self.sentencePieceMetadata()
        metadata.removeAll { $0.0 == key }
        metadata.append((key, value))
        let text = Self.outcome(metadata)
        #expect(text?.contains(named) == true, "\(key): \(text ?? "accepted")")
    }

    @Test func gemmaStyleMergesThatAreNotPairsAreRefused() {
        var metadata = Self.sentencePieceMetadata()
        metadata[0] = ("tokenizer.ggml.model", .string("gemma4"))
        for merges in [["\u{2581}Hel lo", "nospace"], ["zz qq"], ["\u{2581}H el", "el lo"]] {
            var m = metadata
            m.append(("tokenizer.ggml.merges", .array(merges.map { .string($0) }, of: .string)))
            let text = Self.outcome(m)
            if merges.count == 2 && merges[1] == "el lo" {
                #expect(text == nil, "valid merges refused: \(text ?? "")")
            } else {
                #expect(text?.contains("merges") == true, "\(merges): \(text ?? "accepted")")
            }
        }
    }
}
