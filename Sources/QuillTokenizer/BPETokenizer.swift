// Byte-level BPE tokenizer (GPT-2, tiktoken rank files, Hugging Face byte-level BPE, Quill-trained
// vocabularies): the public face over `BytePairModel`, adding special tokens with tiktoken's
// semantics and decoding that never fails on any id.

import Foundation

/// A byte-level BPE tokenizer.
///
/// ```swift
/// let gpt2 = try BPETokenizer(tiktokenFile: ".assets/gpt2.tiktoken")   // pattern and <|endoftext|> inferred
/// let ids = gpt2.encode("Hello world")                                  // [15496, 995]
/// let withEOT = try gpt2.encode("hi<|endoftext|>", allowedSpecial: .all)
/// gpt2.decode(ids)                                                      // "Hello world"
/// ```
///
/// Copies share the immutable tables, so a tokenizer is cheap to pass around and safe to use from many threads.
public struct BPETokenizer: Tokenizer {
    let model: BytePairModel
    /// Special-token text → id (control and user-defined added tokens).
    public let specialTokens: [String: Int]
    /// The added tokens with how each is matched in text.
    public let addedTokens: [AddedToken]
    let specialMatcher: SpecialTokenMatcher
    let addedTokenSplitter: AddedTokenSplitter
    private let specialBytesByID: [Int: [UInt8]]
    /// The text of the end-of-sequence special token (`<|endoftext|>` unless a loader says otherwise).
    public let endOfTextToken: String

    /// Hugging Face ByteLevel `add_prefix_space`: a space is put before text that does not start with one.
    public let addPrefixSpace: Bool

    /// The end-of-sequence id the file declares, when it is not `endOfTextToken`'s.
    public var declaredEndOfSequenceID: Int?
    public var beginningOfSequenceID: Int?
    public var addsBeginningOfSequence = false
    public var addsEndOfSequence = false
    /// Ids that end generation; defaults to the end-of-text id.
    public var endOfGenerationIDs: Set<Int>

    /// The main pre-tokenization pattern (the only one unless `preTokenization` has several steps).
    public var pattern: PreTokenizerPattern { model.pattern }
    /// How text is cut into pieces before merging.
    public var preTokenization: PreTokenization { model.preTokenization }

    /// One past the largest id (ordinary or special).
    public var vocabularySize: Int { max(model.idLimit, (specialTokens.values.max() ?? -1) + 1) }

    /// The declared end-of-sequence id, else the id of `endOfTextToken` if the vocabulary has it.
    public var endOfTextID: Int? { declaredEndOfSequenceID ?? specialTokens[endOfTextToken] }

    /// Every special token is a control token (tiktoken's semantics).
    init(model: BytePairModel, specialTokens: [String: Int], endOfTextToken: String = "<|endoftext|>",
         addPrefixSpace: Bool = false) {
        self.init(model: model, addedTokens: specialTokens.map { AddedToken(text: $0.key, id: $0.value, isControl: true) },
                  endOfTextToken: endOfTextToken, addPrefixSpace: addPrefixSpace, splitOrder: .leftmostLongest)
    }

    /// `decodeOnly`: tokens no text encodes to (outside the byte-level alphabet) that still decode to their text.
    init(model: BytePairModel, addedTokens: [AddedToken], endOfTextToken: String, addPrefixSpace: Bool,
         splitOrder: AddedTokenSplitter.Order, decodeOnly: [Int: [UInt8]] = [:]) {
        self.model = model
        self.addPrefixSpace = addPrefixSpace
        let tokens = addedTokens.sorted { $0.id < $1.id }
        self.addedTokens = tokens
        let specialTokens = Dictionary(tokens.map { ($0.text, $0.id) }, uniquingKeysWith: { first, _ in first })
        self.specialTokens = specialTokens
        self.specialMatcher = SpecialTokenMatcher(specialTokens)
        self.addedTokenSplitter = AddedTokenSplitter(tokens, order: splitOrder)
        self.specialBytesByID = Dictionary(tokens.map { ($0.id, Array($0.text.utf8)) }, uniquingKeysWith: { first, _ in first })
            .merging(decodeOnly, uniquingKeysWith: { first, _ in first })
        self.endOfTextToken = endOfTextToken
        endOfGenerationIDs = specialTokens[endOfTextToken].map { [$0] } ?? []
    }

    /// Builds a tokenizer from tiktoken-style ranks: each token's bytes and its rank (= id).
    public init(ranks: [(bytes: [UInt8], rank: Int)], specialTokens: [String: Int],
                pattern: PreTokenizerPattern) throws(TokenizerError) {
        let model = try BytePairModel(tokens: ranks.map { ($0.bytes, $0.rank) }, merges: nil, preTokenization: PreTokenization(pattern),
                                      wholePieceLookup: true, source: "ranks")
        self.init(model: model, specialTokens: specialTokens)
    }

    // MARK: Encoding

    /// Encodes ordinary text: control-token text is encoded as plain text (tiktoken's `encode_ordinary`);
    /// user-defined added tokens (matched in any text, as llama.cpp and Hugging Face do) become their ids.
    public func encode(_ text: String) -> [Int] { encode(text, parseSpecial: false) }

