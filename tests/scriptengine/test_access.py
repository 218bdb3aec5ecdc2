"""Access: property, index, method and function resolution, safe mode, host objects, literals."""

from __future__ import annotations

import linecache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriptengine.access import Access, parse_identifier
from scriptengine.errors import Diagnostic, EvalError, LimitExceeded
from scriptengine.host import (
    HostEnvironment,
    HostFunction,
    HostObject,
    MethodInfo,
    Namespace,
    PropertyInfo,
    TypeInfo,
)
from scriptengine.options import Options
from scriptengine.thread import Limits, Thread
from scriptengine.values import Char, Invocable, JArray, JRange, JSet, Long
from tests.oracle.jvalues import from_ours
from tests.oracle.jvalues import same as same_jvalue
from tests.oracle.oracle import Oracle, jexl_oracle  # noqa: F401 - the fixture


class Purpose(HostObject):
    jexl_type = TypeInfo(
        "Purpose", methods={"ordinal": MethodInfo("ordinal", 0, 0, "Integer")}, enum_like=True
    )

    def __init__(self, name: str, ordinal: int) -> None:
        self.name = name
        self.ordinal = ordinal

    def jexl_string(self) -> str:
        return self.name

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        assert name == "ordinal"
        return self.ordinal


class Email(HostObject):
    jexl_type = TypeInfo(
        "ReceivedEmail",
        properties={
            "subject": PropertyInfo("subject", "String"),
            "note": PropertyInfo("note", "String", writable=True),
            "attachments": PropertyInfo("attachments", "List"),
        },
        methods={"reply": MethodInfo("reply", 1, 1, "String"), "getSize": MethodInfo("getSize")},
        strict=True,
    )

    def __init__(self) -> None:
        self.values: dict[str, Any] = {"subject": "Hi", "note": None, "attachments": ["a.pdf"]}

    def jexl_get(self, name: str) -> Any:
        return self.values[name]

    def jexl_set(self, name: str, value: Any) -> None:
        self.values[name] = value

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        if name == "getSize":
            return 42
        return f"re: {args[0]}"


class Loose(HostObject):
    jexl_type = TypeInfo("Loose", properties={"x": PropertyInfo("x", "Integer")})

    def jexl_get(self, name: str) -> Any:
        return 1


class Bag(HostObject):
    """A host object with an iterator."""

    def __iter__(self) -> Any:
        return iter([1, 2])


class Double(Invocable):
    name = "double"

    def invoke(self, args: list[Any]) -> Any:
        return args[0] * 2


def make(safe: bool = True, host: HostEnvironment | None = None, **limits: Any) -> Access:
    return Access(Options(safe=safe), Thread(limits=Limits(**limits)), host)


# --- reading -------------------------------------------------------------------------------


def test_map_dot_and_bracket_read_keys_missing_is_null_without_warning() -> None:
    acc = make()
    m = {"a": 1, 7: "seven", "7": "str"}
    assert acc.getprop(m, "a") == 1
    assert acc.getitem(m, "a") == 1
    assert acc.getprop(m, "b") is None
    assert acc.getitem(m, 7) == "seven"
    assert acc.getitem(m, "7") == "str"
    assert acc.getprop(m, 7) == "seven"  # m.7 means m[7]
    assert acc.thread.warnings == []


def test_map_dot_tries_the_getter_first_but_brackets_read_the_key() -> None:
    acc = make()
    m = {"empty": "key", "class": 1}
    assert acc.getprop(m, "empty") is False  # isEmpty(), as JEXL's POJO resolver order
    assert acc.getitem(m, "empty") == "key"
    assert acc.getprop(m, "class") == 1  # getClass is hidden: falls through to the key


def test_list_and_array_indexes() -> None:
    acc = make()
    xs = [10, 20]
    arr = JArray([1, 2], "int")
    assert acc.getprop(xs, 0) == 10
    assert acc.getitem(xs, 1) == 20
    assert acc.getitem(arr, Long(1)) == 2
    assert acc.getitem(xs, 1.7) == 20  # JEXL: any Number, by intValue()
    assert acc.getitem(xs, Long((1 << 32) + 1)) == 20  # intValue keeps the low 32 bits
    assert acc.getprop(arr, "length") == 2
    for bad in (2, -1):
        with pytest.raises(EvalError, match=f"index {bad} out of bounds for length 2"):
            acc.getitem(xs, bad)
    with pytest.raises(EvalError, match="out of bounds"):
        acc.getprop(arr, 5)


