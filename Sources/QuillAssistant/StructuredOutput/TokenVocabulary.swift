// A tokenizer's vocabulary as the constrained decoder sees it: each token's bytes (control tokens and
// end-of-generation tokens have none: a grammar never produces them as text), the end-of-generation ids,
// and a byte trie in preorder (nodes sorted as the tokens are), so one walk tests shared prefixes once.
import QuillTokenizer

/// The byte strings of a vocabulary, built once per tokenizer and shared by every grammar.
public final class TokenVocabulary: Sendable {
    /// Ids the logits have (the model's vocabulary size, which may exceed the tokenizer's).
    public let size: Int
    /// Each id's bytes; empty for ids a grammar may never produce (control tokens, EOS, padding).
    public let bytes: [[UInt8]]
    /// Ids that end generation (allowed only where the grammar is complete).
    public let endOfGeneration: Set<Int>

    // The trie, nodes in preorder: the byte into the node, its depth (1 = a first byte), the index one
    // past its subtree, and the ids whose bytes end there (`tokens[tokenStart[i]..<tokenStart[i+1]]`).
    let nodeByte: [UInt8]
    let nodeDepth: [Int32]
    let subtreeEnd: [Int32]
    let tokenStart: [Int32]
    let tokens: [Int32]
    let maxDepth: Int

    /// `size`: the row length of the logits (default the tokenizer's vocabulary); `endOfGeneration`:
    /// ids that end a sequence (default the tokenizer's end-of-generation ids and end-of-text).
    public convenience init(tokenizer: any Tokenizer, size: Int? = nil, endOfGeneration: Set<Int>? = nil) {
        let n = size ?? tokenizer.vocabularySize
        var eog = endOfGeneration ?? tokenizer.endOfGenerationIDs
        if endOfGeneration == nil, let eot = tokenizer.endOfTextID { eog.insert(eot) }
        var control = Set<Int>()
        if let bpe = tokenizer as? BPETokenizer {
            control = Set(bpe.addedTokens.filter(\.isControl).map(\.id))
        } else if tokenizer is ByteTokenizer {
            control = [256]
        }
        var table = [[UInt8]](repeating: [], count: n)
        let limit = min(n, tokenizer.vocabularySize)
        for id in 0..<limit where !control.contains(id) && !eog.contains(id) {
            if let bpe = tokenizer as? BPETokenizer {
                table[id] = bpe.tokenBytes(id) ?? []
            } else {
                table[id] = tokenizer.decodeBytes([id])
            }
        }
        self.init(bytes: table, endOfGeneration: eog)
    }

    /// From explicit byte strings (an empty one is never allowed).
    public init(bytes: [[UInt8]], endOfGeneration: Set<Int>) {
        size = bytes.count
        self.bytes = bytes
        self.endOfGeneration = endOfGeneration.filter { $0 >= 0 && $0 < bytes.count }
        let order = bytes.indices.filter { !bytes[$0].isEmpty }.sorted { bytes[$0].lexicographicallyPrecedes(bytes[$1]) }
        var nodeByte: [UInt8] = [], nodeDepth: [Int32] = [], subtreeEnd: [Int32] = []
        var tokenStart: [Int32] = [], tokens: [Int32] = []
        var path: [Int] = []                                   // open nodes, one per depth
        var previous: [UInt8] = []
        var deepest = 0
        for id in order {
            let b = bytes[id]
            var common = 0
            while common < min(b.count, previous.count), b[common] == previous[common] { common += 1 }
            while path.count > common { subtreeEnd[path.removeLast()] = Int32(nodeByte.count) }
            for d in common..<b.count {
                path.append(nodeByte.count)
                nodeByte.append(b[d]); nodeDepth.append(Int32(d + 1)); subtreeEnd.append(0)
                tokenStart.append(Int32(tokens.count))
            }
            // A duplicate byte string lands on the node just made for its twin: still consecutive.
            tokens.append(Int32(id))
            deepest = max(deepest, b.count)
            previous = b
        }
        while let last = path.popLast() { subtreeEnd[last] = Int32(nodeByte.count) }
        tokenStart.append(Int32(tokens.count))
        self.nodeByte = nodeByte; self.nodeDepth = nodeDepth; self.subtreeEnd = subtreeEnd
        self.tokenStart = tokenStart; self.tokens = tokens; maxDepth = deepest
    }

    var nodeCount: Int { nodeByte.count }

    /// Ids whose bytes end at trie node `i`.
    @inline(__always) func tokens(at i: Int) -> ArraySlice<Int32> {
        tokens[Int(tokenStart[i])..<Int(tokenStart[i + 1])]
    }
}
