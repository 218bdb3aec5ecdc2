"""The speed work keeps behaviour: code compiled without the inline Integer fast paths (top
level, outside loops) gives exactly what the fast paths give (in loops and functions), the
validator still refuses what the compiler never emits, the expression nesting limit holds
wherever the expression is, and the helpers' shortcuts agree with their general paths."""

from __future__ import annotations

import ast
import gc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lark import Token, Tree

from scriptengine import Engine, Options, ScriptSyntaxError
from scriptengine.build import _first_token, _last_token
from scriptengine.compile import MAX_NESTING, UnsafeCode, validate
from scriptengine.ops import Arithmetic
from scriptengine.thread import Thread
from scriptengine.values import BigInteger, Long, template_string, to_string


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _generated(engine: Engine, source: str) -> str:
    script = engine.compile(source)
    program, _ = script._program(script.options)
    return ast.unparse(program.module)


# --- hot and cold code agree ------------------------------------------------------------------

INT32 = st.integers(-(2**31), 2**31 - 1)
EDGES = st.sampled_from([0, 1, -1, 2, 3, 2**31 - 1, -(2**31), 46341, -46341, 65536])
OPERANDS = st.one_of(INT32, EDGES)
OPERATORS = st.sampled_from(["+", "-", "*", "%", "<", "<=", ">", ">=", "==", "!="])


def _kind(v: Any) -> str:
    return type(v).__name__


@given(a=OPERANDS, b=OPERANDS, op=OPERATORS)
def test_top_level_code_and_loop_code_give_the_same_value_and_kind(
    engine: Engine, a: int, b: int, op: str
) -> None:
    # `a` and `b` are locals in both places: the loop body gets the inline `type(x) is int`
    # fast path, the top level the helper call; overflow promotes to Long in both
    if op == "%" and b == 0:
        b = 7
    top = engine.eval(f"var a = {a}; var b = {b}; a {op} b")
    looped = engine.eval(
        f"var a = {a}; var b = {b}; var r; for (var i : 1..1) {{ r = a {op} b }} r"
    )
    in_function = engine.eval(f"var f = function(a, b) {{ a {op} b }}; f({a}, {b})")
    assert top == looped == in_function
    assert _kind(top) == _kind(looped) == _kind(in_function)


def test_overflow_gives_a_long_at_top_level_and_in_a_loop(engine: Engine) -> None:
    top = engine.eval("var a = 2147483647; a + 1")
    looped = engine.eval("var a = 2147483647; var r; while (r == null) { r = a + 1 } r")
    assert top == looped == 2147483648
    assert type(top) is Long and type(looped) is Long


def test_fast_paths_are_emitted_only_where_code_repeats(engine: Engine) -> None:
    cold = _generated(engine, "var a = 1; var b = a + 2;")
    assert "type(v_a) is int" not in cold and "add(v_a, 2)" in cold
    for hot in (
        "var a = 1; for (var i : 1..3) { a = a + 2 }",
        "var a = 1; while (a < 5) { a = a + 2 }",
        "var a = 1; do { a = a + 2 } while (a < 5)",
        "var a = 1; for (var i = 0; i < 3; i = i + 1) { a = a + 2 }",
        "var f = function(a) { a + 2 }; f(1)",
    ):
        assert "type(v_a) is int" in _generated(engine, hot), hot


def test_code_after_a_loop_or_a_function_is_cold_again(engine: Engine) -> None:
    code = _generated(
        engine,
        "var z = 1; for (var i : 1..2) { var f = function(a) { a + 1 }; z = z + i }\n"
        "var w = z + 5; w",
    )
    assert "add(v_z, 5)" in code  # after the loop: the helper
    assert "type(v_a) is int" in code and "type(v_z) is int" in code  # inside: fast paths
    assert engine.eval("var z = 1; for (var i : 1..2) { z = z + i }\nvar w = z + 5; w") == 9


