"""The speed paths give what the general paths give.

Each shortcut added for speed is compared here with the path it short-circuits, on every
kind of value a script can hand it: the method fast paths (``Access.m_size``, ``m_get``...,
which the compiler emits for ``x.size()``, ``m.get(k)``...) against ``call_method``; host
property reads and writes against the sandbox's slow path; ``tjoin`` against ``template``;
the inline Integer trees (``a + b * 14`` over locals) against the ``Arithmetic`` helpers,
with Java's kinds (Integer overflowing to Long, Long, BigInteger, Double), nulls, strict and
lenient arithmetic; the one-read call prologue against the depth limit; and the validator
still refusing any variation of the new shapes it now accepts.
"""

from __future__ import annotations

import ast
import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scriptengine import Engine, Limits, Options, ScriptLimitError, ScriptRuntimeError, Thread
from scriptengine import compile as C
from scriptengine.access import FAST_METHODS, Access
from scriptengine.errors import EvalError, LimitExceeded
from scriptengine.host import HostObject, MethodInfo, PropertyInfo, TypeInfo
from scriptengine.members import TABLES
from scriptengine.sandbox import FORBIDDEN_VERDICTS, is_forbidden
from scriptengine.values import BigInteger, Char, Float, JArray, JRange, JSet, Long


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _generated(engine: Engine, source: str) -> str:
    script = engine.compile(source)
    program, _ = script._program(script.options)
    return ast.unparse(program.module)


# --- method fast paths --------------------------------------------------------------------------


class Box(HostObject):
    """A host object with methods named like the fast paths (they must reach jexl_call)."""

    jexl_type = TypeInfo(
        "Box",
        properties={"size": PropertyInfo("size", "Integer")},
        methods={
            "get": MethodInfo("get", 1, 1),
            "add": MethodInfo("add", 1, 1),
            "length": MethodInfo("length", 0, 0),
        },
    )

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []

    def jexl_get(self, name: str) -> Any:
        return 3

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        self.calls.append((name, list(args)))
        return f"{name}{len(args)}"


def _receivers() -> list[Any]:
    return [
        [],
        [1, 2, "a", None, Long(2), 2.0, True],
        list(range(200)),
        {},
        {"a": 1, 2: "two", Long(3): "three", 2.5: "x", None: "null"},
        "",
        "abc",
        "Ünïcödé",
        "😀x",
        "x" * 150,
        "ǅİ",
        JArray.of([1, 2, 3]),
        JSet([1, "a"]),
        JRange(1, 5),
        None,
        5,
        Long(5),
        2.5,
        True,
        Char("c"),
        Decimal("1.5"),
        Box(),
    ]


ARGUMENTS = [
    0,
    1,
    2,
    -1,
    150,
    "a",
    "b",
    "x",
    "",
    None,
    Long(2),
    Long(3),
    BigInteger(2),
    2.0,
    2.5,
    Float(2.0),
    True,
    Char("a"),
    Decimal("2"),
    [1],
]


def _call(fn: Any, *args: Any) -> tuple[str, Any]:
    """What a call gives: its value (with its exact type), or its error."""
    try:
        value = fn(*args)
    except (EvalError, LimitExceeded) as exc:
        return ("error", (type(exc).__name__, exc.message))
    return ("value", (type(value), value))


def _snapshot(v: Any) -> Any:
    """A receiver's contents, comparable (arrays and sets compare by identity in Java)."""
    if isinstance(v, dict):
        return (type(v), [(type(k), k, type(x), x) for k, x in v.items()])
    if isinstance(v, list | JSet):
        return (type(v), [(type(x), x) for x in v])
    return (type(v), repr(v))


def _access(options: Options, limits: Limits | None = None) -> tuple[Access, Thread]:
    thread = Thread(limits or Limits())
    return Access(options, thread), thread


