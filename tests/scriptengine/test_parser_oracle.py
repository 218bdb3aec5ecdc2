"""The parser against real JEXL 3.1 (the oracle): the same scripts parse or fail to parse, and
operator precedence groups expressions the way JEXL does.

Precedence is checked without our runtime: JEXL evaluates both the script as written and our
fully parenthesized rendering of its tree; the two agree only if the trees are the same.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scriptengine import Engine
from scriptengine.errors import ScriptSyntaxError
from scriptengine.parser import parse, parse_expression
from tests.oracle.oracle import Oracle, OracleResult, jexl_oracle  # noqa: F401 (fixture)
from tests.scriptengine.test_parser_render import render

pytestmark = pytest.mark.oracle

# Scripts in JEXL 3.1's syntax that parse (some fail at run time: that is not a parse error).
PARSES = [
    "var a = 1; a + 2",
    "var a = 1\nvar b = 2\na + b",
    "var x = 1\n-1",
    "var f = function(q) { q }; var g = f\n(3)",
    "var x = [1, 2]; x\n[0]",
    "var s = 'abc'; size s",
    "empty ''",
    "empty('')",
    "not true",
    "3 div 2 + 7 mod 4",
    "var x = 3; x lt 4 and x ge 1 or x eq 2",
    "var a = [1, 2, ...]; a.add(3); a",
    "var m = {:}; m",
    "var m = {'k' : 1}; m.k",
    "var k = 'z'; var m = {k : 1}; m.z",
    "{ 1 }",
    "{}",
    "{ var y = 3; y }",
    "if (true) var y = 1; y",
    "while (false) var z = 1; 2",
    "var s = 'a' 'b'",
    "var t = true; t ? 1 : t ?: 2",
    "var x = 0; for (var i : [1, 2, 3]) x = x + i; x",
    "var x = 0; for (var i : 1..3) { x += 1 } x",
    "var x = 0; while (x < 3) { x = x + 1; if (x == 2) break; } x",
    "var x = 0; while (x < 3) { x = x + 1; continue; }",
    "var f = function(a, b) { return a + b; }; f(1, 2)",
    "var f = (a) -> { a * 2 }; f(2)",
    "var f = x -> { x }; f(1)",
    "`x${1 + 1}y`",
    "var e = 1; `a${e} #{e}`",
    "var l = [1, 2]; l.0",
    "var a = 'x'; a.'length'()",
    "'a\\'b' + \"c\\\"d\" + 'e\\u00e9'",
    "1 =~ [1, 2] && 'abc' !~ 'x.*'",
    "-(1 + 2) * ~3",
    "!(1 > 2) || 1 != 2",
    "var x = 1; x = x + 1; x",
    "var x = 1; x += 2; x",
    "#pragma a 1\n1",
    "## comment\n// comment\n/* block */ 1",
    "@silent 1",
    "return 1",
    "return\n1",
    "var m = {'a': {'b': [1, 2]}}; m.a.b[1]",
    "1.5 + 2.5e1 + 3l + 4h + 5.5b + 6.5f + 7d + 010 + 0x1F",
    "null == null",
    "var xs = [1, 2]; xs[0] = 3; xs",
    "var x; x",
    "var a = 1; if (a) 2 else 3",
    "var a = 1; if (a == 1) { 2 } else if (a == 2) { 3 } else { 4 }",
    "'abc'.length() + [1, 2].length + size([1]) + size('ab')",
    "var m = {'a': 1}; m['a'] = m.a + 1; m.a",
    "var f = function(x) { function(y) { x + y } }; var g = f(1); g(2)",
    "var s = 0; for (var i : [1, 2]) for (var j : [3, 4]) s += i * j; s",
    "var i = 0; while (i < 3) i += 1; i",
    "var x = 1;;; x",
    "var x = `multi\nline ${1}`",
    "var p = ~(1 | 2 ^ 3 & 4); p",
    "var t = 1 ? 2 : 3 ? 4 : 5; t",
    "var m = {}; m",
    "empty x",
]

# Scripts that JEXL 3.1 refuses when it parses, and so do we.
REFUSES = [
    "1 2",
    "f(1",
    "f(1}",
    "var = 1",
    "var if = 1",
    "x = 'abc",
    "break",
    "if (true) { continue }",
    "var x = 1 +",
    "1 = 2",
    "a < b < c",
    "a == b == c",
    # JEXL splits these into two tokens (`1 _000`, `0 8`): an ambiguous statement after an
    # expression; after `var x =` it even runs (`var x = 08` is 8). We always say "malformed
    # number", which is what the digest (2.1) calls them.
    "x = 1_000",
    "x = 08",
    "x = [1 2]",
    "x = {'a': 1 'b': 2}",
    "function (a b) {}",
    "for (var x in list) {}",
    "a ** b",
    "var [a, b] = c",
    "f(...xs)",
    "x.",
    "}",
    "else x",
]


def _ours_parses(source: str) -> bool:
    """Whether our parser accepts ``source`` (the sandbox may still refuse it later)."""
    try:
        parse(source)
    except ScriptSyntaxError:
        return False
    return True


def _ours_compiles(source: str) -> bool:
    """Whether our front end accepts ``source``: the parser and the static rules the
    resolver checks (``break`` outside a loop), which JEXL's parser checks too."""
    try:
        Engine().compile(source)
    except ScriptSyntaxError:
        return False
    return True


