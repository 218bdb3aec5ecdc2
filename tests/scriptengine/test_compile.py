"""The compiler end to end: every statement and expression kind gives JEXL's value
(digest sections 2-5 and 7), and the generated code keeps the sandbox's discipline."""

from __future__ import annotations

import ast
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriptengine import Engine, Options, ScriptRuntimeError, ScriptSyntaxError
from scriptengine import nodes as N
from scriptengine.compile import UnsafeCode, validate
from scriptengine.values import JArray, JSet, Long
from tests.oracle.compare import agree
from tests.oracle.oracle import Oracle, jexl_oracle  # noqa: F401 - the fixture
from tests.oracle.ours import run_ours


def plain(v: Any) -> Any:
    """Arrays and sets as plain lists/sets, recursively, for comparisons."""
    if isinstance(v, JArray | list):
        return [plain(x) for x in v]
    if isinstance(v, JSet):
        return {plain(x) for x in v}
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def run(engine: Engine, source: str, variables: dict[str, Any] | None = None) -> Any:
    return plain(engine.eval(source, variables))


VALUES = [
    # script value = last statement evaluated (5.3)
    ("var a = 1;", 1),
    ("var a = 1; a + 41", 42),
    ("var a = 1\nvar b = 2\na + b", 3),
    ("if (false) { 1 }", None),
    ("var a = 1; if (true) { }", None),
    ("if (true) { 1; 2 } else { 3 }", 2),
    ("if (false) 1 else if (true) 2 else 3", 2),
    ("var x = 0; x = 7", 7),
    ("var i = 0; while (i < 3) { i = i + 1 }", 3),
    ("for (var i : [1, 2, 3]) { i * 10 }", 30),
    ("return 5; 6", 5),
    ("var a = 5; return\na;", 5),
    # var scoping 3.1-3.6 (section 0, item 2)
    ("var a = 1; var a = 2; a", 2),
    ("if (true) { var x2 = 3; } x2", 3),
    ("var x = 1; { var x = 2; } x", 2),
    ("for (var x : [1, 2, 3]) { } x", 3),
    ("var x; x", None),
    ("var a = 1, b = 2; a + b", 3),
    # let/const
    ("let x = 1; { let y = 2; x = x + y } x", 3),
    ("const c = [1, ...]; c.add(2); c", [1, 2]),
    ("{ let y = 5; } var y = 1; y", 1),
    # loops
    ("var s = 0; for (var i : [1, 2, 3]) { s += i } s", 6),
    ("var s = 0; for (var i : 1..4) s = s + i; s", 10),
    ("var s = 0; for (v : {'x': 1, 'y': 2}) s = s + v; s", 3),
    ("var n = 0; for (c : 'abc') n = n + 1; n", 0),
    ("var n = 0; for (c : null) n = n + 1; n", 0),
    ("var s = 0; for (var i = 0; i < 5; i++) s += i; s", 10),
    ("var s = 0; for (var i = 0; i < 10; i++) { if (i % 2 == 0) continue; s += i } s", 25),
    ("var s = 0; for (var i = 0; ; i++) { if (i > 3) break; s += i } s", 6),
    ("var i = 0; do { i++ } while (i < 5); i", 5),
    ("var i = 0; do { i++; if (i < 3) continue; } while (i < 3); i", 3),
    ("var i = 10; do { i++ } while (false); i", 11),
    ("var i = 0; while (true) { i++; if (i == 4) break; } i", 4),
    (
        "var n = 0; for (var a : [1, 2]) { for (var b : [1, 2, 3]) { if (b == 2) break; n++ } } n",
        2,
    ),
    # functions and closures (5.4, 5.5)
    ("var f = function(n) { n <= 1 ? 1 : n * f(n - 1) }; f(5)", 120),
    ("function fact(n) { n <= 1 ? 1 : n * fact(n - 1) } fact(6)", 720),
    ("var f = (a, b) -> [a, b]; f(1)", [1, None]),
    ("var f = (a) -> a; f(1, 2, 3)", 1),
    ("var f = x -> x * 2; f(21)", 42),
    ("var f = x => x + 1; f(1)", 2),
    ("var f = function() { return 3; 4 }; f()", 3),
    ("var x = 1; var f = function() { x }; x = 2; f()", 1),
    ("var x = 1; var f = function() { x = 5; x }; [f(), x]", [5, 1]),
    (
        "function counter() { var n = 0; function() { n = n + 1; n } } "
        "var c = counter(); c(); c(); c()",
        1,
    ),
    (
        "var fs = [...]; for (let i : [1, 2, 3]) fs.add(() -> i); [fs[0](), fs[1](), fs[2]()]",
        [1, 2, 3],
    ),
    ("var add = (a) -> (b) -> a + b; add(2)(3)", 5),
    # self-recursion with a capture changed inside: each call starts from the captured value
    ("var n = 0; var f = function(k) { n = n + 1; k == 0 ? n : f(k - 1) }; f(3)", 1),
    ("var n = 10; var f = function(k) { k == 0 ? n : f(k - 1) }; n = 0; f(3)", 10),
    ("var f = function(k) { k == 0 ? 'done' : f(k - 1, 'extra') }; f(3)", "done"),
    ("(x -> x * 3)(4)", 12),
    ("var m = {'f': x -> x + 1}; m.f(1)", 2),
    ("y = 5; var f = function() { y * 2 }; f()", 10),
    ("var fs = [...]; for (var i : [1, 2, 3]) fs.add(() -> i); [fs[0](), fs[2]()]", [1, 3]),
    ("function outer(a) { function inner(b) { a + b } inner(2) } outer(40)", 42),
    (
        "var f = function(xs) { for (var x : xs) { if (x > 1) return x; } -1 }; [f([1, 5]), f([])]",
        [5, -1],
    ),
    ("var f = function() { var i = 0; while (true) { i++; if (i == 3) return i; } }; f()", 3),
    ("var i = 0; do { i++; if (i == 2) break; } while (true); i", 2),
    ("var g = function() { throw 'x' }; try { g() } catch (e) { e.info.line }", 1),
    ("try { throw 1 } catch (let e) { e.value + 1 }", 2),
    ("try { throw 1 } catch (var e) { } e.value", 1),
    # operators through the helpers
    ("7 / 2", 3),
    ("'a' + 1 + 2", "a12"),
    ("'a' && 'b'", "b"),
    ("'' && 'b'", ""),
    ("0 || 'x'", "x"),
    ("true and not false", True),
    ("1 == 1.0", True),
    ("1 === 1.0", False),
    ("'abc' =~ 'a.c'", True),
    ("'abc' =^ 'ab'", True),
    ("'abc' !$ 'bc'", False),
    ("6 & 3", 2),
    ("-(3)", -3),
    ("!true", False),
    ("~5", -6),
    ("1 < 2 ? 'y' : 'n'", "y"),
    ("undefinedVar ? 'y' : 'n'", "n"),
    ("null ? 'y' : 'n'", "n"),
    ("undefinedVar ?: 'd'", "d"),
    ("'' ?: 'b'", "b"),
    ("0 ?? 5", 0),
    ("undefinedVar ?? 5", 5),
    ("empty(undefinedVar)", True),
    ("empty('')", True),
    ("size(undefinedVar)", 0),
    ("size([1, 2, 3])", 3),
    ("'a' instanceof 'java.lang.String'", True),
    ("1 !instanceof 'String'", True),
    # assignment forms
    ("var i = 5; var a = i++; [a, i]", [5, 6]),
    ("var i = 5; var a = ++i; [a, i]", [6, 6]),
    ("var i = 5; i--; i", 4),
    ("var i = 5; --i", 4),
    ("var x = 2; x *= 3; x -= 1; x", 5),
    ("var a; var b; a = b = 3; [a, b]", [3, 3]),
    ("var l = [1, 2, ...]; l[0] = 7; l", [7, 2]),
    ("var l = [1, 2, ...]; l[1] += 5; l[1]++; l", [1, 8]),
    ("var m = {:}; m.a = 1; m['b'] = 2; m.a += 5; m", {"a": 6, "b": 2}),
    ("var m = {:}; var k = 'z'; m.`${k}` = 3; m.z", 3),
    ("var m = {'a': 1}; var x = (m.a = 9); [x, m.a]", [9, 9]),
    ("var m = {'n': 1}; m.n++; ++m.n; m.n", 3),
    ("y = 5; y + 1", 6),
    ("y = 5; y += 1; y++; y", 7),
    # access
    ("var m = {'a': {'b': 3}}; m.a.b", 3),
    ("var m = null; m?.a", None),
    ("var m = null; m?.a.b", None),
    ("var m = null; m?[0]", None),
    ("var m = null; m?.size()", None),
    ("var l = [1, 2, 3]; l[1]", 2),
    ("var l = [4, 5]; l.1", 5),
    ("'abc'.toUpperCase()", "ABC"),
    ("zz.purpose", None),
    ("Math.max(1, 5)", None),
    ("undefinedList[0]", None),
    ("a.b.c ?? 'none'", "none"),
    # literals
    ("[1, 2]", [1, 2]),
    ("[...]", []),
    ("{1, 2, 2}", {1, 2}),
    ("{'a': 1}", {"a": 1}),
    ("{:}", {}),
    ("null", None),
    ("'it\\'s'", "it's"),
    ("`a ${1 + 1} b`", "a 2 b"),
    ("`${[1, 2]}`", [1, 2]),
    ("`${7 / 2}`", 3),
    ("`${'42'}`", 42),
    ("`4${2}`", 42),
    ("`0${1}`", "01"),
    ("var n = null; `[${n}]`", "[]"),
    ("'ab' =~ ~/a./", True),
    # switch (section 7)
    ("switch (2) { case 1 -> 'a'; case 2, 3 -> 'b'; default -> 'c' }", "b"),
    ("switch (9) { case 1 -> 'a'; default -> 'c' }", "c"),
    (
        "var r = ''; switch (1) { case 1: r += 'a'; case 2: r += 'b'; break; case 3: r += 'c' } r",
        "ab",
    ),
    ("var r = ''; switch (3) { case 1: r += 'a'; default: r += 'd'; case 2: r += 'b' } r", "db"),
    ("switch (1l) { case 1 -> 'int'; default -> 'other' }", "other"),
    ("switch ('x') { case 'x': 1; break; }", "x"),
    # `continue` in a switch goes on to the next case, not to the loop (3.7.0 Interpreter)
    (
        "var n = 0; for (var i : [1, 2, 3]) { switch (i) { case 2: n += 10; continue; n += 100; "
        "default: n += i } } n",
        16,
    ),
    ("var r = ''; switch (1) { case 1: r += 'a'; case 2: r += 'b'; break; } ", "a"),
    ("switch (1) { case 1: 'one'; case 2: 'two' }", "two"),
    # try/catch/finally/throw
    ("try { throw 'boom' } catch (e) { e.value }", "boom"),
    ("try { throw {'code': 7} } catch (e) { e.value.code }", 7),
    ("try { 1 / 0 } catch (e) { e.value }", None),
    ("try { 1 } finally { 2 }", 1),
    ("try { throw 1 } catch (e) { 'c' } finally { 'f' }", "c"),
    ("var r = 0; try { r = 1 } catch (e) { r = 2 } finally { r = r + 10 } r", 11),
    ("var f = function() { try { return 1 } finally { g = 5 } }; [f(), g]", [1, 5]),
    (
        "var f = function() { try { throw 1 } catch (e) { return 2 } finally { g = 6 } }; [f(), g]",
        [2, 6],
    ),
    ("try { try { throw 'in' } finally { x = 1 } } catch (e) { [e.value, x] }", ["in", 1]),
    ("try { throw 'a' } catch (e) { try { throw e } catch (e2) { e2.value } }", "a"),
    (
        "var n = 0; for (var i : [1, 2, 3]) { try { if (i == 2) continue; n += i } finally { n += 100 } } n",
        304,
    ),
]


