// Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): each ranked list gives an item
// 1 / (k + rank), rank counted from 1, and the sums decide the fused order. k = 60 as in the paper.
/// Fuses ranked lists of ids.
public enum ReciprocalRankFusion {
    /// Fused (id, score) pairs, best first. An id repeated within one list counts at its first rank. Ties go to the id with the better single rank, then
    /// to the one that appears first in the earlier list, so the order is deterministic.
    public static func fuse<ID: Hashable>(_ rankings: [[ID]], k: Double = 60) -> [(id: ID, score: Double)] {
        var score: [ID: Double] = [:], best: [ID: Int] = [:], firstSeen: [ID: Int] = [:]
        var seen = 0
        for ranking in rankings {
            var inList = Set<ID>()
            for (index, id) in ranking.enumerated() where inList.insert(id).inserted {   // a repeat counts once
                score[id, default: 0] += 1 / (k + Double(index + 1))
                best[id] = min(best[id] ?? .max, index)
                if firstSeen[id] == nil { firstSeen[id] = seen; seen += 1 }
            }
        }
        return score.sorted { a, b in
            if a.value != b.value { return a.value > b.value }
            if best[a.key]! != best[b.key]! { return best[a.key]! < best[b.key]! }
            return firstSeen[a.key]! < firstSeen[b.key]!
        }.map { (id: $0.key, score: $0.value) }
    }
}
