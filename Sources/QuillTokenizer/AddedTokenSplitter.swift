// Cuts text at added tokens before the model sees it: control tokens (`<|im_start|>`, `<s>`) only when
// the caller parses special text, user-defined ones always — llama.cpp's `tokenizer_st_partition`
// (longest token first over the whole text) or Hugging Face's leftmost-longest matching.

/// A token matched as a whole in text rather than built by the model's merges.
public struct AddedToken: Sendable, Equatable {
    public var text: String
    public var id: Int
    /// Matched only when special text is parsed (llama.cpp control / unknown tokens, Hugging Face
    /// `special: true`); otherwise always (llama.cpp user-defined tokens, Hugging Face `special: false`).
    public var isControl: Bool
    /// Whitespace before the token is dropped (llama.cpp LSTRIP, Hugging Face `lstrip`).
    public var stripsLeft: Bool
    /// Whitespace after the token is dropped.
    public var stripsRight: Bool

    public init(text: String, id: Int, isControl: Bool, stripsLeft: Bool = false, stripsRight: Bool = false) {
        self.text = text; self.id = id; self.isControl = isControl
        self.stripsLeft = stripsLeft; self.stripsRight = stripsRight
    }
}

/// One stretch of input after splitting: text for the model, or an added token's id.
enum TextSegment: Equatable {
    case text(Range<Int>)
    case token(Int)
}

/// Finds added tokens in UTF-8 text.
struct AddedTokenSplitter: Sendable {
    enum Order: Sendable {
        /// llama.cpp: each token in turn, longest first, splits every remaining stretch of text.
        case longestFirst
        /// Hugging Face: scanning left to right, the longest token starting at each place.
        case leftmostLongest
    }

    private struct Entry: Sendable {
        let bytes: [UInt8]
        let token: AddedToken
    }

    let order: Order
    private let entries: [Entry]
    /// Indices into `entries` by first byte, longest (then lowest id) first.
    private let byFirstByte: [[Int]]
    let hasUserDefined: Bool
    let isEmpty: Bool

    init(_ tokens: [AddedToken], order: Order) {
        self.order = order
        let sorted = tokens.filter { !$0.text.isEmpty }
            .sorted { $0.text.utf8.count != $1.text.utf8.count ? $0.text.utf8.count > $1.text.utf8.count : $0.id < $1.id }
        entries = sorted.map { Entry(bytes: Array($0.text.utf8), token: $0) }
        var buckets = [[Int]](repeating: [], count: 256)
        for (k, entry) in entries.enumerated() { buckets[Int(entry.bytes[0])].append(k) }
        byFirstByte = buckets
        hasUserDefined = tokens.contains { !$0.isControl }
        isEmpty = entries.isEmpty
    }

    /// Whether any token would be matched for this `parseSpecial`.
    func matchesAnything(parseSpecial: Bool) -> Bool { parseSpecial ? !isEmpty : hasUserDefined }

    /// Splits `text` into segments, in order.
    func segments(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [TextSegment] {
        guard matchesAnything(parseSpecial: parseSpecial) else { return text.isEmpty ? [] : [.text(0..<text.count)] }
        var found = occurrences(text, parseSpecial: parseSpecial)    // (start, entry), by start
        var chosen: [(start: Int, entry: Int)] = []
        switch order {
        case .leftmostLongest:
            var end = 0
            for (start, k) in found where start >= end {                // longest first at each start
                chosen.append((start, k))
                end = start + entries[k].bytes.count
            }
        case .longestFirst:
            // Entries are ranked by (length, id): take each entry's occurrences left to right, skipping any
            // that overlap a region already taken.
            found.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
            var taken: [Range<Int>] = []                               // sorted, disjoint
            for (start, k) in found {
                let range = start..<(start + entries[k].bytes.count)
                var lowIndex = 0, highIndex = taken.count              // first taken range ending after start
                while lowIndex < highIndex {
                    let mid = (lowIndex + highIndex) / 2
                    if taken[mid].upperBound <= range.lowerBound { lowIndex = mid + 1 } else { highIndex = mid }
                }
                if lowIndex < taken.count && taken[lowIndex].lowerBound < range.upperBound { continue }
                taken.insert(range, at: lowIndex)
                chosen.append((start, k))
            }
            chosen.sort { $0.start < $1.start }
        }
        return assemble(text, chosen)
    }

    /// Every place an eligible token occurs, by start (longest first at one start).
    private func occurrences(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [(Int, Int)] {
        var found: [(Int, Int)] = []
        let n = text.count
        for i in 0..<n {
            for k in byFirstByte[Int(text[i])] {
                let entry = entries[k]
                guard entry.bytes.count <= n - i, parseSpecial || !entry.token.isControl else { continue }
                var equal = true
                for (j, b) in entry.bytes.enumerated() where text[i + j] != b { equal = false; break }
                if equal { found.append((i, k)) }
            }
        }
        return found
    }

    /// Text and token segments from the chosen matches, applying each token's whitespace stripping.
    private func assemble(_ text: UnsafeBufferPointer<UInt8>, _ chosen: [(start: Int, entry: Int)]) -> [TextSegment] {
        @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        var segments: [TextSegment] = []
        var position = 0
        var stripNextLeft = false
        for (start, k) in chosen {
            let token = entries[k].token
            var left = position
            var right = start
            if stripNextLeft { while left < right && isSpace(text[left]) { left += 1 } }
            if token.stripsLeft { while right > left && isSpace(text[right - 1]) { right -= 1 } }
            if left < right { segments.append(.text(left..<right)) }
            segments.append(.token(token.id))
            position = start + entries[k].bytes.count
            stripNextLeft = token.stripsRight
        }
        var left = position
        if stripNextLeft { while left < text.count && isSpace(text[left]) { left += 1 } }
        if left < text.count { segments.append(.text(left..<text.count)) }
        return segments
    }
}
