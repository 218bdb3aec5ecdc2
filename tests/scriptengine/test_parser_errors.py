"""Syntax errors: what JEXL refuses when it parses, reported with file, line, column, the source
line and a message in plain words (never Lark's internal names)."""

from __future__ import annotations

import re

import pytest

from scriptengine import Engine
from scriptengine.errors import ScriptSyntaxError
from scriptengine.parser import parse, parse_expression


def error_of(source: str, filename: str = "t.jexl") -> ScriptSyntaxError:
    """The first error JEXL would report when it parses: the parser's, or the static
    rules (``break`` outside a loop, ``const`` without a value) that the resolver checks."""
    with pytest.raises(ScriptSyntaxError) as info:
        Engine().compile(source, filename)
    return info.value


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("f(1}", 1, 4, "expected ')' or ',', found '}'"),
        ("f(a b)", 1, 5, "expected ')' or ',', found 'b'"),
        ("if x > 1 { }", 1, 4, "expected '(', found 'x'"),
        ("for (var i = 0; i < 3; i++ { }", 1, 28, "expected ')', found '{'"),
        ("var x = ;", 1, 9, "expected an expression, found ';'"),
        ("x = 5 +* 3", 1, 8, "expected an expression, found '*'"),
        ("try { } catch { }", 1, 15, "expected '(', found '{'"),
        ("}", 1, 1, "unexpected '}'"),
        ("else x", 1, 1, "unexpected 'else'"),
        ("f(1", 1, 4, "unexpected end of script: '(' at 1:2 is never closed"),
        ("x = [1, 2", 1, 10, "unexpected end of script: '[' at 1:5 is never closed"),
        ("while (true) {\n  x\n", 2, 4, "unexpected end of script: '{' at 1:14 is never closed"),
        ("x = 1 +\n\n", 1, 8, "unexpected end of script"),
        ("x = 'abc", 1, 5, "unterminated string"),
        ('x = "abc\ny"', 1, 5, "unterminated string"),  # strings are single-line
        ("x = `abc", 1, 5, "unterminated template"),
        ("x = `a\u202eb`", 1, 5, "a template may not contain bidirectional control characters"),
        ("x = ~/abc", 1, 5, "unterminated regular expression"),
        ("x = 1 /* no end", 1, 7, "unterminated comment"),
        ("x = 1 # 2", 1, 7, "unexpected '#' (comments start with '##' or '//')"),
        ("var é = 1", 1, 5, "unexpected character 'é' (names must be ASCII)"),
        ("x = 1_000", 1, 5, "malformed number '1_000'"),
        ("x = 08", 1, 5, "malformed number '08'"),
        ("x = 12abc", 1, 5, "malformed number '12abc'"),
        ("x = 0x1g", 1, 5, "malformed number '0x1g'"),
        ("x = 99999999999999999999L", 1, 5, "malformed number '99999999999999999999L'"),
        ("var if = 1", 1, 5, "expected a name, found 'if'"),
        ("var size = 1", 1, 5, "expected a name, found 'size'"),
        ("let = 5", 1, 5, "expected a name, found '='"),
        ("const x", 1, 7, "const 'x' needs a value"),
        ("if (c) let x = 1", 1, 8, "'let' cannot be the whole body here"),
        ("while (c) const x = 1", 1, 11, "'const' cannot be the whole body here"),
        ("break", 1, 1, "'break' outside a loop or switch"),
        ("continue", 1, 1, "'continue' outside a loop"),
        ("while (x) { var f = function() { break } }", 1, 34, "'break' outside a loop or switch"),
        ("switch (x) { case 1 -> { break } }", 1, 26, "'break' outside a loop or switch"),
        ("a b", 1, 3, "missing ';' between two expressions on one line"),
        ("x = 1 y = 2", 1, 7, "missing ';' between two expressions on one line"),
        ("1 = 2", 1, 1, "cannot assign to a number"),
        ("f() = 2", 1, 1, "cannot assign to a function call"),
        ("f()++", 1, 1, "'++' needs a variable, a property or an element, not a function call"),
        ("(a, 1) -> a", 1, 5, "expected a parameter name, found a number"),
        ("a < b < c", 1, 7, "unexpected '<'"),
        ("a == b == c", 1, 8, "unexpected '=='"),
        ("x = `a ${b +} c`", 1, 13, "unexpected end of the '${...}' expression"),
        ("x = `${a`", 1, 6, "unterminated '${' in template"),
        ("x = 1\ny = `\n ${ a b }`", 3, 7, "expected end of the '${...}' expression, found 'b'"),
        ("x = [1 2]", 1, 8, "expected ',' or ']', found '2'"),
        ("x = {'a': 1 'b': 2}", 1, 13, "expected ',' or '}', found 'b'"),
        (
            "for (var x in list) { }",
            1,
            12,
            "expected ',', ':', ';' or '=', found 'in'"
            " (a for-each loop is written 'for (var x : items)')",
        ),
        ("switch (x) { case 1: a; case 2 -> b }", 1, 32, "expected ':', found '->'"),
        ("#pragma x", 1, 10, "unexpected end of script"),
        ("x.", 1, 3, "unexpected end of script"),
    ],
)
def test_syntax_errors(source: str, line: int, column: int, message: str) -> None:
    err = error_of(source)
    assert (err.line, err.column, err.message) == (line, column, message)
    assert err.filename == "t.jexl"
    assert err.kind == "compile"
    assert err.source_line == source.splitlines()[line - 1]


