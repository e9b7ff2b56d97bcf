// Counters and histograms for GET /metrics in the Prometheus text exposition format (version 0.0.4:
// `# HELP`, `# TYPE`, `name{label="v"} value`, cumulative `_bucket{le=…}` plus `_sum` and `_count`):
// requests by route and status, latencies, tokens, time to first token; queue depth and slot use are
// read from the scheduler when scraped.
import Foundation
import QuillGeneration

public final class ServerMetrics: @unchecked Sendable {
    /// Upper bounds (seconds) of the latency buckets.
    static let bounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    struct Histogram {
        var counts = [Int](repeating: 0, count: ServerMetrics.bounds.count)
        var sum = 0.0, count = 0
        mutating func observe(_ value: Double) {
            for (i, b) in ServerMetrics.bounds.enumerated() where value <= b { counts[i] += 1 }
            sum += value; count += 1
        }
    }

    private let lock = NSLock()
    private var requests: [String: [Int: Int]] = [:]        // route → status → count
    private var durations: [String: Histogram] = [:]         // route → request latency
    private var firstToken = Histogram()
    private var promptTokens = 0, completionTokens = 0, cachedPromptTokens = 0, generations = 0

    public init() {}

    func recordRequest(route: String, status: Int, seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        requests[route, default: [:]][status, default: 0] += 1
        durations[route, default: Histogram()].observe(seconds)
    }

    func observeFirstToken(after seconds: Double) {
        lock.lock(); firstToken.observe(seconds); lock.unlock()
    }

    func recordGeneration(_ stats: GenerationStats) {
        lock.lock(); defer { lock.unlock() }
        generations += 1
        promptTokens += stats.promptTokens
        completionTokens += stats.generatedTokens
        cachedPromptTokens += stats.cachedPromptTokens
    }

    /// Requests served so far with `status` on `route` (for tests and logs).
    func requestCount(route: String, status: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        return requests[route]?[status] ?? 0
    }

    /// The exposition text, with the scheduler's state now.
    func render(scheduler: BatchScheduler.Status) -> String {
        lock.lock(); defer { lock.unlock() }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        func histogram(_ name: String, _ h: Histogram, labels: String) {
            let sep = labels.isEmpty ? "" : ","
            for (i, b) in Self.bounds.enumerated() { out += "\(name)_bucket{\(labels)\(sep)le=\"\(b)\"} \(h.counts[i])\n" }
            out += "\(name)_bucket{\(labels)\(sep)le=\"+Inf\"} \(h.count)\n"
            let braces = labels.isEmpty ? "" : "{\(labels)}"
            out += "\(name)_sum\(braces) \(h.sum)\n\(name)_count\(braces) \(h.count)\n"
        }
        header("quill_requests_total", "counter", "HTTP requests by route and status code.")
        for route in requests.keys.sorted() {
            for (status, n) in requests[route]!.sorted(by: { $0.key < $1.key }) {
                out += "quill_requests_total{route=\"\(Self.escape(route))\",status=\"\(status)\"} \(n)\n"
            }
        }
        header("quill_request_duration_seconds", "histogram", "Time from request to response head (streams: to their first byte).")
        for route in durations.keys.sorted() { histogram("quill_request_duration_seconds", durations[route]!, labels: "route=\"\(Self.escape(route))\"") }
        header("quill_time_to_first_token_seconds", "histogram", "Time from request to each choice's first generated token.")
        histogram("quill_time_to_first_token_seconds", firstToken, labels: "")
        header("quill_generations_total", "counter", "Finished generations (one per choice).")
        out += "quill_generations_total \(generations)\n"
        header("quill_prompt_tokens_total", "counter", "Prompt tokens of finished generations.")
        out += "quill_prompt_tokens_total \(promptTokens)\n"
        header("quill_cached_prompt_tokens_total", "counter", "Prompt tokens whose keys and values were reused from a cached prefix.")
        out += "quill_cached_prompt_tokens_total \(cachedPromptTokens)\n"
        header("quill_completion_tokens_total", "counter", "Generated tokens.")
        out += "quill_completion_tokens_total \(completionTokens)\n"
        header("quill_queue_depth", "gauge", "Requests waiting for a generation slot.")
        out += "quill_queue_depth \(scheduler.queued)\n"
        header("quill_slots_busy", "gauge", "Generation slots in use.")
        out += "quill_slots_busy \(scheduler.active)\n"
        header("quill_slots_total", "gauge", "Generation slots (--parallel).")
        out += "quill_slots_total \(scheduler.slots)\n"
        header("quill_cached_prefixes", "gauge", "Finished conversations kept for prefix reuse.")
        out += "quill_cached_prefixes \(scheduler.cachedPrefixes)\n"
        return out
    }

    static func escape(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
