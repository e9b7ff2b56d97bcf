// The feedback store on a real temporary file (round trip, PII redacted on the way in, ratings
// validated) and the preference pairs exported from it in TRL's {"prompt", "chosen", "rejected"} shape.
import Foundation
import Testing
@testable import QuillAssistant

@Suite("Feedback store and preference pairs")
struct FeedbackStoreTests {
    static func entry(_ id: String, _ rating: Int, prompt: String, response: String, correction: String? = nil) -> FeedbackEntry {
        FeedbackEntry(responseID: id, apiKey: "sk-a", model: "m", rating: rating, prompt: prompt, response: response,
                      correction: correction, createdAt: Date(timeIntervalSince1970: 1_796_342_399))
    }

    @Test func roundTripRedacted() throws {
        let path = RAGFixtures.temporaryPath()
        defer { RAGFixtures.cleanup(path) }
        do {
            let store = try FeedbackStore(path: path, create: true)
            var e = Self.entry("chatcmpl-1", -1, prompt: "My mail is eve@example.com, card 4111 1111 1111 1111",
                               response: "Call me at +44 20 7946 0958", correction: "Mail eve@example.com instead")
            e.comment = "from bob@example.org"
            let stored = try store.add(e)
            #expect(stored.id == 1)
            #expect(throws: AccountingError.self) { try store.add(Self.entry("chatcmpl-2", 0, prompt: "p", response: "r")) }
        }
        let entries = try FeedbackStore(path: path).all()
        #expect(entries.count == 1)
        let e = try #require(entries.first)
        #expect(e.responseID == "chatcmpl-1" && e.rating == -1 && e.apiKey == "sk-a" && e.model == "m")
        #expect(e.prompt == "My mail is [email], card [card]")
        #expect(e.response == "Call me at [phone]")
        #expect(e.correction == "Mail [email] instead")
        #expect(e.comment == "from [email]")
        #expect(e.createdAt == 1_796_342_399)
    }

    /// Hand-built: prompt P has a +1 answer A, a −1 answer B and a −1 answer C corrected to D;
    /// prompt Q has only +1 answers (no pair); prompt R has a −1 answer E corrected to E (no pair).
    @Test func pairs() throws {
        let entries = [
            Self.entry("1", 1, prompt: "P", response: "A"),
            Self.entry("2", -1, prompt: "P", response: "B"),
            Self.entry("3", -1, prompt: "P", response: "C", correction: "D"),
            Self.entry("4", 1, prompt: "Q", response: "X"),
            Self.entry("5", -1, prompt: "R", response: "E", correction: "E"),
            Self.entry("6", -1, prompt: "P", response: "B"),                   // the same pair again: once
        ]
        let pairs = PreferencePairs(entries).pairs
        #expect(pairs == [
            PreferencePair(prompt: "P", chosen: "D", rejected: "B"),
            PreferencePair(prompt: "P", chosen: "A", rejected: "B"),
            PreferencePair(prompt: "P", chosen: "D", rejected: "C"),
            PreferencePair(prompt: "P", chosen: "A", rejected: "C"),
        ])
    }

    @Test func jsonlIsTRLShaped() throws {
        let data = try PreferencePairs([Self.entry("1", 1, prompt: "Say \"hi\"\n", response: "hi"),
                                        Self.entry("2", -1, prompt: "Say \"hi\"\n", response: "bye")]).jsonl()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text == #"{"chosen":"hi","prompt":"Say \"hi\"\n","rejected":"bye"}"# + "\n")
        let lines = text.split(separator: "\n")
        let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String]
        #expect(object == ["prompt": "Say \"hi\"\n", "chosen": "hi", "rejected": "bye"])
    }
}
