// The 70 real chat templates of llama.cpp's models/templates (from the llama-cpp-python sdist, in .assets)
// rendered by Quill and compared byte for byte with Python jinja2's renderings in transformers' environment
// (Fixtures/chat_template_renderings.json, written by Scripts/reference/chat_template_fixtures.py).
import Foundation
import Testing
import QuillFormats
@testable import QuillAssistant

enum JinjaCorpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let templates = root.appendingPathComponent(".assets/llama.cpp/templates")
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/chat_template_renderings.json")
    static var available: Bool { FileManager.default.fileExists(atPath: templates.path) }

    /// 2026-03-14 09:26:53 in UTC, the fixed clock of the fixture script (naive local time there).
    static let now = Date(timeIntervalSince1970: 1_773_480_413)

    static func messages(_ json: JSONValue) -> [ChatMessage] {
        (json.arrayValue ?? []).map { m in
            let calls = (m["tool_calls"]?.arrayValue ?? []).map { c in
                ChatToolCall(id: c["id"]?.stringValue ?? "", name: c["function"]?["name"]?.stringValue ?? "",
                             arguments: c["function"]?["arguments"].map { $0.stringValue ?? $0.jsonText } ?? "{}")
            }
            return ChatMessage(role: m["role"]?.stringValue ?? "", content: m["content"]?.stringValue, toolCalls: calls,
                               toolCallID: m["tool_call_id"]?.stringValue, name: m["name"]?.stringValue)
        }
    }

    /// Where two renderings first differ, with a little context from each.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        var i = 0
        while i < min(x.count, y.count), x[i] == y[i] { i += 1 }
        func around(_ s: [Unicode.Scalar]) -> String {
            String(String.UnicodeScalarView(s[max(0, i - 30)..<min(s.count, i + 40)])).debugDescription
        }
        return "at scalar \(i): quill \(around(x)) vs jinja2 \(around(y))"
    }
}

@Suite("Jinja corpus: real chat templates against jinja2")
struct JinjaCorpusTests {
    @Test(.enabled(if: JinjaCorpus.available, "needs .assets/llama.cpp/templates (Scripts/setup/fetch_assets.sh)"))
    func everyTemplateMatchesJinja2() throws {
        let document = try JSONValue(parsing: try Data(contentsOf: JinjaCorpus.fixture))
        let conversations = document["conversations"]!
        let bos = document["bos_token"]?.stringValue ?? "", eos = document["eos_token"]?.stringValue ?? ""
        var matched = 0, refused = 0, templatesOK = Set<String>(), templatesSeen = Set<String>()
        var failures: [String] = []
        var parsed: [String: Result<JinjaChatTemplate, Error>] = [:]
        for c in document["cases"]!.arrayValue! {
            let name = c["template"]!.stringValue!, conversationID = c["conversation"]!.stringValue!
            templatesSeen.insert(name)
            if parsed[name] == nil {
                let source = try String(contentsOf: JinjaCorpus.templates.appendingPathComponent(name), encoding: .utf8)
                parsed[name] = Result { try JinjaChatTemplate(source: source, now: { JinjaCorpus.now }, timeZone: TimeZone(identifier: "UTC")!) }
            }
            let conversation = conversations[conversationID]!
            let options = ChatRenderOptions(addGenerationPrompt: c["add_generation_prompt"]!.boolValue!,
                                            tools: conversation["tools"]?.arrayValue ?? [], bosToken: bos, eosToken: eos)
            let label = "\(name) × \(conversationID) (add_generation_prompt \(options.addGenerationPrompt))"
            let rendered = Result { try parsed[name]!.get().render(JinjaCorpus.messages(conversation["messages"]!), options: options) }
            if let expected = c["output"]?.stringValue {
                switch rendered {
                case .success(let text) where text == expected: matched += 1
                case .success(let text): failures.append("\(label): \(JinjaCorpus.firstDifference(text, expected))")
                case .failure(let error): failures.append("\(label): Quill threw \(error)")
                }
            } else {
                switch rendered {
                case .success: failures.append("\(label): jinja2 refused (\(c["error"]!.stringValue!)) but Quill rendered")
                case .failure: refused += 1
                }
            }
        }
        for name in templatesSeen where !failures.contains(where: { $0.hasPrefix(name + " ") }) { templatesOK.insert(name) }
        print("Jinja corpus: \(matched) renderings equal jinja2's, \(refused) refusals matched, \(failures.count) failures; "
              + "\(templatesOK.count)/\(templatesSeen.count) templates agree in every case")
        for f in failures.prefix(60) { print("  " + f) }
        #expect(failures.isEmpty, "\(failures.count) cases differ from jinja2; first: \(failures.first ?? "")")
        #expect(templatesSeen.count >= 70)
    }
}