@pytest.mark.parametrize(("source", "expected"), VALUES)
def test_value(engine: Engine, source: str, expected: Any) -> None:
    assert run(engine, source) == expected


def test_numbers_keep_their_kind(engine: Engine) -> None:
    assert type(engine.eval("42l")) is Long
    assert engine.eval("1.10b") == Decimal("1.10")
    assert type(engine.eval("2147483647 + 1")) is Long
    assert engine.eval("1.5") == 1.5


def test_caught_error_position(engine: Engine) -> None:
    src = "var x = 1;\ntry {\n  x = 1 / 0;\n} catch (e) { [e.info.line, e.info.column] }"
    assert run(engine, src) == [3, 7]


def test_try_with_resources_closes() -> None:
    from scriptengine import HostObject, MethodInfo, TypeInfo

    class Res(HostObject):
        jexl_type = TypeInfo("Res", methods={"close": MethodInfo("close", 0, 0)})
        closed = 0

        def jexl_call(self, name: str, args: list[Any]) -> Any:
            Res.closed += 1
            return None

    engine = Engine()
    assert engine.eval("try (let r = res) { 5 }", {"res": Res()}) == 5
    assert Res.closed == 1
    with pytest.raises(ScriptRuntimeError):
        engine.eval("try (let r = res) { 1 / 0 }", {"res": Res()})
    assert Res.closed == 2


