// One entry point for generation: a model directory or a .gguf file becomes a language model plus
// the tokenizer that goes with it (tokenizer.json / Quill / tiktoken files in the directory, the
// GGUF's own vocabulary, or the byte tokenizer for Quill's 257-id byte-level models), the chat template
// and every token id that ends generation.
import Foundation
import QuillFormats
import QuillTokenizer

/// A causal language model, its tokenizer, the chat template it declares and the ids that end generation.
///
/// BOS / EOS policy lives on the tokenizer (`addsBeginningOfSequence`, `beginningOfSequenceID`):
/// `tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false)` gives the ids the model expects.
public struct GenerationModel {
    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    /// The Jinja chat template the model ships (GGUF `tokenizer.chat_template`, or `chat_template` in
    /// tokenizer_config.json / chat_template.jinja); nil when it declares none.
    public var chatTemplate: String?
    /// Every id that ends generation: the tokenizer's end-of-generation ids (GGUF eos / eot / eom and
    /// llama.cpp's end-of-turn texts) and the `eos_token_id`s of config.json / generation_config.json.
    /// Pass them as `GenerationParameters.stopTokenIDs`.
    public var stopTokenIDs: Set<Int>

    public init(model: any LanguageModel, tokenizer: any Tokenizer, chatTemplate: String? = nil,
                stopTokenIDs: Set<Int>? = nil) {
        self.model = model; self.tokenizer = tokenizer; self.chatTemplate = chatTemplate
        var ids = stopTokenIDs ?? tokenizer.endOfGenerationIDs
        if let endOfText = tokenizer.endOfTextID { ids.insert(endOfText) }
        self.stopTokenIDs = ids
    }

    /// The ids of a plain-text prompt as the model expects them: BOS when declared, special-token text as text.
    public func promptTokens(_ prompt: String) -> [Int] {
        tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false)
    }
}

extension ModelRegistry {
    /// Loads `path` — a Hugging Face model directory (gpt2, llama, mistral, qwen2) or a GGUF file
    /// (gpt2, llama, qwen2) — with its tokenizer.
    ///
    /// ```swift
    /// let loaded = try ModelRegistry.loadForGeneration(path: URL(fileURLWithPath: "tiny.gguf"))
    /// let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer)
    /// ```
    public static func loadForGeneration(path: URL) throws -> GenerationModel {
        if isGGUF(path) {
            let file = try GGUFFile(url: path)
            let model = try GGUFCheckpoint.loadModel(file, forInference: true)
            let template = file.metadata["tokenizer.chat_template"]?.stringValue
            if let tokenizer = try GGUFTokenizer.load(file) {
                return GenerationModel(model: model, tokenizer: try checked(tokenizer, for: model, path), chatTemplate: template)
            }
            return GenerationModel(model: model, tokenizer: try byteTokenizer(for: model, path), chatTemplate: template)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw ModelError.invalidConfig("\(path.path) does not exist (expected a model directory or a .gguf file)")
        }
        guard isDirectory.boolValue else {
            throw ModelError.unsupported("\(path.path) is a file but not GGUF; pass a model directory or a .gguf file")
        }
        let model = try loadLanguageModel(directory: path)
        let tokenizer = try tokenizer(directory: path, for: model)
        var stops = tokenizer.endOfGenerationIDs
        for name in ["config.json", "generation_config.json"] {
            stops.formUnion(try declaredEndOfSequenceIDs(path.appendingPathComponent(name), vocabularySize: model.vocabularySize))
        }
        return GenerationModel(model: model, tokenizer: tokenizer, chatTemplate: try chatTemplate(directory: path),
                               stopTokenIDs: stops)
    }

    /// The `eos_token_id` (an id or a list of ids) of a config.json / generation_config.json; empty when
    /// the file or the key is absent. Ids outside the vocabulary are an error naming the file.
    public static func declaredEndOfSequenceIDs(_ url: URL, vocabularySize: Int) throws -> Set<Int> {
        guard let data = try? Data(contentsOf: url) else { return [] }
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch { throw ModelError.invalidConfig("\(url.path): \(error)") }
        guard let value = json["eos_token_id"], !value.isNull else { return [] }
        let values = value.arrayValue ?? [value]
        var ids: Set<Int> = []
        for v in values {
            guard let id = v.intValue, id >= 0, id < vocabularySize else {
                throw ModelError.invalidConfig("\(url.path): eos_token_id \(v) is not an id of the \(vocabularySize)-token vocabulary")
            }
            ids.insert(id)
        }
        return ids
    }

    /// The chat template a model directory declares: `chat_template.jinja`, else tokenizer_config.json's
    /// `chat_template` (a string, or a list of `{name, template}` from which "default" is taken).
    public static func chatTemplate(directory: URL) throws -> String? {
        let jinja = directory.appendingPathComponent("chat_template.jinja")
        if let text = try? String(contentsOf: jinja, encoding: .utf8) { return text }
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        guard let data = try? Data(contentsOf: configURL) else { return nil }
        let config: JSONValue
        do { config = try JSONValue(parsing: data) } catch {
            throw ModelError.invalidConfig("\(configURL.path): \(error)")
        }
        switch config["chat_template"] {
        case .string(let s)?: return s
        case .array(let list)?:
            let named = list.first { $0["name"]?.stringValue == "default" } ?? list.first
            return named?["template"]?.stringValue
        default: return nil
        }
    }

    /// Whether `url` names a GGUF file (by extension, or by its "GGUF" magic).
    public static func isGGUF(_ url: URL) -> Bool {
        if url.pathExtension.lowercased() == "gguf" { return true }
        // fopen/fread rather than FileHandle, whose readData traps on a directory.
        guard let file = fopen(url.path, "rb") else { return false }
        defer { fclose(file) }
        var magic = [UInt8](repeating: 0, count: 4)
        return fread(&magic, 1, 4, file) == 4 && magic == Array("GGUF".utf8)
    }

    /// The tokenizer stored in a model directory, or the byte tokenizer for a model of at most 257 ids
    /// (Quill's byte-level models; tiny test models whose ids are all bytes).
    public static func tokenizer(directory: URL, for model: any LanguageModel) throws -> any Tokenizer {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        if names.contains("tokenizer.json") || names.contains("vocab.quilltok") || names.contains(where: { $0.hasSuffix(".tiktoken") }) {
            return try checked(TokenizerLoader.load(directory.path), for: model, directory)
        }
        return try byteTokenizer(for: model, directory)
    }

    private static func byteTokenizer(for model: any LanguageModel, _ path: URL) throws -> any Tokenizer {
        guard model.vocabularySize <= ByteTokenizer().vocabularySize else {
            throw ModelError.invalidConfig("\(path.path) has no tokenizer (tokenizer.json, vocab.quilltok, *.tiktoken or GGUF "
                + "tokenizer metadata) and its vocabulary of \(model.vocabularySize) ids is larger than Quill's 257-id byte vocabulary")
        }
        return ByteTokenizer()
    }

    /// Refuses a tokenizer whose ids the model cannot embed.
    private static func checked(_ tokenizer: any Tokenizer, for model: any LanguageModel, _ path: URL) throws -> any Tokenizer {
        guard tokenizer.vocabularySize <= model.vocabularySize else {
            throw ModelError.invalidConfig("\(path.path): the tokenizer has \(tokenizer.vocabularySize) ids but the model "
                + "embeds only \(model.vocabularySize)")
        }
        return tokenizer
    }
}
