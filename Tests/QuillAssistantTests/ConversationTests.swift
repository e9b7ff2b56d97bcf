// The conversation model behind `quill chat`: trimming to a token budget (checked against a brute-force
// search over every number of dropped turns), slash-command parsing, the date in system prompts, and
// save / load through JSON files, including every kind of bad file.
import Foundation
import Testing
@testable import QuillAssistant

@Suite("Conversation")
struct ConversationTests {
    /// A conversation of `n` question/answer turns whose sizes differ, so trimming boundaries matter.
    static func sample(_ n: Int, system: String? = "Be brief.") -> Conversation {
        var c = Conversation(system: system)
        for i in 0..<n {
            c.append(.user("question \(i) " + String(repeating: "q", count: 3 * i)))
            c.append(.assistant("answer \(i) " + String(repeating: "a", count: 5 * (n - i))))
        }
        return c
    }

    /// Characters of every content, plus 4 per message: a stand-in for a tokenizer.
    static func size(_ messages: [ChatMessage]) -> Int { messages.reduce(0) { $0 + 4 + ($1.content ?? "").count } }

    @Test(arguments: [30, 60, 90, 140, 400])
    func windowDropsTheFewestOldestTurns(budget: Int) throws {
        var c = Self.sample(5)
        c.append(.user("newest"))
        let window = try c.window(budget: budget, count: Self.size)
        // Oracle: try dropping 0, 1, 2... whole turns (a user message and what follows it) until it fits.
        var expected: [ChatMessage]?, dropped = 0
        for k in 0...5 {
            let kept = [ChatMessage.system("Be brief.")] + Array(c.turns.dropFirst(2 * k))
            if Self.size(kept) <= budget { expected = kept; dropped = k; break }
        }
        #expect(window.messages == expected)
        #expect(window.dropped == dropped)
        #expect(window.messages.first == .system("Be brief.") && window.messages.last == .user("newest"))
        #expect(c.turns.count == 11)                               // trimming never loses history
    }

    @Test func windowRefusesWhatCannotFit() {
        var c = Self.sample(2)
        c.append(.user(String(repeating: "x", count: 100)))
        #expect(throws: ConversationError.doesNotFit(tokens: Self.size([.system("Be brief."), c.turns.last!]), budget: 50)) {
            try c.window(budget: 50, count: Self.size)
        }
        #expect(throws: ConversationError.nothingToAnswer) { try Conversation(system: "s").window(budget: 99, count: Self.size) }
    }

    @Test func resetKeepsTheSystemPrompt() {
        var c = Self.sample(3)
        c.reset()
        #expect(c.messages == [.system("Be brief.")])
        c.append(.system("New."))
        #expect(c.system == "New." && c.turns.isEmpty)
    }

    @Test(arguments: [
        ("hello there", ChatInput.message("hello there")),
        ("   ", .empty),
        ("/reset", .reset),
        ("/RESET now", .invalid("/reset takes no argument")),
        ("/system  Be kind. ", .system("Be kind.")),
        ("/system", .system(nil)),
        ("/save chat.json", .save(path: "chat.json")),
        ("/load  my chat.json", .load(path: "my chat.json")),
        ("/help", .help),
        ("/exit", .exit),
        ("/quit", .exit),
        ("//etc/passwd is a path", .message("/etc/passwd is a path")),
    ])
    func parsesLines(line: String, expected: ChatInput) {
        #expect(ChatInput(parsing: line) == expected)
    }

    @Test func badCommandsSayWhy() {
        guard case .invalid(let unknown) = ChatInput(parsing: "/frobnicate") else { Issue.record("not invalid"); return }
        #expect(unknown.contains("/frobnicate") && unknown.contains("/help"))
        guard case .invalid(let noFile) = ChatInput(parsing: "/save") else { Issue.record("not invalid"); return }
        #expect(noFile.contains("file name"))
    }

    @Test func systemPromptCarriesTheDate() {
        let utc = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: 86_400 * 365)               // 1 January 1971
        #expect(SystemPrompt.resolve("Today is {date}.", date: date, timeZone: utc) == "Today is 1971-01-01.")
        #expect(SystemPrompt.resolve("Be brief.", appendDate: true, date: date, timeZone: utc)
                == "Be brief.\nToday's date is 1971-01-01.")
        #expect(SystemPrompt.resolve(nil, appendDate: true, date: date, timeZone: utc) == "Today's date is 1971-01-01.")
        #expect(SystemPrompt.resolve(nil) == nil)
    }

    @Test func saveThenLoadRoundTrips() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-conv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = Self.sample(2)
        c.append(.user("quotes \" and \\ and\nnewlines, ünïcode 🎉, <|im_end|>"))
        let url = dir.appendingPathComponent("chat.json")
        try c.save(to: url)
        #expect(try Conversation.load(from: url) == c)
        // The file is plain OpenAI-shaped JSON that Foundation reads too.
        let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let messages = try #require(parsed?["messages"] as? [[String: String]])
        #expect(messages.count == 6 && messages[0] == ["role": "system", "content": "Be brief."])
        // Saving again replaces the file whole, leaving no temporary files beside it.
        try Conversation().save(to: url)
        #expect(try Conversation.load(from: url) == Conversation())
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["chat.json"])
    }

    @Test(arguments: [
        (#"{"messages": [{"role": "user", "content": "hi"}"#, "is not JSON"),
        (#"{"turns": []}"#, "\"messages\" array"),
        (#"[{"role": "user", "content": "hi"}, 3]"#, "messages[1] is not an object"),
        (#"[{"content": "hi"}]"#, "messages[0].role is missing"),
        (#"[{"role": "robot", "content": "hi"}]"#, "role is 'robot'"),
        (#"[{"role": "user", "content": 5}]"#, "messages[0].content is missing or not a string"),
        (#"[{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}]"#, "only the first message"),
    ])
    func badFilesGetClearErrors(text: String, fragment: String) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-bad-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try Conversation.load(from: url)
            Issue.record("loaded a bad file: \(text)")
        } catch let error as ConversationFileError {
            #expect(error.description.contains(fragment), "\(error)")
            #expect(error.description.contains(url.path))
        }
    }

    @Test func missingFileAndUnwritablePlace() {
        #expect(throws: ConversationFileError.unreadable(path: "/no/such/chat.json", reason: "no such file")) {
            try Conversation.load(from: URL(fileURLWithPath: "/no/such/chat.json"))
        }
        #expect(throws: ConversationFileError.self) { try Self.sample(1).save(to: URL(fileURLWithPath: "/no/such/dir/chat.json")) }
    }
}
