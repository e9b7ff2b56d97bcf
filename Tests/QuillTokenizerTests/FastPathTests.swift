// The fast paths checked against the general ones on random text: the ASCII GPT-2 scanner against the
// `PreTokenizer` state machine, the short-token table against the vocabulary map, the in-place output
// (and its overflow path), and the parallel / batch encoders against serial encoding.

import Foundation
import Testing
@testable import QuillTokenizer

@Suite("Fast paths agree with the general paths", .enabled(if: TestAssets.gpt2 != nil, "needs .assets/gpt2.tiktoken (Scripts/setup/fetch_assets.sh)"))
struct FastPathTests {
    static let gpt2 = BPEParityTests.gpt2

    /// Random text weighted towards what trips the scanner: contractions, runs of mixed whitespace,
    /// ASCII next to non-ASCII letters, digits, symbols and spaces (U+00A0, U+3000), text ending in whitespace.
    static func randomText(_ rng: inout SeededGenerator, length: Int) -> String {
        let atoms = ["a", "Z", "the", " the", " I", "7", "42", " 9", ",", ".", "!?", "--", "'", "'s", "'t", "'re",
                     "'ve", "'m", "'ll", "'d", "'S", "'x", " '", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n",
                     "é", "e\u{301}", "ß", "Ωμέγα", "\u{A0}", "\u{3000}", "漢字", "٣", "😀", "👩‍💻", "€", "—", "\u{2028}",
                     "\u{0}", "\u{1F}", "\u{7F}", "x\u{A0}y", " \u{E9}t\u{E9}", "1\u{0663}", "!\u{2014}", " \u{3000}a"]
        var text = ""
        for _ in 0..<length { text += atoms[Int(rng.next() % UInt64(atoms.count))] }
        return text
    }

    /// Ids from `encodeGPT2` (fast) or `encodeGeneral`, with or without piece caches.
    static func ids(_ text: String, fast: Bool, cached: Bool) -> [Int] {
        var text = text
        let model = gpt2.model
        return text.withUTF8 { buffer in
            var state = EncodeState(expectedBytes: cached ? 1 << 16 : 0, output: IDBuffer(capacity: 16))
            defer { state.free() }
            if fast { _ = model.encodeGPT2(buffer, state: &state) } else { _ = model.encodeGeneral(buffer, pattern: model.pattern, state: &state) }
            return state.output.ints
        }
    }

    @Test("ASCII GPT-2 scanner = general state machine, random text", arguments: 0..<8)
    func scannerMatchesGeneral(seed: Int) {
        var rng = SeededGenerator(state: UInt64(seed))
        for round in 0..<300 {
            let text = Self.randomText(&rng, length: 1 + round % 40)
            let general = Self.ids(text, fast: false, cached: false)
            #expect(Self.ids(text, fast: true, cached: false) == general, "\(text.debugDescription)")
            #expect(Self.ids(text, fast: true, cached: true) == general, "\(text.debugDescription)")
            #expect(Self.gpt2.encode(text) == general, "\(text.debugDescription)")
        }
    }

    @Test("short-token table = vocabulary map for every token and for non-tokens")
    func shortTokenTable() {
        let model = Self.gpt2.model
        for (id, bytes) in model.allTokens() where bytes.count >= 2 {
            let found = bytes.withUnsafeBufferPointer { model.tokenID($0.baseAddress!, $0.count) }
            #expect(found == UInt32(id))
        }
        var rng = SeededGenerator(state: 7)
        for _ in 0..<20_000 {
            let bytes = (0..<(2 + Int(rng.next() % 7))).map { _ in UInt8(0x61 + rng.next() % 26) }
            let found = bytes.withUnsafeBufferPointer { model.tokenID($0.baseAddress!, $0.count) }
            #expect(found == model.tokenMap.find(bytes).map { UInt32($0) })
        }
    }

    @Test("more ids than the in-place estimate (1 per 3 bytes): the overflow path")
    func inPlaceOverflow() {
        let text = (0..<6000).map { " \($0 % 10)" }.joined() + " 漢字😀" + String(repeating: "!a", count: 3000)
        let general = Self.ids(text, fast: false, cached: false)
        #expect(general.count > text.utf8.count / 3 + 64)
        #expect(Self.gpt2.encode(text) == general)
        #expect(Self.gpt2.encodeParallel(text, chunkCount: 3) == general)
    }

    @Test("encodeBatch and encodeParallel = encode", arguments: [1, 2, 5])
    func parallelMatchesSerial(workers: Int) {
        var rng = SeededGenerator(state: UInt64(workers))
        let texts = (0..<23).map { _ in Self.randomText(&rng, length: Int(rng.next() % 400)) } + ["", " ", "hello world"]
        #expect(Self.gpt2.encodeBatch(texts, workers: workers) == texts.map { Self.gpt2.encode($0) })
        let long = texts.joined(separator: " and so on ") + String(repeating: " lorem ipsum dolor", count: 2000)
        #expect(Self.gpt2.encodeParallel(long, chunkCount: workers) == Self.gpt2.encode(long))
    }
}
