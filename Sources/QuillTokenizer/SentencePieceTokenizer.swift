// SentencePiece-style tokenizer: pieces are raw UTF-8 with spaces written as ▁ (U+2581), merged from
// single characters either by piece score (llama.cpp's llm_tokenizer_spm, Llama 2) or by merge rank
// (Hugging Face BPE with byte_fallback, Gemma 4), with `<0xNN>` byte tokens for what no piece covers.

/// A SentencePiece-style tokenizer (GGUF `tokenizer.ggml.model = llama` / `gemma4`, or a `tokenizer.json`
/// BPE model with `byte_fallback` and Metaspace / Prepend+Replace).
///
/// ```swift
/// let llama2 = try GGUFTokenizer.load(GGUFFile(url: spmURL))!   // a SentencePieceTokenizer
/// llama2.encode("Hello world")                                   // [15043, 3186]  ("▁Hello", "▁world")
/// ```
public struct SentencePieceTokenizer: Tokenizer {
    /// How adjacent pieces are chosen for merging.
    enum Merging: Sendable {
        /// The pair whose concatenation is the highest-scoring piece first (ties: leftmost); any
        /// concatenation that is a piece may form (SentencePiece BPE as llama.cpp runs it).
        case scores([Float])
        /// The listed merge of lowest rank first (ties: leftmost), as Hugging Face BPE.
        case ranks(PairMap)
    }

    /// Where a ▁ is put before a stretch of text.
    public enum SpacePrefix: Sendable, Equatable {
        case none
        /// Before the first stretch and every stretch after an added token, even one that starts with
        /// a space (llama.cpp `add_space_prefix`; Hugging Face normalizer `Prepend("▁")`).
        case everySegment
        /// Metaspace `prepend_scheme: always`: before every stretch that does not start with ▁.
        case metaspaceAlways
        /// Metaspace `prepend_scheme: first`: only before the stretch at the start of the text.
        case metaspaceFirst
    }

    /// How the text around added tokens is cut and written before merging.
    public struct Options: Sendable {
        public var spacePrefix: SpacePrefix = .everySegment
        /// Spaces become ▁ before merging.
        public var escapesSpaces = true
        /// Runs of newlines and runs of other text are merged separately (llama.cpp's gemma4 split).
        public var splitsAtNewlines = false
        /// A run of newlines that is itself a piece is emitted whole (llama.cpp's Gemma 4 fix).
        public var newlineRunsWhole = false
        /// Metaspace `split: true`: each ▁ starts a new word.
        public var splitsAtSpaceMarker = false
        /// A word that is itself a piece is emitted whole (Hugging Face `ignore_merges`).
        public var ignoresMerges = false
        /// Characters no piece spells become their `<0xNN>` tokens before merging (Hugging Face)
        /// rather than after (llama.cpp; the same ids unless byte tokens take part in merges).
        public var bytesBeforeMerging = false
        /// Consecutive unknown characters give one unknown id (Hugging Face `fuse_unk`).
        public var fusesUnknown = false
        /// What no piece covers becomes `<0xNN>` byte tokens (else the unknown id).
        public var byteFallback = true
        public init() {}
    }

    /// How one id decodes.
    enum PieceKind: UInt8, Sendable {
        case text       // ▁ becomes a space
        case literal    // added / control tokens: their text as written
        case byte       // <0xNN>: that byte
        case silent     // unused ids: nothing
    }

    let pieces: [[UInt8]]
    let kinds: [PieceKind]
    let byteValues: [UInt8]
    let index: TokenTextIndex
    let merging: Merging
    let options: Options
    /// The id of each byte's `<0xNN>` token (or of the one-byte piece), -1 when there is none.
    let byteIDs: [Int32]
    /// The added tokens with how each is matched in text.
    public let addedTokens: [AddedToken]
    let splitter: AddedTokenSplitter

    public var unknownID: Int?
    public var beginningOfSequenceID: Int?
    /// The end-of-sequence id.
    public var endOfTextID: Int?
    public var addsBeginningOfSequence = false
    public var addsEndOfSequence = false
    public var endOfGenerationIDs: Set<Int> = []

    public var vocabularySize: Int { pieces.count }