def test_loop_condition_and_update_are_compiled_as_hot(engine: Engine) -> None:
    code = _generated(engine, "var n = 0; for (var i = 0; i < 3; i = i + 1) { n = n + i } n")
    assert "type(v_i) is int" in code
    assert engine.eval("var n = 0; for (var i = 0; i < 3; i = i + 1) { n = n + i } n") == 3


def test_string_concatenation_with_an_integer_is_the_same_everywhere(engine: Engine) -> None:
    assert engine.eval("'x' + 12 + ';'") == "x12;"
    assert engine.eval("var s; for (var i : 1..2) { s = 'x' + i + ';' } s") == "x2;"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("var a = null;\n{prefix}var b = 2 * (a + 1);{suffix}", "the left operand of '+' is null"),
        (
            "var a = 'x';\n{prefix}var b = (a - 1) < 3;{suffix}",
            "cannot subtract: 'x' is not a number",
        ),
        ("var a = 2147483647;\n{prefix}var b = (a * a) % 0;{suffix}", "modulo by zero"),
    ],
)
def test_errors_point_at_the_same_expression_with_and_without_fast_paths(
    engine: Engine, source: str, message: str
) -> None:
    from scriptengine import ScriptRuntimeError

    found = []
    for prefix, suffix in (("", ""), ("for (var i : 1..1) { ", " }")):
        text = source.format(prefix=prefix, suffix=suffix)
        with pytest.raises(ScriptRuntimeError) as info:
            engine.eval(text)
        assert info.value.message == message
        assert info.value.line == 2
        line = text.splitlines()[1]
        # the column is the operator expression's first character, after the prefix
        found.append(info.value.column - len(prefix))
        assert line[info.value.column - 1] in "a("
    assert found[0] == found[1]


# --- nesting limit ----------------------------------------------------------------------------


def test_expression_nesting_limit_is_the_same_at_top_level_and_in_a_function(
    engine: Engine,
) -> None:
    deep = "1" + " + 1" * (MAX_NESTING + 10)
    with pytest.raises(ScriptSyntaxError, match="nested too deeply"):
        engine.compile(deep)
    with pytest.raises(ScriptSyntaxError, match="nested too deeply"):
        engine.compile("var f = function() { " + deep + " }; f()")
    fine = "1" + " + 1" * (MAX_NESTING - 100)
    assert engine.eval(fine) == MAX_NESTING - 99
    assert engine.eval("var f = function() { " + fine + " }; f()") == MAX_NESTING - 99


# --- validator ----------------------------------------------------------------------------


def _module(body: list[ast.stmt]) -> ast.Module:
    args = ast.arguments([], [ast.arg("rt")], None, [], [], None, [])
    mod = ast.Module([ast.FunctionDef("_main", args, body, [], None)], [])
    return ast.fix_missing_locations(mod)