def _same_outcome(options: Options, name: str, helper: str, recv: Any, args: list[Any]) -> None:
    fast_acc, fast_thread = _access(options)
    slow_acc, slow_thread = _access(options)
    fast_recv, slow_recv = copy.deepcopy(recv), copy.deepcopy(recv)
    fast = _call(getattr(fast_acc, helper), fast_recv, *args)
    slow = _call(slow_acc.call_method, slow_recv, name, list(args))
    assert fast == slow, (name, recv, args)
    if not isinstance(recv, Box):
        assert _snapshot(fast_recv) == _snapshot(slow_recv)  # the same change to the receiver
    else:
        assert fast_recv.calls == slow_recv.calls
    # the same work and memory charged, the same warnings
    assert fast_thread.steps == slow_thread.steps
    assert fast_thread.memory == slow_thread.memory
    assert [w.message for w in fast_thread.warnings] == [w.message for w in slow_thread.warnings]


@pytest.mark.parametrize(("name", "count"), sorted(FAST_METHODS))
@pytest.mark.parametrize("safe", [True, False])
def test_method_fast_paths_agree_with_call_method(name: str, count: int, safe: bool) -> None:
    helper = FAST_METHODS[(name, count)]
    options = Options(safe=safe)
    for recv in _receivers():
        if count == 0:
            _same_outcome(options, name, helper, recv, [])
        elif count == 1:
            for a in ARGUMENTS:
                _same_outcome(options, name, helper, recv, [a])
        else:
            for a in ARGUMENTS:
                for b in (None, 7, "v"):
                    _same_outcome(options, name, helper, recv, [a, b])


def test_every_fast_path_is_a_member_of_a_builtin_table() -> None:
    # a fast path for a name no table lists would expose a member the sandbox does not
    for name, count in FAST_METHODS:
        assert any(name in table and table[name].accepts(count) for table in TABLES.values()), name
        assert not is_forbidden(name)


@pytest.mark.parametrize(
    ("helper", "source"),
    [
        ("m_add", "var l = [...];\nwhile (true) { l.add(1) }"),
        ("m_put", "var m = {:}; var i = 0;\nwhile (true) { m.put('k' + i, i); i = i + 1 }"),
    ],
)
def test_growth_through_a_fast_path_meets_the_items_limit(
    engine: Engine, helper: str, source: str
) -> None:
    assert helper in _generated(engine, source)
    with pytest.raises(ScriptLimitError) as info:
        engine.compile(source).run(limits=Limits(steps=None, items=500))
    assert info.value.limit == "items" and info.value.line == 2


def test_fast_paths_are_emitted_for_plain_calls_only(engine: Engine) -> None:
    code = _generated(engine, "var l = [1, ...]; l.size() + l?.size() + l.size(1)")
    assert code.count("m_size(") == 1  # `l?.size()` and `l.size(1)`: call_method
    assert code.count("call_method(") == 2
    assert engine.eval("var l = [1, ...]; l.size() + l?.size()") == 2


def test_a_map_entry_holding_a_function_does_not_hide_map_get(engine: Engine) -> None:
    # `get` is a member of Map: the entry named `get` is data, as in call_method
    assert engine.eval("var m = {'get': x -> 42, 'a': 1}; m.get('a')") == 1


def test_fast_path_errors_keep_the_script_position(engine: Engine) -> None:
    with pytest.raises(ScriptRuntimeError) as info:
        engine.eval("var l = [1, ...];\nvar x = l.get(5);", limits=Limits())
    assert info.value.line == 2 and info.value.column == 9
    script = engine.compile("var s = 'abc';\nvar x = s.get(1);\nx")
    thread = Thread(Limits())
    assert script.run(thread=thread) is None  # safe mode: unknown method is null
    assert [(w.line, w.column) for w in thread.warnings] == [(2, 9)]


# --- host property reads and writes -----------------------------------------------------------


class Record(HostObject):
    jexl_type = TypeInfo(
        "Record",
        properties={
            "note": PropertyInfo("note", "String", writable=True),
            "id": PropertyInfo("id", "Long"),
            "getClass": PropertyInfo("getClass", "Object"),  # declared by mistake
            "_secret": PropertyInfo("_secret", "String", writable=True),
        },
        methods={"getTitle": MethodInfo("getTitle", 0, 0, "String")},
        strict=True,
    )

    def __init__(self) -> None:
        self.values: dict[str, Any] = {"note": None, "id": Long(7), "_secret": "s"}

    def jexl_get(self, name: str) -> Any:
        return self.values.get(name, "LEAK")

    def jexl_set(self, name: str, value: Any) -> None:
        self.values[name] = value

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        return "title"


