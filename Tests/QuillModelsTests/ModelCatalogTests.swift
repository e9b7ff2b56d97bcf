// Short model names: `shakespeare` is the bundled model, `smollm2` the fetched SmolLM2 GGUF; names are
// looked up beside the repository (or under $QUILL_ASSETS), a path always wins, and a missing asset is a
// typed error that says how to fetch it.
import Foundation
import Testing
import QuillFormats
import QuillModels

@Suite("Model catalog")
struct ModelCatalogTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func temporaryRoot() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url.appendingPathComponent(".assets"), withIntermediateDirectories: true)
        return url
    }

    @Test func shakespeareIsTheBundledModelAndLoads() throws {
        let url = try ModelCatalog.resolve("shakespeare", roots: [Self.repository], environment: [:])
        #expect(url.standardizedFileURL == Self.repository.appendingPathComponent("Models/shakespeare-gpt").standardizedFileURL)
        let loaded = try ModelRegistry.loadForGeneration(path: url)
        #expect(loaded.model.vocabularySize == 257)
    }

    @Test func namesAreFoundUnderEachRootInOrderAndCaseInsensitively() throws {
        let empty = try Self.temporaryRoot(), full = try Self.temporaryRoot()
        defer { for u in [empty, full] { try? FileManager.default.removeItem(at: u) } }
        let file = full.appendingPathComponent(".assets/SmolLM2-135M-Instruct.Q4_1.gguf")
        FileManager.default.createFile(atPath: file.path, contents: Data("GGUF".utf8))
        #expect(try ModelCatalog.resolve("SmolLM2", roots: [empty, full], environment: [:]).path == file.standardizedFileURL.path)
        // $QUILL_ASSETS stands for .assets.
        let assets = full.appendingPathComponent(".assets").path
        #expect(try ModelCatalog.resolve("smollm2", roots: [empty], environment: ["QUILL_ASSETS": assets]).path == file.path)
    }

    @Test func aMissingAssetSaysHowToFetchIt() throws {
        let empty = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: empty) }
        let expected = empty.appendingPathComponent(".assets/SmolLM2-135M-Instruct.Q4_1.gguf").standardizedFileURL.path
        #expect(throws: ModelCatalogError.assetMissing(name: "smollm2", searched: [expected], fetch: "run Scripts/setup/fetch_assets.sh to fetch it")) {
            try ModelCatalog.resolve("smollm2", roots: [empty], environment: [:])
        }
        do { _ = try ModelCatalog.resolve("smollm2", roots: [empty], environment: [:]) } catch {
            #expect("\(error)".contains("Scripts/setup/fetch_assets.sh") && "\(error)".contains(expected))
        }
    }

    @Test func anExistingPathWinsAndOtherTextStaysAPath() throws {
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try ModelCatalog.resolve(root.path, roots: [], environment: [:]).path == root.path)
        #expect(try ModelCatalog.resolve("no/such/model.gguf", roots: [], environment: [:]).path.hasSuffix("no/such/model.gguf"))
        #expect(ModelCatalog.entry(named: "gpt-5") == nil)
    }

    /// The fetched SmolLM2 file is the model the catalog promises (needs .assets; running it needs Q4_1).
    @Test func smollm2IsTheSmolLM2InstructGGUF() throws {
        guard let url = try? ModelCatalog.resolve("smollm2", roots: [Self.repository]) else {
            print("skipped: .assets/SmolLM2-135M-Instruct.Q4_1.gguf is absent (run Scripts/setup/fetch_assets.sh)")
            return
        }
        let file = try GGUFFile(url: url)
        #expect(file.architecture == "llama")
        #expect(file.metadata["llama.block_count"]?.intValue == 30 && file.metadata["llama.embedding_length"]?.intValue == 576)
        #expect(file.metadata["tokenizer.ggml.pre"]?.stringValue == "smollm")
        #expect(file.tensor(named: "token_embd.weight")?.shape == [49152, 576])
    }
}
