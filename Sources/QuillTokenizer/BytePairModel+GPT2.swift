// GPT-2's pre-tokenization specialised for ASCII, the hot loop of GPT-2 encoding: each byte's class comes
// from one 256-entry table (no UTF-8 decoding), and the piece goes straight to the caches. A piece that
// touches a byte ≥ 0x80 is handed to the general state machine (`PreTokenizer`), so the pieces — and ids —
// are exactly those of `encodeGeneral` (tested against it on random text).

/// What GPT-2's pattern needs to know about one byte.
enum GPT2ByteKind {
    static let letter: UInt8 = 0      // [A-Za-z]
    static let digit: UInt8 = 1       // [0-9]
    static let other: UInt8 = 2       // ASCII, not letter, digit, whitespace or apostrophe
    static let apostrophe: UInt8 = 3  // ' (starts a contraction, else "other")
    static let space: UInt8 = 4       // U+0020 (the optional prefix of letter / digit / other runs)
    static let whitespace: UInt8 = 5  // \t \n \v \f \r
    static let nonASCII: UInt8 = 6    // ≥ 0x80: the general path decides

    /// The 256-entry table, allocated once for the process.
    static let table: UnsafeMutablePointer<UInt8> = {
        let ascii = UnicodeClassTable.shared.ascii
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for b in 0..<256 {
            let cls = b < 0x80 ? CharacterClass(rawValue: ascii[b]) : []
            table[b] = b >= 0x80 ? nonASCII
                : b == 0x27 ? apostrophe
                : b == 0x20 ? space
                : cls.contains(.whitespace) ? whitespace
                : cls.contains(.letter) ? letter
                : cls.contains(.number) ? digit
                : other
        }
        return table
    }()
}

extension BytePairModel {
    /// `encodeOrdinary` for the GPT-2 pattern (same result as `encodeGeneral`).
    func encodeGPT2(_ text: UnsafeBufferPointer<UInt8>, state: inout EncodeState) -> Int {
        guard let base = text.baseAddress else { return 0 }
        let pre = PreTokenizer(bytes: text, pattern: .gpt2)
        let kind = UnsafePointer(GPT2ByteKind.table)
        let n = text.count
        var i = 0
        while i < n {
            var end = Self.gpt2ASCIIPieceEnd(base, from: i, count: n, kind: kind)
            if end < 0 { end = pre.pieceEnd(from: i) }
            guard state.output.ensure(end - i) else { return i }  // BPE never gives more ids than bytes
            emitPiece(base + i, end - i, readable: n - i, state: &state)
            i = end
        }
        return n
    }

    /// The end of the GPT-2 piece starting at `i` when the piece and the byte that ends it are ASCII; -1 when
    /// a byte ≥ 0x80 could change the answer. The alternatives of
    /// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`, in order.
    @inline(__always)
    static func gpt2ASCIIPieceEnd(_ p: UnsafePointer<UInt8>, from i: Int, count n: Int,
                                  kind: UnsafePointer<UInt8>) -> Int {
        var k = kind[Int(p[i])]
        var j = i
        if k == GPT2ByteKind.apostrophe, let end = contraction(p, at: i, count: n) { return end }
        if k == GPT2ByteKind.space {
            guard i + 1 < n else { return n }  // a final lone space: `\s++$`
            let next = kind[Int(p[i + 1])]
            if next < GPT2ByteKind.space { j = i + 1; k = next }  // ` ?` before a letter, digit or other run
            else if next == GPT2ByteKind.nonASCII { return -1 }
        }
        switch k {
        case GPT2ByteKind.letter, GPT2ByteKind.digit:
            j += 1
            while j < n && kind[Int(p[j])] == k { j += 1 }
        case GPT2ByteKind.other, GPT2ByteKind.apostrophe:
            j += 1
            while j < n && (kind[Int(p[j])] == GPT2ByteKind.other || kind[Int(p[j])] == GPT2ByteKind.apostrophe) { j += 1 }
        case GPT2ByteKind.space, GPT2ByteKind.whitespace:
            j += 1
            while j < n && kind[Int(p[j])] >= GPT2ByteKind.space && kind[Int(p[j])] <= GPT2ByteKind.whitespace { j += 1 }
            if j == n { return n }  // `\s++$`
            if p[j] >= 0x80 { return -1 }  // U+00A0, U+3000, ... would extend the run
            return j - i >= 2 ? j - 1 : j  // `\s+(?!\S)` leaves the last space to the next piece; else `\s`
        default:
            return -1
        }
        return j < n && p[j] >= 0x80 ? -1 : j  // a non-ASCII letter / digit / symbol might continue the run
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` (case-sensitive) at `i`, which holds an apostrophe; the end of the match or nil.
    @inline(__always)
    static func contraction(_ p: UnsafePointer<UInt8>, at i: Int, count n: Int) -> Int? {
        guard i + 1 < n else { return nil }
        switch p[i + 1] {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76:  // r v
            return i + 2 < n && p[i + 2] == 0x65 ? i + 3 : nil  // re ve
        case 0x6C:
            return i + 2 < n && p[i + 2] == 0x6C ? i + 3 : nil  // ll
        default:
            return nil
        }
    }
}