@pytest.mark.parametrize("safe", [True, False])
def test_host_reads_agree_with_the_slow_path(safe: bool) -> None:
    acc, _ = _access(Options(safe=safe))
    for name in ["note", "id", "title", "getClass", "class", "_secret", "nope", 0, "__class__"]:
        for _ in range(2):  # the second time the sandbox's verdict is cached
            assert _call(acc.getprop, Record(), name) == _call(acc._host_get, Record(), name)


def test_forbidden_names_stay_refused_on_the_fast_paths() -> None:
    acc, _ = _access(Options())
    for name in ("getClass", "_secret"):
        assert is_forbidden(name) and FORBIDDEN_VERDICTS[name] is True
        with pytest.raises(EvalError):
            acc.getprop(Record(), name)
        rec = Record()
        with pytest.raises(EvalError):
            acc.setprop(rec, name, "x")
        assert rec.values.get("_secret") == "s"


def test_host_writes_agree_with_the_slow_path() -> None:
    for name, value in [("note", "n"), ("id", Long(1)), ("nope", 1), ("_secret", "x"), (3, 1)]:
        fast_acc, _ = _access(Options())
        slow_acc, _ = _access(Options())
        fast_rec, slow_rec = Record(), Record()

        def slow(obj: Any, key: Any, v: Any, acc: Access = slow_acc) -> Any:
            acc._host_set(obj, key, v)
            return v

        assert _call(fast_acc.setprop, fast_rec, name, value) == _call(slow, slow_rec, name, value)
        assert fast_rec.values == slow_rec.values


def test_unhashable_keys_on_host_objects_are_script_errors(engine: Engine) -> None:
    with pytest.raises(ScriptRuntimeError) as info:
        engine.compile("r[[1]] = 2").run({"r": Record()})
    assert "internal error" not in info.value.message


def test_a_property_first_seen_takes_the_slow_path_then_the_fast_one() -> None:
    name = "fresh" + str(id(object()))
    info = TypeInfo("T", properties={name: PropertyInfo(name, "String")})

    class T(HostObject):
        jexl_type = info

        def jexl_get(self, n: str) -> Any:
            return n

    FORBIDDEN_VERDICTS.pop(name, None)
    acc, _ = _access(Options())
    assert acc.getprop(T(), name) == name
    assert FORBIDDEN_VERDICTS[name] is False
    assert acc.getprop(T(), name) == name


# --- templates ----------------------------------------------------------------------------------

TEMPLATE_PARTS = st.lists(
    st.one_of(
        st.sampled_from(["", "4", "0", "x", "12", "٣", " "]),
        st.sampled_from([None, 0, 2, -1, Long(5), BigInteger(10**20), 1.0, 2.5, True, Char("c")]),
        st.integers(-(2**31), 2**31 - 1),
    ),
    max_size=6,
)


@settings(max_examples=300)
@given(parts=TEMPLATE_PARTS, strict=st.booleans())
def test_tjoin_of_converted_parts_is_template(parts: list[Any], strict: bool) -> None:
    options = Options(strict_interpolation=strict)
    fast_acc, fast_thread = _access(options)
    slow_acc, slow_thread = _access(options)
    fast = fast_acc.tjoin([fast_acc.tstr(p) for p in parts])
    slow = slow_acc.template(parts)
    assert (type(fast), fast) == (type(slow), slow)
    assert fast_thread.memory == slow_thread.memory


def test_templates_meet_the_string_length_limit(engine: Engine) -> None:
    source = "var s = 'abcdefgh';\nwhile (true) { s = `${s}${s}` }"
    with pytest.raises(ScriptLimitError) as info:
        engine.compile(source).run(limits=Limits(string_length=1 << 16))
    assert info.value.limit == "string_length" and info.value.line == 2


def test_template_values_in_a_loop_match_the_top_level(engine: Engine) -> None:
    top = engine.eval("var i = 42; `${i}`")
    looped = engine.eval("var r; for (var i : 42..42) { r = `${i}${''}` } r")
    assert top == looped == 42 and type(looped) is int
    assert engine.eval("var r; for (var i : 1..2) { r = `item ${i}: ${i * 2.5}` } r") == (
        "item 2: 5.0"
    )


# --- inline Integer trees -----------------------------------------------------------------------

