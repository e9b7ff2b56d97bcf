// `quill serve`: load a model (and optionally a sentence embedder) and serve OpenAI's API over HTTP
// with continuous batching. Wiring only: QuillServer holds the routes, the scheduler the batching.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillModels
import QuillServer
import QuillTensor

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API (chat, completions, embeddings) with a web playground.",
        discussion: """
        Requests share the model through continuous batching: up to --parallel sequences advance in \
        each step; more wait in a queue of --queue requests, and past that get 429 with Retry-After. \
        A prompt that continues a cached conversation reuses its computed prefix. Open \
        http://HOST:PORT/ in a browser for the playground.

        Examples:
          quill serve --model Models/shakespeare-gpt --port 8080
          quill serve --model tiny.gguf --parallel 8 --ctx-size 2048 --api-key secret
          quill serve --model Models/shakespeare-gpt --embedding-model .assets/all-MiniLM-L6-v2
          quill serve --model smollm2 --rag-db wiki.sqlite --rag-k 3
          quill serve --model smollm2 --content-policy docs/examples/content-policy.json
          quill serve --model smollm2 --keys keys.json --billing-db billing.sqlite --prices prices.json --feedback-db feedback.sqlite
          curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\
            -d '{"model": "shakespeare-gpt", "messages": [{"role": "user", "content": "Hello"}]}'
        """)

    @Option(help: "Model directory (gpt2/llama/mistral/qwen2) or .gguf file. Default: the bundled Models/shakespeare-gpt.")
    var model: String?
    @Option(help: "Address to listen on (0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one and prints it).") var port = 8080
    @Option(name: .customLong("api-key"), help: "Require this key (Authorization: Bearer KEY or X-Api-Key). Default: $QUILL_API_KEY, else none.")
    var apiKey: String?
    @Option(help: "Generation slots: sequences decoded together in one batched step.") var parallel = 4
    @Option(name: .customLong("ctx-size"), help: "Positions one sequence may fill (default: the model's context).")
    var contextSize: Int?
    @Option(help: "Requests that may wait for a slot before new ones get 429.") var queue = 64
    @Option(name: .customLong("embedding-model"), help: "Sentence-transformers / BERT directory served at /v1/embeddings.")
    var embeddingModel: String?
    @Option(name: .customLong("embedding-max-length"), help: "Truncate embedding inputs at this many tokens (default: the directory's max_seq_length).")
    var embeddingMaxLength: Int?
    @Option(name: .customLong("rag-db"), help: "A `quill rag index` file: chat answers cite its retrieved chunks (a request's \"rag\": false opts out).")
    var ragDB: String?
    @Option(name: .customLong("rag-k"), help: "Chunks retrieved per question.") var ragK = 5
    @Option(name: .customLong("rag-mode"), help: "Retrieval ranking: dense, bm25 or hybrid.") var ragMode = "hybrid"
    @Option(name: .customLong("model-id"), help: "The model's name in the API (default: the file or directory name).")
    var modelID: String?
    @Option(name: .customLong("kv-type"), help: "KV cache storage: f32 or f16 (half the memory).") var kvType = "f32"
    @Option(name: .customLong("max-body"), help: "Largest request body in bytes; larger ones get 413.") var maxBody = 8 << 20
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(name: .customLong("content-policy"), help: "Content policy JSON: input bounds, hidden characters, filtered categories; enables /v1/moderations (docs/safety.md).")
    var contentPolicy: String?
    @OptionGroup var accounting: ServeAccountingOptions

    func validate() throws {
        guard (1...256).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 256") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard queue >= 0 else { throw ValidationError("--queue must be ≥ 0") }
        if let contextSize, contextSize < 2 { throw ValidationError("--ctx-size must be at least 2") }
        guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
    }

    func run() async throws {
        let (server, configuration) = try loadServer()
        FileHandle.standardError.write(Data("loaded \(configuration.modelID); serving on http://\(host):\(port) with \(parallel) slots\n".utf8))
        do {
            try await server.run { boundPort in
                if port == 0 { print("listening on port \(boundPort)"); fflush(stdout) }
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func loadServer() throws -> (OpenAIServer, ServerConfiguration) {
        var result: (OpenAIServer, ServerConfiguration)?
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            guard let cacheType = KVCacheType(rawValue: kvType) else { throw CommandError("--kv-type: '\(kvType)' is not f32 or f16") }
            let policy = try contentPolicy.map { try ContentPolicy.load(file: $0) }      // before the model: fail fast
            let path = try ModelLocator.resolve(model)
            let loaded = try ModelRegistry.loadForGeneration(path: path)
            var configuration = ServerConfiguration(host: host, port: port, apiKey: apiKey ?? ProcessInfo.processInfo.environment["QUILL_API_KEY"],
                                                    parallel: parallel, contextLength: contextSize, maxQueued: queue)
            configuration.modelID = modelID ?? Self.name(of: path)
            configuration.modelAliases = [model, path.path, Self.name(of: path)].compactMap { $0 }
            configuration.cacheType = cacheType
            configuration.maxBodyBytes = maxBody
            if let policy { configuration.contentPolicy = policy }
            configuration.accounting = try accounting.load(modelID: configuration.modelID)
            var embedder: TextEmbedder?
            if let embeddingModel {
                let directory = URL(fileURLWithPath: embeddingModel)
                embedder = try TextEmbedder.load(directory: directory, maxSequenceLength: embeddingMaxLength)
                configuration.embeddingModelID = Self.name(of: directory)
            }
            var retrieval: RetrievalService?
            if let ragDB {
                guard let mode = RetrievalMode(rawValue: ragMode) else { throw CommandError("--rag-mode: '\(ragMode)' is not dense, bm25 or hybrid") }
                let index = try RAGIndex(path: ragDB)
                // The index names its own model; --embedding-model is only the fallback for an index that does not.
                let ragEmbedder = try TextEmbedder.load(for: index, directory: try index.embeddingModelPath() == nil ? embeddingModel : nil)
                retrieval = try RetrievalService(index: index, embedder: ragEmbedder, k: ragK, mode: mode)
            }
            result = (OpenAIServer(configuration: configuration, model: loaded, embedder: embedder, retrieval: retrieval), configuration)
        }
        return result!
    }

    /// "Models/shakespeare-gpt/" → "shakespeare-gpt"; "smollm2.Q8_0.gguf" → "smollm2.Q8_0".
    static func name(of url: URL) -> String {
        let last = url.standardizedFileURL.lastPathComponent
        return url.pathExtension.lowercased() == "gguf" ? String(last.dropLast(5)) : last
    }
}
