// A content filter's rules: named categories, each with word lists and/or regular expressions, an
// action (block or flag) and the directions it applies to (input, output), plus the input bounds and
// the streaming hold-back window. Loaded from a JSON policy file (ContentPolicy+Loading); matched here.
// Words match case-insensitively as whole words (a space in a phrase matches any run of whitespace);
// patterns are ICU regular expressions (NSRegularExpression), as written.
import Foundation

/// Which side of the model a text is on.
public enum ContentDirection: String, Sendable, CaseIterable {
    case input, output
}

/// What a category does when it matches.
public enum ContentAction: String, Sendable, CaseIterable {
    /// Refuse the input or stop the output (`finish_reason: content_filter`).
    case block
    /// Report the match (moderations, the `x-quill-content-flags` header) and go on.
    case flag
}

/// The outcome of checking one text.
public struct ContentVerdict: Sendable, Equatable {
    /// Every category that matched, in policy order.
    public var matched: [String]
    /// The matched categories whose action is block.
    public var blocked: [String]

    public var isBlocked: Bool { !blocked.isEmpty }
    public var isFlagged: Bool { !matched.isEmpty }
    public static let clean = ContentVerdict(matched: [], blocked: [])
}

/// A compiled regular expression (NSRegularExpression is immutable once made, so it is shared freely).
struct ContentMatcher: @unchecked Sendable {
    let regex: NSRegularExpression
    let source: String
}

/// Rules for the content filter (see the file header and docs/safety.md).
public struct ContentPolicy: Sendable {
    public struct Category: Sendable {
        public var name: String
        public var action: ContentAction
        public var directions: Set<ContentDirection>
        public var words: [String]
        public var patterns: [String]
        /// One matcher for all words, then one per pattern.
        let matchers: [ContentMatcher]
    }

    /// The id `/v1/moderations` answers with as its `model`.
    public var name: String
    public var input: InputLimits
    /// Characters of output held back while streaming, so a blocked phrase up to this long never
    /// reaches the client before it is recognised.
    public var streamWindow: Int
    public var categories: [Category]

    /// No categories, default input bounds, hidden characters stripped.
    public init(name: String = "quill-content-policy", input: InputLimits = InputLimits()) {
        self.name = name; self.input = input; streamWindow = 0; categories = []
    }

    /// Whether any category can act on `direction`.
    public func filters(_ direction: ContentDirection) -> Bool { categories.contains { $0.directions.contains(direction) } }

    /// The categories `text` matches on `direction` (nil: every category, as `/v1/moderations` asks).
    public func evaluate(_ text: String, direction: ContentDirection?) -> ContentVerdict {
        var verdict = ContentVerdict.clean
        let range = NSRange(text.startIndex..., in: text)
        for category in categories where direction.map(category.directions.contains) ?? true {
            guard category.matchers.contains(where: { $0.regex.firstMatch(in: text, range: range) != nil }) else { continue }
            verdict.matched.append(category.name)
            if category.action == .block { verdict.blocked.append(category.name) }
        }
        return verdict
    }

    /// The input categories the user and tool messages of a conversation match (system, developer and
    /// assistant turns are the operator's and the model's words, not checked here).
    public func evaluate(_ messages: [ChatMessage]) -> ContentVerdict {
        var verdict = ContentVerdict.clean
        guard filters(.input) else { return verdict }
        for m in messages where m.role == "user" || m.role == "tool" {
            guard let text = m.content, !text.isEmpty else { continue }
            let v = evaluate(text, direction: .input)
            verdict.matched += v.matched.filter { !verdict.matched.contains($0) }
            verdict.blocked += v.blocked.filter { !verdict.blocked.contains($0) }
        }
        return verdict
    }

    /// Every match of a blocking category on `direction` in `text` (UTF-16 ranges), for the stream filter.
    func blockingMatches(in text: String, direction: ContentDirection) -> [(category: String, range: NSRange)] {
        var out: [(category: String, range: NSRange)] = []
        let range = NSRange(text.startIndex..., in: text)
        for category in categories where category.action == .block && category.directions.contains(direction) {
            for matcher in category.matchers {
                for match in matcher.regex.matches(in: text, range: range) { out.append((category.name, match.range)) }
            }
        }
        return out
    }

    /// The regular expression a word list compiles to: each entry escaped, whitespace inside a phrase
    /// matching any whitespace run, and no letter, digit or underscore directly before or after.
    static func wordPattern(_ words: [String]) -> String {
        let alternatives = words.map { word in
            word.split(whereSeparator: \.isWhitespace).map { NSRegularExpression.escapedPattern(for: String($0)) }.joined(separator: "\\s+")
        }
        return "(?<![\\p{L}\\p{N}_])(?:" + alternatives.joined(separator: "|") + ")(?![\\p{L}\\p{N}_])"
    }
}
