// The output side of the content filter while text streams: generated text is held back by the
// policy's window (and from the start of any match that more text could still complete), so a blocked
// phrase up to the window's length never reaches the client, even when it arrives split across many
// tokens. A match that ends before the newest text is final and stops the answer; at the end of the
// answer whatever is still held is checked once more, so streamed and whole answers get the same verdict.
import Foundation

/// Feeds generated text through a ``ContentPolicy``'s output categories.
///
/// ```swift
/// var filter = StreamingContentFilter(policy: policy)
/// for piece in pieces { send(filter.feed(piece)); if filter.blocked != nil { break } }
/// if filter.blocked == nil { send(filter.finish()) }          // then finish_reason content_filter or the model's
/// ```
public struct StreamingContentFilter: Sendable {
    public let policy: ContentPolicy
    /// The category that stopped the answer, once one has.
    public private(set) var blocked: String?
    /// The end of the text already released, kept so a match straddling it is still seen (UTF-16 units).
    private var tail = ""
    private var pending = ""
    private let tailLength: Int

    public init(policy: ContentPolicy) {
        self.policy = policy
        tailLength = max(2 * policy.streamWindow, 64)          // matches up to this long are seen across the release point
    }

    /// Text that may go to the client now (possibly empty); nothing once ``blocked`` is set.
    public mutating func feed(_ piece: String) -> String {
        guard blocked == nil else { return "" }
        pending += piece
        let buffer = tail + pending
        let end = buffer.utf16.count
        let released = tail.utf16.count                       // matches inside it were judged before
        let matches = policy.blockingMatches(in: buffer, direction: .output).filter { NSMaxRange($0.range) > released }
        if let final = matches.first(where: { NSMaxRange($0.range) < end }) {
            block(final.category)
            return ""
        }
        // Keep the last `streamWindow` units and everything from the earliest match that is still open.
        var cut = end - policy.streamWindow
        if let open = matches.min(by: { $0.range.location < $1.range.location }) {
            // An open match that keeps growing (`\S+` over a run without spaces) is taken as final
            // rather than holding, and re-scanning, ever more text.
            if end - open.range.location > Self.maxOpenMatch { block(open.category); return "" }
            cut = min(cut, open.range.location)
        }
        let cutInPending = cut - released
        guard cutInPending > 0 else { return "" }
        let split = Self.index(in: pending, utf16Offset: cutInPending)
        let out = String(pending[..<split])
        pending = String(pending[split...])
        tail = Self.suffix(tail + out, utf16Count: tailLength)
        return out
    }

    /// The text still held when the answer ends: all of it when clean, nothing (and ``blocked`` set)
    /// when it completes a blocked phrase.
    public mutating func finish() -> String {
        guard blocked == nil else { return "" }
        let released = tail.utf16.count
        if let hit = policy.blockingMatches(in: tail + pending, direction: .output).first(where: { NSMaxRange($0.range) > released }) {
            block(hit.category)
            return ""
        }
        defer { tail = Self.suffix(tail + pending, utf16Count: tailLength); pending = "" }
        return pending
    }

    /// Longest open match held before it counts as final (UTF-16 units).
    static let maxOpenMatch = 4096

    private mutating func block(_ category: String) { blocked = category; pending = "" }

    /// The index `offset` UTF-16 units into `s`, moved back to a Unicode scalar boundary.
    static func index(in s: String, utf16Offset offset: Int) -> String.Index {
        var i = s.utf16.index(s.utf16.startIndex, offsetBy: min(offset, s.utf16.count))
        while i > s.startIndex, i.samePosition(in: s.unicodeScalars) == nil { i = s.utf16.index(before: i) }
        return i
    }

    /// The last `n` UTF-16 units of `s`, starting at a scalar boundary.
    static func suffix(_ s: String, utf16Count n: Int) -> String {
        let count = s.utf16.count
        guard count > n else { return s }
        var i = s.utf16.index(s.utf16.startIndex, offsetBy: count - n)
        while i < s.endIndex, i.samePosition(in: s.unicodeScalars) == nil { i = s.utf16.index(after: i) }
        return String(s[i...])
    }
}
