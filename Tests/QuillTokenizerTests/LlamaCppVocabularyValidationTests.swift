// GGUF tokenizer metadata that is well-formed but says something absurd or unknown — an unknown
// `tokenizer.ggml.pre`, lists whose lengths disagree, ids out of range, duplicate tokens, merges of
// tokens that do not exist — ends in a typed error naming the field, never in wrong ids or a crash.
import Testing
@testable import QuillTokenizer

@Suite("llama.cpp vocabulary validation")
struct LlamaCppVocabularyValidationTests {
    static let bytes = (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) }

    static func vocabulary(pre: String? = "gpt-2", extra: [String] = ["ab"], merges: [String] = ["a b"]) -> LlamaCppVocabulary {
        LlamaCppVocabulary(model: "gpt2", pre: pre, tokens: bytes + extra, tokenTypes: nil, merges: merges, source: "bad.gguf")
    }

    static func message(_ vocabulary: LlamaCppVocabulary) -> String? {
        do {
            _ = try vocabulary.makeTokenizer()
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aValidVocabularyMerges() throws {
        let tokenizer = try Self.vocabulary().makeTokenizer()
        #expect(tokenizer.encode("ab") == [256])
    }

    @Test func unknownPreNameIsAnErrorNotGPT2() {
        let text = Self.message(Self.vocabulary(pre: "my-new-model"))
        #expect(text?.contains("tokenizer.ggml.pre 'my-new-model'") == true)
    }

    @Test func preNamesLlamaCppRunsWithItsOwnCodeAreRefused() {
        for name in ["kimi-k2", "afmoe", "tiny_aya"] {
            #expect(Self.message(Self.vocabulary(pre: name))?.contains("'\(name)'") == true, "\(name)")
        }
    }

    @Test func missingPreIsLlamaCppsDefault() throws {
        let tokenizer = try #require(try Self.vocabulary(pre: nil).makeTokenizer() as? BPETokenizer)
        #expect(tokenizer.preTokenization.llamaCppName == "default")
        #expect(tokenizer.preTokenization.steps.count == 4)
    }

    @Test(arguments: [
        ("token_type", { (v: inout LlamaCppVocabulary) in v.tokenTypes = [1, 1] }),
        ("scores", { (v: inout LlamaCppVocabulary) in v.scores = [0] }),
        ("eos_token_id", { (v: inout LlamaCppVocabulary) in v.tokenIDs["eos"] = 1 << 31 }),
        ("bos_token_id", { (v: inout LlamaCppVocabulary) in v.tokenIDs["bos"] = -5 }),
        ("merges[0]", { (v: inout LlamaCppVocabulary) in v.merges = ["a zz"] }),
        ("merges[1]", { (v: inout LlamaCppVocabulary) in v.merges = ["a b", "nospace"] }),
        ("tokens[257]", { (v: inout LlamaCppVocabulary) in v.tokens.append("ab") }),
        ("tokens has 0", { (v: inout LlamaCppVocabulary) in v.tokens = [] }),
    ] as [(String, @Sendable (inout LlamaCppVocabulary) -> Void)])
    func hostileMetadataNamesTheField(_ field: String, _ damage: (inout LlamaCppVocabulary) -> Void) {
        var vocabulary = Self.vocabulary()
        damage(&vocabulary)
        let text = Self.message(vocabulary)
        #expect(text?.contains(field) == true, "\(field): \(text ?? "accepted")")
    }

    @Test func everyLlamaCppPreNameQuillRunsCompiles() throws {
        for name in LlamaCppPreTokenizer.names.keys.sorted()
        where !LlamaCppPreTokenizer.unsupportedFamilies.contains(LlamaCppPreTokenizer.names[name]!.family) {
            if ["gemma4", "sarvam-moe", "granite-embed-multi-311m"].contains(name) { continue }
            let pre = try LlamaCppPreTokenizer.named(name, source: "t")
            #expect(!pre.preTokenization.steps.isEmpty, "\(name)")
        }
    }
}
