// Templates written to break the engine: unterminated tags, deep nesting, long operator chains, runaway
// recursion, huge ranges and exponential growth. Each must end in a typed `JinjaError`, quickly, never a
// crash or a hang.
import Foundation
import Testing
@testable import QuillAssistant

@Suite("Jinja hostile templates")
struct JinjaHostileTemplateTests {
    static let small = JinjaLimits(maxSteps: 30_000, maxOutputLength: 1 << 20, maxCallDepth: 32, maxCollectionLength: 1 << 16)

    static func outcome(_ source: String, limits: JinjaLimits = small) -> Result<String, Error> {
        Result { try JinjaTemplate(source).render(values: ["xs": .list([.int(1), .int(2)])], limits: limits) }
    }

    static let syntaxCases: [(String, String)] = [
        ("unterminated block", "a {% if x "),
        ("unterminated variable", "a {{ x "),
        ("unterminated comment", "a {# never closed"),
        ("unterminated string", "{{ 'abc }}"),
        ("missing endif", "{% if x %}a"),
        ("missing endfor", "{% for x in xs %}a{% if x %}b{% endif %}"),
        ("stray endfor", "a{% endfor %}"),
        ("unknown tag", "{% frobnicate %}"),
        ("unbalanced brackets", "{{ (1 + 2 }}"),
        ("closing without opening", "{{ 1 ) }}"),
        ("empty expression", "{{ }}"),
        ("bad character", "{{ 1 $ 2 }}"),
        ("raw without endraw", "{% raw %} text"),
        ("macro without endmacro", "{% macro m() %}x"),
        ("dangling operator", "{{ 1 + }}"),
        ("elif after else", "{% if a %}{% else %}{% elif b %}{% endif %}"),
    ]

    @Test(arguments: syntaxCases.map(\.0))
    func malformedTemplatesAreSyntaxErrors(_ name: String) {
        let source = Self.syntaxCases.first { $0.0 == name }!.1
        #expect(throws: JinjaError.self) { try JinjaTemplate(source) }
    }

    @Test func deepBracketNestingIsBounded() {
        let source = "{{ " + String(repeating: "(", count: 5_000) + "1" + String(repeating: ")", count: 5_000) + " }}"
        guard case .failure(let error) = Self.outcome(source), case JinjaError.limitExceeded = error else {
            Issue.record("expected a nesting limit error"); return
        }
    }

    @Test func deepBlockNestingIsBounded() {
        let source = String(repeating: "{% if true %}", count: 2_000) + "x" + String(repeating: "{% endif %}", count: 2_000)
        guard case .failure(let error) = Self.outcome(source), case JinjaError.limitExceeded = error else {
            Issue.record("expected a nesting limit error"); return
        }
    }

    @Test func longOperatorChainsAreBounded() {
        for op in ["+", "~", " and ", "*", "|trim|", "."] {
            let chain = op == "|trim|" ? "'a'" + String(repeating: "|trim", count: 3_000)
                : op == "." ? "x" + String(repeating: ".a", count: 3_000)
                : Array(repeating: "1", count: 3_000).joined(separator: op)
            let result = Self.outcome("{{ \(chain) }}")
            guard case .failure(let error) = result, error is JinjaError else { Issue.record("\(op): expected a JinjaError, got \(result)"); continue }
        }
        for prefix in ["not ", "-"] {
            let result = Self.outcome("{{ " + String(repeating: prefix, count: 3_000) + "1 }}")
            guard case .failure(let error) = result, case JinjaError.limitExceeded = error else { Issue.record("\(prefix): \(result)"); continue }
        }
    }

    @Test func runawayRecursionHitsTheCallDepth() {
        let result = Self.outcome("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
        guard case .failure(let error) = result, case JinjaError.limitExceeded(let message, _) = error else {
            Issue.record("expected a call-depth error, got \(result)"); return
        }
        #expect(message.contains("'f'"))
    }

    @Test func nestedLoopsHitTheStepLimit() {
        let source = "{% for a in range(100) %}{% for b in range(100) %}{% for c in range(100) %}.{% endfor %}{% endfor %}{% endfor %}"
        let start = Date()
        guard case .failure(let error) = Self.outcome(source), case JinjaError.limitExceeded = error else {
            Issue.record("expected a step limit error"); return
        }
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test func hugeValuesAreRefused() {
        for source in ["{{ range(10 ** 12) | length }}", "{{ 'a' * 10 ** 12 }}", "{{ [1] * 10 ** 12 }}",
                       "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
                       "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}"] {
            let result = Self.outcome(source)
            guard case .failure(let error) = result, error is JinjaError else { Issue.record("\(source): \(result)"); continue }
        }
    }

    @Test func selfNestingValuesAreBounded() {
        for source in ["{% set ns = namespace(l=[]) %}{% for i in range(20000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}",
                       "{% set ns = namespace(d={}) %}{% for i in range(20000) %}{% set ns.d = dict(x=ns.d) %}{% endfor %}{{ ns.d }}"] {
            let result = Self.outcome(source, limits: JinjaLimits())
            guard case .failure(let error) = result, case JinjaError.limitExceeded(let message, _) = error else {
                Issue.record("expected a nesting limit error, got \(result)"); continue
            }
            #expect(message.contains("nested"))
        }
        // A namespace that holds itself prints (cut short) instead of recursing forever.
        let cycle = Self.outcome("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}")
        guard case .success(let text) = cycle else { Issue.record("\(cycle)"); return }
        #expect(text.hasPrefix("<Namespace me=<Namespace me="))
    }

    @Test func hugeWidthsAreRefused() {
        for source in ["{{ 'a' | indent(10 ** 9) }}", "{{ [1] | tojson(indent=10 ** 9) }}", "{{ 1.5 | round(10 ** 9) }}",
                       "{{ range(1000) | list * 100000 }}"] {
            let result = Self.outcome(source)
            if case .failure(let error) = result { #expect(error is JinjaError) }
        }
    }

    @Test func outputIsBounded() {
        let result = Self.outcome("{% for i in range(3000) %}{{ 'x' * 1000 }}{% endfor %}")
        guard case .failure(let error) = result, case JinjaError.limitExceeded(let message, _) = error else {
            Issue.record("expected an output limit error, got \(result)"); return
        }
        #expect(message.contains("output"))
    }

    @Test func integerOverflowIsAnError() {
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ 9223372036854775807 + 1 }}").render(values: [:]) }
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ 2 ** 200 }}").render(values: [:]) }
        #expect(throws: JinjaError.self) { try JinjaTemplate("{{ 99999999999999999999 }}") }
    }

    @Test func randomBytesNeverCrash() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15   // xorshift, fixed seed: the same 300 templates every run
        func next(_ n: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(n))
        }
        let alphabet = Array("{%#}-+()[]'\"|.,:~ \nabcifelsendforsetmacro0123=<>!*/")
        for _ in 0..<300 {
            let source = String((0..<(1 + next(120))).map { _ in alphabet[next(alphabet.count)] })
            _ = Self.outcome(source)   // any typed outcome is fine; a crash or hang fails the run
        }
    }
}
