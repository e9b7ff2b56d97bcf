# The per-construct cases of Tests/QuillAssistantTests/JinjaConstructTests.swift: each small template is
# rendered by jinja2 in transformers' environment (the one chat_template_fixtures.py builds) and the table of
# (name, template, jinja2 output) and of (name, template, jinja2 error) is printed as Swift source.
#   /work/venv-jinja/bin/python Scripts/reference/jinja_construct_cases.py > /tmp/cases.swift
# then paste the two tables into JinjaConstructCases.
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chat_template_fixtures import make_environment  # noqa: E402

env = make_environment()
ctx = {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": " Hi "}, {"role": "assistant", "content": "Yo"}],
       "d": {"b": 2, "a": 1, "items": [1]}, "n": None, "t": True, "xs": [3, 1, 2], "s": "Hello, World", "u": "héllo wörld ✨"}
cases = [
 ("for_loop_vars", "{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }},{% endfor %}"),
 ("for_else", "{% for x in [] %}x{% else %}empty{% endfor %}"),
 ("for_filter", "{% for m in messages if m.role != 'system' %}{{ loop.index }}={{ m.role }};{% endfor %}"),
 ("for_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}"),
 ("prev_next", "{% for x in xs %}{{ loop.previtem }}|{{ loop.nextitem }};{% endfor %}"),
 ("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}"),
 ("if_elif_else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}"),
 ("set_scoping", "{% set x = 1 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}"),
 ("namespace", "{% set ns = namespace(total=0, found=false) %}{% for x in xs %}{% set ns.total = ns.total + x %}{% endfor %}{{ ns.total }} {{ ns.found }}"),
 ("block_set", "{% set greeting %}  Hello {{ messages[1].content | trim }}!  {% endset %}[{{ greeting }}]"),
 ("block_set_filter", "{% set greeting | trim | upper %}  hi there  {% endset %}[{{ greeting }}]"),
 ("macro", "{% macro tag(name, value='v', sep=': ') %}<{{ name }}{{ sep }}{{ value }}>{% endmacro %}{{ tag('a') }}{{ tag('b', 2) }}{{ tag('c', sep='=') }}"),
 ("macro_recursion", "{% macro count(n) %}{% if n > 0 %}{{ n }}{{ count(n - 1) }}{% endif %}{% endmacro %}{{ count(4) }}"),
 ("slices", "{{ xs[::-1] }} {{ xs[1:] }} {{ xs[:-1] }} {{ s[7:] }} {{ s[::2] }} {{ messages[1:] | length }} {{ xs[-1] }}"),
 ("tests", "{{ n is none }} {{ t is true }} {{ t is boolean }} {{ 1 is number }} {{ t is number }} {{ 1 is integer }} {{ 1.5 is float }} {{ s is string }} {{ d is mapping }} {{ xs is iterable }} {{ s is sequence }} {{ missing is defined }} {{ missing is undefined }} {{ xs is not string }} {{ 4 is divisibleby 2 }} {{ 3 is odd }}"),
 ("in_not_in", "{{ 'a' in d }} {{ 'z' not in d }} {{ 2 in xs }} {{ 'World' in s }} {{ 'x' in missing }}"),
 ("string_methods", "{{ ' a b '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ ' a '.lstrip() }}|{{ ' a '.rstrip() }}|{{ s.startswith('Hell') }}|{{ s.endswith(('x', 'ld')) }}|{{ s.split(', ') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ s.replace('l', 'L') }}|{{ s.upper() }}|{{ s.lower() }}|{{ 'hello wORLD'.title() }}|{{ 'hELLO'.capitalize() }}|{{ '{}-{}'.format(1, 'x') }}|{{ s.find('o') }}|{{ 'a-b-c'.rsplit('-', 1) }}"),
 ("dict_methods", "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 5) }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }}"),
 ("attribute_vs_key", "{{ d['items'] }} {{ d.items is defined }}"),
 ("tojson", "{{ d | tojson }} {{ u | tojson }} {{ [1, 'a', none, true, 1.5] | tojson }} {{ d | tojson(indent=2) }} {{ d | tojson(sort_keys=true) }} {{ 'q\"\\\\\n\t' | tojson }}"),
 ("filters_basic", "{{ '  x  ' | trim }}|{{ xs | length }}|{{ s | count }}|{{ xs | join('-') }}|{{ s | upper }}|{{ s | lower }}|{{ missing | default('dflt') }}|{{ n | default('kept') }}|{{ '' | default('empty', true) }}|{{ xs | first }}|{{ xs | last }}|{{ 'ab' | list }}|{{ 42 | string }}|{{ '7' | int + 1 }}|{{ 'x' | int }}|{{ '2.5' | float }}|{{ -3 | abs }}|{{ 'hELLO wORLD' | capitalize }}|{{ 'hello world-wide' | title }}"),
 ("filters_collections", "{{ messages | map(attribute='role') | join(',') }}|{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='content') | list }}|{{ ['A', 'a', 'b'] | unique | list }}|{{ xs | sort }}|{{ d | dictsort }}|{{ d | items | list }}|{{ xs | max }}|{{ xs | min }}|{{ xs | sum }}|{{ [1, 0, 2] | select | list }}|{{ ['a', 'b'] | map('upper') | list }}"),
 ("indent_replace", "{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(3, true) }}|{{ 'aXbX' | replace('X', '-') }}|{{ '<&>' | safe }}"),
 ("arithmetic", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 'ab' * 2 }} {{ [1] + [2] }} {{ 1 + 1.0 }} {{ 10 / 5 }} {{ t + 1 }}"),
 ("concat_compare", "{{ 'a' ~ 1 ~ none ~ t }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 5 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ t == 1 }} {{ xs == [3, 1, 2] }} {{ 2 >= 2 }}"),
 ("logic", "{{ t and 'yes' }} {{ n or 'fallback' }} {{ not n }} {{ 'a' if t else 'b' }} {{ 'a' if n else 'b' }} [{{ 'a' if n }}] {{ not t or t }}"),
 ("python_str", "{{ none }} {{ true }} {{ false }} {{ [1, 'a', none, true] }} {{ d }} {{ 1.0 }} {{ 0.1 }} {{ (1, 'x') }} {{ [\"it's\"] }} {{ 1e20 }}"),
 ("whitespace_control", "a  {%- if true -%}  b  {%- endif -%}  c {{- ' d ' -}} e"),
 ("trim_lstrip_blocks", "<ul>\n  {% for x in xs %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n"),
 ("plus_disables_lstrip", "x\n  {%+ if true %}y{% endif %}\n  {# c #}\nz"),
 ("comments", "a{# a comment with {{ tags }} #}b\n{# own line #}\nc"),
 ("raw", "{% raw %}{{ not rendered }}{% endraw %}"),
 ("filter_block", "{% filter upper %}hello {{ s }}{% endfilter %}"),
 ("strftime", "{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%B %d, %Y %A %H:%M:%S') }}"),
 ("loop_cycle", "{% for x in xs %}{{ loop.cycle('odd', 'even') }} {% endfor %}"),
 ("dict_literal", "{% set m = {'role': 'user', 'n': 1} %}{{ m.role }} {{ m['n'] }} {{ m }}"),
 ("string_escapes", "{{ 'tab\\there' }}|{{ \"dq 'x'\" }}|{{ 'uni \\u00e9' }}"),
 ("unicode", "{{ u | length }} {{ u[1] }} {{ u | upper }} {{ u[::-1] }} {{ u.split() }}"),
 ("generation_tag", "{% generation %}kept {{ 1 }}{% endgeneration %}"),
 ("markup_escapes_plus", "{{ \"'\"|safe + '<b>' + \"'\"|safe }}|{{ '<b>' ~ 'x'|safe }}|{{ ('%s'|safe) % '<i>' }}|{{ '<a>'|e }}|{{ ('<a>'|safe)|e }}|{{ 'x'|safe is string }}|{{ ('  y '|safe)|trim + '&' }}"),
 ("falsy_select_map", "{{ n | selectattr('type', 'equalto', 'x') | list }}|{{ n | map(attribute='a') | list }}|{{ missing | select | list }}"),
 ("int_dict_keys", "{% set m = {0: 'zero', 512: 'half', 'k': 1} %}{{ m[512] }} {{ m.get(0) }} {{ 512 in m }} {{ m }} {{ m | tojson }}"),
 ("loop_object", "{% for x in xs %}{% for y in 'ab' %}{{ loop.index }}{{ y }}{% endfor %}{{ loop.revindex0 }}|{% endfor %}"),
 ("lstrip_at_start", "  {% if true %}x{% endif %}\n  {{ 'y' }}\n\t{% if true %}z{% endif %}"),
 ("dash_strips_newlines", "a\n\n  {{- 'b' -}}\n\n  c{#- note -#}\n d"),
 ("iterate_dict_and_string", "{% for k in d %}{{ k }},{% endfor %}|{% for ch in 'héj' %}{{ ch }}.{% endfor %}"),
 ("reversed_messages", "{% for m in messages[::-1] %}{% if loop.first %}last={% endif %}{{ m.role }} {% endfor %}"),
 ("tojson_nested", "{{ {'a': [1, {'b': 'ü\u2028'}], 'c': {}} | tojson }}|{{ {'a': [], 'b': [1, [2]]} | tojson(indent=1) }}|{{ 'x' | tojson(ensure_ascii=true) }}|{{ 'é😀' | tojson(ensure_ascii=true) }}"),
 ("join_attribute_and_format", "{{ messages | join(', ', attribute='role') }}|{{ '{a}-{b}'.format(a=1, b='x') }}|{{ '%s is %d' % ('x', 3) }}|{{ '{0}{0}{1}'.format('a', 'b') }}"),
 ("numbers", "{{ 3.7 | int }} {{ -3.7 | int }} {{ '0x1A' | int }} {{ true | int }} {{ 2.5 | round }} {{ 3.14159 | round(2) }} {{ 3.1 | round(0, 'ceil') }} {{ 10 / 4 }} {{ 1e3 }} {{ 1.5e-7 }} {{ 123456789.0 }} {{ 0.1 + 0.2 }}"),
 ("sorting", "{{ {'x': 2, 'y': 1, 'z': 3} | dictsort(by='value') | list }}|{{ messages | sort(attribute='role') | map(attribute='role') | list }}|{{ ['b', 'A', 'c'] | sort }}|{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}|{{ xs | sort(reverse=true) }}|{{ xs | reverse | list }}|{{ 'abc' | reverse }}"),
 ("sameas_and_tests", "{{ n is sameas none }} {{ t is sameas true }} {{ 1 is sameas true }} {{ 'A' is upper }} {{ 'a' is lower }} {{ 'x' is in 'xyz' }} {{ 3 is gt 2 }} {{ 3 is eq 3 }} {{ d.get is callable }} {{ 2 is even }}"),
 ("split_variants", "{{ 'a b c'.split(' ', 1) }}|{{ 'a\tb\n c'.split() }}|{{ '  lead'.split(None, 1) }}|{{ 'a::b::'.split('::') }}|{{ 'x\ny\r\nz'.splitlines() }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'abc'.replace('', '-') }}|{{ 'a,b'.rsplit(',') }}"),
 ("nested_macros_and_scopes", "{% macro outer(x) %}{% macro inner(y) %}[{{ y }}]{% endmacro %}{{ inner(x) }}{{ inner(x ~ '!') }}{% endmacro %}{{ outer('a') }}{% set g = 'G' %}{% macro sees_global() %}{{ g }}{% endmacro %}{{ sees_global() }}"),
 ("set_in_if_leaks", "{% if true %}{% set v = 'in-if' %}{% endif %}{{ v }}|{% for i in [1] %}{% set w = 'in-for' %}{% endfor %}{{ w }}"),
 ("undefined_ops", "[{{ missing }}] {{ missing | length }} {{ missing | list }} {{ missing is sequence }} {% for x in missing %}x{% endfor %}{{ missing == missing }}"),
]
errors = [
 ("raise", "{{ raise_exception('bad role') }}"),
 ("undefined_attr", "{{ missing.attr }}"),
 ("none_iter", "{% for x in n %}{% endfor %}"),
 ("none_in", "{{ 'a' in n }}"),
 ("str_plus_int", "{{ 'a' + 1 }}"),
 ("append_sandbox", "{% set l = [] %}{{ l.append(1) }}"),
 ("generator_len", "{{ xs | select | length }}"),
 ("generator_json", "{{ xs | select | tojson }}"),
 ("zero_div", "{{ 1 // 0 }}"),
 ("call_non_callable", "{{ s() }}"),
]


def lit(s):
    out = '"'
    for ch in s:
        if ch == '\\': out += '\\\\'
        elif ch == '"': out += '\\"'
        elif ch == '\n': out += '\\n'
        elif ch == '\t': out += '\\t'
        elif ord(ch) < 0x20 or ord(ch) in (0x85, 0x2028, 0x2029): out += '\\u{%x}' % ord(ch)
        else: out += ch
    return out + '"'

def main():
    ok = [(name, src, env.from_string(src).render(**ctx)) for name, src in cases]
    failed = []
    for name, src in errors:
        try:
            env.from_string(src).render(**ctx)
            raise SystemExit(f"{name}: jinja2 rendered it, expected an error")
        except SystemExit:
            raise
        except Exception as error:
            failed.append((name, src, f"{type(error).__name__}: {error}"))
    print("    static let cases: [(name: String, template: String, expected: String)] = [")
    for name, src, out in ok:
        print(f"        ({lit(name)}, {lit(src)},\n         {lit(out)}),")
    print("    ]\n")
    print("    static let failures: [(name: String, template: String, jinja2: String)] = [")
    for name, src, message in failed:
        print(f"        ({lit(name)}, {lit(src)}, {lit(message)}),")
    print("    ]")


if __name__ == "__main__":
    main()
