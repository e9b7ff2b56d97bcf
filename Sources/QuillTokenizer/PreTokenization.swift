// How a byte-level BPE vocabulary cuts text into pieces before merging: one hand-written pattern
// (the fast path), or a sequence of steps where each step splits every piece of the step before —
// Hugging Face's `Sequence` of `Split` pre-tokenizers and llama.cpp's list of regexes per `pre` name.

/// The pre-tokenizer of a byte-level BPE vocabulary.
public struct PreTokenization: Sendable {
    /// One splitting step: matches and the text between them all become pieces.
    public enum Step: Sendable {
        /// A hand-written pattern (exact and fast).
        case pattern(PreTokenizerPattern)
        /// A regex run by Quill's engine.
        case regex(SplitRegex)
    }

    public let steps: [Step]
    /// The llama.cpp `tokenizer.ggml.pre` name these steps came from (what a GGUF writer stores back).
    public var llamaCppName: String?

    public init(steps: [Step]) {
        self.steps = steps.isEmpty ? [.pattern(.gpt2)] : steps
    }

    /// A single hand-written pattern.
    public init(_ pattern: PreTokenizerPattern) {
        steps = [.pattern(pattern)]
    }

    /// The pattern when it is the only step (the encoders' fast paths), else nil.
    public var singlePattern: PreTokenizerPattern? {
        if steps.count == 1, case .pattern(let pattern) = steps[0] { return pattern }
        return nil
    }

    /// The last hand-written pattern among the steps, for writers that can store only one.
    var mainPattern: PreTokenizerPattern {
        for step in steps.reversed() { if case .pattern(let pattern) = step { return pattern } }
        return .gpt2
    }

    /// Every step's regex text, as a tokenizer.json `Split` would carry it.
    var regexes: [String] {
        steps.map { step in
            switch step {
            case .pattern(let pattern): return pattern.regex
            case .regex(let regex): return regex.source
            }
        }
    }

    /// The pieces of `buffer`, as (start, end) byte offsets in order, for pipelines of several steps.
    func pieces(_ buffer: UnsafeBufferPointer<UInt8>) -> [(Int, Int)] {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return [] }
        var pieces = [(0, buffer.count)]
        for step in steps {
            var next: [(Int, Int)] = []
            next.reserveCapacity(pieces.count * 2)
            switch step {
            case .pattern(let pattern):
                for (low, high) in pieces {
                    let pre = PreTokenizer(bytes: UnsafeBufferPointer(start: base + low, count: high - low), pattern: pattern)
                    var i = 0
                    while i < high - low {
                        let end = pre.pieceEnd(from: i)
                        next.append((low + i, low + end))
                        i = end
                    }
                }
            case .regex(let regex):
                var matcher = regex.makeMatcher()
                let retry = regex.flavor == .llamaCpp
                for (low, high) in pieces {
                    matcher.split(base, low, high, emptyMatchRetry: retry) { next.append(($0, $1)) }
                }
            }
            pieces = next
        }
        return pieces
    }

    /// The pieces of `text` as strings (for tests and `quill tokenizer inspect`).
    public func pieces(of text: String) -> [String] {
        var text = text
        return text.withUTF8 { buffer in
            pieces(buffer).map { String(decoding: UnsafeBufferPointer(rebasing: buffer[$0.0..<$0.1]), as: UTF8.self) }
        }
    }
}
