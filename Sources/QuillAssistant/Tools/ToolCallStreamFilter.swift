// Streaming side of tool calling: passes an answer's text through as it is generated until a tool call
// may be starting (a start marker, or a partial one at the end, or JSON opening the answer), then holds
// the rest, so call markup never reaches the client as content; at the end the held text is parsed.
import Foundation

/// Splits a streamed answer into content to send now and, at the end, its tool calls.
///
/// ```swift
/// var filter = ToolCallStreamFilter(parser: ToolCallParser(format: .hermes))
/// send(filter.feed("Let me check. <tool_"))   // "Let me check. "
/// send(filter.feed("call>{\"name\": ..."))    // ""
/// let tail = filter.finish()                  // content left and the calls
/// ```
public struct ToolCallStreamFilter: Sendable {
    public let parser: ToolCallParser
    private var text = ""
    /// UTF-8 length of the prefix already handed out as content.
    private var emitted = 0
    private var holding = false

    public init(parser: ToolCallParser) { self.parser = parser }

    /// Adds generated text; returns the part that is surely content (may be empty).
    public mutating func feed(_ piece: String) -> String {
        text += piece
        guard !holding else { return "" }
        let pending = String(decoding: Array(text.utf8)[emitted...], as: UTF8.self)
        if emitted == 0 {
            let lead = pending.drop(while: { $0.isWhitespace })
            if lead.isEmpty { return "" }
            if lead.first == "{" || lead.first == "[" || lead.hasPrefix("`") { holding = true; return "" }
        }
        var safe = pending.utf8.count
        for marker in parser.format.startMarkers {
            if let r = pending.range(of: marker) {
                safe = min(safe, pending.utf8.distance(from: pending.startIndex, to: r.lowerBound))
                holding = true
            } else {
                safe = min(safe, pending.utf8.count - Self.partialSuffix(pending, of: marker))
            }
        }
        let out = String(decoding: Array(pending.utf8)[..<safe], as: UTF8.self)
        emitted += safe
        return out
    }

    /// Ends the answer: the content still to send (nil when none) and the calls of the held text. When the
    /// held text is no call after all, it is all content.
    public mutating func finish() -> ParsedToolOutput {
        let held = String(decoding: Array(text.utf8)[emitted...], as: UTF8.self)
        emitted = text.utf8.count
        if held.isEmpty { return ParsedToolOutput(content: nil, calls: []) }
        let parsed = parser.parse(held)
        if parsed.calls.isEmpty { return ParsedToolOutput(content: held, calls: []) }
        return parsed
    }

    /// The whole answer so far.
    public var fullText: String { text }

    /// Length in UTF-8 bytes of the longest suffix of `s` that is a proper prefix of `marker`.
    static func partialSuffix(_ s: String, of marker: String) -> Int {
        let a = Array(s.utf8), m = Array(marker.utf8)
        var n = min(a.count, m.count - 1)
        while n > 0 {
            if Array(a[(a.count - n)...]) == Array(m[..<n]) { return n }
            n -= 1
        }
        return 0
    }
}
