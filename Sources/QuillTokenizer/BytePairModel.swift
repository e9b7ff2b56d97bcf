// The immutable tables of a byte-level BPE vocabulary (id ↔ bytes, and how adjacent parts merge),
// shared by every copy of a BPETokenizer. Two merge rules: tiktoken's (a pair merges when the
// concatenation of its bytes is a token, ranked by that token's rank) and Hugging Face's merge list.

import Foundation

/// Tables shared by every copy of a `BPETokenizer`; built once by a loader or the trainer.
final class BytePairModel: @unchecked Sendable {
    let preTokenization: PreTokenization
    /// The pre-tokenizer's main hand-written pattern (its only step on the fast paths).
    var pattern: PreTokenizerPattern { preTokenization.mainPattern }
    /// `preTokenization.singlePattern`, kept for the hot loop.
    let singlePattern: PreTokenizerPattern?
    /// Concatenated bytes of every ordinary token; token `id` is `tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]`.
    let tokenBytes: [UInt8]
    let tokenOffsets: [Int]
    let tokenMap: ByteSliceMap
    /// The tokens of 2–8 bytes again, in tables the merge loop can probe without memcmp.
    let shortTokens: ShortTokenTable
    /// Hugging Face merges, `(left, right) → rank << 32 | merged`; nil for tiktoken ranks, where the rank of a
    /// pair is looked up from its concatenated bytes in `tokenMap` (no table to derive at load time).
    let pairs: PairMap?
    /// The id of each single byte.
    let byteIDs: UnsafeMutablePointer<UInt32>
    /// Whether some single byte has no token (its id is `missingByte`, removed before ids are returned).
    let hasMissingBytes: Bool
    static let missingByte = UInt32.max

    /// Removes the placeholder ids of bytes the vocabulary lacks.
    func dropMissingBytes(_ ids: inout [Int]) {
        if hasMissingBytes { ids.removeAll { $0 == Int(Self.missingByte) } }
    }

    /// tiktoken semantics: a piece that is itself a token is emitted whole before any merging
    /// (Hugging Face calls this `ignore_merges`).
    let wholePieceLookup: Bool

    /// Ids `0..<idLimit` may be ordinary tokens (gaps have no bytes).
    var idLimit: Int { tokenOffsets.count - 1 }

