// What `quill serve` is asked to do: where to listen, the key to require, how many sequences share
// a batch, context and queue limits, and the names the model answers to.
import QuillAssistant
import QuillModels

public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Required on every request but GET /health and GET / when set.
    public var apiKey: String?
    /// Generation slots: sequences advanced together in one batched step (llama-server's --parallel).
    public var parallel = 4
    /// Positions one sequence may fill (nil: the model's whole context).
    public var contextLength: Int?
    /// Requests allowed to wait for a slot; beyond it, 429 with Retry-After.
    public var maxQueued = 64
    /// Finished conversations kept for prefix reuse (nil: as many as there are slots).
    public var prefixCacheSize: Int?
    public var cacheType: KVCacheType = .f32
    /// Request bodies larger than this get 413.
    public var maxBodyBytes = 8 << 20
    /// Seconds a refused client is told to wait (Retry-After).
    public var retryAfterSeconds = 1
    /// The model's id in the API; `modelAliases` are other names a request may use for it.
    public var modelID = "quill"
    public var modelAliases: [String] = []
    public var embeddingModelID = "embedding"
    /// Input bounds, hidden-character policy and content filter categories (`--content-policy`, docs/safety.md).
    public var contentPolicy = ContentPolicy()
    /// Keys with quotas, billing and feedback stores (nil: no metering, /v1/usage and /v1/feedback absent).
    public var accounting: Accounting?

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, parallel: Int = 4,
                contextLength: Int? = nil, maxQueued: Int = 64, modelID: String = "quill") {
        self.host = host; self.port = port; self.apiKey = apiKey; self.parallel = parallel
        self.contextLength = contextLength; self.maxQueued = maxQueued; self.modelID = modelID
    }
}