def test_strings_are_not_indexable_and_have_no_length_property() -> None:
    strict = make(safe=False)
    with pytest.raises(EvalError, match="undefined property '1' of String"):
        strict.getitem("abc", 1)
    with pytest.raises(EvalError, match="undefined property 'length' of String"):
        strict.getprop("abc", "length")
    assert strict.getprop("abc", "empty") is False  # the isEmpty() getter
    assert strict.getprop("", "blank") is True


def test_null_navigation() -> None:
    safe, strict = make(), make(safe=False)
    assert safe.getprop(None, "x") is None
    assert safe.getitem(None, 0) is None
    assert safe.call_method(None, "size", []) is None
    assert safe.thread.warnings == []  # no warning for a null receiver
    with pytest.raises(EvalError, match="cannot read property 'x' of null"):
        strict.getprop(None, "x")
    with pytest.raises(EvalError, match="cannot call method 'size' of null"):
        strict.call_method(None, "size", [])
    for acc in (safe, strict):
        assert acc.getprop_safe(None, "x") is None
        assert acc.getitem_safe(None, 1) is None
        assert acc.call_method_safe(None, "x", []) is None
        assert acc.getprop_safe({"x": 1}, "x") == 1
        assert acc.getitem_safe([5], 0) == 5
        assert acc.call_method_safe("ab", "length", []) == 2


def test_unknown_members_are_null_with_a_warning_under_safe() -> None:
    acc = make()
    assert acc.call_method("abc", "foo", []) is None
    assert acc.getprop("abc", "foo") is None
    assert acc.getprop(5, "x") is None
    assert acc.call_method([1], "map", [Double()]) is None
    warnings = acc.thread.warnings
    assert len(warnings) == 4
    assert all(isinstance(w, Diagnostic) for w in warnings)
    assert {(w.code, w.severity) for w in warnings} == {("unknown-member", "warning")}
    assert "unknown method 'foo' of String" in warnings[0].message
    assert "undefined property 'x' of Integer" in warnings[2].message


def test_unknown_members_are_errors_without_safe() -> None:
    acc = make(safe=False)
    with pytest.raises(EvalError, match="unknown method 'foo' of String"):
        acc.call_method("abc", "foo", [])
    with pytest.raises(EvalError) as info:
        acc.call_method("abc", "lenght", [])
    assert info.value.hint == "did you mean 'length'?"
    with pytest.raises(EvalError, match="no method 'substring' of String takes 1 to 2"):
        acc.call_method("abc", "substring", [])
    with pytest.raises(EvalError, match=r"accepts \(String\)"):
        acc.call_method("abc", "substring", ["x"])


def test_wrong_overload_under_safe_is_null_with_warning() -> None:
    acc = make()
    assert acc.call_method("abc", "substring", []) is None
    assert acc.call_method([1], "sort", [Double()]) is None
    assert len(acc.thread.warnings) == 2


def test_java_exceptions_are_errors_even_under_safe() -> None:
    acc = make()
    with pytest.raises(EvalError, match="begin 5, end 3, length 3"):
        acc.call_method("abc", "substring", [5])
    with pytest.raises(EvalError, match="index 5 out of bounds for length 2"):
        acc.call_method([1, 2], "get", [5])


def test_array_add_does_nothing_and_warns_under_safe() -> None:
    acc = make()
    arr = acc.array([1, 2])
    assert acc.call_method(arr, "add", [3]) is None
    assert list(arr) == [1, 2]
    (warning,) = acc.thread.warnings
    assert "unknown method 'add' of int[]" in warning.message
    assert warning.hint is not None and "fixed size" in warning.hint
    with pytest.raises(EvalError, match="unknown method 'add' of Object\\[\\]"):
        make(safe=False).call_method(acc.array([]), "add", [1])