    /// Builds the tables from token bytes in id order. `pairs == nil` selects tiktoken's merge rule,
    /// which requires every token's rank to equal its id.
    init(tokenBytes: [UInt8], tokenOffsets: [Int], pairs entries: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)]?,
         preTokenization: PreTokenization, wholePieceLookup: Bool, source: String) throws(TokenizerError) {
        self.preTokenization = preTokenization
        self.singlePattern = preTokenization.singlePattern
        self.wholePieceLookup = wholePieceLookup
        self.tokenBytes = tokenBytes
        self.tokenOffsets = tokenOffsets
        let limit = tokenOffsets.count - 1
        let map = ByteSliceMap(capacity: limit, keyBytes: tokenBytes.count)
        var duplicate: Int?
        tokenBytes.withUnsafeBufferPointer { blob in
            guard let base = blob.baseAddress else { return }
            for id in 0..<limit where tokenOffsets[id] < tokenOffsets[id + 1] {
                let start = base + tokenOffsets[id], length = tokenOffsets[id + 1] - tokenOffsets[id]
                let h = ByteSliceMap.hash(start, length)
                if map.find(start, length, hash: h) != nil { duplicate = id }
                map.insert(start, length, hash: h, value: UInt64(id))
            }
        }
        if let duplicate {
            throw .malformedTokenizerFile(path: source, reason: "token id \(duplicate) has the same bytes as an earlier token")
        }
        tokenMap = map
        shortTokens = ShortTokenTable(tokenBytes: tokenBytes, tokenOffsets: tokenOffsets)
        byteIDs = .allocate(capacity: 256)
        var missing = false
        for b in 0..<256 {
            // Vocabularies may lack bytes valid UTF-8 never holds (0xC0, 0xF5…) or control bytes; such a
            // byte is dropped from the output, as llama.cpp and Hugging Face (without unk_token) do.
            if let id = map.find([UInt8(b)]) { byteIDs[b] = UInt32(id) } else { byteIDs[b] = Self.missingByte; missing = true }
        }
        hasMissingBytes = missing
        guard let entries else {
            pairs = nil
            return
        }
        let table = PairMap(capacity: entries.count)
        for e in entries {
            guard Int(e.left) < limit, Int(e.right) < limit, Int(e.merged) < limit else {
                byteIDs.deallocate()
                throw .malformedTokenizerFile(path: source, reason: "merge (\(e.left), \(e.right)) → \(e.merged) "
                    + "refers to ids outside 0..<\(limit)")
            }
            if table.lookup(e.left, e.right) == PairMap.empty {
                table.insert(left: e.left, right: e.right, rank: e.rank, merged: e.merged)
            }
        }
        pairs = table
    }

    /// Builds the tables from (bytes, id) tokens and, for Hugging Face models, merges as (left id, right id)
    /// in rank order.
    convenience init(tokens: [(bytes: [UInt8], id: Int)], merges: [(left: Int, right: Int)]?, preTokenization: PreTokenization,
                     wholePieceLookup: Bool, source: String) throws(TokenizerError) {
        // Ids are bounded before the id-indexed tables are allocated: a file saying 2⁶² must not allocate it.
        if let bad = tokens.first(where: { $0.id < 0 || $0.id >= Self.maxTokenID }) {
            throw .malformedTokenizerFile(path: source, reason: "token id \(bad.id) is outside 0..<\(Self.maxTokenID)")
        }
        let limit = (tokens.map(\.id).max() ?? -1) + 1
        guard limit <= Self.maxIDSpan(tokenCount: tokens.count) else {
            throw .malformedTokenizerFile(path: source, reason: "token id \(limit - 1) is far beyond the \(tokens.count) "
                + "tokens listed (ids may leave at most \(Self.maxIDSpan(tokenCount: tokens.count)) slots)")
        }
        var byID = [[UInt8]?](repeating: nil, count: limit)
        for (bytes, id) in tokens {
            guard id >= 0, !bytes.isEmpty else {
                throw .malformedTokenizerFile(path: source, reason: "token id \(id) is negative or has no bytes")
            }
            guard byID[id] == nil else { throw .malformedTokenizerFile(path: source, reason: "token id \(id) appears twice") }
            byID[id] = bytes
        }
        var offsets = [Int](repeating: 0, count: limit + 1)
        var blob: [UInt8] = []
        for id in 0..<limit {
            if let bytes = byID[id] { blob.append(contentsOf: bytes) }
            offsets[id + 1] = blob.count
        }
        var entries: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)]?
        if let merges, merges.isEmpty {
            entries = []
        } else if let merges {
            // Bytes → id over the blob (a byte-keyed map: no Swift hashing of 100k arrays).
            let lookup = ByteSliceMap(capacity: tokens.count, keyBytes: blob.count)
            blob.withUnsafeBufferPointer { b in
                for id in 0..<limit where offsets[id] < offsets[id + 1] {
                    lookup.insert(b.baseAddress! + offsets[id], offsets[id + 1] - offsets[id],
                                  hash: ByteSliceMap.hash(b.baseAddress! + offsets[id], offsets[id + 1] - offsets[id]),
                                  value: UInt64(id))
                }
            }
            var joined: [UInt8] = []
            entries = []
            entries!.reserveCapacity(merges.count)
            for (rank, merge) in merges.enumerated() {
                guard merge.left >= 0, merge.left < limit, merge.right >= 0, merge.right < limit,
                      let left = byID[merge.left], let right = byID[merge.right] else {
                    throw .malformedTokenizerFile(path: source, reason: "merge #\(rank) (\(merge.left), \(merge.right)) "
                        + "does not name two tokens of the vocabulary")
                }
                joined.removeAll(keepingCapacity: true)
                joined += left
                joined += right
                guard let merged = lookup.find(joined) else {
                    throw .malformedTokenizerFile(path: source, reason: "merge #\(rank) (\(merge.left), \(merge.right)) "
                        + "does not produce a token of the vocabulary")
                }
                entries!.append((UInt32(merge.left), UInt32(merge.right), UInt32(rank), UInt32(merged)))
            }
        } else if let bad = tokens.first(where: { $0.id >= limit }) {
            throw .malformedTokenizerFile(path: source, reason: "rank \(bad.id) out of range")
        }
        try self.init(tokenBytes: blob, tokenOffsets: offsets, pairs: entries, preTokenization: preTokenization,
                      wholePieceLookup: wholePieceLookup, source: source)
    }

    deinit { byteIDs.deallocate() }

    /// The largest id a vocabulary may use (llama.cpp's are 32-bit; real vocabularies stay under 2²⁰).
    static let maxTokenID = 1 << 24

    /// How many id slots `tokenCount` tokens may spread over (gaps for added tokens, padding).
    static func maxIDSpan(tokenCount: Int) -> Int { 2 * tokenCount + 65_536 }

    /// The packed `rank << 32 | mergedID` of merging the parts `left` (bytes `start..<middle` of the piece)
    /// and `right` (bytes `middle..<end`), or `PairMap.empty`. Under the tiktoken rule this is the id of the
    /// concatenated bytes, found in `shortTokens` (no memo needed: that table is as cheap as a memo would be).
    @inline(__always)
    func pairRank(_ piece: UnsafePointer<UInt8>, _ left: UInt32, _ right: UInt32, start: Int, end: Int) -> UInt64 {
        if let pairs { return pairs.lookup(left, right) }
        guard let id = tokenID(piece + start, end - start) else { return PairMap.empty }
        return UInt64(id) << 32 | UInt64(id)
    }

    /// The id of the ordinary token whose bytes are the `n` (≥ 2) bytes at `p`, if any.
    @inline(__always)
    func tokenID(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32? {
        if n <= ShortTokenTable.maxLength {
            let id = shortTokens.find(p, n)
            return id == ShortTokenTable.missing ? nil : id
        }
        return tokenMap.find(p, n).map { UInt32(truncatingIfNeeded: $0) }
    }

    /// The bytes of ordinary token `id`, or nil when `id` is not one.
    func bytes(of id: Int) -> ArraySlice<UInt8>? {
        guard id >= 0, id < idLimit, tokenOffsets[id] < tokenOffsets[id + 1] else { return nil }
        return tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]
    }

    /// Every ordinary token as (id, bytes), in id order.
    func allTokens() -> [(id: Int, bytes: [UInt8])] {
        (0..<idLimit).compactMap { id in bytes(of: id).map { (id, Array($0)) } }
    }
}