def test_rendered_error_has_location_line_and_caret() -> None:
    err = error_of("var a = 1\nif (a > 1 {\n}\n", "invoices.jexl")
    assert err.render() == (
        "invoices.jexl:2:11: expected ')', found '{'\n    if (a > 1 {\n              ^"
    )


def test_hints_appear_in_the_headline() -> None:
    err = error_of("1 = 2")
    assert err.hint == "only a variable, a property or an element can be assigned"
    assert str(err).startswith("t.jexl:1:1: cannot assign to a number (only a variable")


_INTERNAL = re.compile(r"__|ANON|[A-Z]{2,}_[A-Z]|\$END|Token\(|Tree\(")

_BAD_SCRIPTS = [
    "f(1}", "var = 1", "x = (1 + ", "if (", "for (x : ) y", "a ? b", "{'a': }", "[1, 2",
    "x.(1)", "function(1) {}", "var x = switch (y) { case -> 1 }", "try (1) {}", "do x while",
    "x = a?.", "new", "x = ?", "return )", "@", "#pragma", "a ?: ", "(a, b)", "x -> ",
    "y = 1 +* 2", "x = {:", "case 1: x", "x = a ?? ", "a instanceof", "switch (x) { 1 }",
    "f(a)(", "x = `${`", "a.`${`", "x = 1..", "catch (e) {}", "~", "a[]", "a?[]",
]  # fmt: skip


@pytest.mark.parametrize("source", _BAD_SCRIPTS)
def test_messages_never_show_parser_internals(source: str) -> None:
    err = error_of(source)
    assert err.line >= 1 and err.column >= 1
    assert not _INTERNAL.search(err.message), err.message
    assert err.message == err.message.strip() and not err.message.endswith(".")
    assert err.message[0].islower() or err.message[0] in "'`"


def test_parse_expression_errors() -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        parse_expression("a b", "<repl>")
    err = info.value
    assert (err.filename, err.line, err.column) == ("<repl>", 1, 3)
    assert err.message == "expected end of expression, found 'b'"
    with pytest.raises(ScriptSyntaxError):
        parse_expression("var x = 1")  # statements are not expressions


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    parse("(" * 200 + "1" + ")" * 200)  # deep but reasonable
    err = error_of("(" * 3000 + "1" + ")" * 3000)
    assert err.message == "script is nested too deeply"
    # long flat chains are not nesting
    parse(" + ".join(["a"] * 3000))


def test_byte_order_mark_and_crlf_line_ends() -> None:
    script = parse("\ufeffx = 1\r\ny = 'a'\r\n")
    assert [s.pos.line for s in script.body] == [1, 2]
    err = error_of("x = 1\r\ny = (\r\n")
    assert (err.line, err.message) == (2, "unexpected end of script: '(' at 2:5 is never closed")
    assert err.source_line == "y = ("
