// Hostile tokenizer files: deterministic, structure-aware mutations of tokenizer.json (byte-level and
// SentencePiece-style BPE, WordPiece when the MiniLM asset is present) and tiktoken rank files — wrong
// types, absurd ids and counts, bad merges, missing fields, invalid UTF-8, truncation. Each must load
// or end in a TokenizerError, never crash or hang; the whole run is bounded to a few seconds.
import Foundation
import Testing
@testable import QuillTokenizer

/// Draws for the mutations, from the target's one seeded generator (SemanticsTests.swift): the same
/// mutations on every run.
extension SeededGenerator {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

@Suite("Hostile tokenizer files")
struct HostileTokenizerFileTests {
    static let hostileNumbers: [Any] = [1 << 62, 1 << 31, 1_000_000_000, -5, 1.5, 1e300, "7", NSNull(), true, [1], ["k": 1]]

    /// Loads `data` as a file of `name`; returns whether it loaded (and then encodes and decodes text).
    static func tryLoad(_ data: Data, name: String) -> Bool {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quill-hostile-\(UUID().uuidString)-\(name)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: data)
        do {
            let tokenizer = try TokenizerLoader.load(path)
            let ids = tokenizer.encode("Hello w\u{F6}rld <s> \u{1F999}\n  x", addSpecialTokens: true, parseSpecial: true)
            _ = tokenizer.decode(ids + [-1, tokenizer.vocabularySize, Int.max])
            return true
        } catch {
            #expect(!error.description.isEmpty)
            return false
        }
    }

    /// One structural mutation of a parsed tokenizer.json.
    static func mutate(_ json: inout [String: Any], _ rng: inout SeededGenerator) {
        var model = json["model"] as? [String: Any] ?? [:]
        switch rng.below(12) {
        case 0, 1:
            if var vocab = model["vocab"] as? [String: Any], !vocab.isEmpty {
                let keys = vocab.keys.sorted()
                vocab[keys[rng.below(keys.count)]] = rng.pick(hostileNumbers)
                model["vocab"] = vocab
            }
        case 2: model.removeValue(forKey: rng.pick(["vocab", "merges", "type", "unk_token"]))
        case 3: json.removeValue(forKey: rng.pick(["model", "added_tokens", "pre_tokenizer", "normalizer", "post_processor"]))
        case 4: model[rng.pick(["vocab", "merges", "byte_fallback", "unk_token"])] = rng.pick(hostileNumbers + ["text", [String: Any]()])
        case 5, 6:
            if var merges = model["merges"] as? [Any], !merges.isEmpty {
                merges[rng.below(merges.count)] = rng.pick(["zz qq", "a", "a b c", "", " ", 7, ["a"], ["\u{2581}", "q\u{300}"]] as [Any])
                model["merges"] = merges
            }
        case 7:
            if var added = json["added_tokens"] as? [[String: Any]], !added.isEmpty {
                let k = rng.below(added.count)
                added[k][rng.pick(["id", "content", "special"])] = rng.pick(hostileNumbers + ["", "<s>"])
                json["added_tokens"] = added
            } else {
                json["added_tokens"] = "nonsense"
            }
        case 8:
            json["normalizer"] = rng.pick([["type": "Lowercase"], ["type": "Prepend", "prepend": "x"], "str",
                                           ["type": "Sequence", "normalizers": 5]] as [Any])
        case 9:
            json["pre_tokenizer"] = rng.pick([["type": "Metaspace", "prepend_scheme": "sometimes"],
                                              ["type": "Split", "pattern": ["Regex": "(("], "behavior": "Isolated"],
                                              ["type": "Sequence", "pretokenizers": [["type": 3]]], 17] as [Any])
        case 10:
            json["post_processor"] = rng.pick([["type": "TemplateProcessing", "single": [["SpecialToken": ["id": "<nope>"]]]],
                                               ["type": "TemplateProcessing", "single": "x"], ["type": "Mystery"]] as [Any])
        default:
            model["vocab"] = rng.pick([[String: Any](), ["a": 0, "b": 0], ["a": 16_777_215]] as [Any])
        }
        if json["model"] != nil { json["model"] = model }
    }

    /// Byte damage: invalid UTF-8 spliced in, or the file cut short.
    static func damageBytes(_ data: Data, _ rng: inout SeededGenerator) -> Data {
        var bytes = [UInt8](data)
        if rng.below(2) == 0 {
            bytes.insert(contentsOf: rng.pick([[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00]]),
                         at: rng.below(bytes.count))
        } else {
            bytes.removeLast(1 + rng.below(bytes.count - 1))
        }
        return Data(bytes)
    }

    static var jsonFiles: [String] {
        [Fixtures.url("spm_prepend.tokenizer.json").path, Fixtures.url("spm_metaspace.tokenizer.json").path,
         Fixtures.url("trained1000.tokenizer.json").path] + (TestAssets.miniLM.map { [$0] } ?? [])
    }

    @Test(.timeLimit(.minutes(4)), arguments: jsonFiles)   // a hang guard: ~20 s alone, 60+ s on a loaded host
    func mutatedTokenizerJSONNeverCrashes(_ path: String) throws {
        let original = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var rng = SeededGenerator(state: UInt64(path.utf8.count) &* 7919)
        var loaded = 0, refused = 0
        let start = Date()
        let rounds = path.contains("MiniLM") ? 15 : 60     // its 30k-entry JSON is slow to re-serialize
        for round in 0..<rounds {
            var json = original
            for _ in 0...(round % 3) { Self.mutate(&json, &rng) }
            var data = try JSONSerialization.data(withJSONObject: json)
            if round % 5 == 4 { data = Self.damageBytes(data, &rng) }
            if Self.tryLoad(data, name: "tokenizer.json") { loaded += 1 } else { refused += 1 }
        }
        #expect(refused > rounds / 3, "only \(refused) of \(rounds) hostile files were refused")
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test(.timeLimit(.minutes(1)))
    func mutatedTikTokenFilesNeverCrash() throws {
        // 256 byte ranks plus a few merged tokens, as a rank file.
        var lines = (0..<256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)" }
        for (k, word) in ["th", "he", "the", " the", "in", "ing"].enumerated() {
            lines.append("\(Data(word.utf8).base64EncodedString()) \(256 + k)")
        }
        #expect(Self.tryLoad(Data(lines.joined(separator: "\n").utf8), name: "ok.tiktoken"))
        var rng = SeededGenerator(state: 42)
        var refused = 0
        for _ in 0..<60 {
            var damaged = lines
            let k = rng.below(damaged.count)
            let token = String(damaged[k].split(separator: " ")[0])
            switch rng.below(7) {
            case 0: damaged[k] = "\(token) \(rng.pick(["9223372036854775807", "4294967296", "1000000000", "-5", "1.5", "x", ""]))"
            case 1: damaged[k] = "!!notbase64!! \(k)"
            case 2: damaged[k] = token
            case 3: damaged.append(damaged[k])
            case 4: damaged[k] = "\(token) \(k) extra"
            case 5: damaged = Array(damaged.prefix(rng.below(300)))
            default: damaged.insert("", at: k)
            }
            var data = Data(damaged.joined(separator: "\n").utf8)
            if rng.below(4) == 0 { data = Self.damageBytes(data, &rng) }
            if !Self.tryLoad(data, name: "bad.tiktoken") { refused += 1 }
        }
        #expect(refused > 20, "only \(refused) of 60 hostile rank files were refused")
    }
}
