// Golden-id tests: GPT-2 ids identical to tiktoken's on the Unicode torture set, a seeded fuzz set
// and the whole Shakespeare corpus; the cl100k and o200k pre-tokenizers checked the same way by
// running them over GPT-2's ranks (fixtures from Scripts/reference/tokenizer_fixtures.py).

import Foundation
import Testing
@testable import QuillTokenizer

// Skipped (reported as skipped, never passed) when .assets/gpt2.tiktoken is absent: run Scripts/setup/fetch_assets.sh.
@Suite("BPE parity with tiktoken", .enabled(if: TestAssets.gpt2 != nil, "needs .assets/gpt2.tiktoken (Scripts/setup/fetch_assets.sh)"))
struct BPEParityTests {
    static let gpt2 = try! BPETokenizer(tiktokenFile: TestAssets.gpt2!)
    static let cl100kOverGPT2 = try! BPETokenizer(tiktokenFile: TestAssets.gpt2!, pattern: .cl100k)
    static let o200kOverGPT2 = try! BPETokenizer(tiktokenFile: TestAssets.gpt2!, pattern: .o200k)

    @Test("GPT-2 torture and fuzz set", arguments: Fixtures.torture)
    func gpt2Torture(_ item: TortureCase) {
        #expect(Self.gpt2.encode(item.text) == item.gpt2)
        #expect(Self.gpt2.decode(item.gpt2) == item.text)
    }

    @Test("cl100k pattern over GPT-2 ranks", arguments: Fixtures.torture)
    func cl100kPattern(_ item: TortureCase) {
        #expect(Self.cl100kOverGPT2.encode(item.text) == item.cl100k)
    }

    @Test("o200k pattern over GPT-2 ranks", arguments: Fixtures.torture)
    func o200kPattern(_ item: TortureCase) {
        #expect(Self.o200kOverGPT2.encode(item.text) == item.o200k)
    }

    @Test("vocabulary shape")
    func shape() {
        #expect(Self.gpt2.vocabularySize == 50257)
        #expect(Self.gpt2.endOfTextID == 50256)
        #expect(Self.gpt2.pattern == .gpt2)
        #expect(Self.gpt2.encode("Hello world") == [15496, 995])
    }

    // Skipped when .assets/shakespeare.txt is absent.
    @Test("whole Shakespeare corpus, serial and parallel",
          .enabled(if: TestAssets.shakespeare != nil, "needs .assets/shakespeare.txt (Scripts/setup/fetch_assets.sh)"))
    func shakespeare() throws {
        let corpus = try String(contentsOfFile: TestAssets.shakespeare!, encoding: .utf8)
        let raw = try Data(contentsOf: Fixtures.url("shakespeare_gpt2.u16"))
        let expected: [Int] = raw.withUnsafeBytes { buffer in
            (0..<(raw.count / 2)).map { Int(UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        }
        let ids = Self.gpt2.encode(corpus)
        #expect(ids.count == expected.count)
        if let first = zip(ids, expected).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            Issue.record("first mismatch at token \(first.offset): \(first.element.0) vs tiktoken \(first.element.1)")
        }
        #expect(ids == expected)
        #expect(Self.gpt2.encodeParallel(corpus, chunkCount: 7) == expected)
        #expect(Self.gpt2.decode(expected) == corpus)
    }
}
