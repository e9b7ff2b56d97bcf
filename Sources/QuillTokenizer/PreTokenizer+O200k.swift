// The o200k (GPT-4o) pre-tokenizer: case-aware letter runs. Its first two alternatives need
// backtracking (`P?A*B+C?` with overlapping classes A and B); this resolves them the way a
// leftmost-first backtracking engine would, in O(run length), without a regex engine.

extension PreTokenizer {
    func o200kPieceEnd(from i: Int) -> Int {
        let n = bytes.count
        let c0 = scalar(at: i)
        let prefixable = !c0.cls.contains(.letter) && !c0.cls.contains(.number) && !c0.cls.contains(.newline)
        // Alternative 1: [^\r\n\p{L}\p{N}]?[A]*[B]+(contraction)?  — prefix taken first, then not.
        if prefixable, i + c0.length < n, let end = upperStarLowerPlus(from: i + c0.length) {
            return withContraction(end)
        }
        if let end = upperStarLowerPlus(from: i) { return withContraction(end) }
        // Alternative 2: [^\r\n\p{L}\p{N}]?[A]+[B]*(contraction)?
        if prefixable, i + c0.length < n, let end = upperPlusLowerStar(from: i + c0.length) {
            return withContraction(end)
        }
        if let end = upperPlusLowerStar(from: i) { return withContraction(end) }
        if c0.cls.contains(.number) { return run(from: i, mask: .number, limit: 3) }
        if let end = punctuationEnd(from: i, first: c0, trailing: .crlfSlash) { return end }
        return whitespaceEnd(from: i, newlineRule: .beforeEndOfText)
    }

    /// `[A]*[B]+` at `s` with greedy backtracking: the end of the first successful match, or nil.
    private func upperStarLowerPlus(from s: Int) -> Int? {
        let n = bytes.count
        var j = s
        var afterLastLower = -1  // end of the last scalar inside the A-run that is also in B
        while j < n {
            let c = scalar(at: j)
            if !c.cls.contains(.upperish) { break }
            if c.cls.contains(.lowerish) { afterLastLower = j + c.length }
            j += c.length
        }
        // A* keeps the whole run if the next scalar starts B+ (it is then Ll); B+ runs greedily from there.
        if j < n && scalar(at: j).cls.contains(.lowerish) { return run(from: j, mask: .lowerish) }
        // Otherwise A* gives back scalars until B+ can start; B+ then ends at the next non-B scalar.
        return afterLastLower > 0 ? afterLastLower : nil
    }

    /// `[A]+[B]*` at `s`: A+ greedy succeeds at once, B* runs greedily after it.
    private func upperPlusLowerStar(from s: Int) -> Int? {
        let j = run(from: s, mask: .upperish)
        if j == s { return nil }
        return run(from: j, mask: .lowerish)
    }

    @inline(__always)
    private func withContraction(_ end: Int) -> Int {
        if end + 1 < bytes.count && bytes[end] == 0x27, let c = contraction(at: end, caseInsensitive: true, foldsLongS: true) {
            return c
        }
        return end
    }
}