def test_method_calls_reach_the_tables() -> None:
    acc = make()
    xs = acc.list_([])
    acc.call_method(xs, "add", ["a"])
    acc.call_method(xs, "add", ["b"])
    assert acc.call_method(xs, "size", []) == 2
    parts = acc.call_method("a.b", "split", ["\\."])
    assert isinstance(parts, JArray) and parts.component == "String"
    assert list(parts) == ["a", "b"]
    assert acc.call_method("abc", "charAt", [0]) == Char("a")
    assert acc.call_method("abc", "size", []) == 3
    assert acc.call_method(JRange(1, 4), "size", []) == 4


def test_entries_of_entry_set_have_key_and_value() -> None:
    acc = make()
    entries = list(acc.iterate(acc.call_method({"x": 1}, "entrySet", [])))
    assert acc.getprop(entries[0], "key") == "x"
    assert acc.getprop(entries[0], "value") == 1
    assert acc.call_method(entries[0], "getValue", []) == 1


def test_map_functor_is_called() -> None:
    acc = make()
    assert acc.call_method({"f": Double()}, "f", [4]) == 8
    assert acc.call_method({"get": Double()}, "get", ["get"]) is not None  # Map.get wins


def test_caught_error_and_info_members() -> None:
    from scriptengine.values import CaughtError, ErrorInfo

    acc = make(safe=False)
    err = CaughtError("boom", "msg", ErrorInfo(3, 7), None)
    assert acc.getprop(err, "value") == "boom"
    assert acc.getprop(err, "message") == "msg"
    assert acc.getprop(acc.getprop(err, "info"), "line") == 3
    assert acc.getprop(acc.getprop(err, "info"), "column") == 7
    assert acc.getprop(err, "cause") is None
    assert acc.call_method(err, "getMessage", []) == "msg"


# --- writing -------------------------------------------------------------------------------


def test_writing_maps_lists_and_arrays() -> None:
    acc = make()
    m: dict[Any, Any] = {}
    assert acc.setprop(m, "a", 1) == 1
    acc.setitem(m, 2, "two")
    assert m == {"a": 1, 2: "two"}
    xs = [1, 2]
    acc.setitem(xs, 1, 9)
    acc.setprop(xs, 0, 8)
    assert xs == [8, 9]
    with pytest.raises(EvalError, match="index 5 out of bounds for length 2"):
        acc.setitem(xs, 5, 9)
    arr = acc.array([1, 2])
    acc.setitem(arr, 0, 7)
    assert list(arr) == [7, 2]
    with pytest.raises(EvalError, match="cannot store a value of type String in int\\[\\]"):
        acc.setitem(arr, 0, "x")
    strs = acc.array(["a"])
    with pytest.raises(EvalError):
        acc.setitem(strs, 0, 1)
    objs = acc.array([1, "a"])
    acc.setitem(objs, 0, [1])


def test_a_set_has_no_properties() -> None:
    acc = make()
    with pytest.raises(EvalError, match="a Set has no properties"):
        acc.setitem(acc.set_([]), "a", 1)


def test_writing_null_receivers_and_read_only_getters() -> None:
    acc = make()
    with pytest.raises(EvalError, match="cannot set property 'x' of null"):
        acc.setprop(None, "x", 1)
    with pytest.raises(EvalError, match="read-only"):
        acc.setprop("abc", "empty", True)


def test_map_growth_respects_the_items_limit() -> None:
    acc = make(items=2)
    m: dict[str, int] = {"a": 1, "b": 2}
    acc.setprop(m, "a", 5)  # replacing does not grow
    with pytest.raises(LimitExceeded) as info:
        acc.setprop(m, "c", 3)
    assert info.value.limit == "items"


# --- host objects --------------------------------------------------------------------------


def test_host_object_declared_members() -> None:
    acc = make()
    email = Email()
    assert acc.getprop(email, "subject") == "Hi"
    assert acc.getitem(email, "subject") == "Hi"
    assert acc.call_method(email, "reply", ["x"]) == "re: x"
    assert acc.getprop(email, "size") == 42  # the getSize() getter
    acc.setprop(email, "note", "ok")
    assert email.values["note"] == "ok"
    with pytest.raises(EvalError, match="property 'subject' of ReceivedEmail is read-only"):
        acc.setprop(email, "subject", "x")
    with pytest.raises(EvalError, match="takes 1 argument, got 0"):
        acc.call_method(email, "reply", [])