VALUES = [
    0,
    1,
    -1,
    7,
    101,
    46341,
    -46341,
    2**31 - 1,
    -(2**31),
    Long(5),
    Long(2**40),
    BigInteger(2**70),
    2.5,
    None,
    True,
    "x",
    "3",
]


@st.composite
def int_trees(draw: Any, depth: int = 0) -> str:
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        return str(draw(st.sampled_from(["a", "b", "c", "0", "1", "3", "2147483647"])))
    op = draw(st.sampled_from(["+", "-", "*", "%"]))
    return f"({draw(int_trees(depth + 1))} {op} {draw(int_trees(depth + 1))})"


def _outcome(engine: Engine, source: str, variables: dict[str, Any]) -> tuple[str, Any]:
    try:
        value = engine.compile(source).run(variables)
    except ScriptRuntimeError as err:
        return ("error", (err.message, err.line))
    return ("value", (type(value), value))


@settings(max_examples=300, deadline=None)
@given(
    tree=int_trees(),
    compare=st.sampled_from(["", " < 5", " == 0", " != 1", " >= -3"]),
    a=st.sampled_from(VALUES),
    b=st.sampled_from(VALUES),
    c=st.sampled_from(VALUES),
    strict=st.booleans(),
)
def test_inline_integer_trees_agree_with_the_helpers(
    tree: str, compare: str, a: Any, b: Any, c: Any, strict: bool
) -> None:
    engine = Engine(Options(strict=strict, strict_arithmetic=strict))
    expr = tree + compare
    variables = {"xa": a, "xb": b, "xc": c}
    head = "var a = xa; var b = xb; var c = xc;\n"
    top = _outcome(engine, head + expr, variables)  # runs once: the helpers only
    looped = _outcome(engine, head + f"var r; for (var i : 1..1) {{ r = {expr} }} r", variables)
    in_function = _outcome(
        engine, head + f"var f = function(a, b, c) {{ {expr} }}; f(a, b, c)", variables
    )
    assert top == looped == in_function, expr


def test_integer_trees_are_inline_with_one_type_test(engine: Engine) -> None:
    code = _generated(engine, "var f = function(a, b) { a + b * 14 }; f(1, 2)")
    assert "type(v_a) is int is type(v_b)" in code
    assert "add(v_a, mul(v_b, 14))" in code  # the slow path: the whole tree by the helpers
    assert engine.eval("var f = function(a, b) { a + b * 14 }; f(1, 2)") == 29


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("a + b * c", Long(2147483647 + 2 * 3)),
        ("a * c - a", Long(2147483647 * 3 - 2147483647)),
        ("(a + b) - b", Long(2147483647)),  # the intermediate overflow makes a Long
        ("-a % c", -1),
        ("a % c", 1),
        ("b - a", -2147483645),
    ],
)
def test_overflow_in_the_middle_of_a_tree_makes_a_long(
    engine: Engine, expr: str, value: Any
) -> None:
    source = (
        f"var a = 2147483647; var b = 2; var c = 3; var r; for (var i : 1..1) {{ r = {expr} }} r"
    )
    result = engine.eval(source)
    assert result == value and type(result) is type(value)


def test_integer_tree_errors_point_at_the_operator(engine: Engine) -> None:
    for source in ("var a = 1; var b = 0;\n{p}var x = a + a % b;{s}",):
        found = []
        for p, s in (("", ""), ("for (var i : 1..1) { ", " }")):
            with pytest.raises(ScriptRuntimeError) as info:
                engine.eval(source.format(p=p, s=s))
            assert info.value.line == 2 and "zero" in info.value.message
            found.append(info.value.column - len(p))
        assert found[0] == found[1]


# --- the call prologue ----------------------------------------------------------------------


def test_call_depth_comes_back_after_caught_errors(engine: Engine) -> None:
    source = (
        "var f = function(n) { if (n == 0) { throw 'x' } f(n - 1) };\n"
        "var caught = 0;\n"
        "for (var i : 1..50) { try { f(150) } catch (e) { caught = caught + 1 } }\n"
        "caught"
    )
    thread = Thread(Limits(depth=200))
    assert engine.compile(source).run(thread=thread) == 50
    assert thread.depth == 0


