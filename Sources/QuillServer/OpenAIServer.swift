// The OpenAI-compatible HTTP server: a Hummingbird 2 application whose router holds one route group
// per file (chat, completions, embeddings, models and health, tokenize, metrics, playground) behind
// middleware for metrics, OpenAI-shaped errors, API keys and body size. Models are loaded by the caller.
import Foundation
import Hummingbird
import Logging
import QuillGeneration
import QuillModels

/// Serves a language model (and optionally a sentence embedder) over OpenAI's API.
///
/// ```swift
/// let loaded = try ModelRegistry.loadForGeneration(path: URL(fileURLWithPath: "Models/shakespeare-gpt"))
/// let server = OpenAIServer(configuration: .init(port: 8080, modelID: "shakespeare-gpt"), model: loaded)
/// try await server.run()                       // until SIGINT / SIGTERM
/// ```
public final class OpenAIServer: Sendable {
    public let configuration: ServerConfiguration
    let served: ServedModel
    let embeddings: EmbeddingService?
    let retrieval: RetrievalService?
    public let metrics = ServerMetrics()

    /// - Parameter retrieval: a RAG index; chat completions then answer from its chunks, with citations.
    public init(configuration: ServerConfiguration, model: GenerationModel, embedder: TextEmbedder? = nil,
                retrieval: RetrievalService? = nil) {
        self.retrieval = retrieval
        self.configuration = configuration
        served = ServedModel(model: model, id: configuration.modelID, aliases: configuration.modelAliases,
                             slots: configuration.parallel, contextLength: configuration.contextLength,
                             maxQueued: configuration.maxQueued,
                             prefixCacheSize: configuration.prefixCacheSize ?? configuration.parallel,
                             cacheType: configuration.cacheType)
        embeddings = embedder.map { EmbeddingService(embedder: $0, id: configuration.embeddingModelID) }
    }

    /// The scheduler's state now (slots in use, queue depth).
    public var schedulerStatus: BatchScheduler.Status { served.scheduler.currentStatus }

    /// The router with every route and middleware.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware(retryAfter: configuration.retryAfterSeconds))
        let keys = ([configuration.apiKey].compactMap { $0 } + (configuration.accounting?.keyring.entries.map(\.key) ?? [])).filter { !$0.isEmpty }
        if !keys.isEmpty { router.add(middleware: APIKeyMiddleware(keys: keys)) }
        if let accounting = configuration.accounting { router.add(middleware: QuotaMiddleware(accounting: accounting)) }
        router.add(middleware: BodyLimitMiddleware(maxBytes: configuration.maxBodyBytes))
        let routes = RouteContext(served: served, embeddings: embeddings, metrics: metrics, configuration: configuration,
                                  retrieval: retrieval)
        ChatCompletionsRoute(routes).register(on: router)
        CompletionsRoute(routes).register(on: router)
        EmbeddingsRoute(routes).register(on: router)
        ModelsRoute(routes).register(on: router)
        TokenizeRoute(routes).register(on: router)
        MetricsRoute(routes).register(on: router)
        PlaygroundRoute(routes).register(on: router)
        ModerationsRoute(routes).register(on: router)
        UsageRoute(routes).register(on: router)
        FeedbackRoute(routes).register(on: router)
        return router
    }

    /// The application, bound to the configured host and port (port 0 picks a free one).
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        var logger = Logger(label: "quill.server")
        logger.logLevel = .info
        return Application(router: makeRouter(),
                           configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                serverName: "quill"),
                           onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
                           logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then lets open requests finish and stops the scheduler.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        defer { shutdown() }
        try await makeApplication(onServerRunning: onServerRunning).runService()
    }

    /// Stops generation: unfinished requests end with 503 / an error event, new ones are refused.
    public func shutdown() { served.scheduler.shutdown() }
}

/// What every route group is given.
struct RouteContext: Sendable {
    let served: ServedModel
    let embeddings: EmbeddingService?
    let metrics: ServerMetrics
    let configuration: ServerConfiguration
    var retrieval: RetrievalService? = nil
}
