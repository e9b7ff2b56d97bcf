// Constrained decoding's hook into generation: a request may carry a constraint (a grammar, a JSON
// schema) that makes one state per sequence; before each draw the state sets the logits of tokens it
// forbids to -infinity, and after it learns the chosen token. The grammar itself lives in QuillAssistant.

/// Something that restricts which tokens a sequence may produce, e.g. a grammar. Shared by requests.
public protocol TokenConstraint: Sendable {
    /// A fresh state for one sequence (called once per sequence, before its first token);
    /// `endOfGeneration` holds the ids that end this sequence (allowed only where the constraint is satisfied).
    func makeState(endOfGeneration: Set<Int>) -> any TokenConstraintState
}

/// One sequence's constraint state. Used by one sequence at a time, never concurrently.
public protocol TokenConstraintState: AnyObject {
    /// Sets the logits of every token not allowed next to -infinity (end-of-generation ids included).
    func apply(to logits: inout [Float])
    /// Whether `token` is allowed next.
    func allows(_ token: Int) -> Bool
    /// Records the chosen token (one `apply` allowed).
    func accept(_ token: Int)
    /// Nothing but the end may follow: the sequence stops here (finish reason `stop`).
    var mustEnd: Bool { get }
}
