// One case per Jinja construct chat templates use, each rendered in transformers' environment; the
// expected texts are jinja2 3.1.6's output for the same template and context (ImmutableSandboxedEnvironment,
// trim_blocks, lstrip_blocks, tojson with ensure_ascii=False, strftime_now at 2026-03-14 09:26:53), printed by
// Scripts/reference/jinja_construct_cases.py.
import Foundation
import Testing
import QuillFormats
@testable import QuillAssistant

enum JinjaConstructCases {
    static let context: [String: JSONValue] = [
        "messages": .array([
            .object([("role", .string("system")), ("content", .string("S"))]),
            .object([("role", .string("user")), ("content", .string(" Hi "))]),
            .object([("role", .string("assistant")), ("content", .string("Yo"))]),
        ]),
        "d": .object([("b", .int(2)), ("a", .int(1)), ("items", .array([.int(1)]))]),
        "n": .null, "t": .bool(true), "xs": .array([.int(3), .int(1), .int(2)]),
        "s": .string("Hello, World"), "u": .string("héllo wörld ✨"),
    ]

    static func render(_ source: String) throws -> String {
        try JinjaTemplate(source).render(context, now: { JinjaCorpus.now }, timeZone: TimeZone(identifier: "UTC")!)
    }

    static let cases: [(name: String, template: String, expected: String)] = [
        ("for_loop_vars", "{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }},{% endfor %}",
         "10TrueFalse33,21FalseFalse32,32FalseTrue31,"),
        ("for_else", "{% for x in [] %}x{% else %}empty{% endfor %}",
         "empty"),
        ("for_filter", "{% for m in messages if m.role != 'system' %}{{ loop.index }}={{ m.role }};{% endfor %}",
         "1=user;2=assistant;"),
        ("for_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
         "b=2;a=1;items=[1];"),
        ("prev_next", "{% for x in xs %}{{ loop.previtem }}|{{ loop.nextitem }};{% endfor %}",
         "|1;3|2;1|;"),
        ("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}",
         "0134"),
        ("if_elif_else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}",
         "one two many "),
        ("set_scoping", "{% set x = 1 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}",
         "123|1"),
        ("namespace", "{% set ns = namespace(total=0, found=false) %}{% for x in xs %}{% set ns.total = ns.total + x %}{% endfor %}{{ ns.total }} {{ ns.found }}",
         "6 False"),
        ("block_set", "{% set greeting %}  Hello {{ messages[1].content | trim }}!  {% endset %}[{{ greeting }}]",
         "[  Hello Hi!  ]"),
        ("block_set_filter", "{% set greeting | trim | upper %}  hi there  {% endset %}[{{ greeting }}]",
         "[HI THERE]"),
        ("macro", "{% macro tag(name, value='v', sep=': ') %}<{{ name }}{{ sep }}{{ value }}>{% endmacro %}{{ tag('a') }}{{ tag('b', 2) }}{{ tag('c', sep='=') }}",
         "<a: v><b: 2><c=v>"),
        ("macro_recursion", "{% macro count(n) %}{% if n > 0 %}{{ n }}{{ count(n - 1) }}{% endif %}{% endmacro %}{{ count(4) }}",
         "4321"),
        ("slices", "{{ xs[::-1] }} {{ xs[1:] }} {{ xs[:-1] }} {{ s[7:] }} {{ s[::2] }} {{ messages[1:] | length }} {{ xs[-1] }}",
         "[2, 1, 3] [1, 2] [3, 1] World Hlo ol 2 2"),
        ("tests", "{{ n is none }} {{ t is true }} {{ t is boolean }} {{ 1 is number }} {{ t is number }} {{ 1 is integer }} {{ 1.5 is float }} {{ s is string }} {{ d is mapping }} {{ xs is iterable }} {{ s is sequence }} {{ missing is defined }} {{ missing is undefined }} {{ xs is not string }} {{ 4 is divisibleby 2 }} {{ 3 is odd }}",
         "True True True True True True True True True True True False True True True True"),
        ("in_not_in", "{{ 'a' in d }} {{ 'z' not in d }} {{ 2 in xs }} {{ 'World' in s }} {{ 'x' in missing }}",
         "True True True True False"),
        ("string_methods", "{{ ' a b '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ ' a '.lstrip() }}|{{ ' a '.rstrip() }}|{{ s.startswith('Hell') }}|{{ s.endswith(('x', 'ld')) }}|{{ s.split(', ') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ s.replace('l', 'L') }}|{{ s.upper() }}|{{ s.lower() }}|{{ 'hello wORLD'.title() }}|{{ 'hELLO'.capitalize() }}|{{ '{}-{}'.format(1, 'x') }}|{{ s.find('o') }}|{{ 'a-b-c'.rsplit('-', 1) }}",
         "a b|hi|a | a|True|True|['Hello', 'World']|['a', 'b']|['a', 'b,c']|HeLLo, WorLd|HELLO, WORLD|hello, world|Hello World|Hello|1-x|4|['a-b', 'c']"),
        ("dict_methods", "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 5) }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }}",
         "1 None 5 ['b', 'a', 'items'] [2, 1, [1]] [('b', 2), ('a', 1), ('items', [1])]"),
        ("attribute_vs_key", "{{ d['items'] }} {{ d.items is defined }}",
         "[1] True"),
        ("tojson", "{{ d | tojson }} {{ u | tojson }} {{ [1, 'a', none, true, 1.5] | tojson }} {{ d | tojson(indent=2) }} {{ d | tojson(sort_keys=true) }} {{ 'q\"\\\\\n\t' | tojson }}",
         "{\"b\": 2, \"a\": 1, \"items\": [1]} \"héllo wörld ✨\" [1, \"a\", null, true, 1.5] {\n  \"b\": 2,\n  \"a\": 1,\n  \"items\": [\n    1\n  ]\n} {\"a\": 1, \"b\": 2, \"items\": [1]} \"q\\\"\\\\\\n\\t\""),
        ("filters_basic", "{{ '  x  ' | trim }}|{{ xs | length }}|{{ s | count }}|{{ xs | join('-') }}|{{ s | upper }}|{{ s | lower }}|{{ missing | default('dflt') }}|{{ n | default('kept') }}|{{ '' | default('empty', true) }}|{{ xs | first }}|{{ xs | last }}|{{ 'ab' | list }}|{{ 42 | string }}|{{ '7' | int + 1 }}|{{ 'x' | int }}|{{ '2.5' | float }}|{{ -3 | abs }}|{{ 'hELLO wORLD' | capitalize }}|{{ 'hello world-wide' | title }}",
         "x|3|12|3-1-2|HELLO, WORLD|hello, world|dflt|None|empty|3|2|['a', 'b']|42|8|0|2.5|3|Hello world|Hello World-Wide"),
        ("filters_collections", "{{ messages | map(attribute='role') | join(',') }}|{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='content') | list }}|{{ ['A', 'a', 'b'] | unique | list }}|{{ xs | sort }}|{{ d | dictsort }}|{{ d | items | list }}|{{ xs | max }}|{{ xs | min }}|{{ xs | sum }}|{{ [1, 0, 2] | select | list }}|{{ ['a', 'b'] | map('upper') | list }}",
         "system,user,assistant|1|['S', 'Yo']|['A', 'b']|[1, 2, 3]|[('a', 1), ('b', 2), ('items', [1])]|[('b', 2), ('a', 1), ('items', [1])]|3|1|6|[1, 2]|['A', 'B']"),
        ("indent_replace", "{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(3, true) }}|{{ 'aXbX' | replace('X', '-') }}|{{ '<&>' | safe }}",
         "a\n  b\n\n  c|   a\n   b|a-b-|<&>"),
        ("arithmetic", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 'ab' * 2 }} {{ [1] + [2] }} {{ 1 + 1.0 }} {{ 10 / 5 }} {{ t + 1 }}",
         "3 -4 1 2 3.5 1024 7 9 abab [1, 2] 2.0 2.0 2"),
        ("concat_compare", "{{ 'a' ~ 1 ~ none ~ t }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 5 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ t == 1 }} {{ xs == [3, 1, 2] }} {{ 2 >= 2 }}",
         "a1NoneTrue True False True True True True True"),
        ("logic", "{{ t and 'yes' }} {{ n or 'fallback' }} {{ not n }} {{ 'a' if t else 'b' }} {{ 'a' if n else 'b' }} [{{ 'a' if n }}] {{ not t or t }}",
         "yes fallback True a b [] True"),
        ("python_str", "{{ none }} {{ true }} {{ false }} {{ [1, 'a', none, true] }} {{ d }} {{ 1.0 }} {{ 0.1 }} {{ (1, 'x') }} {{ [\"it's\"] }} {{ 1e20 }}",
         "None True False [1, 'a', None, True] {'b': 2, 'a': 1, 'items': [1]} 1.0 0.1 (1, 'x') [\"it's\"] 1e+20"),
        ("whitespace_control", "a  {%- if true -%}  b  {%- endif -%}  c {{- ' d ' -}} e",
         "abc d e"),
        ("trim_lstrip_blocks", "<ul>\n  {% for x in xs %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n",
         "<ul>\n  <li>3</li>\n  <li>1</li>\n  <li>2</li>\n</ul>"),
        ("plus_disables_lstrip", "x\n  {%+ if true %}y{% endif %}\n  {# c #}\nz",
         "x\n  yz"),
        ("comments", "a{# a comment with {{ tags }} #}b\n{# own line #}\nc",
         "ab\nc"),
        ("raw", "{% raw %}{{ not rendered }}{% endraw %}",
         "{{ not rendered }}"),
        ("filter_block", "{% filter upper %}hello {{ s }}{% endfilter %}",
         "HELLO HELLO, WORLD"),
        ("strftime", "{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%B %d, %Y %A %H:%M:%S') }}",
         "2026-03-14|14 Mar 2026|March 14, 2026 Saturday 09:26:53"),
        ("loop_cycle", "{% for x in xs %}{{ loop.cycle('odd', 'even') }} {% endfor %}",
         "odd even odd "),
        ("dict_literal", "{% set m = {'role': 'user', 'n': 1} %}{{ m.role }} {{ m['n'] }} {{ m }}",
         "user 1 {'role': 'user', 'n': 1}"),
        ("string_escapes", "{{ 'tab\\there' }}|{{ \"dq 'x'\" }}|{{ 'uni \\u00e9' }}",
         "tab\there|dq 'x'|uni é"),
        ("unicode", "{{ u | length }} {{ u[1] }} {{ u | upper }} {{ u[::-1] }} {{ u.split() }}",
         "13 é HÉLLO WÖRLD ✨ ✨ dlröw olléh ['héllo', 'wörld', '✨']"),
        ("generation_tag", "{% generation %}kept {{ 1 }}{% endgeneration %}",
         "kept 1"),
        ("markup_escapes_plus", "{{ \"'\"|safe + '<b>' + \"'\"|safe }}|{{ '<b>' ~ 'x'|safe }}|{{ ('%s'|safe) % '<i>' }}|{{ '<a>'|e }}|{{ ('<a>'|safe)|e }}|{{ 'x'|safe is string }}|{{ ('  y '|safe)|trim + '&' }}",
         "'&lt;b&gt;'|<b>x|&lt;i&gt;|&lt;a&gt;|<a>|True|y&amp;"),
        ("falsy_select_map", "{{ n | selectattr('type', 'equalto', 'x') | list }}|{{ n | map(attribute='a') | list }}|{{ missing | select | list }}",
         "[]|[]|[]"),
        ("int_dict_keys", "{% set m = {0: 'zero', 512: 'half', 'k': 1} %}{{ m[512] }} {{ m.get(0) }} {{ 512 in m }} {{ m }} {{ m | tojson }}",
         "half zero True {0: 'zero', 512: 'half', 'k': 1} {\"0\": \"zero\", \"512\": \"half\", \"k\": 1}"),
        ("loop_object", "{% for x in xs %}{% for y in 'ab' %}{{ loop.index }}{{ y }}{% endfor %}{{ loop.revindex0 }}|{% endfor %}",
         "1a2b2|1a2b1|1a2b0|"),
        ("lstrip_at_start", "  {% if true %}x{% endif %}\n  {{ 'y' }}\n\t{% if true %}z{% endif %}",
         "x  y\nz"),
        ("dash_strips_newlines", "a\n\n  {{- 'b' -}}\n\n  c{#- note -#}\n d",
         "abcd"),
        ("iterate_dict_and_string", "{% for k in d %}{{ k }},{% endfor %}|{% for ch in 'héj' %}{{ ch }}.{% endfor %}",
         "b,a,items,|h.é.j."),
        ("reversed_messages", "{% for m in messages[::-1] %}{% if loop.first %}last={% endif %}{{ m.role }} {% endfor %}",
         "last=assistant user system "),
        ("tojson_nested", "{{ {'a': [1, {'b': 'ü\u{2028}'}], 'c': {}} | tojson }}|{{ {'a': [], 'b': [1, [2]]} | tojson(indent=1) }}|{{ 'x' | tojson(ensure_ascii=true) }}|{{ 'é😀' | tojson(ensure_ascii=true) }}",
         "{\"a\": [1, {\"b\": \"ü\u{2028}\"}], \"c\": {}}|{\n \"a\": [],\n \"b\": [\n  1,\n  [\n   2\n  ]\n ]\n}|\"x\"|\"\\u00e9\\ud83d\\ude00\""),
        ("join_attribute_and_format", "{{ messages | join(', ', attribute='role') }}|{{ '{a}-{b}'.format(a=1, b='x') }}|{{ '%s is %d' % ('x', 3) }}|{{ '{0}{0}{1}'.format('a', 'b') }}",
         "system, user, assistant|1-x|x is 3|aab"),
        ("numbers", "{{ 3.7 | int }} {{ -3.7 | int }} {{ '0x1A' | int }} {{ true | int }} {{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ 3.1 | round(0, 'ceil') }} {{ 10 / 4 }} {{ 1e3 }} {{ 1.5e-7 }} {{ 123456789.0 }} {{ 0.1 + 0.2 }}",
         "3 -3 0 1 2.0 3.14 4.0 2.5 1000.0 1.5e-07 123456789.0 0.30000000000000004"),
        ("sorting", "{{ {'x': 2, 'y': 1, 'z': 3} | dictsort(by='value') | list }}|{{ messages | sort(attribute='role') | map(attribute='role') | list }}|{{ ['b', 'A', 'c'] | sort }}|{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}|{{ xs | sort(reverse=true) }}|{{ xs | reverse | list }}|{{ 'abc' | reverse }}",
         "[('y', 1), ('x', 2), ('z', 3)]|['assistant', 'system', 'user']|['A', 'b', 'c']|['A', 'b', 'c']|[3, 2, 1]|[2, 1, 3]|cba"),
        ("sameas_and_tests", "{{ n is sameas none }} {{ t is sameas true }} {{ 1 is sameas true }} {{ 'A' is upper }} {{ 'a' is lower }} {{ 'x' is in 'xyz' }} {{ 3 is gt 2 }} {{ 3 is eq 3 }} {{ d.get is callable }} {{ 2 is even }}",
         "True True False True True True True True True True"),
        ("split_variants", "{{ 'a b c'.split(' ', 1) }}|{{ 'a\tb\n c'.split() }}|{{ '  lead'.split(None, 1) }}|{{ 'a::b::'.split('::') }}|{{ 'x\ny\u{d}\nz'.splitlines() }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'abc'.replace('', '-') }}|{{ 'a,b'.rsplit(',') }}",
         "['a', 'b c']|['a', 'b', 'c']|['lead']|['a', 'b', '']|['x', 'y', 'z']|bba|-a-b-c-|['a', 'b']"),
        ("nested_macros_and_scopes", "{% macro outer(x) %}{% macro inner(y) %}[{{ y }}]{% endmacro %}{{ inner(x) }}{{ inner(x ~ '!') }}{% endmacro %}{{ outer('a') }}{% set g = 'G' %}{% macro sees_global() %}{{ g }}{% endmacro %}{{ sees_global() }}",
         "[a][a!]G"),
        ("set_in_if_leaks", "{% if true %}{% set v = 'in-if' %}{% endif %}{{ v }}|{% for i in [1] %}{% set w = 'in-for' %}{% endfor %}{{ w }}",
         "in-if|"),
        ("undefined_ops", "[{{ missing }}] {{ missing | length }} {{ missing | list }} {{ missing is sequence }} {% for x in missing %}x{% endfor %}{{ missing == missing }}",
         "[] 0 [] True True"),
    ]

    static let failures: [(name: String, template: String, jinja2: String)] = [
        ("raise", "{{ raise_exception('bad role') }}", "TemplateError: bad role"),
        ("undefined_attr", "{{ missing.attr }}", "UndefinedError: 'missing' is undefined"),
        ("none_iter", "{% for x in n %}{% endfor %}", "TypeError: 'NoneType' object is not iterable"),
        ("none_in", "{{ 'a' in n }}", "TypeError: argument of type 'NoneType' is not iterable"),
        ("str_plus_int", "{{ 'a' + 1 }}", "TypeError: can only concatenate str (not \"int\") to str"),
        ("append_sandbox", "{% set l = [] %}{{ l.append(1) }}", "SecurityError: access to attribute 'append' of 'list' object is unsafe."),
        ("generator_len", "{{ xs | select | length }}", "TypeError: object of type 'generator' has no len()"),
        ("generator_json", "{{ xs | select | tojson }}", "TypeError: Object of type generator is not JSON serializable"),
        ("zero_div", "{{ 1 // 0 }}", "ZeroDivisionError: integer division or modulo by zero"),
        ("call_non_callable", "{{ s() }}", "TypeError: 'str' object is not callable"),
    ]
}