def test_context_variable_visible_to_functions(engine: Engine) -> None:
    assert engine.eval("total = 1; var add = x -> total = total + x; add(2); add(3); total") == 6


def test_host_variables_are_read_only(engine: Engine) -> None:
    with pytest.raises(ScriptRuntimeError, match="provided by the host"):
        engine.eval("entity = 1", {"entity": 5})
    assert engine.eval("entity + 1", {"entity": 5}) == 6


def test_antish_context_name(engine: Engine) -> None:
    assert engine.eval("a.b.c", {"a.b.c": 7}) == 7
    assert engine.eval("a.b.c", {"a.b": {"c": 8}}) == 8
    assert engine.eval("a.b", {"a": {"b": 9}}) == 9


def test_plain_callable_variable_is_a_function(engine: Engine) -> None:
    assert engine.eval("twice(4)", {"twice": lambda x: x * 2}) == 8


def test_boolean_logical_option() -> None:
    assert Engine().eval("#pragma jexl.options '+booleanLogical'\n'a' && 'b'") is True


def test_strict_interpolation_option() -> None:
    src = "#pragma jexl.options '+strictInterpolation'\n`4${2}`"
    assert Engine().eval(src) == "42"


def test_lenient_undefined_is_null() -> None:
    assert Engine().eval("#pragma jexl.options '-strict'\nundefinedVar") is None


