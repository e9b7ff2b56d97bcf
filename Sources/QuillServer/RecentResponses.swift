// The last N responses the server gave (id → key, model, each choice's prompt and text), so a
// feedback request that names a response id can store what was asked and answered. Bounded: the
// oldest is forgotten first.
import Foundation

struct RememberedResponse: Sendable, Equatable {
    struct Choice: Sendable, Equatable {
        var prompt: String
        var text: String
    }
    var apiKey: String
    var model: String
    var choices: [Choice]
}

final class RecentResponses: @unchecked Sendable {
    let capacity: Int
    private let lock = NSLock()
    private var byID: [String: RememberedResponse] = [:]
    private var order: [String] = []                 // oldest first
    private var head = 0                             // order[..<head] are already forgotten

    init(capacity: Int) { self.capacity = max(0, capacity) }

    func remember(_ id: String, _ response: RememberedResponse) {
        guard capacity > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        if byID.updateValue(response, forKey: id) == nil { order.append(id) }
        while byID.count > capacity, head < order.count {
            byID[order[head]] = nil
            head += 1
        }
        if head > 4 * capacity { order.removeFirst(head); head = 0 }   // keep the id list bounded too
    }

    func response(_ id: String) -> RememberedResponse? {
        lock.lock(); defer { lock.unlock() }
        return byID[id]
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return byID.count }
}
