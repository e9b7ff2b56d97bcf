// The immutable tables of a byte-level BPE vocabulary (id ↔ bytes, pair → merge) and the
// ordinary-text encoder over them: pre-tokenize, look each piece up in a per-call cache, else
// merge the lowest-ranked adjacent pair (leftmost on ties) until none is left — tiktoken's byte-pair merge.

import Foundation

/// Tables shared by every copy of a `BPETokenizer`; built once by a loader or the trainer.
final class BytePairModel: @unchecked Sendable {
    let pattern: PreTokenizerPattern
    /// Concatenated bytes of every ordinary token; token `id` is `tokenBytes[tokenOffsets[id]..<tokenOffsets[id + 1]]`.
    let tokenBytes: [UInt8]
    let tokenOffsets: [Int]
    let tokenMap: ByteSliceMap
    let pairs: PairMap
    /// The id of each single byte.
    let byteIDs: UnsafeMutablePointer<UInt32>
    /// tiktoken semantics: a piece that is itself a token is emitted whole before any merging
    /// (Hugging Face calls this `ignore_merges`).
    let wholePieceLookup: Bool

    /// Ids `0..<idLimit` may be ordinary tokens (gaps have no bytes).
    var idLimit: Int { tokenOffsets.count - 1 }

    /// Builds the tables. With `merges == nil` (tiktoken rank files) a pair merges when the concatenation
    /// of its bytes is a token, with that token's rank; otherwise merges are `(left, right)` ids in rank order.
    init(tokens: [(bytes: [UInt8], id: Int)], merges: [(left: Int, right: Int)]?, pattern: PreTokenizerPattern,
         wholePieceLookup: Bool, source: String) throws(TokenizerError) {
        self.pattern = pattern
        self.wholePieceLookup = wholePieceLookup
        let limit = (tokens.map(\.id).max() ?? -1) + 1
        var lengths = [Int](repeating: 0, count: limit)
        var byID = [[UInt8]?](repeating: nil, count: limit)
        let map = ByteSliceMap(capacity: tokens.count, keyBytes: tokens.reduce(0) { $0 + $1.bytes.count })
        for (bytes, id) in tokens {
            guard id >= 0, !bytes.isEmpty else {
                throw .malformedTokenizerFile(path: source, reason: "token id \(id) is negative or has no bytes")
            }
            if byID[id] != nil {
                throw .malformedTokenizerFile(path: source, reason: "token id \(id) appears twice")
            }
            byID[id] = bytes
            lengths[id] = bytes.count
            map.insert(bytes, value: UInt64(id))
        }
        var offsets = [Int](repeating: 0, count: limit + 1)
        for id in 0..<limit { offsets[id + 1] = offsets[id] + lengths[id] }
        var blob = [UInt8]()
        blob.reserveCapacity(offsets[limit])
        for bytes in byID { if let bytes { blob.append(contentsOf: bytes) } }
        tokenBytes = blob
        tokenOffsets = offsets
        tokenMap = map

        byteIDs = .allocate(capacity: 256)
        for b in 0..<256 {
            guard let id = map.find([UInt8(b)]) else {
                byteIDs.deallocate()
                throw .malformedTokenizerFile(path: source, reason: "byte 0x\(String(b, radix: 16)) has no token; "
                    + "a byte-level BPE vocabulary needs all 256 single bytes")
            }
            byteIDs[b] = UInt32(id)
        }

        if let merges {
            pairs = PairMap(capacity: merges.count)
            for (rank, merge) in merges.enumerated() {
                guard merge.left >= 0, merge.left < limit, merge.right >= 0, merge.right < limit,
                      let left = byID[merge.left], let right = byID[merge.right],
                      let merged = map.find(left + right) else {
                    throw .malformedTokenizerFile(path: source, reason: "merge #\(rank) (\(merge.left), \(merge.right)) "
                        + "does not produce a token of the vocabulary")
                }
                if pairs.lookup(UInt32(merge.left), UInt32(merge.right)) == PairMap.empty {
                    pairs.insert(left: UInt32(merge.left), right: UInt32(merge.right), rank: UInt32(rank),
                                 merged: UInt32(merged))
                }
            }
        } else {
            pairs = PairMap(capacity: tokens.count * 2)
            Self.derivePairs(byID: byID, map: map, into: pairs)
        }
    }

    deinit { byteIDs.deallocate() }

    /// For rank files: every split of every token into two tokens is a merge with the whole token's rank.
    private static func derivePairs(byID: [[UInt8]?], map: ByteSliceMap, into pairs: PairMap) {
        for (id, bytes) in byID.enumerated() {
            guard let bytes, bytes.count >= 2 else { continue }
            bytes.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                for split in 1..<buffer.count {
                    guard let left = map.find(base, split),
                          let right = map.find(base + split, buffer.count - split) else { continue }
                    pairs.insert(left: UInt32(left), right: UInt32(right), rank: UInt32(id), merged: UInt32(id))
                }
            }
        }
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
