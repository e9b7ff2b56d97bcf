// The two ways a SentencePiece-style word is built from its characters: by piece score (llama.cpp's
// llm_tokenizer_spm_session: any adjacent pair whose concatenation is a piece, highest score first) and
// by merge rank (Hugging Face BPE / llama.cpp's BPE session over raw UTF-8), each with byte fallback.

/// A candidate pair for score merging: highest score first, ties to the leftmost.
struct ScoredPair: HeapOrdering {
    let score: Float
    let left: Int32
    let right: Int32
    let size: Int32
    @inline(__always) static func precedes(_ a: Self, _ b: Self) -> Bool {
        a.score > b.score || (a.score == b.score && a.left < b.left)
    }
}

extension SentencePieceTokenizer {
    /// Symbols of a word: one per UTF-8 character (a stray continuation byte is a character of its own,
    /// as llama.cpp's `unicode_len_utf8` reads it), linked left to right.
    struct Symbols {
        var start: [Int32] = []
        var length: [Int32] = []
        var previous: [Int32] = []
        var next: [Int32] = []

        init(_ text: UnsafeBufferPointer<UInt8>, _ word: Range<Int>) {
            var offset = word.lowerBound
            var k: Int32 = 0
            while offset < word.upperBound {
                let lead = text[offset]
                let width = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                let n = min(width, word.upperBound - offset)
                start.append(Int32(offset)); length.append(Int32(n))
                previous.append(k - 1)
                offset += n
                next.append(offset == word.upperBound ? -1 : k + 1)
                k += 1
            }
        }