@given(st.lists(st.integers(min_value=-1000, max_value=1000), max_size=20))
def test_sum_loop_matches_python(xs: list[int]) -> None:
    engine = Engine()
    src = "var s = 0; for (var x : xs) { s = s + x } s"
    assert engine.eval(src, {"xs": list(xs)}) == sum(xs)


@given(st.integers(min_value=0, max_value=60))
def test_recursion_matches_python(k: int) -> None:
    engine = Engine()
    src = "var fib = function(n) { n < 2 ? n : fib(n - 1) + fib(n - 2) }; var r = [...]; for (var i : 0..k) { if (i > 15) break; r.add(fib(i)) } r"
    got = engine.eval(src, {"k": k})
    fib = [0, 1]
    while len(fib) < 17:
        fib.append(fib[-1] + fib[-2])
    assert got == fib[: min(k, 15) + 1]


# --- generated code discipline ----------------------------------------------------------------


def test_generated_code_uses_no_script_names_as_attributes(engine: Engine) -> None:
    script = engine.compile("var __class__ = 1; x.__globals__; x.y(); __class__")
    program, _ = script._program(script.options)
    for node in ast.walk(program.module):
        if isinstance(node, ast.Attribute):
            assert node.value.id in {"t", "rt", "ar", "acc"}  # type: ignore[attr-defined]
            assert not node.attr.startswith("_")
        if isinstance(node, ast.Name):
            assert node.id != "__class__"


def test_dollar_names_are_mangled(engine: Engine) -> None:
    assert engine.eval("var $a = 1; var a$ = 2; $a + a$") == 3


def _module(body: list[ast.stmt]) -> ast.Module:
    args = ast.arguments([], [ast.arg("rt")], None, [], [], None, [])
    mod = ast.Module([ast.FunctionDef("_main", args, body, [], None)], [])
    return ast.fix_missing_locations(mod)


BAD = [
    # an import
    [ast.Import([ast.alias("os")])],
    # attribute of an arbitrary expression: ().__class__
    [ast.Expr(ast.Attribute(ast.Tuple([], ast.Load()), "__class__", ast.Load()))],
    # an attribute name that is no helper
    [ast.Expr(ast.Attribute(ast.Name("acc", ast.Load()), "__dict__", ast.Load()))],
    # a global that is no generated name
    [ast.Expr(ast.Call(ast.Name("eval", ast.Load()), [ast.Constant("1")], []))],
    # a lambda
    [ast.Expr(ast.Lambda(ast.arguments([], [], None, [], [], None, []), ast.Constant(1)))],
    # assignment to a helper object's attribute
    [
        ast.Assign(
            [ast.Attribute(ast.Name("acc", ast.Load()), "getprop", ast.Store())], ast.Constant(1)
        )
    ],
    # a bytes constant
    [ast.Expr(ast.Constant(b"x"))],
    # subscript of a script value (would reach __getitem__ of any object)
    [ast.Expr(ast.Subscript(ast.Name("v_x", ast.Load()), ast.Constant(0), ast.Load()))],
    # a for loop over a script value without the access helper
    [ast.For(ast.Name("v_x", ast.Store()), ast.Name("v_y", ast.Load()), [ast.Pass()], [])],
    # a direct call of a script value without the `type(f) is SF` guard
    [ast.Expr(ast.Call(ast.Name("v_f", ast.Load()), [], []))],
    # a binary operator on a script value outside the inline integer paths is fine, but
    # `type` outside `type(x) is int` is not
    [ast.Expr(ast.Call(ast.Name("type", ast.Load()), [ast.Name("v_x", ast.Load())], []))],
    # an except clause for BaseException (would swallow limits)
    [
        ast.Try(
            [ast.Pass()],
            [ast.ExceptHandler(ast.Name("BaseException", ast.Load()), None, [ast.Pass()])],
            [],
            [],
        )
    ],
]


