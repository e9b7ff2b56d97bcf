// Reading documents to index: Markdown titles, plain-text fallbacks, absolute sources, and typed
// errors for missing, binary, non-UTF-8 and malformed corpus files.
import Foundation
import Testing
@testable import QuillAssistant

@Suite("RAG documents")
struct RAGDocumentTests {
    static func write(_ name: String, _ data: Data) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ragdoc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    @Test func titlesAndSources() throws {
        let md = try Self.write("guide.md", Data("Intro line\n\n# The Guide \nBody text.\n## Part\n".utf8))
        let doc = try RAGDocument.load(file: md)
        #expect(doc.title == "The Guide" && doc.text.hasSuffix("## Part\n"))
        #expect(doc.source == URL(fileURLWithPath: md).standardizedFileURL.path && doc.source.hasPrefix("/"))
        let txt = try Self.write("notes.txt", Data("just text\n".utf8))
        #expect(try RAGDocument.load(file: txt).title == "notes")
    }

    @Test func badFilesAreTypedErrors() throws {
        for data in [Data([0xFF, 0xFE, 0x41]), Data("a\u{0}b".utf8)] {
            let path = try Self.write("bad.txt", data)
            #expect(throws: RAGError.self) { try RAGDocument.load(file: path) }
        }
        #expect(throws: RAGError.self) { try RAGDocument.load(file: "/nonexistent/file.md") }
        for json in ["[1, 2]", "{\"A\": 3}", "{not json"] {
            let path = try Self.write("summaries.json", Data(json.utf8))
            #expect(throws: RAGError.self, "\(json)") { try RAGDocument.loadWikipediaSummaries(file: path) }
        }
    }

    @Test func wikipediaSummariesKeepFileOrderAndSkipEmptyExtracts() throws {
        let json = #"{"B": {"title": "B", "extract": "Bee.", "description": "insect", "topic": "Nature"}, "A": {"title": "A", "extract": ""}, "C": {"extract": "Sea."}}"#
        let path = try Self.write("summaries.json", Data(json.utf8))
        let docs = try RAGDocument.loadWikipediaSummaries(file: path)
        #expect(docs == [RAGDocument(source: "wikipedia:B", title: "B", text: "Bee."), RAGDocument(source: "wikipedia:C", title: "C", text: "Sea.")])
        let queries = RetrievalEvaluation.wikipediaQueries(try RAGDocument.wikipediaEntries(file: path))
        #expect(queries.map(\.text) == ["insect"] && queries.map(\.expectedSource) == ["wikipedia:B"])
    }
}
