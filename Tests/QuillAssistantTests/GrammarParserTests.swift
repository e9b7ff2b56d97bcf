// The GBNF parser and compiler: what llama.cpp's grammar README examples mean, text round trips,
// UTF-8 classes (ranges, negation, multi-byte characters), bounded repetitions, and every error with
// the line and column it points at.
import Testing
@testable import QuillAssistant

@Suite("GBNF grammars")
struct GrammarParserTests {
    static func matches(_ gbnf: String, _ text: String) throws -> Bool {
        GrammarMatcher.matches(try CompiledGrammar(gbnf: gbnf), text)
    }

    @Test(arguments: [
        (#"root ::= "yes" | "no""#, ["yes", "no"], ["", "y", "yess", "No"]),
        (#"root ::= [a-z]+ ("," [a-z]+)*"#, ["a", "ab,c", "x,y,z"], ["", ",", "a,", "A", "a,,b"]),
        (#"root ::= [^"\\]* "\"""#, ["\"", "abc\"", "é日\""], ["\\\"", "a", "a\"b"]),
        (#"root ::= [0-9]{2,3} "-" [0-9]{4}"#, ["12-3456", "123-0000"], ["1-2345", "1234-5678", "12-345"]),
        (#"root ::= "a"{3} "b"{2,} "c"?"#, ["aaabb", "aaabbbbc"], ["aabb", "aaab", "aaabbcc"]),
        ("root ::= .", ["a", "é", "日", "😀"], ["", "ab"]),
        (#"root ::= [α-ω]+ | [\u4e00-\u9fff]"#, ["αβγ", "日"], ["a", "日本", "Ω"]),
        (#"root ::= [^a-z\n]"#, ["A", "é", "😀", "\t"], ["q", "\n"]),
        (#"root ::= "\x41\u00e9\t\n\\\"""#, ["Aé\t\n\\\""], ["A"]),
        ("root ::= item+\nitem ::= (\"x\" | \"yz\") # trailing comment\n", ["x", "yzx", "xxyz"], ["y", ""]),
        ("root ::= ( \"a\"\n  | \"b\" )\n  \n# comment line\n", ["a", "b"], ["ab"]),
        ("root ::= \"[\" (\n  num (\",\" num)*\n)? \"]\"\nnum ::= \"-\"? [0-9]+", ["[]", "[1,-2,33]"], ["[1,]", "[-]"]),
        ("root ::= s\ns ::= \"(\" s \")\" s |", ["", "()", "(())()"], ["(", ")(", "(()"]),
    ] as [(String, [String], [String])])
    func grammarsAcceptExactlyTheirLanguage(_ gbnf: String, _ good: [String], _ bad: [String]) throws {
        for text in good { #expect(try Self.matches(gbnf, text), "\(gbnf) should accept \(text.debugDescription)") }
        for text in bad { #expect(try !Self.matches(gbnf, text), "\(gbnf) should reject \(text.debugDescription)") }
    }

    @Test func printedGrammarsParseBackToTheSameGrammar() throws {
        let sources = [
            #"root ::= [a-z]+ ("," [a-z]+)* | "x"{2,5} [^\]\-^] "\"\n""#,
            "root ::= a b?\na ::= \"é\\t\" | [\\x00-\\x1F]*\nb ::= (a | \"q\"){3}",
        ]
        for source in sources {
            let g = try Grammar(parsing: source)
            #expect(try Grammar(parsing: g.text) == g, "\(g.text)")
        }
        let schema = JSONSchemaCompiler.anyObject()
        let reparsed = try Grammar(parsing: schema.text)
        for (a, b) in zip(reparsed.rules, schema.rules) { #expect(a.name == b.name && a.body == b.body, "\(a.body) vs \(b.body)") }
    }

    @Test(arguments: [
        ("root ::= \"abc", 1, 10, "never closed"),
        ("root ::= foo", 1, 10, "undefined rule 'foo'"),
        ("item ::= \"x\"", 0, 0, "no rule named 'root'"),
        ("root ::= \"a\"\nroot ::= \"b\"", 2, 1, "defined twice"),
        ("root ::= [a-", 1, 10, "never closed"),
        ("root ::= [z-a]", 1, 11, "reversed"),
        ("root ::= \"\\q\"", 1, 11, "unknown escape"),
        ("root ::= \"\\x4\"", 1, 11, "hexadecimal"),
        ("root ::= (\"a\" | \"b\"", 1, 10, "never closed"),
        ("root ::= \"a\"{3,1}", 1, 13, "below the minimum"),
        ("root ::= \"a\"{x}", 1, 14, "expected a number"),
        ("root ::= \"a\"{99999}", 1, 13, "limit"),
        ("root ::= \"a\" )", 1, 14, "unexpected ')'"),
        ("\n\nroot := \"a\"", 3, 6, "expected '::='"),
        ("root ::= \"a\"\n= \"b\"", 2, 1, "expected a rule name"),
        ("root ::= root \"a\" | \"b\"", 0, 0, "left-recursive"),
        ("root ::= x\nx ::= y? x \"a\" | \"b\"\ny ::= \"c\"", 0, 0, "left-recursive"),
        ("root ::= (\"a\"?)*", 0, 0, "empty string"),
    ] as [(String, Int, Int, String)])
    func badGrammarsNameTheirLineAndColumn(_ gbnf: String, _ line: Int, _ column: Int, _ words: String) {
        do {
            _ = try CompiledGrammar(gbnf: gbnf)
            Issue.record("accepted \(gbnf.debugDescription)")
        } catch {
            #expect(error.line == line && error.column == column, "\(error) for \(gbnf.debugDescription)")
            #expect(error.message.contains(words), "\(error)")
        }
    }

    @Test func utf8RangesCoverExactlyTheirScalars() {
        // Every scalar in a few awkward ranges is matched by exactly the byte sequences made for it.
        let ranges: [ClosedRange<UInt32>] = [0x7E...0x81, 0x7FE...0x801, 0xD7FE...0xE001, 0xFFFE...0x10002, 0x10FFFE...0x10FFFF]
        let sequences = UTF8Ranges.sequences(ranges)
        func covered(_ v: UInt32) -> Bool {
            let bytes = UTF8Ranges.encode(v)
            return sequences.contains { s in s.count == bytes.count && zip(s, bytes).allSatisfy { $0.contains($1) } }
        }
        for r in ranges { for v in r where !(0xD800...0xDFFF).contains(v) { #expect(covered(v), "U+\(String(v, radix: 16))") } }
        for v: UInt32 in [0x7D, 0x82, 0x7FD, 0x802, 0xE002, 0xFFFD, 0x10003, 0x10FFFD] { #expect(!covered(v), "U+\(String(v, radix: 16))") }
        #expect(UTF8Ranges.complement([0...0x60, 0x7B...0x10FFFF]) == [0x61...0x7A])
    }

    @Test func matcherStateIsUnchangedByARejectedInput() throws {
        let m = GrammarMatcher(try CompiledGrammar(gbnf: #"root ::= "ab" "c"*"#))
        #expect(m.accept(Array("a".utf8)) && !m.isComplete)
        #expect(!m.accept(Array("x".utf8)))
        #expect(m.accept(Array("b".utf8)) && m.isComplete && m.canContinue)
        #expect(m.accept(Array("ccc".utf8)) && m.isComplete)
    }
}