def test_strict_host_type_errors_even_under_safe() -> None:
    acc = make(safe=True)
    with pytest.raises(EvalError) as info:
        acc.getprop(Email(), "atachments")
    assert info.value.message == "unknown field 'atachments' of ReceivedEmail"
    assert info.value.hint == "did you mean 'attachments'?"
    with pytest.raises(EvalError, match="unknown field 'nott' of ReceivedEmail"):
        acc.setprop(Email(), "nott", 1)
    with pytest.raises(EvalError, match="unknown method 'replly' of ReceivedEmail"):
        acc.call_method(Email(), "replly", [1])


def test_loose_host_type_follows_safe_mode() -> None:
    acc = make(safe=True)
    assert acc.getprop(Loose(), "y") is None
    assert len(acc.thread.warnings) == 1
    with pytest.raises(EvalError, match="unknown property 'y' of Loose"):
        make(safe=False).getprop(Loose(), "y")


def test_enum_like_host_objects() -> None:
    acc = make(safe=False)
    p = Purpose("INVOICES", 2)
    assert acc.call_method(p, "name", []) == "INVOICES"
    assert acc.call_method(p, "toString", []) == "INVOICES"
    assert acc.call_method(p, "ordinal", []) == 2
    with pytest.raises(EvalError):
        acc.call_method(p, "getClass", [])


# --- calls ---------------------------------------------------------------------------------


def _host() -> HostEnvironment:
    env = HostEnvironment()
    env.add_function(HostFunction("join", lambda xs, sep: sep.join(xs), 2, 2, "String"))
    env.add_function(HostFunction("steps", lambda thread, n: thread.steps, 1, 1, takes_thread=True))
    env.namespaces["math"] = Namespace(
        "math", {"twice": HostFunction("twice", lambda x: 2 * x, 1, 1)}
    )
    return env


def test_call_function_and_namespace() -> None:
    acc = make(host=_host())
    assert acc.call_function("join", [["a", "b"], ", "]) == "a, b"
    assert isinstance(acc.call_function("steps", [1]), int)
    assert acc.call_namespace("math", "twice", [4]) == 8
    with pytest.raises(EvalError) as info:
        acc.call_function("jion", [[], ""])
    assert info.value.message == "unknown function 'jion'"
    assert info.value.hint == "did you mean 'join'?"
    with pytest.raises(EvalError, match="function 'join' takes 2 arguments, got 1"):
        acc.call_function("join", [[]])
    with pytest.raises(EvalError, match="unknown namespace 'mth'"):
        acc.call_namespace("mth", "twice", [1])
    with pytest.raises(EvalError, match="unknown function 'math:thrice'"):
        acc.call_namespace("math", "thrice", [1])
    with pytest.raises(EvalError, match="unknown function 'x'"):
        make().call_function("x", [])


def test_call_value() -> None:
    acc = make()
    assert acc.call_value(Double(), [3]) == 6
    assert acc.call_value(HostFunction("f", lambda: 1, 0, 0), []) == 1
    with pytest.raises(EvalError, match="takes 0 arguments, got 1"):
        acc.call_value(HostFunction("f", lambda: 1, 0, 0), [1])
    with pytest.raises(EvalError, match="cannot call null"):
        acc.call_value(None, [])
    with pytest.raises(EvalError, match="cannot call a value of type String: it is not a function"):
        acc.call_value("print", [])
    with pytest.raises(EvalError, match="not a function"):
        acc.call_value(print, ["no python callables"])


# --- iteration -----------------------------------------------------------------------------


