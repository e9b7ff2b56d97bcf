// The Quill-native binary vocabulary (`.quilltok`): token bytes, offsets, the merge table and special
// tokens stored as little-endian arrays, so loading is a few memcpys plus two hash-table builds
// (no base64, no JSON, no merge derivation).
//
// Layout: "QTOK" u32 version=1 | u32 pattern | u32 flags (1 wholePieceLookup, 2 addPrefixSpace)
// | u32 idLimit | u32 blobBytes | u32 offsets[idLimit+1] | u8 blob[blobBytes]
// | u32 pairCount (0xFFFFFFFF: tiktoken rule, no table) | (u32 left, right, rank, merged)[pairCount] | u32 specialCount | (u32 id, u32 len, bytes)[...]
// | u32 len, end-of-text token text.

import Foundation

extension BPETokenizer {
    private static let magic: [UInt8] = Array("QTOK".utf8)
    private static let patterns: [PreTokenizerPattern] = [.gpt2, .cl100k, .o200k, .llama3, .qwen2, .qwen35]

    /// The vocabulary in the Quill binary format.
    public func quillFormatData() -> Data {
        var out = Data(Self.magic)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { out.append(contentsOf: $0) } }
        u32(1)
        u32(Self.patterns.firstIndex(of: model.pattern)!)
        u32((model.wholePieceLookup ? 1 : 0) | (addPrefixSpace ? 2 : 0))
        u32(model.idLimit)
        u32(model.tokenBytes.count)
        for offset in model.tokenOffsets { u32(offset) }
        out.append(contentsOf: model.tokenBytes)
        let entries = model.pairs?.entries().sorted { $0.rank < $1.rank } ?? []
        u32(model.pairs == nil ? -1 : entries.count)
        for e in entries { u32(Int(e.left)); u32(Int(e.right)); u32(Int(e.rank)); u32(Int(e.merged)) }
        u32(specialTokens.count)
        for (text, id) in specialTokens.sorted(by: { $0.value < $1.value }) {
            u32(id); u32(text.utf8.count); out.append(contentsOf: Array(text.utf8))
        }
        u32(endOfTextToken.utf8.count)
        out.append(contentsOf: Array(endOfTextToken.utf8))
        return out
    }

    /// Writes the vocabulary in the Quill binary format.
    public func writeQuillFile(_ path: String) throws(TokenizerError) {
        do { try quillFormatData().write(to: URL(fileURLWithPath: path)) } catch {
            throw .unreadableFile(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Loads a vocabulary written by `writeQuillFile`.
    public init(quillFile path: String) throws(TokenizerError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        var reader = LittleEndianReader(data: data, path: path)
        guard try reader.bytes(4) == Self.magic else {
            throw .malformedTokenizerFile(path: path, reason: "not a Quill vocabulary (no QTOK magic)")
        }
        let version = try reader.u32()
        guard version == 1 else {
            throw .malformedTokenizerFile(path: path, reason: "format version \(version); this Quill reads version 1")
        }
        let patternIndex = try reader.u32()
        guard patternIndex < Self.patterns.count else {
            throw .malformedTokenizerFile(path: path, reason: "unknown pattern \(patternIndex)")
        }
        let flags = try reader.u32()
        let idLimit = try reader.u32()
        let blobBytes = try reader.u32()
        let offsets = try reader.u32Array(idLimit + 1)
        guard offsets.first == 0, offsets.last == blobBytes, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw .malformedTokenizerFile(path: path, reason: "token offsets are not increasing from 0 to \(blobBytes)")
        }
        let blob = try reader.bytes(blobBytes)
        let declaredPairs = try reader.u32()
        let pairCount = declaredPairs == 0xFFFF_FFFF ? 0 : declaredPairs  // all ones: tiktoken merge rule
        let flat = try reader.u32Array(pairCount * 4)
        var entries: [(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32)] = []
        entries.reserveCapacity(pairCount)
        var k = 0
        while k + 3 < flat.count {
            let left = UInt32(flat[k]), right = UInt32(flat[k + 1])
            let rank = UInt32(flat[k + 2]), merged = UInt32(flat[k + 3])
            entries.append((left, right, rank, merged))
            k += 4
        }
        var specials: [String: Int] = [:]
        for _ in 0..<(try reader.u32()) {
            let id = try reader.u32()
            specials[String(decoding: try reader.bytes(try reader.u32()), as: UTF8.self)] = id
        }
        let endOfText = String(decoding: try reader.bytes(try reader.u32()), as: UTF8.self)
        let model = try BytePairModel(tokenBytes: blob, tokenOffsets: offsets,
                                      pairs: declaredPairs == 0xFFFF_FFFF ? nil : entries,
                                      preTokenization: PreTokenization(Self.patterns[patternIndex]), wholePieceLookup: flags & 1 != 0, source: path)
        self.init(model: model, specialTokens: specials, endOfTextToken: endOfText, addPrefixSpace: flags & 2 != 0)
    }
}

/// Bounds-checked little-endian reads that fail with a typed error naming the file.
struct LittleEndianReader {
    let data: Data
    let path: String
    var position = 0

    mutating func u32() throws(TokenizerError) -> Int {
        let b = try bytes(4)
        return Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24
    }

    mutating func u32Array(_ count: Int) throws(TokenizerError) -> [Int] {
        guard count >= 0, count <= (data.count - position) / 4 else {
            throw .malformedTokenizerFile(path: path, reason: "truncated: \(count) values declared at byte \(position) "
                + "but the file ends at \(data.count)")
        }
        let start = data.startIndex + position
        let result = data.withUnsafeBytes { raw in
            (0..<count).map { Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start - data.startIndex + $0 * 4,
                                                                          as: UInt32.self))) }
        }
        position += count * 4
        return result
    }

    mutating func bytes(_ count: Int) throws(TokenizerError) -> [UInt8] {
        guard count >= 0, count <= data.count - position else {
            throw .malformedTokenizerFile(path: path, reason: "truncated: \(count) bytes declared at byte \(position) "
                + "but the file ends at \(data.count)")
        }
        let start = data.startIndex + position
        position += count
        return [UInt8](data[start..<(start + count)])
    }
}
