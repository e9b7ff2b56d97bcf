// The content filter: policy files (a bad one is an error naming the file, the field and the problem),
// what words and patterns match (whole words, any case, phrases across whitespace, per direction), and
// the streaming hold-back: a blocked phrase no longer than the window never reaches the client however
// the text is split into tokens, clean text comes out exactly as generated, and a match that more text
// could still undo ("kill" → "killer") waits for that text. Expected outcomes are worked out by hand.
import Foundation
import Testing
@testable import QuillAssistant

@Suite("Content filter")
struct ContentFilterTests {
    static func policy(_ json: String) throws -> ContentPolicy { try ContentPolicy(json: Data(json.utf8), file: "test.json") }

    static let standard = #"""
    {"name": "test-policy",
     "categories": {
        "weapons": {"action": "block", "words": ["pipe bomb", "nerve agent"]},
        "violence": {"action": "block", "words": ["kill"], "applies_to": ["output"]},
        "secrets": {"action": "block", "patterns": ["password:\\s*\\S+"]},
        "mild": {"action": "flag", "words": ["heck"], "applies_to": ["input"]}
     }}
    """#

    // MARK: policy files

    struct BadPolicy: Sendable, CustomTestStringConvertible {
        let name: String, json: String, message: String
        var testDescription: String { name }
    }

    static let badPolicies: [BadPolicy] = [
        .init(name: "not JSON", json: "{categories", message: "test.json: not valid JSON"),
        .init(name: "not an object", json: "[1]", message: "test.json: expected a JSON object"),
        .init(name: "misspelt top-level key", json: #"{"catgories": {}}"#, message: "test.json: catgories: unknown key"),
        .init(name: "categories is a list", json: #"{"categories": []}"#, message: "categories: expected an object"),
        .init(name: "missing action", json: #"{"categories": {"a": {"words": ["x"]}}}"#, message: "categories.a.action: missing"),
        .init(name: "unknown action", json: #"{"categories": {"a": {"action": "delete", "words": ["x"]}}}"#,
              message: #"categories.a.action: expected "block" or "flag""#),
        .init(name: "no rules", json: #"{"categories": {"a": {"action": "block"}}}"#, message: "categories.a: has neither words nor patterns"),
        .init(name: "word is not a string", json: #"{"categories": {"a": {"action": "block", "words": ["x", 3]}}}"#,
              message: "categories.a.words[1]: expected a non-empty string"),
        .init(name: "empty word", json: #"{"categories": {"a": {"action": "block", "words": ["  "]}}}"#,
              message: "categories.a.words[0]: expected a non-empty string"),
        .init(name: "invalid regular expression", json: #"{"categories": {"a": {"action": "flag", "patterns": ["ok", "(unclosed"]}}}"#,
              message: "categories.a.patterns[1]: '(unclosed' is not a valid regular expression"),
        .init(name: "pattern matching the empty string", json: #"{"categories": {"a": {"action": "block", "patterns": ["x*"]}}}"#,
              message: "categories.a.patterns[0]: 'x*' matches the empty string"),
        .init(name: "unknown direction", json: #"{"categories": {"a": {"action": "block", "words": ["x"], "applies_to": ["both"]}}}"#,
              message: #"categories.a.applies_to[0]: expected "input" or "output""#),
        .init(name: "misspelt rule key", json: #"{"categories": {"a": {"action": "block", "word": ["x"]}}}"#,
              message: "categories.a.word: unknown key"),
        .init(name: "window out of range", json: #"{"stream_window": -1}"#, message: "stream_window: expected an integer from 0 to 4096"),
        .init(name: "bad hidden-character policy", json: #"{"input": {"invisible_characters": "drop"}}"#,
              message: #"input.invisible_characters: expected "strip" or "reject""#),
        .init(name: "zero message limit", json: #"{"input": {"max_messages": 0}}"#, message: "input.max_messages: expected a positive integer"),
    ]

    @Test(arguments: badPolicies)
    func badPolicyFilesAreClearErrors(_ c: BadPolicy) {
        #expect { try Self.policy(c.json) } throws: { error in
            "\(error)".contains(c.message) || { print("got: \(error)"); return false }()
        }
    }

    @Test func missingFileIsAClearError() {
        #expect { try ContentPolicy.load(file: "/nonexistent/policy.json") } throws: { error in
            "\(error)".hasPrefix("/nonexistent/policy.json: cannot read the content policy file")
        }
    }

    @Test func theExamplePolicyLoads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/examples/content-policy.json")
        let policy = try ContentPolicy.load(file: url.standardizedFileURL.path)
        #expect(policy.name == "example-policy" && policy.categories.map(\.name) == ["credentials", "weapons", "profanity"])
        #expect(policy.input == InputLimits(maxMessages: 256, maxMessageCharacters: 100_000, maxTotalCharacters: 400_000))
        #expect(policy.streamWindow == 64)
    }

    @Test func defaultWindowCoversTheLongestWord() throws {
        #expect(try Self.policy(#"{"categories": {"a": {"action": "block", "words": ["abc", "twenty characters!!!"]}}}"#).streamWindow == 36)
        #expect(try Self.policy(#"{"categories": {"a": {"action": "block", "patterns": ["q+"]}}}"#).streamWindow == 64)
        #expect(try Self.policy("{}").streamWindow == 0)
    }

    // MARK: matching

    struct MatchCase: Sendable, CustomTestStringConvertible {
        let text: String, direction: ContentDirection, matched: [String], blocked: [String]
        var testDescription: String { "\(direction): \(text)" }
    }

    static let matchCases: [MatchCase] = [
        .init(text: "How do I build a pipe bomb?", direction: .input, matched: ["weapons"], blocked: ["weapons"]),
        .init(text: "PIPE   BOMB", direction: .input, matched: ["weapons"], blocked: ["weapons"]),      // any case, any whitespace run
        .init(text: "pipe\nbomb", direction: .output, matched: ["weapons"], blocked: ["weapons"]),
        .init(text: "a pipebomb", direction: .input, matched: [], blocked: []),                      // the phrase, not its letters
        .init(text: "I will kill it", direction: .output, matched: ["violence"], blocked: ["violence"]),
        .init(text: "I will kill it", direction: .input, matched: [], blocked: []),                  // output-only category
        .init(text: "a killer whale, skills", direction: .output, matched: [], blocked: []),         // whole words only
        .init(text: "my password: hunter2", direction: .input, matched: ["secrets"], blocked: ["secrets"]),
        .init(text: "Password: hunter2", direction: .input, matched: [], blocked: []),               // patterns are as written
        .init(text: "what the heck", direction: .input, matched: ["mild"], blocked: []),             // flag only
        .init(text: "what the heck, a pipe bomb", direction: .input, matched: ["weapons", "mild"], blocked: ["weapons"]),
        .init(text: "Nothing to see here.", direction: .input, matched: [], blocked: []),
    ]

    @Test(arguments: matchCases)
    func wordsAndPatternsMatch(_ c: MatchCase) throws {
        let verdict = try Self.policy(Self.standard).evaluate(c.text, direction: c.direction)
        #expect(verdict.matched == c.matched && verdict.blocked == c.blocked)
    }

    @Test func conversationsAreCheckedOnUserAndToolTurns() throws {
        let policy = try Self.policy(Self.standard)
        #expect(policy.evaluate([.system("Never explain a pipe bomb."), .user("Hi")]) == .clean)
        #expect(policy.evaluate([.user("Hi"), ChatMessage(role: "tool", content: "nerve agent recipe")]).blocked == ["weapons"])
        #expect(policy.evaluate([.user("heck"), .user("heck")]).matched == ["mild"])
    }

    // MARK: streaming

    /// Feeds `pieces` through a filter and returns what the client would see and the blocking category.
    static func stream(_ pieces: [String], _ policy: ContentPolicy) -> (shown: String, blocked: String?) {
        var filter = StreamingContentFilter(policy: policy)
        var shown = ""
        for piece in pieces {
            shown += filter.feed(piece)
            if filter.blocked != nil { return (shown, filter.blocked) }
        }
        shown += filter.finish()
        return (shown, filter.blocked)
    }

    struct StreamCase: Sendable, CustomTestStringConvertible {
        let name: String, pieces: [String], window: Int, shown: String, blocked: String?
        var testDescription: String { name }
    }

    static let streamCases: [StreamCase] = [
        .init(name: "clean text comes out whole", pieces: ["The ", "quick ", "brown fox."], window: 4,
              shown: "The quick brown fox.", blocked: nil),
        .init(name: "phrase split across tokens is stopped before any of it is shown",
              pieces: ["How to build a pi", "pe b", "omb at home"], window: 12, shown: "How to bu", blocked: "weapons"),
        .init(name: "phrase one character per token", pieces: "ok, a nerve agent is".map(String.init), window: 11,
              shown: "ok, a ", blocked: "weapons"),
        .init(name: "a match more text undoes is released", pieces: ["orcas are kill", "er whales"], window: 4,
              shown: "orcas are killer whales", blocked: nil),
        .init(name: "a match more text confirms is stopped", pieces: ["they kill", ". The end"], window: 4,
              shown: "they ", blocked: "violence"),
        .init(name: "a match at the very end is stopped when the answer ends", pieces: ["then they kill"], window: 4,
              shown: "then they ", blocked: "violence"),
        .init(name: "an open-ended pattern waits for its end", pieces: ["user password: hun", "ter2 ok"], window: 0,
              shown: "user ", blocked: "secrets"),
        .init(name: "a window shorter than the phrase lets its start out (documented)",
              pieces: ["a pipe", " bomb!"], window: 2, shown: "a pi", blocked: "weapons"),
        .init(name: "surrogate pairs are never split", pieces: ["😀😀", "😀 fine"], window: 3, shown: "😀😀😀 fine", blocked: nil),
    ]

    @Test(arguments: streamCases)
    func blockedOutputNeverReachesTheClient(_ c: StreamCase) throws {
        var policy = try Self.policy(Self.standard)
        policy.streamWindow = c.window
        let result = Self.stream(c.pieces, policy)
        #expect(result.shown == c.shown)
        #expect(result.blocked == c.blocked)
    }

    @Test func anOpenMatchCannotHoldTextForever() throws {
        var filter = StreamingContentFilter(policy: try Self.policy(Self.standard))
        var shown = filter.feed("password: ")
        for _ in 0..<(StreamingContentFilter.maxOpenMatch / 8 + 1) where filter.blocked == nil { shown += filter.feed("abcdefgh") }
        #expect(filter.blocked == "secrets" && shown.isEmpty)
    }

    /// Every way of cutting a text into three pieces: the client never sees the blocked phrase or any
    /// of its letters (the window covers it), and always sees a prefix of the text.
    @Test func everySplitOfABlockedAnswerIsStoppedBeforeThePhrase() throws {
        let policy = try Self.policy(Self.standard)                 // default window: "nerve agent" (11) + 16
        let text = "Sure. First get a nerve agent and then"
        let start = text.distance(from: text.startIndex, to: text.range(of: "nerve agent")!.lowerBound)
        let chars = Array(text)
        for i in 1..<chars.count {
            for j in i..<chars.count {
                let pieces = [String(chars[..<i]), String(chars[i..<j]), String(chars[j...])]
                let result = Self.stream(pieces, policy)
                #expect(result.blocked == "weapons")
                #expect(text.hasPrefix(result.shown) && result.shown.count <= start, "split at \(i), \(j): \(result.shown)")
            }
        }
    }

    @Test func everySplitOfACleanAnswerComesOutWhole() throws {
        let policy = try Self.policy(Self.standard)
        let text = "Orcas, the killer whales, skilfully hunt seals."
        let chars = Array(text)
        for i in 0...chars.count {
            for j in i...chars.count {
                let pieces = [String(chars[..<i]), String(chars[i..<j]), String(chars[j...])]
                #expect(Self.stream(pieces, policy) == (text, nil))
            }
        }
    }
}
