// `quill bench generate`: prefill and decode speed as llama-bench measures them (pp: the prompt in one
// batch from an empty cache; tg: tokens one at a time from an empty cache), on a model file or
// directory, or on a random GPT-2-124M-shaped model built in memory in the chosen weight format.
import ArgumentParser
import Foundation
import QuillFormats
import QuillModels
import QuillTensor

struct GenerateBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Time prompt processing (prefill) and token generation (decode).",
        discussion: """
        Each repetition runs the prompt from an empty cache (prefill) and then, from another empty
        cache, --gen-tokens single-token steps (decode), like llama-bench's pp and tg tests.
        Examples:
          quill bench generate --random-gpt2-124m --type q8_0 --threads 2 --json
          quill bench generate --model gpt2-q8_0.gguf --prompt-tokens 512 --gen-tokens 128 --threads 1
          quill bench generate --model gpt2-f16.gguf --kv-type f16 --depth 900 --gen-tokens 100 --threads 1
        """)

    @Option(help: ArgumentHelp(stringLiteral: ModelLocator.help)) var model: String?
    @Flag(name: .customLong("random-gpt2-124m"), help: "Use a random GPT-2-124M-shaped model built in memory.") var randomGPT2 = false
    @Option(help: "Weight format for the matmuls: f32, f16, q8_0, q4_k, … (default: as loaded; f32 for --random-gpt2-124m).") var type: String?
    @Option(name: .customLong("prompt-tokens"), help: "Prompt length for the prefill test (0 skips it).") var promptTokens = 512
    @Option(name: .customLong("gen-tokens"), help: "Tokens for the decode test (0 skips it).") var genTokens = 128
    @Option(name: .customLong("kv-type"), help: "KV cache storage: f32 or f16.") var kvType = "f32"
    @Option(help: "Positions already in the cache when the decode test starts (llama-bench's depth).") var depth = 0
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Timed repetitions (after one warm-up).") var repetitions = 3
    @Flag(help: "Print one JSON object.") var json = false
    @Option(name: .customLong("save-gguf"), help: "Also write the model (after --type) as GGUF with a placeholder vocabulary, for llama.cpp.") var saveGGUF: String?

    func run() throws {
        try runReportingErrors {
            guard promptTokens >= 0, genTokens >= 0, repetitions > 0 else { throw CommandError("need prompt/gen tokens ≥ 0 and repetitions > 0") }
            Parallel.configure(threads: threads ?? Parallel.threadCount)
            let weightType = try type.map { name -> WeightType in
                guard let t = WeightType(name: name) else {
                    throw CommandError("unknown --type \(name) (\(WeightType.allCases.map { $0.description.lowercased() }.joined(separator: ", ")))")
                }
                return t
            }
            let (lm, label) = try loadModel()
            if let weightType { try lm.quantize(to: weightType) }
            if let saveGGUF { try save(lm, weightType ?? .f32, to: saveGGUF) }
            if promptTokens == 0 && genTokens == 0 { return }
            guard let cacheType = KVCacheType(rawValue: kvType) else { throw CommandError("unknown --kv-type \(kvType) (f32, f16)") }
            guard promptTokens + 1 < lm.contextLength, depth >= 0, depth + genTokens <= lm.contextLength else {
                throw CommandError("prompt tokens, or depth + gen tokens, exceed the model's context of \(lm.contextLength)")
            }
            let format = lm.inferenceWeights.map(\.formatSummary) ?? "F32 (float path)"
            var rng = RandomGenerator(seed: 7)
            let prompt = (0..<promptTokens).map { _ in rng.nextInt(below: lm.vocabularySize) }
            let context = (0..<depth).map { _ in rng.nextInt(below: lm.vocabularySize) }
            _ = try timeRun(lm, cacheType, prompt: Array(prompt.prefix(16)), context: [], steps: min(genTokens, 4))    // warm-up
            var prefill: [Double] = [], decode: [Double] = [], decodeCPU: [Double] = []
            for _ in 0..<repetitions {
                let (p, d, cpu) = try timeRun(lm, cacheType, prompt: prompt, context: context, steps: genTokens)
                if promptTokens > 0 { prefill.append(Double(promptTokens) / p) }
                if genTokens > 0 { decode.append(Double(genTokens) / d); decodeCPU.append(Double(genTokens) / cpu) }
            }
            let check = cacheType == .f32 || genTokens == 0 ? nil : try compareWithF32Cache(lm, cacheType, context: context, steps: genTokens)
            report(label: label, format: format, prefill: prefill, decode: decode, decodeCPU: decodeCPU, check: check)
        }
    }

    func loadModel() throws -> (any QuantizableLanguageModel, String) {
        if randomGPT2 { return (try GPT(config: .gpt2Small, seed: 1), "random GPT-2 124M") }
        guard let model else { throw CommandError("give --model PATH or --random-gpt2-124m") }
        let url = try ModelLocator.resolve(model)
        if ModelRegistry.isGGUF(url) {
            // Any architecture, weights in place; the tokenizer is not read (the benchmark feeds ids).
            guard let lm = try GGUFCheckpoint.loadModel(GGUFFile(url: url), forInference: true) as? any QuantizableLanguageModel else {
                throw CommandError("\(model): this model type has no quantizable inference path")
            }
            return (lm, url.lastPathComponent)
        }
        guard let lm = try ModelRegistry.loadLanguageModel(directory: url) as? any QuantizableLanguageModel else {
            throw CommandError("\(model): this model type has no quantizable inference path")
        }
        return (lm, url.lastPathComponent)
    }

    /// Writes a GPT-2 as llama.cpp-loadable GGUF: its tensors plus GGUFTokenizer's placeholder byte-level
    /// vocabulary (id i < 256 = byte i, then control tokens) and no merges; benchmarks feed ids. The shared
    /// placeholder, not one of its own: Quill's GGUF reader refused the "<tok N>" names this used to write.
    func save(_ lm: any QuantizableLanguageModel, _ type: WeightType, to path: String) throws {
        guard let gpt = lm as? GPT else { throw CommandError("--save-gguf writes GPT-2 models only") }
        var writer = try gpt.ggufWriter(type: type, name: "random-gpt2-124m")
        let V = gpt.vocabularySize
        for (key, value) in try GGUFTokenizer.metadata(for: nil, vocabularySize: V, bosTokenID: V - 1, eosTokenID: V - 1) {
            writer.addMetadata(key, value)
        }
        try writer.write(to: URL(fileURLWithPath: path))
    }

    /// Seconds for the prefill of `prompt` from an empty cache and for `steps` decode steps after
    /// `context` (untimed) in another cache; also the decode's process CPU seconds, which other
    /// processes sharing the cores inflate far less than wall time (meaningful with --threads 1).
    func timeRun(_ lm: any LanguageModel, _ type: KVCacheType, prompt: [Int], context: [Int], steps: Int) throws -> (Double, Double, Double) {
        var prefillSeconds = 0.0, decodeSeconds = 0.0, decodeCPUSeconds = 0.0
        if !prompt.isEmpty {
            let cache = lm.makeCache(type: type)
            let t = Date()
            _ = try lm.forward(prompt, cache: cache)
            prefillSeconds = Date().timeIntervalSince(t)
        }
        if steps > 0 {
            let cache = lm.makeCache(type: type)
            if !context.isEmpty { _ = try lm.forward(context, cache: cache) }
            var token = 0
            let t = Date(), c = Self.cpuSeconds()
            for _ in 0..<steps {
                let logits = try lm.forward([token], cache: cache)
                token = argmax(logits)
            }
            decodeSeconds = Date().timeIntervalSince(t)
            decodeCPUSeconds = Self.cpuSeconds() - c
        }
        return (prefillSeconds, decodeSeconds, decodeCPUSeconds)
    }

    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The decode test once more, untimed, through `type` and an F32 cache side by side (the F32
    /// cache's greedy token fed to both): the largest |Δlogit| and how many steps picked the same token.
    func compareWithF32Cache(_ lm: any LanguageModel, _ type: KVCacheType, context: [Int], steps: Int) throws -> (Float, Int) {
        let reference = lm.makeCache(type: .f32), tested = lm.makeCache(type: type)
        var token = 0, worst: Float = 0, agree = 0
        if !context.isEmpty {
            _ = try lm.forward(context, cache: reference)
            _ = try lm.forward(context, cache: tested)
        }
        for _ in 0..<steps {
            let a = try lm.forward([token], cache: reference), b = try lm.forward([token], cache: tested)
            for i in 0..<a.count { worst = max(worst, abs(a.data[i] - b.data[i])) }
            token = argmax(a)
            if argmax(b) == token { agree += 1 }
        }
        return (worst, agree)
    }

    func argmax(_ t: Tensor) -> Int {
        var best = 0
        for i in 1..<t.count where t.data[i] > t.data[best] { best = i }
        return best
    }

    func report(label: String, format: String, prefill: [Double], decode: [Double], decodeCPU: [Double], check: (Float, Int)?) {
        func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
        func spread(_ v: [Double]) -> Double {
            let m = mean(v)
            return v.count < 2 ? 0 : (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot()
        }
        if json {
            print(String(format: "{\"model\": \"%@\", \"type\": \"%@\", \"kv_type\": \"%@\", \"depth\": %d, \"threads\": %d, \"prompt_tokens\": %d, \"gen_tokens\": %d, "
                         + "\"prefill_tokens_per_second\": %.2f, \"decode_tokens_per_second\": %.2f, "
                         + "\"prefill_stddev\": %.2f, \"decode_stddev\": %.2f, \"repetitions\": %d}",
                         label, format, kvType, depth, Parallel.threadCount, promptTokens, genTokens, mean(prefill), mean(decode),
                         spread(prefill), spread(decode), repetitions).dropLast()
                  + String(format: ", \"decode_tokens_per_cpu_second\": %.2f", mean(decodeCPU))
                  + (check.map { String(format: ", \"max_abs_logit_diff_vs_f32_kv\": %.3g, \"greedy_agreement_vs_f32_kv\": %d", $0.0, $0.1) } ?? "") + "}")
        } else {
            print("\(label), weights \(format), KV \(kvType), depth \(depth), \(Parallel.threadCount) threads, \(KernelISA.available) kernels")
            print(String(format: "pp%d: %.1f ± %.1f tok/s", promptTokens, mean(prefill), spread(prefill)))
            print(String(format: "tg%d: %.1f ± %.1f tok/s (%.1f tok per CPU second)", genTokens, mean(decode), spread(decode), mean(decodeCPU)))
            if let (worst, agree) = check {
                print(String(format: "vs an F32 cache: max |Δlogit| %.3g, same greedy token %d/%d steps", worst, agree, genTokens))
            }
        }
    }
}
