// Reading and writing tiktoken rank files (`<base64 token bytes> <rank>` per line, the format of
// `gpt2.tiktoken`, `cl100k_base.tiktoken`, ...), with a hand-written base64 decoder so a 50k-line
// file parses in a few milliseconds.

import Foundation

extension BPETokenizer {
    /// Loads a tiktoken rank file.
    ///
    /// - Parameters:
    ///   - path: the rank file.
    ///   - pattern: the pre-tokenization pattern; nil infers it from the vocabulary size
    ///     (≤ 50,257 ranks: GPT-2, ~100k: cl100k, ~200k: o200k).
    ///   - specialTokens: special-token text → id; nil uses the known set for GPT-2 / cl100k / o200k sizes,
    ///     else `<|endoftext|>` right after the last rank (what `BPETrainer` writes).
    public init(tiktokenFile path: String, pattern: PreTokenizerPattern? = nil,
                specialTokens: [String: Int]? = nil) throws(TokenizerError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        let ranks = try Self.parseRanks(data, path: path)
        let count = ranks.count
        let pattern = pattern ?? (count <= 50_257 ? .gpt2 : count <= 100_256 ? .cl100k : .o200k)
        let specials = specialTokens ?? Self.defaultSpecialTokens(rankCount: count,
                                                                  nextID: (ranks.map(\.id).max() ?? -1) + 1)
        let model: BytePairModel
        if ranks.enumerated().allSatisfy({ $0.offset == $0.element.id }) {
            // The usual case (ranks listed 0, 1, 2, ...): concatenate without a per-id table.
            var blob: [UInt8] = []
            blob.reserveCapacity(data.count)
            var offsets = [0]
            offsets.reserveCapacity(count + 1)
            for (bytes, _) in ranks { blob.append(contentsOf: bytes); offsets.append(blob.count) }
            model = try BytePairModel(tokenBytes: blob, tokenOffsets: offsets, pairs: nil, preTokenization: PreTokenization(pattern),
                                      wholePieceLookup: true, source: path)
        } else {
            model = try BytePairModel(tokens: ranks, merges: nil, preTokenization: PreTokenization(pattern), wholePieceLookup: true, source: path)
        }
        self.init(model: model, specialTokens: specials)
    }

    static func defaultSpecialTokens(rankCount: Int, nextID: Int) -> [String: Int] {
        switch rankCount {
        case 50_256:
            return ["<|endoftext|>": 50_256]
        case 100_256:
            return ["<|endoftext|>": 100_257, "<|fim_prefix|>": 100_258, "<|fim_middle|>": 100_259,
                    "<|fim_suffix|>": 100_260, "<|endofprompt|>": 100_276]
        case 199_998:
            return ["<|endoftext|>": 199_999, "<|endofprompt|>": 200_018]
        default:
            return ["<|endoftext|>": nextID]
        }
    }

    /// Parses rank-file bytes into (token bytes, rank) pairs.
    static func parseRanks(_ data: Data, path: String) throws(TokenizerError) -> [(bytes: [UInt8], id: Int)] {
        var result: [(bytes: [UInt8], id: Int)] = []
        result.reserveCapacity(data.count / 14)
        var failure: TokenizerError?
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0
            var lineNumber = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                lineNumber += 1
                var end = lineEnd
                if end > lineStart && bytes[end - 1] == 0x0D { end -= 1 }
                if end > lineStart {
                    var space = lineStart
                    while space < end && bytes[space] != 0x20 { space += 1 }
                    guard space < end, let token = Base64.decode(bytes, lineStart, space) else {
                        failure = .malformedRankFile(path: path, line: lineNumber, reason: "bad base64 token")
                        return
                    }
                    var rank = 0
                    var k = space + 1
                    guard k < end else {
                        failure = .malformedRankFile(path: path, line: lineNumber, reason: "missing rank")
                        return
                    }
                    while k < end {
                        let d = Int(bytes[k]) - 48
                        guard d >= 0 && d <= 9, rank < 1 << 31 else {
                            failure = .malformedRankFile(path: path, line: lineNumber, reason: "rank is not a number")
                            return
                        }
                        rank = rank * 10 + d
                        k += 1
                    }
                    result.append((token, rank))
                }
                lineStart = lineEnd + 1
            }
        }
        if let failure { throw failure }
        if result.isEmpty { throw .malformedRankFile(path: path, line: 1, reason: "no ranks in file") }
        return result
    }

    /// The vocabulary as a tiktoken rank file (ordinary tokens only, in id order).
    public func tiktokenRankFile() -> String {
        var out = ""
        for (id, bytes) in model.allTokens() {
            out += Data(bytes).base64EncodedString() + " \(id)\n"
        }
        return out
    }
}

/// Standard base64 (RFC 4648) decoding of a byte range.
enum Base64 {
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = UInt8(i)
        }
        return t
    }()

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [UInt8]? {
        var end = end
        while end > start && bytes[end - 1] == 0x3D { end -= 1 }  // '=' padding
        var out: [UInt8] = []
        out.reserveCapacity((end - start) * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for i in start..<end {
            let v = table[Int(bytes[i])]
            if v == 0xFF { return nil }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out.isEmpty ? nil : out
    }
}
