// One binary heap for the tokenizer: the BPE encoder's merge queue (lowest rank first) and the BPE
// trainer's pair queue (highest count first). The order is a static rule on the element type, so
// the generic code specialises to direct comparisons in the hot loops.

/// An element type that says which of two elements leaves the heap first.
protocol HeapOrdering {
    static func precedes(_ a: Self, _ b: Self) -> Bool
}

/// A binary heap whose `pop` returns the element that precedes all others.
struct BinaryHeap<Element: HeapOrdering> {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ element: Element) {
        items.append(element)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !Element.precedes(items[i], items[parent]) { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var first = i
                if l < items.count && Element.precedes(items[l], items[first]) { first = l }
                if r < items.count && Element.precedes(items[r], items[first]) { first = r }
                if first == i { break }
                items.swapAt(i, first)
                i = first
            }
        }
        return top
    }
}

/// A possible merge at `position` with packed pair rank `rank`: lowest rank first, ties to the
/// lower position (the leftmost merge, as tiktoken applies them).
struct RankedMerge: HeapOrdering {
    let rank: UInt64
    let position: Int
    @inline(__always) static func precedes(_ a: Self, _ b: Self) -> Bool {
        a.rank < b.rank || (a.rank == b.rank && a.position < b.position)
    }
}

/// A pair with its occurrence count: highest count first, ties to the smaller pair key (smaller
/// left id, then right id) so training is deterministic.
struct CountedPair: HeapOrdering {
    let count: Int
    let key: UInt64
    @inline(__always) static func precedes(_ a: Self, _ b: Self) -> Bool {
        a.count > b.count || (a.count == b.count && a.key < b.key)
    }
}