def test_depth_limit_is_exact(engine: Engine) -> None:
    source = "var f = function(n) { n == 0 ? 0 : 1 + f(n - 1) }; f(n)"
    assert engine.compile(source).run({"n": 49}, limits=Limits(depth=50)) == 49
    with pytest.raises(ScriptLimitError) as info:
        engine.compile(source).run({"n": 50}, limits=Limits(depth=50))
    assert info.value.limit == "depth"


def test_a_one_statement_function_returns_its_value(engine: Engine) -> None:
    assert engine.eval("var f = function(a) { a = a + 1 }; f(1)") == 2
    assert engine.eval("var f = function(a) { a++ }; f(1)") == 1
    assert engine.eval("var f = function(a) { a }; f()") is None
    assert engine.eval("var f = function(a) { var b = a }; f(3)") == 3


def test_member_assignment_evaluates_object_key_value_in_order(engine: Engine) -> None:
    source = (
        "var log = [...]; var o = {:};\n"
        "var g = function() { log.add('o'); o };\n"
        "var k = function() { log.add('k'); 'x' };\n"
        "var v = function() { log.add('v'); 1 };\n"
        "g()[k()] = v(); g().y = v(); log"
    )
    assert engine.eval(source) == ["o", "k", "v", "o", "v"]


# --- the validator still refuses what the compiler never emits --------------------------------


def _checked(expr: str) -> None:
    tree = ast.parse(f"def _main(rt):\n    v_a = v_b = None\n    _r = {expr}\n")
    C.validate(tree, place=True)


def test_the_type_chain_guard_is_accepted() -> None:
    _checked("1 if type(v_a) is int is type(v_b) else 2")
    _checked("1 if type(v_a) is int else 2")


@pytest.mark.parametrize(
    "expr",
    [
        "type(v_a) is type(v_b) is int",  # `int` not in second place
        "type(v_a) is int is v_b",  # not a type() call
        "type(v_a) is str is type(v_b)",
        "type(v_a) is int is type(v_b) is int",
        "type(v_a) == int is type(v_b)",
        "type(v_a) is int is type(v_b.x)",
        "type(v_a, v_b) is int is type(v_b)",
        "type(v_a) is int is type(v_b)(1)",
        "int",
        "type",
    ],
)
def test_variations_of_the_type_chain_are_refused(expr: str) -> None:
    with pytest.raises(C.UnsafeCode):
        _checked(expr)


def test_shared_nodes_are_never_changed_by_compiling(engine: Engine) -> None:
    for i in range(5):
        engine.compile(
            f"var n = null; var t = true; var z = 0 + {i};\n"
            "for (var x : [1, 2]) { n = x == null; z = z + 1 - 2147483647 }\n"
            "var f = function(a) { a == null ? 1 : 2 }; f(n) + z"
        ).run()
    for node in [*C._SHARED_NAMES.values(), *C._SHARED_CONSTANTS.values()]:
        assert (node.lineno, node.col_offset) == (1, 0)


def test_fast_path_helpers_are_the_only_new_names(engine: Engine) -> None:
    # each emitted m_* name is fetched from the access object, never from the script
    code = _generated(engine, "var l = [...]; l.add(1); l.size(); l.get(0)")
    for helper in ("m_add", "m_size", "m_get"):
        assert f"{helper} = acc.{helper}" in code


# --- host function calls ----------------------------------------------------------------------


def test_host_function_calls_keep_their_checks() -> None:
    engine = Engine()
    engine.register_function("pair", lambda a, b=0: [a, b], 1, 2)
    seen: list[int] = []

    def counting(thread: Thread, n: int) -> int:
        seen.append(thread.steps)
        return n

    engine.register_function("counting", counting, 1, 1, takes_thread=True)
    assert engine.eval("pair(1)") == [1, 0] and engine.eval("pair(1, 2)") == [1, 2]
    for source, count in (("pair()", 0), ("pair(1, 2, 3)", 3)):
        with pytest.raises(ScriptRuntimeError) as info:
            engine.eval(source)
        assert info.value.message == f"function 'pair' takes 1 to 2 arguments, got {count}"
    assert engine.eval("counting(5)") == 5 and seen  # the thread was passed first
    # a variable holding a function shadows the host function of the same name
    assert engine.eval("var pair = x -> x * 10; pair(4)") == 40