@Suite("Jinja constructs, each against jinja2's rendering")
struct JinjaConstructTests {
    @Test(arguments: JinjaConstructCases.cases.map(\.name))
    func rendersLikeJinja2(_ name: String) throws {
        let c = JinjaConstructCases.cases.first { $0.name == name }!
        #expect(try JinjaConstructCases.render(c.template) == c.expected)
    }

    @Test(arguments: JinjaConstructCases.failures.map(\.name))
    func failsWhereJinja2Fails(_ name: String) throws {
        let c = JinjaConstructCases.failures.first { $0.name == name }!
        #expect(throws: JinjaError.self, "jinja2: \(c.jinja2)") { try JinjaConstructCases.render(c.template) }
    }

    @Test func raiseExceptionCarriesTheMessageAndLocation() {
        do {
            _ = try JinjaConstructCases.render("line one\n{% if true %}{{ raise_exception('System role not supported') }}{% endif %}")
            Issue.record("expected raise_exception to throw")
        } catch let error as JinjaError {
            #expect(error == .raised("System role not supported", at: JinjaSourceLocation(line: 2, column: 17)))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func unsupportedConstructsAreNamed() {
        for (source, construct) in [("{% include 'x.j2' %}", "{% include %}"), ("{{ 'a' | wordwrap(5) }}", "the 'wordwrap' filter"),
                                    ("{% for x in xs recursive %}{% endfor %}", "recursive for loops")] {
            #expect(throws: JinjaError.self) { try JinjaConstructCases.render(source) }
            do { _ = try JinjaConstructCases.render(source) } catch let error as JinjaError {
                guard case .unsupported(let named, _) = error else { Issue.record("\(source): \(error)"); continue }
                #expect(named == construct)
                #expect(error.description.contains("does not support"))
            } catch { Issue.record("\(source): \(error)") }
        }
    }

    @Test func syntaxErrorsCarryLineAndColumn() {
        do {
            _ = try JinjaTemplate("ok\n{% if x %}\n  {{ x + }}\n{% endif %}")
            Issue.record("expected a syntax error")
        } catch let error as JinjaError {
            guard case .syntax(_, let at) = error else { Issue.record("\(error)"); return }
            #expect(at.line == 3)
            #expect(at.column == 10)
        } catch { Issue.record("unexpected \(error)") }
    }
}
