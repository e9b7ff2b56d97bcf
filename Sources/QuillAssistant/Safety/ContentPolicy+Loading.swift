// Reads a content policy file (JSON; the format is in docs/safety.md) into a ContentPolicy, checking
// every field: unknown keys, wrong types, empty or impossible rules and regular expressions that do
// not compile (or match the empty string, which would match every text) are errors naming the file,
// the field path and the problem.
import Foundation
import QuillFormats

/// Why a policy file was refused: `path` is the field at fault (`categories.violence.patterns[1]`).
public struct ContentPolicyError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var path: String
    public var reason: String

    public var description: String { "\(file): " + (path.isEmpty ? reason : "\(path): \(reason)") }
}

extension ContentPolicy {
    /// Loads and checks a policy file.
    public static func load(file: String) throws(ContentPolicyError) -> ContentPolicy {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ContentPolicyError(file: file, path: "", reason: "cannot read the content policy file (\(error.localizedDescription))")
        }
        return try ContentPolicy(json: data, file: file)
    }

    /// Parses policy JSON; `file` names it in errors.
    public init(json data: Data, file: String = "content policy") throws(ContentPolicyError) {
        func fail(_ path: String, _ reason: String) -> ContentPolicyError { ContentPolicyError(file: file, path: path, reason: reason) }
        let root: JSONValue
        do { root = try JSONValue(parsing: data) } catch { throw fail("", "not valid JSON: \(error)") }
        let top = try Self.object(root, "", ["name", "description", "stream_window", "input", "categories"], fail)
        self.init()
        if let v = top["name"] {
            guard let s = v.stringValue, !s.isEmpty else { throw fail("name", "expected a non-empty string") }
            name = s
        }
        if let v = top["input"] { input = try Self.inputLimits(v, fail) }
        if let v = top["categories"] {
            guard let pairs = v.objectPairs else { throw fail("categories", "expected an object mapping category names to rules") }
            for (key, rules) in pairs { categories.append(try Self.category(key, rules, fail)) }   // a repeated name keeps its last rules
        }
        let longestWord = categories.flatMap(\.words).map(\.utf16.count).max() ?? 0
        let hasPatterns = categories.contains { !$0.patterns.isEmpty }
        streamWindow = categories.isEmpty ? 0 : max(longestWord + 16, hasPatterns ? 64 : 0)
        if let v = top["stream_window"] {
            guard let n = v.intValue, (0...4096).contains(n) else { throw fail("stream_window", "expected an integer from 0 to 4096 (characters held back)") }
            streamWindow = n
        }
    }

    private typealias Fail = (String, String) -> ContentPolicyError

    private static func object(_ value: JSONValue, _ path: String, _ allowed: [String], _ fail: Fail) throws(ContentPolicyError) -> [String: JSONValue] {
        guard let pairs = value.objectPairs else { throw fail(path, "expected a JSON object") }
        var out: [String: JSONValue] = [:]
        for (key, v) in pairs {
            guard allowed.contains(key) else {
                throw fail(path.isEmpty ? key : "\(path).\(key)", "unknown key; expected one of \(allowed.joined(separator: ", "))")
            }
            out[key] = v
        }
        return out
    }

    private static func inputLimits(_ value: JSONValue, _ fail: Fail) throws(ContentPolicyError) -> InputLimits {
        let keys = ["invisible_characters", "max_messages", "max_message_characters", "max_total_characters"]
        let o = try object(value, "input", keys, fail)
        var limits = InputLimits()
        if let v = o["invisible_characters"] {
            guard let s = v.stringValue, let p = InvisibleCharacterPolicy(rawValue: s) else {
                throw fail("input.invisible_characters", "expected \"strip\" or \"reject\"")
            }
            limits.invisibleCharacters = p
        }
        func positive(_ key: String) throws(ContentPolicyError) -> Int? {
            guard let v = o[key] else { return nil }
            guard let n = v.intValue, n > 0 else { throw fail("input.\(key)", "expected a positive integer") }
            return n
        }
        if let n = try positive("max_messages") { limits.maxMessages = n }
        if let n = try positive("max_message_characters") { limits.maxMessageCharacters = n }
        if let n = try positive("max_total_characters") { limits.maxTotalCharacters = n }
        return limits
    }

    private static func category(_ name: String, _ value: JSONValue, _ fail: Fail) throws(ContentPolicyError) -> Category {
        let path = "categories.\(name)"
        guard !name.isEmpty else { throw fail("categories", "a category name is empty") }
        let o = try object(value, path, ["action", "words", "patterns", "applies_to", "description"], fail)
        guard let actionText = o["action"]?.stringValue, let action = ContentAction(rawValue: actionText) else {
            throw fail("\(path).action", o["action"] == nil ? "missing; expected \"block\" or \"flag\"" : "expected \"block\" or \"flag\"")
        }
        var directions = Set(ContentDirection.allCases)
        if let v = o["applies_to"] {
            guard let list = v.arrayValue, !list.isEmpty else { throw fail("\(path).applies_to", "expected a non-empty array of \"input\" / \"output\"") }
            directions = []
            for (i, item) in list.enumerated() {
                guard let s = item.stringValue, let d = ContentDirection(rawValue: s) else {
                    throw fail("\(path).applies_to[\(i)]", "expected \"input\" or \"output\"")
                }
                directions.insert(d)
            }
        }
        let words = try strings(o["words"], "\(path).words", fail)
        let patterns = try strings(o["patterns"], "\(path).patterns", fail)
        guard !words.isEmpty || !patterns.isEmpty else { throw fail(path, "has neither words nor patterns; give at least one") }
        var matchers: [ContentMatcher] = []
        if !words.isEmpty {
            let source = wordPattern(words)
            do { matchers.append(ContentMatcher(regex: try NSRegularExpression(pattern: source, options: [.caseInsensitive]), source: source)) } catch {
                throw fail("\(path).words", "could not be compiled (\(error))")
            }
        }
        for (i, p) in patterns.enumerated() { matchers.append(try compile(p, "\(path).patterns[\(i)]", fail)) }
        return Category(name: name, action: action, directions: directions, words: words, patterns: patterns, matchers: matchers)
    }

    private static func strings(_ value: JSONValue?, _ path: String, _ fail: Fail) throws(ContentPolicyError) -> [String] {
        guard let value else { return [] }
        guard let list = value.arrayValue else { throw fail(path, "expected an array of strings") }
        return try list.enumerated().map { (i, item) throws(ContentPolicyError) -> String in
            guard let s = item.stringValue, !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw fail("\(path)[\(i)]", "expected a non-empty string")
            }
            return s.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    private static func compile(_ pattern: String, _ path: String, _ fail: Fail) throws(ContentPolicyError) -> ContentMatcher {
        let regex: NSRegularExpression
        do { regex = try NSRegularExpression(pattern: pattern) } catch {
            throw fail(path, "'\(pattern)' is not a valid regular expression")
        }
        for probe in ["", "x", " "] where regex.firstMatch(in: probe, range: NSRange(location: 0, length: probe.utf16.count)).map({ $0.range.length == 0 }) == true {
            throw fail(path, "'\(pattern)' matches the empty string, so it would match every text")
        }
        return ContentMatcher(regex: regex, source: pattern)
    }
}