    /// Encodes `text`; with `parseSpecial` every added token's text becomes its id, otherwise only the
    /// user-defined ones' (control tokens such as `<|im_start|>` are then plain text).
    public func encode(_ text: String, parseSpecial: Bool) -> [Int] {
        var text = addPrefixSpace && !text.hasPrefix(" ") ? " " + text : text
        guard addedTokenSplitter.matchesAnything(parseSpecial: parseSpecial) else {
            return text.withUTF8 { model.encodeOrdinaryToArray($0) }
        }
        return text.withUTF8 { buffer in
            var state = EncodeState(expectedBytes: buffer.count, output: IDBuffer(capacity: buffer.count / 3 + 16))
            defer { state.free() }
            for segment in addedTokenSplitter.segments(buffer, parseSpecial: parseSpecial) {
                switch segment {
                case .text(let range): model.encodeOrdinary(UnsafeBufferPointer(rebasing: buffer[range]), state: &state)
                case .token(let id): state.output.append(UInt32(id))
                }
            }
            var ids = state.output.ints
            model.dropMissingBytes(&ids)
            return ids
        }
    }

    /// Encodes with tiktoken's special-token rules: allowed special text becomes its id; disallowed special
    /// text throws `TokenizerError.disallowedSpecialToken`; any other special text is encoded as plain text.
    /// The defaults (`allowedSpecial: .none, disallowedSpecial: .all`) reject any special-token text.
    public func encode(_ text: String, allowedSpecial: SpecialTokenSet,
                       disallowedSpecial: SpecialTokenSet = .all) throws(TokenizerError) -> [Int] {
        let allowed: Set<String>
        switch allowedSpecial {
        case .none: allowed = []
        case .all: allowed = Set(specialTokens.keys)
        case .only(let names):
            for name in names where specialTokens[name] == nil { throw .unknownSpecialToken(name) }
            allowed = names
        }
        let disallowed: Set<String>
        switch disallowedSpecial {
        case .none: disallowed = []
        case .all: disallowed = Set(specialTokens.keys).subtracting(allowed)
        case .only(let names): disallowed = names.subtracting(allowed)
        }
        var text = addPrefixSpace && !text.hasPrefix(" ") ? " " + text : text
        let result: Result<[Int], TokenizerError> = text.withUTF8 { buffer in
            if !disallowed.isEmpty,
               let hit = specialMatcher.firstMatch(in: buffer, from: 0, accept: { disallowed.contains($0.text) }) {
                return .failure(.disallowedSpecialToken(token: hit.entry.text, offset: hit.start))
            }
            var state = EncodeState(expectedBytes: buffer.count, output: IDBuffer(capacity: buffer.count / 3 + 16))
            defer { state.free() }
            var position = 0
            while position < buffer.count {
                let hit = allowed.isEmpty ? nil
                    : specialMatcher.firstMatch(in: buffer, from: position, accept: { allowed.contains($0.text) })
                let end = hit?.start ?? buffer.count
                model.encodeOrdinary(UnsafeBufferPointer(rebasing: buffer[position..<end]), state: &state)
                guard let hit else { break }
                state.output.append(UInt32(hit.entry.id))
                position = hit.start + hit.entry.bytes.count
            }
            var ids = state.output.ints
            model.dropMissingBytes(&ids)
            return .success(ids)
        }
        return try result.get()
    }

    /// The number of tokens `text` encodes to (ordinary encoding).
    public func count(_ text: String) -> Int { encode(text).count }

    // MARK: Decoding

    /// The bytes behind `ids`. Special tokens contribute their text; ids outside the vocabulary contribute
    /// U+FFFD (use `decodeChecked` to get an error instead).
    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids { appendBytes(of: id, to: &bytes) }
        return bytes
    }

    @inline(__always)
    func appendBytes(of id: Int, to bytes: inout [UInt8]) {
        if id >= 0 && id < model.idLimit {
            let start = model.tokenOffsets[id], end = model.tokenOffsets[id + 1]
            if start < end {
                bytes.append(contentsOf: model.tokenBytes[start..<end])
                return
            }
        }
        if let special = specialBytesByID[id] {
            bytes.append(contentsOf: special)
        } else {
            bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
        }
    }

    /// Decodes to a `String` (invalid UTF-8 becomes U+FFFD) but throws on any id outside the vocabulary.
    public func decodeChecked(_ ids: [Int]) throws(TokenizerError) -> String {
        for id in ids where tokenBytes(id) == nil {
            throw .unknownTokenID(id: id, vocabularySize: vocabularySize)
        }
        return decode(ids)
    }

    /// The bytes of one token (ordinary or special), or nil when `id` is not in the vocabulary.
    public func tokenBytes(_ id: Int) -> [UInt8]? {
        if let bytes = model.bytes(of: id) { return Array(bytes) }
        return specialBytesByID[id]
    }

    /// The id of the ordinary token whose bytes are exactly `bytes`, if any.
    public func tokenID(of bytes: [UInt8]) -> Int? {
        model.tokenMap.find(bytes).map { Int($0) }
    }
}

extension BPETokenizer {
    /// The number of pre-tokenization pieces in `text` (diagnostics and benchmarks).
    public func pieceCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            let pre = PreTokenizer(bytes: buffer, pattern: model.pattern)
            let kind = UnsafePointer(GPT2ByteKind.table)
            var i = 0, pieces = 0
            while i < buffer.count {  // the same scanner as encoding uses
                var end = model.pattern == .gpt2 ? BytePairModel.gpt2ASCIIPieceEnd(base, from: i, count: buffer.count, kind: kind) : -1
                if end < 0 { end = pre.pieceEnd(from: i) }
                i = end
                pieces += 1
            }
            return pieces
        }
    }
}