def test_iterate_follows_jexl() -> None:
    acc = make()
    assert list(acc.iterate([1, 2])) == [1, 2]
    assert list(acc.iterate(JArray([1, 2], "int"))) == [1, 2]
    assert list(acc.iterate({"x": 1, "y": 2})) == [1, 2]  # a map yields its values
    assert list(acc.iterate(JSet([3, 4]))) == [3, 4]
    assert list(acc.iterate(JRange(3, 1))) == [3, 2, 1]
    assert list(acc.iterate(None)) == []
    assert list(acc.iterate("abc")) == []  # a String is not iterable
    assert list(acc.iterate(5)) == []
    assert list(acc.iterate(Bag())) == [1, 2]
    assert list(acc.iterate(Email())) == []


def test_changing_a_list_while_iterating_is_an_error() -> None:
    acc = make()
    xs = [1, 2, 3]
    with pytest.raises(EvalError, match="changed while a loop"):
        for x in acc.iterate(xs):
            xs.append(x)
    m = {"a": 1}
    with pytest.raises(EvalError, match="changed while a loop"):
        for v in acc.iterate(m):
            m[f"k{v}"] = v + 1
    ys = [1, 2, 3]
    assert [y for y in acc.iterate(ys) if ys.__setitem__(0, 9) is None] == [1, 2, 3]


# --- literals and templates ----------------------------------------------------------------


def test_literal_builders() -> None:
    acc = make()
    assert acc.array([1, 2]).component == "int"
    assert acc.array(["a"]).component == "String"
    assert acc.array([1, 2.5]).component == "Number"
    assert acc.array([None, 1]).component == "Integer"
    assert acc.array([]).component == "Object"
    assert acc.list_([1]) == [1]
    s = acc.set_([1, 1, Long(1)])
    assert len(s) == 2
    assert acc.map_([("a", 1), ("a", 2)]) == {"a": 2}


def test_literal_builders_check_the_items_limit() -> None:
    acc = make(items=2)
    for build in (acc.array, acc.list_, acc.set_):
        with pytest.raises(LimitExceeded):
            build([1, 2, 3])
    with pytest.raises(LimitExceeded):
        acc.map_([(1, 1), (2, 2), (3, 3)])


def test_template_joins_with_null_as_empty() -> None:
    acc = make()
    assert acc.template(["[", None, "]"]) == "[]"
    assert acc.template(["a", 2.0, True]) == "a2.0true"
    assert acc.template(["4", 2]) == 42  # JEXL 3.5+: a plain integer text is an Integer
    assert acc.template(["0", 1]) == "01"
    strict = Access(Options(strict_interpolation=True), Thread(), None)
    assert strict.template(["4", 2]) == "42"


@given(st.text(alphabet="0123456789x", max_size=11))
def test_parse_identifier_matches_jexl(text: str) -> None:
    result = parse_identifier(text)
    plain = text.isdigit() and 0 < len(text) <= 10 and (text == "0" or text[0] != "0")
    if not plain:
        assert result is None
    else:
        assert result is not None and result % (1 << 32) == int(text) % (1 << 32)


# --- warning positions ---------------------------------------------------------------------


def test_warning_position_comes_from_the_generated_frame() -> None:
    acc = make()
    filename = "<jexl:pos.jexl>"
    source = "x = 1\nz = 'ééé'; y = acc.call_method('é', 'foo', [])\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        exec(compile(source, filename, "exec"), {"acc": acc})
    finally:
        del linecache.cache[filename]
    (warning,) = acc.thread.warnings
    # the column counts characters although co_positions counts UTF-8 bytes
    assert (warning.filename, warning.line, warning.column) == ("pos.jexl", 2, 16)
    assert warning.source_line is not None and "call_method" in warning.source_line


def test_warning_without_generated_frame_has_no_position() -> None:
    acc = make()
    acc.call_method("a", "foo", [])
    (warning,) = acc.thread.warnings
    assert warning.line == 0


def test_a_repeated_warning_is_recorded_once_with_a_count() -> None:
    acc = make()
    filename = "<jexl:loop.jexl>"
    source = "for i in range(5):\n    acc.call_method('a', 'foo', [])\nacc.getprop(1, 'x')\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        exec(compile(source, filename, "exec"), {"acc": acc})
    finally:
        del linecache.cache[filename]
    first, second = acc.thread.warnings
    assert first.extra["count"] == 5 and first.line == 2
    assert "count" not in second.extra and second.line == 3