@pytest.mark.parametrize("body", BAD)
def test_validator_rejects_hand_made_bad_trees(body: list[ast.stmt]) -> None:
    with pytest.raises(UnsafeCode):
        validate(_module(body))


def test_validator_accepts_generated_code(engine: Engine) -> None:
    script = engine.compile(
        "var m = {:}; for (var i : 1..3) { m[i] = i -> i } try { throw 1 } catch (e) { e } "
        "switch (1) { case 1: break; } `x${m}` ?? (a ?: b?.c)"
    )
    program, _ = script._program(script.options)
    validate(program.module)


def test_compile_from_hand_built_tree() -> None:
    p = N.Pos(1, 1)
    tree = N.Script(
        p,
        (
            N.VarDeclaration(
                p, "var", (N.VarDeclarator(p, "a", N.NumberLiteral(p, 40, "Integer")),)
            ),
            N.ExpressionStatement(
                p, N.BinaryOp(p, "+", N.Identifier(p, "a"), N.NumberLiteral(p, 2, "Integer"))
            ),
        ),
        (),
        "hand.jexl",
        "var a = 40; a + 2",
    )
    assert Engine().compile_tree(tree).run() == 42


def test_compile_cache_returns_same_script(engine: Engine) -> None:
    assert engine.compile("1 + 1", "c.jexl") is engine.compile("1 + 1", "c.jexl")
    assert engine.compile("1 + 1", "c.jexl") is not engine.compile("1 + 1", "d.jexl")


def test_static_errors_are_syntax_errors(engine: Engine) -> None:
    with pytest.raises(ScriptSyntaxError):
        engine.compile("const c = 1; c = 2")


INT32 = st.integers(min_value=-(1 << 31), max_value=(1 << 31) - 1)
OPERATORS = ["+", "-", "*", "%", "<", "<=", ">", ">=", "==", "!="]


@given(INT32, INT32, st.sampled_from(OPERATORS), st.booleans())
def test_inline_integer_fast_paths_match_the_helpers(
    a: int, b: int, op: str, literal: bool
) -> None:
    # the compiler inlines Integer arithmetic and comparisons; the result, kind included,
    # must be what ops.Arithmetic gives (overflow -> Long, Java's remainder sign)
    from scriptengine.ops import Arithmetic
    from scriptengine.thread import Thread

    if op == "%" and b == 0:
        return
    engine = Engine()
    helper = getattr(Arithmetic(Options(), Thread()), BINARY_NAMES[op])
    expected = helper(a, b)
    src = f"({a}) {op} ({b})" if literal else f"x {op} y"
    got = engine.eval(src, {"x": a, "y": b})
    assert got == expected and type(got) is type(expected)


@given(st.sampled_from(OPERATORS))
def test_fast_paths_leave_other_kinds_to_the_helpers(op: str) -> None:
    engine = Engine()
    got = engine.eval(f"x {op} y", {"x": Long(5), "y": 2})
    from scriptengine.ops import Arithmetic
    from scriptengine.thread import Thread

    expected = getattr(Arithmetic(Options(), Thread()), BINARY_NAMES[op])(Long(5), 2)
    assert got == expected and type(got) is type(expected)


BINARY_NAMES = {
    "+": "add",
    "-": "sub",
    "*": "mul",
    "%": "mod",
    "<": "lt",
    "<=": "le",
    ">": "gt",
    ">=": "ge",
    "==": "eq",
    "!=": "ne",
}


def test_negative_literals_narrow_back() -> None:
    engine = Engine()
    assert type(engine.eval("-2147483648")) is int
    assert type(engine.eval("-2147483649")) is Long
    assert type(engine.eval("-5l")) is Long