    /// `pieces[id]` is the text of id (empty for ids that have none); `kinds` says how each decodes.
    /// Throws when the score list does not match the pieces.
    init(pieces: [String], index: TokenTextIndex, kinds: [PieceKind], merging: Merging, options: Options,
         addedTokens: [AddedToken], splitOrder: AddedTokenSplitter.Order = .longestFirst, unknownID: Int?,
         source: String) throws(TokenizerError) {
        if case .scores(let scores) = merging, scores.count != pieces.count {
            throw .malformedTokenizerFile(path: source, reason: "\(scores.count) scores for \(pieces.count) pieces")
        }
        precondition(kinds.count == pieces.count, "one kind per piece")
        for token in addedTokens where token.id < 0 || token.id >= pieces.count {
            throw .malformedTokenizerFile(path: source, reason: "added token '\(token.text)' has id \(token.id), outside the "
                + "\(pieces.count) pieces")
        }
        self.pieces = pieces.map { Array($0.utf8) }
        self.index = index
        var kinds = kinds
        var values = [UInt8](repeating: 0, count: pieces.count)
        for (id, kind) in kinds.enumerated() where kind == .byte {
            if let value = Self.byteValue(pieces[id]) { values[id] = value } else { kinds[id] = .text }
        }
        self.kinds = kinds
        byteValues = values
        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            let digits = Array("0123456789ABCDEF")
            let hex = "<0x\(digits[byte >> 4])\(digits[byte & 15])>"
            if let id = index.id(of: hex) {
                byteIDs[byte] = Int32(id)
            } else {
                var one = [UInt8(byte)]
                if let id = one.withUnsafeMutableBufferPointer({ index.id($0.baseAddress!, 1) }) { byteIDs[byte] = Int32(id) }
            }
        }
        self.byteIDs = byteIDs
        self.merging = merging
        self.options = options
        self.addedTokens = addedTokens.sorted { $0.id < $1.id }
        splitter = AddedTokenSplitter(addedTokens, order: splitOrder)
        self.unknownID = unknownID
    }

    /// The byte a `<0xNN>` piece stands for.
    static func byteValue(_ text: String) -> UInt8? {
        let b = Array(text.utf8)
        guard b.count == 6, b[0] == 0x3C, b[1] == 0x30, b[2] == 0x78, b[5] == 0x3E else { return nil }
        return UInt8(String(decoding: b[3...4], as: UTF8.self), radix: 16)
    }

    // MARK: Encoding

    public func encode(_ text: String) -> [Int] { encode(text, parseSpecial: false) }

    /// Encodes `text`: added tokens are cut out first (control ones only with `parseSpecial`), then
    /// each stretch between them gets its ▁ prefix, has spaces escaped and is merged.
    public func encode(_ text: String, parseSpecial: Bool) -> [Int] {
        var text = text
        return text.withUTF8 { buffer in
            var output: [Int] = []
            output.reserveCapacity(buffer.count / 3 + 4)
            var previousWasToken = true
            for segment in splitter.segments(buffer, parseSpecial: parseSpecial) {
                switch segment {
                case .token(let id):
                    output.append(id)
                    previousWasToken = true
                case .text(let range):
                    let prepared = prepare(UnsafeBufferPointer(rebasing: buffer[range]), atStart: range.lowerBound == 0,
                                           afterToken: previousWasToken)
                    for word in words(prepared) { encodeWord(prepared, word, into: &output) }
                    previousWasToken = false
                }
            }
            return output
        }
    }

    /// The stretch with its ▁ prefix and spaces escaped.
    func prepare(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool, afterToken: Bool) -> [UInt8] {
        let marker: [UInt8] = [0xE2, 0x96, 0x81]
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 2 + 3)
        let startsWithSpace = text.first == 0x20 && options.escapesSpaces || text.starts(with: marker)
        switch options.spacePrefix {
        case .none: break
        case .everySegment: if afterToken { out += options.escapesSpaces ? marker : [0x20] }
        case .metaspaceAlways: if !startsWithSpace { out += marker }
        case .metaspaceFirst: if atStart && !startsWithSpace { out += marker }
        }
        for byte in text {
            if byte == 0x20 && options.escapesSpaces { out += marker } else { out.append(byte) }
        }
        return out
    }

    /// The words of a prepared stretch that are merged separately.
    func words(_ text: [UInt8]) -> [Range<Int>] {
        guard !text.isEmpty else { return [] }
        var ranges: [Range<Int>] = []
        if options.splitsAtNewlines {
            var start = 0
            for i in 1..<text.count where (text[i] == 0x0A) != (text[i - 1] == 0x0A) {
                ranges.append(start..<i)
                start = i
            }
            ranges.append(start..<text.count)
        } else {
            ranges = [0..<text.count]
        }
        guard options.splitsAtSpaceMarker else { return ranges }
        var split: [Range<Int>] = []
        for range in ranges {
            var start = range.lowerBound
            var i = start + 1
            while i + 2 < range.upperBound {
                if text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                    split.append(start..<i)
                    start = i
                }
                i += 1
            }
            split.append(start..<range.upperBound)
        }
        return split
    }

    // MARK: Decoding

    /// Pieces with ▁ as spaces, byte tokens as their bytes, added tokens as their text; an id outside the
    /// vocabulary gives U+FFFD.
    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            guard id >= 0 && id < pieces.count else { bytes += [0xEF, 0xBF, 0xBD]; continue }
            switch kinds[id] {
            case .literal: bytes += pieces[id]
            case .byte: bytes.append(byteValues[id])
            case .silent: break
            case .text:
                let piece = pieces[id]
                var i = 0
                while i < piece.count {
                    if i + 2 < piece.count && piece[i] == 0xE2 && piece[i + 1] == 0x96 && piece[i + 2] == 0x81 {
                        bytes.append(0x20)
                        i += 3
                    } else {
                        bytes.append(piece[i])
                        i += 1
                    }
                }
            }
        }
        return bytes
    }

    /// The text of one piece as stored (▁ not replaced), or nil outside the vocabulary.
    public func piece(_ id: Int) -> String? {
        guard id >= 0 && id < pieces.count else { return nil }
        return String(decoding: pieces[id], as: UTF8.self)
    }

    /// The id of the piece spelled exactly `text`.
    public func id(of text: String) -> Int? { index.id(of: text) }
}