def test_big_literals_are_charged_to_memory() -> None:
    acc = make(memory=10_000)
    acc.list_(list(range(100)))  # small ones count too: a run may keep a million of them
    assert acc.thread.memory == 800
    with pytest.raises(LimitExceeded) as info:
        acc.list_(list(range(5000)))
    assert info.value.limit == "memory"


def test_map_reads_use_java_key_equality() -> None:
    acc = make()
    m = {1: "int"}
    assert acc.getitem(m, 1) == "int"
    assert acc.getitem(m, Long(1)) is None
    assert acc.getitem(m, 1.0) is None
    assert acc.getitem(m, [1]) is None
    with pytest.raises(EvalError, match="cannot also hold"):
        acc.setitem(m, Long(1), "long")
    with pytest.raises(EvalError, match="cannot be a map key"):
        acc.map_([([1], 1)])


def test_int_parameters_take_narrowed_numbers_as_jexl_does() -> None:
    acc = make()
    assert acc.call_method([10, 20], "get", [Long(1)]) == 20
    assert acc.call_method("abc", "charAt", [2.0]) == Char("c")
    xs = [1, 2, 3]
    assert acc.call_method(xs, "remove", [Long(1)]) is False  # remove(Object): no narrowing
    assert xs == [1, 2, 3]
    assert acc.call_method(1, "compareTo", [Long(1)]) is None  # Integer.compareTo(Long): none
    assert len(acc.thread.warnings) == 1


# --- whole scripts against JEXL 3.1 -----------------------------------------------------------

