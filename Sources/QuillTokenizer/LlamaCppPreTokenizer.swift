// What llama.cpp does for each `tokenizer.ggml.pre` name of a byte-level BPE vocabulary (its
// `llama_vocab::impl::load`): which regexes split the text, whether merges are skipped for whole-word
// tokens, whether BOS is added by default. An unknown name is an error, never a guess.

/// llama.cpp's settings for one `tokenizer.ggml.pre` name.
public struct LlamaCppPreTokenizer: Sendable {
    /// The name as the GGUF spells it (nil when the file has none: llama.cpp then uses "default").
    public let name: String?
    public let preTokenization: PreTokenization
    /// llama.cpp's `ignore_merges`: a piece that is itself a token is emitted whole.
    public let ignoresMerges: Bool
    /// Whether BOS is added when the GGUF has no `tokenizer.ggml.add_bos_token`.
    public let addsBeginningOfSequenceByDefault: Bool
    /// False where llama.cpp clears the default BOS id (ChatGLM); the GGUF's own bos id still counts.
    public let hasDefaultBeginningOfSequence: Bool

    /// Families llama.cpp runs with code of its own that Quill does not reproduce.
    static let unsupportedFamilies: Set<String> = ["kimi_k2", "afmoe", "tiny_aya", "whitespace"]
    /// Families whose vocabularies are SentencePiece-style BPE over ▁-escaped UTF-8.
    static let sentencePieceFamilies: Set<String> = ["gemma4", "sarvam_moe"]

    /// `tokenizer.ggml.pre` name → (regex family, ignore merges, add BOS by default, keeps the default BOS id).
    static let names: [String: (family: String, ignoresMerges: Bool, addsBOS: Bool, hasBOS: Bool)] = {
        var table: [String: (String, Bool, Bool, Bool)] = [:]
        func add(_ names: [String], _ family: String, ignoresMerges: Bool = false, addsBOS: Bool = false, hasBOS: Bool = true) {
            for name in names { table[name] = (family, ignoresMerges, addsBOS, hasBOS) }
        }
        add(["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"],
            "llama3", ignoresMerges: true, addsBOS: true)
        add(["default"], "default")
        add(["minicpm5"], "minicpm5", ignoresMerges: true)
        add(["deepseek-llm"], "deepseek_llm")
        add(["deepseek-coder"], "deepseek_coder")
        add(["deepseek-v3", "hunyuan-dense", "hy_v4", "joyai-llm"], "hy_v4")
        add(["spark2_5"], "spark2_5")
        add(["youtu"], "youtu", ignoresMerges: true)
        add(["falcon"], "falcon")
        add(["gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
             "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "exaone4", "trillion",
             "granite-docling"], "granite_docling")
        add(["jais-2"], "jais2")
        add(["starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2"], "mellum2")
        add(["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open"], "solar_open")
        add(["qwen35"], "qwen35")
        add(["dbrx", "smaug-bpe"], "smaug")
        add(["poro-chat", "bloom", "gpt3-finnish"], "gpt3_finnish")
        add(["chatglm-bpe"], "chatglm4", hasBOS: false)
        add(["glm4", "glm5"], "chatglm4", ignoresMerges: true, hasBOS: false)
        add(["viking"], "viking")
        add(["tekken"], "tekken", ignoresMerges: true, addsBOS: true)
        add(["exaone-moe"], "exaone_moe")
        add(["chameleon"], "chameleon", addsBOS: true)
        add(["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"], "minimax_m2")
        add(["granite-embed-multi-97m"], "granite_emb_multi", ignoresMerges: true)
        add(["superbpe"], "superbpe")
        add(["bailingmoe", "bailingmoe2", "llada-moe"], "bailingmoe")
        add(["seed-coder"], "seed_coder")
        add(["ufakzeka"], "ufakzeka")
        add(["grok-2"], "grok_2")
        add(["laguna"], "laguna")
        add(["tiny_aya", "cohere2moe"], "tiny_aya")
        add(["kimi-k2"], "kimi_k2")
        add(["afmoe"], "afmoe")
        add(["whitespace"], "whitespace")
        // SentencePiece-style BPE (spaces as ▁, raw UTF-8, no byte-level alphabet): LlamaCppVocabulary routes them.
        add(["gemma4", "granite-embed-multi-311m"], "gemma4", addsBOS: true)
        add(["sarvam-moe"], "sarvam_moe")
        return table.mapValues { (family: $0.0, ignoresMerges: $0.1, addsBOS: $0.2, hasBOS: $0.3) }
    }()

    /// llama.cpp's settings for `name` (nil: the file has no `tokenizer.ggml.pre`, which llama.cpp
    /// treats as "default"). Throws for names llama.cpp does not know or runs with code Quill lacks.
    public static func named(_ name: String?, source: String) throws(TokenizerError) -> LlamaCppPreTokenizer {
        guard let entry = names[name ?? "default"] else {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.pre '\(name ?? "")' is not a pre-tokenizer "
                + "llama.cpp knows; Quill will not guess one (known: \(names.keys.sorted().joined(separator: ", ")))")
        }
        guard !unsupportedFamilies.contains(entry.family), let regexes = familyRegexes[entry.family] else {
            throw .unsupported(path: source, feature: "tokenizer.ggml.pre '\(name ?? "default")' (llama.cpp splits it "
                + "with hand-written code of its own)")
        }
        let steps: [PreTokenization.Step]
        do {
            steps = try regexes.map { regex throws(TokenizerError) in try step(regex) }
        } catch {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.pre '\(name ?? "default")': \(error)")
        }
        var preTokenization = PreTokenization(steps: steps)
        preTokenization.llamaCppName = name ?? "default"
        return LlamaCppPreTokenizer(name: name, preTokenization: preTokenization,
                                    ignoresMerges: entry.ignoresMerges, addsBeginningOfSequenceByDefault: entry.addsBOS,
                                    hasDefaultBeginningOfSequence: entry.hasBOS)
    }

    /// One llama.cpp regex as a step: the four it recognizes by text become Quill's hand-written patterns
    /// (llama.cpp runs its own code for them too), the rest run in the regex engine with std::regex rules.
    static func step(_ regex: String) throws(TokenizerError) -> PreTokenization.Step {
        for pattern in [PreTokenizerPattern.gpt2, .llama3, .qwen2, .qwen35] where pattern.llamaCppRegex == regex {
            return .pattern(pattern)
        }
        if regex == PreTokenizerPattern.llama3.regex { return .pattern(.llama3) }
        return .regex(try SplitRegex(regex, flavor: .llamaCpp))
    }

    /// The name llama.cpp reads back as `pattern` (what Quill writes for its own vocabularies).
    public static func name(for pattern: PreTokenizerPattern) -> String {
        switch pattern {
        case .gpt2: return "gpt-2"
        case .cl100k, .llama3: return "llama-bpe"
        case .o200k: return "gpt-4o"
        case .qwen2: return "qwen2"
        case .qwen35: return "qwen35"
        }
    }
}
