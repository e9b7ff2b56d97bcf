// Why the batch scheduler refused or ended a request, as opposed to what was wrong with the request
// itself (`GenerationError`): it was shut down, its queue was full, or a batched step failed.

public enum SchedulerError: Error, CustomStringConvertible, Equatable {
    /// `shutdown()` was called: no new requests are taken, and unfinished ones end with this error.
    case shutDown
    /// More requests are waiting for a slot than the scheduler queues; try again later.
    case queueFull(limit: Int)

    public var description: String {
        switch self {
        case .shutDown: return "the generation scheduler has shut down; no requests are being served"
        case .queueFull(let limit):
            return "\(limit) requests are already waiting for a generation slot; retry after a moment"
        }
    }
}
