// `quill chat`: a terminal chat with a model (ollama's `run`, llama.cpp's `llama-cli -cnv`). Wiring only:
// the conversation, its trimming to the context and the slash commands are QuillAssistant's ChatLoop;
// this file parses flags, loads the model and routes Ctrl-C to the loop.
import ArgumentParser
import Foundation
import QuillAssistant
import QuillGeneration
import QuillModels
import QuillTensor

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a model at the terminal, answers streamed as they are generated.",
        discussion: """
        Type a message and press Enter. Commands: /reset, /system TEXT, /save FILE, /load FILE, /help, /exit. \
        Ctrl-C stops the answer being written; Ctrl-C twice at an empty prompt, /exit or Ctrl-D leaves. The \
        oldest turns are left out when the conversation outgrows the context (the system prompt stays). \
        With --prompt, or with questions piped into stdin (one per line), it answers and exits.

        Examples:
          quill chat --model smollm2 --system "You are a helpful assistant." --system-date
          quill chat --model smollm2 --prompt "What is the capital of France?" --temperature 0
          quill chat --model path/to/model.gguf --price-per-million 0.60 --ctx-size 4096
          printf 'Hi\\nName a colour.\\n' | quill chat --model smollm2
          quill chat --model smollm2 --tools docs/examples/tools.json --prompt "What is 17 * 23?"
        """)

    @Option(help: ArgumentHelp(stringLiteral: ModelLocator.help + " Default: $QUILL_MODEL, else shakespeare."))
    var model: String?
    @Option(help: "System prompt ({date} becomes today's date).") var system: String?
    @Flag(name: .customLong("system-date"), help: "Tell the model today's date in the system prompt.") var systemDate = false
    @Option(help: "Ask this one question, print the answer and exit.") var prompt: String?
    @Option(name: .customLong("price-per-million"), help: "Print each turn's cost at this price per million tokens.")
    var pricePerMillion: Double?
    @Option(name: .customLong("max-tokens"), help: "Most tokens in one answer.") var maxTokens = 512
    @Option(help: "Sampling temperature; 0 means greedy.") var temperature: Float = 0.7
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold in (0, 1].") var topP: Float = 0.95
    @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens (0 = all).") var topK = 40
    @Option(help: "Random seed; the same seed and conversation give the same answer.") var seed: UInt64 = 0
    @Option(name: .customLong("ctx-size"), help: "Context positions (default: the model's, at most 4096).") var contextSize: Int?
    @Option(name: .customLong("kv-type"), help: "KV cache storage: f32 or f16 (half the memory).") var kvType = "f32"
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Tools the model may call, run by quill: a JSON file listing built-in names or OpenAI tool definitions (current_datetime, calculator, search_documents). See docs/tools.md.")
    var tools: String?
    @Option(name: .customLong("rag-db"), help: "RAG index (quill rag index) that the search_documents tool searches.") var ragDB: String?
    @Option(name: .customLong("content-policy"), help: "Content policy JSON: input bounds, hidden characters, filtered categories (docs/safety.md).")
    var contentPolicy: String?

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        if let contextSize, contextSize < 16 { throw ValidationError("--ctx-size must be at least 16") }
        if let pricePerMillion, !(pricePerMillion >= 0) { throw ValidationError("--price-per-million must be ≥ 0") }
        guard KVCacheType(rawValue: kvType) != nil else { throw ValidationError("--kv-type: '\(kvType)' is not f32 or f16") }
    }

    func run() async throws {
        var loop: ChatLoop?
        try runReportingErrors { loop = try makeLoop() }
        guard let loop else { return }
        defer { loop.engine.shutdown() }
        let interrupts = Self.routeInterrupts(to: loop)
        defer { interrupts.cancel() }
        if let prompt {
            guard await loop.ask(prompt) != nil else { throw ExitCode.failure }
        } else {
            if StandardChatTerminal.inputIsTerminal {
                FileHandle.standardError.write(Data("Chatting with \(model ?? ModelLocator.defaultName). /help for commands, /exit or Ctrl-D to leave.\n".utf8))
            }
            await loop.run()
        }
    }

    private func makeLoop() throws -> ChatLoop {
        if let threads { Parallel.configure(threads: threads) }
        let policy = try contentPolicy.map { try ContentPolicy.load(file: $0) }      // before the model: fail fast
        let loaded = try ModelRegistry.loadForGeneration(path: try ModelLocator.resolve(model))
        if let contextSize, contextSize > loaded.model.contextLength {
            throw CommandError("--ctx-size: \(contextSize) is more than the model's context of \(loaded.model.contextLength)")
        }
        let engine = ChatEngine(model: loaded, slots: 1, contextLength: contextSize, cacheType: KVCacheType(rawValue: kvType) ?? .f32)
        if let policy { engine.contentPolicy = policy }
        let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed)
        try sampling.validate(vocabularySize: engine.vocabularySize)
        let interactive = prompt == nil && StandardChatTerminal.inputIsTerminal
        let settings = ChatSettings(parameters: GenerationParameters(maxTokens: maxTokens, sampling: sampling),
                                    pricePerMillion: pricePerMillion, systemDate: systemDate, prompt: interactive ? "> " : "")
        let loop = ChatLoop(engine: engine, system: system, settings: settings, terminal: StandardChatTerminal())
        if let tools { loop.toolbox = try Toolbox.load(file: tools, ragDB: ragDB) }
        return loop
    }

    /// Ctrl-C goes to the loop instead of ending the process: it stops an answer, or warns, or leaves.
    private static func routeInterrupts(to loop: ChatLoop) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            switch loop.interrupt() {
            case .stoppedAnswer: break
            case .armed: FileHandle.standardError.write(Data("\n(Ctrl-C again to leave, or type /exit)\n".utf8))
            case .exit:
                FileHandle.standardError.write(Data("\n".utf8))
                loop.engine.shutdown()
                Foundation.exit(0)
            }
        }
        source.resume()
        return source
    }
}
