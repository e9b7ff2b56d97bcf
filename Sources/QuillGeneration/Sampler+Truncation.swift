// The truncation half of sampling, without sorting the vocabulary: top-k keeps a size-k min-heap
// (O(V log k)); min-p is one threshold pass in logit space; top-p heapifies the survivors (O(n)) and
// pops the most likely until the mass is reached (O(kept · log n)), as llama.cpp's partial sort does.
import Foundation

extension Sampler {
    /// The tokens sampling may pick, with unnormalised probabilities exp((z − max)/T) and their sum.
    /// Under top-p the list is most likely first (ties: lower id first).
    public static func allowedTokens(_ logits: [Float], topK: Int, topP: Float, minP: Float = 0,
                                     temperature: Float) -> (tokens: [(id: Int, p: Float)], total: Float) {
        var ids = topK > 0 && topK < logits.count ? topKIndices(logits, k: topK) : Array(logits.indices)
        var maxLogit = -Float.infinity
        for i in ids where logits[i] > maxLogit { maxLogit = logits[i] }
        if minP > 0 {
            // p_i ≥ minP · p_max  ⇔  z_i ≥ z_max + T · ln(minP)
            let threshold = maxLogit + temperature * logf(minP)
            ids.removeAll { logits[$0] < threshold }
        }
        var tokens = ids.map { (id: $0, p: expf((logits[$0] - maxLogit) / temperature)) }
        var total = tokens.reduce(Float(0)) { $0 + $1.p }
        if topP < 1 {
            tokens = nucleus(tokens, mass: topP * total)
            total = tokens.reduce(Float(0)) { $0 + $1.p }
        }
        return (tokens, total)
    }

    /// The smallest most-likely-first prefix of `tokens` whose mass reaches `mass`: a max-heap built in
    /// O(n), popped only as far as needed.
    static func nucleus(_ tokens: [(id: Int, p: Float)], mass: Float) -> [(id: Int, p: Float)] {
        var heap = tokens
        func before(_ a: (id: Int, p: Float), _ b: (id: Int, p: Float)) -> Bool { a.p > b.p || (a.p == b.p && a.id < b.id) }
        func siftDown(_ start: Int, _ count: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < count && before(heap[l], heap[m]) { m = l }
                if r < count && before(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m); i = m
            }
        }
        var count = heap.count
        for i in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(i, count) }
        var kept: [(id: Int, p: Float)] = []
        var cumulative: Float = 0
        while count > 0 && (kept.isEmpty || cumulative < mass) {
            kept.append(heap[0])
            cumulative += heap[0].p
            count -= 1
            heap.swapAt(0, count)
            siftDown(0, count)
        }
        return kept
    }

    /// The k largest logits' indices by a bounded min-heap: O(V log k), no full sort.
    static func topKIndices(_ logits: [Float], k: Int) -> [Int] {
        var heap: [Int] = []   // min-heap on logits
        heap.reserveCapacity(k)
        func less(_ a: Int, _ b: Int) -> Bool { logits[a] < logits[b] || (logits[a] == logits[b] && a > b) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && less(heap[l], heap[m]) { m = l }
                if r < heap.count && less(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m); i = m
            }
        }
        for i in logits.indices {
            if heap.count < k {
                heap.append(i)
                var c = heap.count - 1
                while c > 0 && less(heap[c], heap[(c - 1) / 2]) { heap.swapAt(c, (c - 1) / 2); c = (c - 1) / 2 }
            } else if less(heap[0], i) {
                heap[0] = i
                siftDown(0)
            }
        }
        return heap
    }
}
