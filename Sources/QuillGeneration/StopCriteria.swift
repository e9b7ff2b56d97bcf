// Stop strings over streamed text: emits only text that cannot be the start of a stop string,
// and cuts the output just before the first stop string found (as the OpenAI API's `stop` does).

struct StopStringFilter {
    let stops: [[UInt8]]
    private(set) var text: [UInt8] = []
    private(set) var emitted = 0

    init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty }.map { Array($0.utf8) } }

    /// Appends complete UTF-8 text; returns what may be shown now and whether a stop string was hit.
    mutating func append(_ bytes: [UInt8]) -> (release: [UInt8], stopped: Bool) {
        text += bytes
        // Earliest full match among all stop strings (searching only where a new match could start).
        let searchFrom = max(0, emitted - (stops.map(\.count).max() ?? 0))
        var cut: Int?
        for s in stops {
            if let at = firstIndex(of: s, from: searchFrom), at < (cut ?? Int.max) { cut = at }
        }
        if let cut {
            let release = Array(text[emitted..<max(emitted, cut)])
            emitted = max(emitted, cut)
            text.removeSubrange(cut...)
            return (release, true)
        }
        // Hold back the longest suffix that is a proper prefix of some stop string.
        var hold = 0
        for s in stops {
            for n in stride(from: min(s.count - 1, text.count - emitted), to: hold, by: -1)
            where text[(text.count - n)...].elementsEqual(s[0..<n]) {
                hold = n
                break
            }
        }
        let upTo = text.count - hold
        let release = Array(text[emitted..<upTo])
        emitted = upTo
        return (release, false)
    }

    /// Whatever is still held back (at the end of generation, when no stop string completed).
    mutating func flush() -> [UInt8] {
        let rest = Array(text[emitted...])
        emitted = text.count
        return rest
    }

    private func firstIndex(of needle: [UInt8], from start: Int) -> Int? {
        guard needle.count <= text.count else { return nil }
        var i = start
        while i + needle.count <= text.count {
            if text[i] == needle[0] && text[i..<i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