def _v(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


BAD_OPERATORS = [
    # `**` could build huge numbers outside the helpers' limits
    ast.Expr(ast.BinOp(_v("v_a"), ast.Pow(), _v("v_b"))),
    # a unary minus outside the helper
    ast.Expr(ast.UnaryOp(ast.USub(), _v("v_a"))),
    # `in` would call __contains__ of a script value
    ast.Expr(ast.Compare(_v("v_a"), [ast.In()], [_v("v_b")])),
    # an augmented `**=`
    ast.AugAssign(ast.Name("v_a", ast.Store()), ast.Pow(), ast.Constant(2)),
    # `del` of a local
    ast.Delete([ast.Name("v_a", ast.Del())]),
    # a Del context smuggled into an expression
    ast.Expr(ast.Name("v_a", ast.Del())),
    # `and` as an arithmetic operator node is not an operator of BinOp
    ast.Expr(ast.BinOp(_v("v_a"), ast.And(), _v("v_b"))),  # type: ignore[arg-type]
    # an assignment expression to an attribute is not Python, but refuse the shape anyway
    ast.Expr(ast.NamedExpr(ast.Attribute(_v("t"), "budget", ast.Store()), ast.Constant(1))),
    # a plain string where a statement belongs
    "v_a",  # type: ignore[list-item]
]


@pytest.mark.parametrize("stmt", BAD_OPERATORS)
def test_validator_refuses_operators_and_contexts_never_emitted(stmt: Any) -> None:
    with pytest.raises(UnsafeCode):
        validate(_module([stmt]))


def test_validator_still_allows_type_and_int_only_in_the_type_test() -> None:
    good = ast.Expr(
        ast.Compare(
            ast.Call(_v("type"), [_v("v_a")], []), [ast.Is()], [ast.Name("int", ast.Load())]
        )
    )
    validate(_module([good]))
    bad = ast.Expr(ast.Call(_v("int"), [_v("v_a")], []))
    with pytest.raises(UnsafeCode):
        validate(_module([good, bad]))


def test_validator_places_missing_positions_under_their_parent(engine: Engine) -> None:
    script = engine.compile("var a = 1;\nvar b = a + 2;\nb")
    program, _ = script._program(script.options)
    lines = {
        node.lineno
        for node in ast.walk(program.module)
        if isinstance(node, ast.expr) and getattr(node, "lineno", None) is not None
    }
    assert {1, 2, 3} <= lines
    for node in ast.walk(program.module):
        if isinstance(node, ast.stmt | ast.expr):
            assert node.lineno is not None


# --- compile leaves the collector as it found it --------------------------------------------


def test_compiling_restores_the_garbage_collector_state() -> None:
    engine = Engine()
    assert gc.isenabled()
    engine.compile("var a = 1; a + 1")
    assert gc.isenabled()
    with pytest.raises(ScriptSyntaxError):
        engine.compile("var = ;")
    assert gc.isenabled()
    gc.disable()
    try:
        engine.compile("var a = 2; a + 2")
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- helpers' shortcuts -----------------------------------------------------------------------


@given(st.one_of(st.none(), st.text(max_size=5), INT32, st.floats(allow_nan=True)))
def test_template_string_agrees_with_to_string(v: Any) -> None:
    assert template_string(v) == ("" if v is None else to_string(v))


def test_template_string_keeps_java_forms_of_other_kinds() -> None:
    assert template_string(True) == "true"
    assert template_string(Long(5)) == "5"
    assert template_string(BigInteger(10**30)) == str(10**30)
    assert template_string(1.0) == "1.0"


@given(s=st.text(max_size=8), i=st.one_of(INT32, EDGES))
def test_string_plus_integer_concatenates_in_strict_mode(s: str, i: int) -> None:
    ar = Arithmetic(Options(), Thread())
    assert ar.add(s, i) == s + str(i)


def test_string_plus_integer_in_lenient_mode_still_tries_numbers_first() -> None:
    lenient = Arithmetic(Options(strict_arithmetic=False), Thread())
    assert lenient.add("2", 3) == 5
    assert lenient.add("x", 3) == "x3"


def test_long_concatenation_is_still_charged_to_the_string_limit() -> None:
    from scriptengine.errors import LimitExceeded
    from scriptengine.thread import Limits

    ar = Arithmetic(Options(), Thread(Limits(string_length=10)))
    with pytest.raises(LimitExceeded):
        ar.add("x" * 10, 1)


# --- builder positions ------------------------------------------------------------------------


def _tok(value: str, column: int) -> Token:
    return Token("IDENTIFIER", value, line=1, column=column, end_line=1, end_column=column + 1)


def test_first_and_last_token_skip_empty_subtrees_on_the_way() -> None:
    a, b = _tok("a", 1), _tok("b", 3)
    empty = Tree("x", [None])
    tree = Tree("t", [Tree("u", [empty, a]), empty, Tree("v", [b, Tree("w", [])]), None])
    assert _first_token(tree) is a
    assert _last_token(tree) is b
    assert _first_token(Tree("t", [None, empty])) is None
    assert _last_token(Tree("t", [])) is None