        /// Joins `right` into `left`.
        mutating func merge(_ left: Int, _ right: Int) {
            length[left] += length[right]
            length[right] = 0
            next[left] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(left) }
        }
    }

    /// Appends the ids of one word of `text` (prepared: prefix added, spaces escaped).
    func encodeWord(_ text: [UInt8], _ word: Range<Int>, into output: inout [Int]) {
        text.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            if options.ignoresMerges || (options.newlineRunsWhole && buffer[word].allSatisfy({ $0 == 0x0A })),
               let id = index.id(base + word.lowerBound, word.count) {
                output.append(id)
                return
            }
            switch merging {
            case .scores(let scores): mergeByScore(buffer, word, scores, into: &output)
            case .ranks(let merges): mergeByRank(buffer, word, merges, into: &output)
            }
        }
    }

    /// llama.cpp's SentencePiece merge: seed every adjacent pair whose text is a piece, then repeatedly
    /// join the best one still current (its two symbols unmerged and of the lengths it was made from).
    private func mergeByScore(_ text: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, _ scores: [Float],
                              into output: inout [Int]) {
        let base = text.baseAddress!
        var symbols = Symbols(text, word)
        var queue = BinaryHeap<ScoredPair>()
        func tryPair(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let size = symbols.length[Int(left)] + symbols.length[Int(right)]
            guard let id = index.id(base + Int(symbols.start[Int(left)]), Int(size)) else { return }
            queue.push(ScoredPair(score: scores[id], left: left, right: right, size: size))
        }
        for k in 1..<max(symbols.start.count, 1) { tryPair(Int32(k - 1), Int32(k)) }
        while let pair = queue.pop() {
            let l = Int(pair.left), r = Int(pair.right)
            guard symbols.length[l] > 0, symbols.length[r] > 0, symbols.length[l] + symbols.length[r] == pair.size else { continue }
            symbols.merge(l, r)
            tryPair(symbols.previous[l], pair.left)
            tryPair(pair.left, symbols.next[l])
        }
        var k: Int32 = symbols.start.isEmpty ? -1 : 0
        while k >= 0 {
            let start = Int(symbols.start[Int(k)]), n = Int(symbols.length[Int(k)])
            if let id = index.id(base + start, n) { output.append(id) } else { appendBytes(text, start..<(start + n), into: &output) }
            k = symbols.next[Int(k)]
        }
    }

    /// Rank merging: symbols carry ids (-1 for a character that is no piece); the listed pair of lowest
    /// rank is joined first, ties to the leftmost, as Hugging Face's `Word::merge_all`.
    private func mergeByRank(_ text: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, _ merges: PairMap,
                             into output: inout [Int]) {
        let base = text.baseAddress!
        var symbols = Symbols(text, word)
        var ids = [Int32](repeating: -1, count: symbols.start.count)
        for k in 0..<ids.count {
            ids[k] = index.id(base + Int(symbols.start[k]), Int(symbols.length[k])).map(Int32.init) ?? -1
        }
        if options.bytesBeforeMerging && ids.contains(-1) { splitUnknownIntoBytes(&symbols, &ids, text) }
        var queue = BinaryHeap<RankedMerge>()
        func tryPair(_ left: Int32) {
            guard left >= 0 else { return }
            let right = symbols.next[Int(left)]
            guard right >= 0, ids[Int(left)] >= 0, ids[Int(right)] >= 0 else { return }
            let found = merges.lookup(UInt32(ids[Int(left)]), UInt32(ids[Int(right)]))
            guard found != PairMap.empty else { return }
            queue.push(RankedMerge(rank: found >> 32, position: Int(left)))
        }
        for k in 0..<ids.count { tryPair(Int32(k)) }
        while let merge = queue.pop() {
            let l = merge.position
            let r = Int(symbols.next[l])
            guard symbols.length[l] > 0, r >= 0, ids[l] >= 0, ids[r] >= 0 else { continue }
            let found = merges.lookup(UInt32(ids[l]), UInt32(ids[r]))
            guard found != PairMap.empty, found >> 32 == merge.rank else { continue }
            symbols.merge(l, r)
            ids[l] = Int32(truncatingIfNeeded: found & 0xFFFF_FFFF)
            tryPair(symbols.previous[l])
            tryPair(Int32(l))
        }
        var k: Int32 = ids.isEmpty ? -1 : 0
        var lastWasUnknown = false
        while k >= 0 {
            let s = Int(k)
            if ids[s] >= 0 {
                output.append(Int(ids[s]))
                lastWasUnknown = false
            } else {
                let start = Int(symbols.start[s])
                let fused = options.fusesUnknown && lastWasUnknown
                lastWasUnknown = appendBytes(text, start..<(start + Int(symbols.length[s])), into: &output, skipUnknown: fused)
            }
            k = symbols.next[s]
        }
    }

    /// Hugging Face byte fallback: a character that is no piece becomes one symbol per byte when every
    /// byte has its `<0xNN>` token (otherwise it stays unknown).
    private func splitUnknownIntoBytes(_ symbols: inout Symbols, _ ids: inout [Int32], _ text: UnsafeBufferPointer<UInt8>) {
        var result = Symbols(text, 0..<0)
        var resultIDs: [Int32] = []
        for k in 0..<ids.count {
            let start = Int(symbols.start[k]), n = Int(symbols.length[k])
            let bytes = (start..<(start + n)).map { byteIDs[Int(text[$0])] }
            if ids[k] < 0 && !bytes.contains(-1) {
                for (j, id) in bytes.enumerated() { result.append(start + j, 1); resultIDs.append(id) }
            } else {
                result.append(start, n); resultIDs.append(ids[k])
            }
        }
        symbols = result
        ids = resultIDs
    }

    /// A stretch no piece covers: its bytes' tokens, or (when some byte has none) the unknown id.
    /// Returns true when the unknown id stood for it.
    @discardableResult
    private func appendBytes(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into output: inout [Int],
                             skipUnknown: Bool = false) -> Bool {
        let ids = range.map { byteIDs[Int(text[$0])] }
        if options.byteFallback && !ids.contains(-1) {
            output += ids.map(Int.init)
            return false
        }
        if let unknownID {
            if !skipUnknown { output.append(unknownID) }
            return true
        }
        return false
    }
}

extension SentencePieceTokenizer.Symbols {
    /// Appends a symbol at the end of the chain.
    mutating func append(_ offset: Int, _ count: Int) {
        let k = Int32(start.count)
        if k > 0 { next[Int(k) - 1] = k }
        start.append(Int32(offset)); length.append(Int32(count))
        previous.append(k - 1); next.append(-1)
    }
}