@pytest.mark.parametrize("source", PARSES)
def test_scripts_jexl_parses_parse(jexl_oracle: Oracle, source: str) -> None:  # noqa: F811
    theirs = jexl_oracle.eval(source)
    assert not theirs.parse, theirs.show()
    assert _ours_parses(source)


@pytest.mark.parametrize("source", REFUSES)
def test_scripts_jexl_refuses_are_refused(jexl_oracle: Oracle, source: str) -> None:  # noqa: F811
    theirs = jexl_oracle.eval(source)
    assert theirs.parse, theirs.show()
    assert not _ours_compiles(source)


# --- precedence, as JEXL 3.1 evaluates it ------------------------------------------------

# JEXL 3.1's binary operators (no shifts, ===, instanceof, ??: those came later)
NUMERIC_31 = ["+", "-", "*", "/", "%", "div", "mod", "&", "|", "^"]
COMPARISON_31 = ["==", "!=", "<", "<=", ">", ">=", "eq", "ne", "lt", "le", "gt", "ge"]
LOGICAL_31 = ["&&", "||", "and", "or"]


@st.composite
def numeric_31(draw: st.DrawFn, depth: int = 0) -> str:
    """A random JEXL 3.1 integer expression (mostly evaluates: no zero, so no division by 0)."""
    if depth >= 4 or draw(st.integers(0, 4)) == 0:
        return str(draw(st.integers(1, 9)))
    kind = draw(st.sampled_from(["binary", "binary", "binary", "unary", "ternary", "paren"]))
    if kind == "unary":  # a blank after the sign: `--` is 3.3+ syntax
        return draw(st.sampled_from(["- ", "~ "])) + draw(numeric_31(depth + 1))
    if kind == "ternary":
        cond = draw(boolean_31(depth + 1))
        return f"({cond} ? {draw(numeric_31(depth + 1))} : {draw(numeric_31(depth + 1))})"
    if kind == "paren":
        return "(" + draw(numeric_31(depth + 1)) + ")"
    op = draw(st.sampled_from(NUMERIC_31))
    return f"{draw(numeric_31(depth + 1))} {op} {draw(numeric_31(depth + 1))}"


@st.composite
def boolean_31(draw: st.DrawFn, depth: int = 0) -> str:
    """A random JEXL 3.1 boolean expression built on ``numeric_31``."""
    kind = draw(st.sampled_from(["compare", "compare", "logical", "not", "paren"]))
    if depth >= 4 or kind == "compare":
        op = draw(st.sampled_from(COMPARISON_31))
        return f"{draw(numeric_31(depth + 1))} {op} {draw(numeric_31(depth + 1))}"
    if kind == "not":
        return draw(st.sampled_from(["! ", "not "])) + "(" + draw(boolean_31(depth + 1)) + ")"
    if kind == "paren":
        return "(" + draw(boolean_31(depth + 1)) + ")"
    op = draw(st.sampled_from(LOGICAL_31))
    return f"{draw(boolean_31(depth + 1))} {op} {draw(boolean_31(depth + 1))}"


def _outcome(result: OracleResult) -> tuple[bool, str]:
    """A comparable summary: the value, or the error without its position."""
    if result.ok:
        return True, result.show()
    message = result.message.split(" ", 1)[-1] if "@" in result.message else result.message
    return False, f"{result.error_class}: {message}"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(numeric_31(), boolean_31()))
def test_precedence_agrees_with_jexl(jexl_oracle: Oracle, source: str) -> None:  # noqa: F811
    try:
        tree = parse_expression(source)
    except ScriptSyntaxError:
        # we refuse only what JEXL refuses (chained comparisons)
        assert jexl_oracle.eval(source).parse
        return
    theirs = jexl_oracle.eval(source)
    assert not theirs.parse, theirs.show()
    canonical = jexl_oracle.eval(render(tree))
    assert _outcome(theirs) == _outcome(canonical), (source, render(tree))