def test_null_comparisons_need_no_coercion() -> None:
    engine = Engine()
    assert engine.eval("var c = null; [c == null, c != null, 0 == null, null == null]") is not None
    assert plain(engine.eval("var c = null; [c == null, c != null, 0 == null, null == null]")) == [
        True,
        False,
        False,
        True,
    ]


def test_antish_option_off_looks_up_the_first_name_only() -> None:
    engine = Engine()
    assert engine.eval("a.b.c", {"a.b.c": 7}) == 7
    assert engine.eval("#pragma jexl.options '-antish'\na.b.c", {"a.b.c": 7}) is None


def test_undefined_navigation_root_is_an_error_without_safe() -> None:
    engine = Engine()
    with pytest.raises(ScriptRuntimeError, match="'Math' is undefined"):
        engine.eval("#pragma jexl.options '-safe'\nMath.max(1, 5)")
    with pytest.raises(ScriptRuntimeError, match="undefined"):
        engine.eval("#pragma jexl.options '-safe'\nzz.purpose")


# --- against JEXL 3.1 (features 3.1 has, where digest section 0 keeps 3.1's behaviour) --------

ORACLE_SCRIPTS = [
    "var a = 1; if (true) { }",
    "var a = 1; var a; a",
    "var a = 1; while (false) { a }",
    "var t = 0; for (var i : [1, 2, 3]) { if (i == 2) { continue; } t = t + i }",
    "var t = 0; for (var i : [1, 2, 3]) { if (i == 2) { break; } t = t + i } t",
    "if (false) 1",
    "var x = 1; { var x = 2; } x",
    "for (var x : [1, 2, 3]) { } x",
    "var x = 1; var f = function() { x }; x = 2; f()",
    "var x = 1; var f = function() { x = 5; x }; [f(), x]",
    "var f = function(a, b) { [a, b] }; f(1)",
    "var f = function(a) { a }; f(1, 2)",
    "var fact = function(n) { n <= 1 ? 1 : n * fact(n - 1) }; fact(10)",
    "var f = function(n) { if (n > 0) { return 'pos'; } 'other' }; [f(1), f(0)]",
    "y = 5; y + 1",
    "var m = {'x': 1, 'y': 2}; var s = 0; for (v : m) { s = s + v } s",
    "var n = 0; for (c : 'abc') { n = n + 1 } n",
    "var i = 0; while (i < 10) { i = i + 1; if (i > 4) break; } i",
    "undefinedVar",
    "undefinedVar ? 1 : 2",
    "empty(undefinedVar)",
    "size(undefinedVar)",
    "var s = ''; for (var i : 1..3) { s = s + i } s",
    "`a ${1 + 1} b`",
    "var m = {:}; m.k = [1, 2, ...]; m.k[1] = 7; m.k",
    "var a = 2; a * 3",
]


@pytest.mark.oracle
@pytest.mark.parametrize("source", ORACLE_SCRIPTS)
def test_statements_agree_with_jexl_3_1(source: str, jexl_oracle: Oracle) -> None:  # noqa: F811
    theirs = jexl_oracle.eval(source)
    ours = run_ours(source)
    problem = agree(theirs, ours)
    assert problem is None, f"{problem}\n  JEXL 3.1: {theirs.show()}\n  ours:     {ours.show()}"


def test_try_with_several_resources_closes_in_reverse_order() -> None:
    from scriptengine import HostObject, MethodInfo, TypeInfo

    closed: list[str] = []

    class Res(HostObject):
        jexl_type = TypeInfo("Res", methods={"close": MethodInfo("close", 0, 0)})

        def __init__(self, name: str) -> None:
            self.name = name

        def jexl_call(self, name: str, args: list[Any]) -> Any:
            closed.append(self.name)
            return None

    engine = Engine()
    src = "try (let a = ra; let b = rb) { 'body' } finally { done = 1 }"
    assert engine.eval(src, {"ra": Res("a"), "rb": Res("b")}) == "body"
    assert closed == ["b", "a"]


def test_switch_expression_without_match_is_an_error() -> None:
    with pytest.raises(ScriptRuntimeError, match="no case in switch for: 5"):
        Engine().eval("var x = switch (5) { case 1 -> 'one' }; x")
    assert Engine().eval("#pragma jexl.options '-strict'\nswitch (5) { case 1 -> 'one' }") is None