#: Access semantics that JEXL 3.1 and mailwright share. mailwright runs them with safe mode
#: off, since 3.1 has no safe mode (its strict engine reports unknown members).
ACCESS_SCRIPTS = [
    "var m = {'a': 1}; m.a",
    "var m = {'a': 1}; m['a']",
    "var m = {'a': 1}; m.b",
    "var m = {'a': 1}; m['b']",
    "var m = {7: 'x'}; m[7]",
    "var m = {7: 'x'}; m['7']",
    "var l = [10, 20]; l[1]",
    "var l = [10, 20]; l.1",
    "var l = [10, 20]; l[5]",
    "var l = [10, 20, ...]; l[-1]",
    "var s = 'abc'; s[1]",
    "var s = 'abc'; s.length",
    "'abc'.length()",
    "'abc'.size()",
    "[1, 2].size()",
    "{'a': 1}.size()",
    "var l = [1, 2, ...]; l[0] = 5; l",
    "var a = [1, 2]; a[0] = 'x'; a",
    "var l = [1, 2, ...]; l[5] = 1; l",
    "var m = {'a': 1}; m.b = 2; m",
    "var m = {'a': 1}; m['b'] = 2; m.size()",
    "var s = {1, 2, 2}; s.size()",
    "var t = 0; for (v : {'x': 1, 'y': 2}) { t = t + v; } t",
    "var t = ''; for (c : 'abc') { t = t + c; } t",
    "var l = [10, 20, 30, ...]; l.remove(1); l",
    "var l = ['a', 'b', ...]; l.remove('a'); l",
    "var m = {'a': 1}; var n = ''; for (e : m.entrySet()) { n = e.key + e.value; } n",
    "var m = {'a': 1}; for (e : m.entrySet()) { e.value = 5; } m.a",
    "'a,b,,'.split(',')",
    "'abc'.foo()",
    "'x' + 'abc'.charAt(1)",
    "var l = [3, 1, 2, ...]; l.sort(null); l",
    "var s = {}; s.put('a', 1)",
    "var m = {:}; m.put('a', 1); m",
    "[1, 2, 3].contains(2)",
    "[1, 2, 3, ...].contains(2)",
    "var l = [1, 2, ...]; l.add(1, 5); l",
    "var l = [1, 2]; l.add(3)",
    "'abc'.substring(1, 2) + 'abc'.indexOf('c')",
    "var m = {'a': 1}; m.containsKey('a') && !m.containsKey('b')",
    "var l = [1, 2, ...]; l.addAll(l); l",
    "var l = [1, 2, ...]; l.get(2)",
    "var l = [1, 2, ...]; l.subList(0, 1)",
    "'a-b'.replace('-', '+') + 'a1b2'.replaceAll('[0-9]', '#')",
    "var r = 1..3; var t = 0; for (i : r) { t = t + i; } t",
    "'abc'.compareTo('abd')",
    "var l = [1, 2, ...]; for (x : l) { l.add(x); } l",
    "[1, 2, 3].indexOf(2)",
    "[1, 2, 3].get(0)",
    "var a = [1, 2]; a.set(0, 5); a",
    "var a = [1, 2]; a.set(0, 'x'); a",
    "[1, 2].isEmpty()",
    "['a', 'b'].subList(0, 1)",
    "var m = {'f': function(x) { x * 2 }}; m.f(21)",
    "var m = {'a': {'b': [1, {'c': 'deep'}]}}; m.a.b[1].c",
    "var m = {'a': 1}; m.get('a') + m.getOrDefault('z', 10)",
    "var m = {'a': 1, 'b': 2}; m.remove('a'); m",
    "var s = {1, 2}; s.add(3); s.contains(3)",
    "var s = {1, 2}; s.remove(1); s.size()",
    "var m = {'a': 1}; m.keySet().contains('a')",
    "var m = {'a': 1, 'b': 2}; var t = 0; for (v : m.values()) { t = t + v; } t",
    "'  x  '.trim() + '|' + 'ABC'.toLowerCase()",
    "'abc'.startsWith('ab') && 'abc'.endsWith('bc') && 'abc'.contains('b')",
    "'abc'.equals('abc') && 'ABC'.equalsIgnoreCase('abc')",
    "'abc'.matches('a.c') && !'abc'.matches('b')",
    "'a:b:c'.split(':', 2)",
    "'%d'.format(1)",
    "var x = 5; x.foo",
    "var l = [1, 2, ...]; l.foo",
    "var l = [1, 2, ...]; l.empty()",
    "1.5.intValue() + 7.longValue()",
    "'abc'.toCharArray()",
    "'abc'.hashCode()",
    "var l = [1, 2, ...]; l.set(5, 1)",
    "var l = [1, 2, ...]; l.get(-1)",
    "var l = [...]; l.add('x'); l.add(0, 'y'); l",
    "var l = [10, 20, ...]; l[1.7]",
    "var l = [10, 20, ...]; l[true]",
    "var l = [10, 20, ...]; l['1']",
    "var a = [10, 20]; a[1]",
    "var a = [10, 20]; a[1] = 5; a",
    "var m = {'a': [1, 2, ...]}; m.a[0] = 9; m",
    "var m = {:}; m[1] = 'one'; m[1]",
    "var m = {'k': null}; m.k",
    "var m = {'a': 1}; m.size() + m.isEmpty().toString()",
]


@pytest.mark.oracle
@pytest.mark.parametrize("source", ACCESS_SCRIPTS)
def test_access_scripts_agree_with_jexl_3_1(
    jexl_oracle: Oracle,  # noqa: F811 - the fixture
    source: str,
) -> None:
    from scriptengine.engine import Engine
    from scriptengine.errors import ScriptError

    theirs = jexl_oracle.eval(source)
    try:
        ours = Engine(Options(safe=False)).compile(source).run({})
    except ScriptError as err:
        assert not theirs.ok, (theirs.show(), err)
        return
    assert theirs.ok, (theirs.show(), ours)
    assert theirs.value is not None
    assert same_jvalue(theirs.value, from_ours(ours)), (theirs.show(), ours)


@pytest.mark.oracle
def test_array_length_is_mailwright_s_extension(
    jexl_oracle: Oracle,  # noqa: F811 - the fixture
) -> None:
    """LANGUAGE.md section 2 gives arrays a ``length`` property; no JEXL release has one
    (3.1: ``unsolvable property 'length'``; JEXL's arrays only gain List methods)."""
    from scriptengine.engine import Engine

    for source, length in (("[1, 2].length", 2), ("'a.b.c'.split('.').length", 0)):
        theirs = jexl_oracle.eval(source)
        assert not theirs.ok and "length" in theirs.message
        assert Engine(Options(safe=False)).compile(source).run({}) == length
