"""The Java face of built-in values: every member of members.py with a Java-faithful example.

Expected values were checked against Java 17 (``java.lang.String``, ``java.util.ArrayList``,
``HashMap``...) where Java has the method; ``size()`` is JEXL's pseudo-method.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scriptengine import members as M
from scriptengine.errors import EvalError, LimitExceeded
from scriptengine.members import NoOverload
from scriptengine.thread import Limits, Thread
from scriptengine.values import (
    BigInteger,
    CaughtError,
    Char,
    ErrorInfo,
    Float,
    JArray,
    JPattern,
    JRange,
    JSet,
    Long,
    java_equals,
    to_string,
)
from tests.oracle.jvalues import JValue, from_ours
from tests.oracle.jvalues import same as same_jvalue
from tests.oracle.oracle import Oracle, jexl_oracle  # noqa: F401 - the fixture

_MISSING = object()


def call(recv: Any, name: str, *args: Any, thread: Thread | None = None) -> Any:
    kind = M.kind_of(recv)
    assert kind is not None
    member = M.members_of(kind)[name]
    assert member.accepts(len(args))
    return M.invoke(member, thread or Thread(), recv, list(args))


def same(a: Any, b: Any) -> bool:
    """Same Java class and equal (arrays: same component and elements)."""
    if isinstance(a, JArray) or isinstance(b, JArray):
        return (
            isinstance(a, JArray)
            and isinstance(b, JArray)
            and a.component == b.component
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, JSet) and isinstance(b, JSet):
        return a == b
    return type(a) is type(b) and java_equals(a, b)


def _err() -> CaughtError:
    return CaughtError("boom", "x@2:5 throw error", ErrorInfo(2, 5), "why")


# (receiver factory, method, args, expected result, expected receiver afterwards or _MISSING)
EXAMPLES: list[tuple[Callable[[], Any], str, tuple[Any, ...], Any, Any]] = [
    # --- String
    (lambda: "abc", "equals", ("abc",), True, _MISSING),
    (lambda: "a", "equals", (Char("a"),), False, _MISSING),
    (lambda: "abc", "hashCode", (), 96354, _MISSING),
    (lambda: "abc", "toString", (), "abc", _MISSING),
    (lambda: "😀a", "length", (), 3, _MISSING),
    (lambda: "abc", "size", (), 3, _MISSING),
    (lambda: "hello", "substring", (1,), "ello", _MISSING),
    (lambda: "hello", "substring", (1, 3), "el", _MISSING),
    (lambda: "😀ab", "substring", (2,), "ab", _MISSING),
    (lambda: "banana", "indexOf", ("an",), 1, _MISSING),
    (lambda: "banana", "indexOf", ("an", 2), 3, _MISSING),
    (lambda: "banana", "indexOf", (110,), 2, _MISSING),
    (lambda: "banana", "indexOf", (110.0,), 2, _MISSING),
    (lambda: "abc", "charAt", (Long(1),), Char("b"), _MISSING),
    (lambda: "abc", "charAt", (Decimal("2"),), Char("c"), _MISSING),
    (lambda: "banana", "indexOf", ("x",), -1, _MISSING),
    (lambda: "abc", "indexOf", (98,), 1, _MISSING),
    (lambda: "abc", "indexOf", ("", 5), 3, _MISSING),
    (lambda: "banana", "lastIndexOf", ("an",), 3, _MISSING),
    (lambda: "banana", "lastIndexOf", ("an", 2), 1, _MISSING),
    (lambda: "abc", "lastIndexOf", ("c", 10), 2, _MISSING),
    (lambda: "abc", "charAt", (1,), Char("b"), _MISSING),
    (lambda: "😀", "codePointAt", (0,), 128512, _MISSING),
    (lambda: " \t a \n", "trim", (), "a", _MISSING),
    (lambda: " \u2003x", "trim", (), "\u2003x", _MISSING),
    (lambda: "\u2003a ", "strip", (), "a", _MISSING),
    (lambda: "\u00a0a", "strip", (), "\u00a0a", _MISSING),
    (lambda: " a ", "stripLeading", (), "a ", _MISSING),
    (lambda: " a ", "stripTrailing", (), " a", _MISSING),
    (lambda: "straße", "toUpperCase", (), "STRASSE", _MISSING),
    (lambda: "ABC", "toLowerCase", (), "abc", _MISSING),
    (lambda: "abc", "startsWith", ("ab",), True, _MISSING),
    (lambda: "abc", "startsWith", ("b", 1), True, _MISSING),
    (lambda: "abc", "endsWith", ("bc",), True, _MISSING),
    (lambda: "abc", "contains", ("bc",), True, _MISSING),
    (lambda: "", "isEmpty", (), True, _MISSING),
    (lambda: " ", "isEmpty", (), False, _MISSING),
    (lambda: " \t", "isBlank", (), True, _MISSING),
    (lambda: "\u00a0", "isBlank", (), False, _MISSING),
    (lambda: "ABC", "equalsIgnoreCase", ("abc",), True, _MISSING),
    (lambda: "a", "compareTo", ("b",), -1, _MISSING),
    (lambda: "abc", "compareTo", ("ab",), 1, _MISSING),
    (lambda: "B", "compareTo", ("a",), -31, _MISSING),
    (lambda: "AbC", "compareToIgnoreCase", ("abd",), -1, _MISSING),
    (lambda: "a.b.c", "replace", (".", "-"), "a-b-c", _MISSING),
    (lambda: "abc", "replace", ("", "-"), "-a-b-c-", _MISSING),
    (lambda: "aXa", "replace", (Char("a"), Char("b")), "bXb", _MISSING),
    (lambda: "ab", "replace", ("", "😀"), "😀a😀b😀", _MISSING),
    (lambda: "😀", "replace", ("", "-"), "-\ud83d-\ude00-", _MISSING),
    (lambda: "a1b22", "replaceAll", (r"\d+", "#"), "a#b#", _MISSING),
    (lambda: "a1b22", "replaceFirst", (r"\d+", "#"), "a#b22", _MISSING),
    (lambda: "abc", "matches", ("b",), False, _MISSING),
    (lambda: "abc", "matches", ("a.c",), True, _MISSING),
    (lambda: "a.b.c", "split", (".",), JArray([], "String"), _MISSING),
    (lambda: "a,b,,", "split", (",",), JArray(["a", "b"], "String"), _MISSING),
    (lambda: "a,b,c", "split", (",", 2), JArray(["a", "b,c"], "String"), _MISSING),
    (lambda: "ab", "concat", ("c",), "abc", _MISSING),
    (lambda: "ab", "repeat", (3,), "ababab", _MISSING),
    (lambda: "ab", "toCharArray", (), JArray([Char("a"), Char("b")], "char"), _MISSING),
    # --- Character
    (lambda: Char("a"), "equals", (Char("a"),), True, _MISSING),
    (lambda: Char("a"), "equals", ("a",), False, _MISSING),
    (lambda: Char("a"), "hashCode", (), 97, _MISSING),
    (lambda: Char("a"), "toString", (), "a", _MISSING),
    (lambda: Char("a"), "charValue", (), Char("a"), _MISSING),
    (lambda: Char("a"), "compareTo", (Char("c"),), -2, _MISSING),
    # --- Boolean
    (lambda: True, "booleanValue", (), True, _MISSING),
    (lambda: True, "compareTo", (False,), 1, _MISSING),
    (lambda: True, "equals", (True,), True, _MISSING),
    (lambda: True, "equals", (1,), False, _MISSING),
    (lambda: True, "hashCode", (), 1231, _MISSING),
    (lambda: False, "toString", (), "false", _MISSING),
    # --- Integer
    (lambda: 5, "intValue", (), 5, _MISSING),
    (lambda: 5, "longValue", (), Long(5), _MISSING),
    (lambda: 5, "doubleValue", (), 5.0, _MISSING),
    (lambda: 5, "floatValue", (), Float(5.0), _MISSING),
    (lambda: 5, "compareTo", (7,), -1, _MISSING),
    (lambda: 2, "equals", (Long(2),), False, _MISSING),
    (lambda: 2, "equals", (2,), True, _MISSING),
    (lambda: -5, "hashCode", (), -5, _MISSING),
    (lambda: 5, "toString", (), "5", _MISSING),
    # --- Long
    (lambda: Long(1 << 40), "intValue", (), 0, _MISSING),
    (lambda: Long((1 << 32) + 7), "intValue", (), 7, _MISSING),
    (lambda: Long(1 << 40), "hashCode", (), 256, _MISSING),
    (lambda: Long(3), "compareTo", (Long(3),), 0, _MISSING),
    (lambda: Long(3), "longValue", (), Long(3), _MISSING),
    (lambda: Long(3), "doubleValue", (), 3.0, _MISSING),
    (lambda: Long(3), "floatValue", (), Float(3.0), _MISSING),
    (lambda: Long(3), "equals", (3,), False, _MISSING),
    (lambda: Long(3), "toString", (), "3", _MISSING),
    # --- BigInteger
    (lambda: BigInteger(-(10**20)), "signum", (), -1, _MISSING),
    (lambda: BigInteger(10**20), "longValue", (), Long(7766279631452241920), _MISSING),
    (lambda: BigInteger(10**20), "intValue", (), 1661992960, _MISSING),
    (lambda: BigInteger(5), "doubleValue", (), 5.0, _MISSING),
    (lambda: BigInteger(5), "floatValue", (), Float(5.0), _MISSING),
    (lambda: BigInteger(5), "compareTo", (BigInteger(9),), -1, _MISSING),
    (lambda: BigInteger(5), "equals", (5,), False, _MISSING),
    (lambda: BigInteger(5), "hashCode", (), 5, _MISSING),
    (lambda: BigInteger(5), "toString", (), "5", _MISSING),
    # --- Double
    (lambda: 3.9, "intValue", (), 3, _MISSING),
    (lambda: -3.9, "intValue", (), -3, _MISSING),
    (lambda: 1e20, "intValue", (), 2147483647, _MISSING),
    (lambda: float("nan"), "intValue", (), 0, _MISSING),
    (lambda: 1e20, "longValue", (), Long(9223372036854775807), _MISSING),
    (lambda: 2.5, "doubleValue", (), 2.5, _MISSING),
    (lambda: 0.1, "floatValue", (), Float(0.1), _MISSING),
    (lambda: float("nan"), "isNaN", (), True, _MISSING),
    (lambda: float("inf"), "isInfinite", (), True, _MISSING),
    (lambda: -0.0, "compareTo", (0.0,), -1, _MISSING),
    (lambda: 1.0, "equals", (1,), False, _MISSING),
    (lambda: 1.0, "hashCode", (), 1072693248, _MISSING),
    (lambda: 1.0, "toString", (), "1.0", _MISSING),
    # --- Float
    (lambda: Float(1.5), "toString", (), "1.5", _MISSING),
    (lambda: Float(1.5), "doubleValue", (), 1.5, _MISSING),
    (lambda: Float(1.5), "intValue", (), 1, _MISSING),
    (lambda: Float(1.5), "longValue", (), Long(1), _MISSING),
    (lambda: Float(1.5), "floatValue", (), Float(1.5), _MISSING),
    (lambda: Float(1.5), "isNaN", (), False, _MISSING),
    (lambda: Float(1.5), "isInfinite", (), False, _MISSING),
    (lambda: Float(1.5), "compareTo", (Float(2.5),), -1, _MISSING),
    (lambda: Float(1.5), "equals", (1.5,), False, _MISSING),
    (lambda: Float(1.5), "hashCode", (), 1069547520, _MISSING),
    # --- BigDecimal
    (lambda: Decimal("1E+3"), "toPlainString", (), "1000", _MISSING),
    (lambda: Decimal("1.10"), "scale", (), 2, _MISSING),
    (lambda: Decimal("-1.10"), "signum", (), -1, _MISSING),
    (lambda: Decimal("1.10"), "equals", (Decimal("1.1"),), False, _MISSING),
    (lambda: Decimal("1.10"), "compareTo", (Decimal("1.1"),), 0, _MISSING),
    (lambda: Decimal("7.9"), "intValue", (), 7, _MISSING),
    (lambda: Decimal("7.9"), "longValue", (), Long(7), _MISSING),
    (lambda: Decimal("7.5"), "doubleValue", (), 7.5, _MISSING),
    (lambda: Decimal("7.5"), "floatValue", (), Float(7.5), _MISSING),
    (lambda: Decimal("1.10"), "hashCode", (), 3412, _MISSING),
    (lambda: Decimal("1.10"), "toString", (), "1.10", _MISSING),
    # --- List (ArrayList)
    (lambda: [1, 2], "size", (), 2, _MISSING),
    (lambda: [], "isEmpty", (), True, _MISSING),
    (lambda: [1], "add", (2,), True, [1, 2]),
    (lambda: [1, 3], "add", (1, 2), None, [1, 2, 3]),
    (lambda: [1], "addAll", ([2, 3],), True, [1, 2, 3]),
    (lambda: [1, 4], "addAll", (1, [2, 3]), True, [1, 2, 3, 4]),
    (lambda: [1], "addAll", ([],), False, [1]),
    (lambda: [10, 20], "get", (1,), 20, _MISSING),
    (lambda: [10, 20], "set", (0, 5), 10, [5, 20]),
    (lambda: [10, 20, 30], "remove", (1,), 20, [10, 30]),
    (lambda: [10, 20, 30], "remove", (Long(20),), False, [10, 20, 30]),
    (lambda: ["a", "b"], "remove", ("a",), True, ["b"]),
    (lambda: [1, 2, 3], "contains", (2,), True, _MISSING),
    (lambda: [1, 2, 3], "contains", (Long(2),), False, _MISSING),
    (lambda: [1, 2, 3], "contains", ("2",), False, _MISSING),
    (lambda: [1, 2, 3], "containsAll", ([3, 1],), True, _MISSING),
    (lambda: [1, 2, 1], "indexOf", (1,), 0, _MISSING),
    (lambda: [1, 2, 1], "indexOf", (Long(1),), -1, _MISSING),
    (lambda: [1, 2, 1], "lastIndexOf", (1,), 2, _MISSING),
    (lambda: [1, 2], "clear", (), None, []),
    (lambda: [1, 2, 3, 4], "subList", (1, 3), [2, 3], _MISSING),
    (lambda: [3, 1, 2], "sort", (None,), None, [1, 2, 3]),
    (lambda: ["b", "a", "B"], "sort", (None,), None, ["B", "a", "b"]),
    (lambda: [1, "a"], "toArray", (), JArray([1, "a"], "Object"), _MISSING),
    (lambda: [1, 2], "equals", ([1, 2],), True, _MISSING),
    (lambda: [1, 2], "equals", (JArray([1, 2], "int"),), False, _MISSING),
    (lambda: [1, 2], "hashCode", (), 994, _MISSING),
    (lambda: [1, "a"], "toString", (), "[1, a]", _MISSING),
    # --- arrays
    (lambda: JArray([1, 2], "int"), "size", (), 2, _MISSING),
    (lambda: JArray([1, 2], "int"), "equals", (JArray([1, 2], "int"),), False, _MISSING),
    (lambda: JArray([1, 2], "int"), "get", (1,), 2, _MISSING),
    (lambda: JArray([1, 2], "int"), "get", (Long(0),), 1, _MISSING),
    (lambda: JArray([1, 2], "int"), "set", (0, 5), 1, JArray([5, 2], "int")),
    (lambda: JArray([1, 2], "int"), "contains", (2,), True, _MISSING),
    (lambda: JArray([1, 2], "int"), "contains", (Long(2),), False, _MISSING),
    (lambda: JArray([1, 2, 1], "int"), "indexOf", (1,), 0, _MISSING),
    (lambda: JArray([], "Object"), "empty", (), True, _MISSING),
    # --- the empty() pseudo-method on every kind
    (lambda: "", "empty", (), True, _MISSING),
    (lambda: " ", "empty", (), False, _MISSING),
    (lambda: 0, "empty", (), True, _MISSING),
    (lambda: Long(3), "empty", (), False, _MISSING),
    (lambda: BigInteger(0), "empty", (), True, _MISSING),
    (lambda: float("nan"), "empty", (), True, _MISSING),
    (lambda: Float(0.0), "empty", (), True, _MISSING),
    (lambda: Decimal("0.00"), "empty", (), True, _MISSING),
    (lambda: True, "empty", (), False, _MISSING),
    (lambda: Char(" "), "empty", (), False, _MISSING),
    (lambda: [], "empty", (), True, _MISSING),
    (lambda: {"a": 1}, "empty", (), False, _MISSING),
    (lambda: JSet(), "empty", (), True, _MISSING),
    (lambda: JRange(1, 2), "empty", (), False, _MISSING),
    (lambda: JPattern("a"), "empty", (), False, _MISSING),
    # --- Map (HashMap)
    (lambda: {"a": 1}, "get", ("a",), 1, _MISSING),
    (lambda: {"a": 1}, "get", ("b",), None, _MISSING),
    (lambda: {"a": 1}, "getOrDefault", ("b", 0), 0, _MISSING),
    (lambda: {"a": None}, "getOrDefault", ("a", 0), None, _MISSING),
    (lambda: {"a": 1}, "put", ("a", 2), 1, {"a": 2}),
    (lambda: {"a": 1}, "put", ("b", 2), None, {"a": 1, "b": 2}),
    (lambda: {"a": 1}, "putIfAbsent", ("a", 2), 1, {"a": 1}),
    (lambda: {"a": None}, "putIfAbsent", ("a", 2), None, {"a": 2}),
    (lambda: {"a": 1}, "putAll", ({"b": 2},), None, {"a": 1, "b": 2}),
    (lambda: {"a": 1}, "remove", ("a",), 1, {}),
    (lambda: {"a": 1}, "remove", ("z",), None, {"a": 1}),
    (lambda: {"a": 1}, "containsKey", ("a",), True, _MISSING),
    (lambda: {"a": 1}, "containsValue", (1,), True, _MISSING),
    (lambda: {"a": 1}, "containsValue", (Long(1),), False, _MISSING),
    (lambda: {"a": 1, "b": 2}, "keySet", (), JSet(["a", "b"]), _MISSING),
    (lambda: {"a": 1, "b": 2}, "values", (), [1, 2], _MISSING),
    (lambda: {"a": 1}, "size", (), 1, _MISSING),
    (lambda: {}, "isEmpty", (), True, _MISSING),
    (lambda: {"a": 1}, "clear", (), None, {}),
    (lambda: {"a": 1}, "equals", ({"a": 1},), True, _MISSING),
    (lambda: {"a": 1}, "hashCode", (), 96, _MISSING),
    (lambda: {"a": 1}, "toString", (), "{a=1}", _MISSING),
    # --- Set (HashSet)
    (lambda: JSet([1]), "add", (2,), True, JSet([1, 2])),
    (lambda: JSet([1]), "add", (1,), False, JSet([1])),
    (lambda: JSet([1]), "add", (Long(1),), True, JSet([1, Long(1)])),
    (lambda: JSet([1]), "addAll", ([1, 2],), True, JSet([1, 2])),
    (lambda: JSet([1, 2]), "remove", (1,), True, JSet([2])),
    (lambda: JSet([1, 2]), "contains", (2,), True, _MISSING),
    (lambda: JSet([1, 2]), "contains", (Long(2),), False, _MISSING),
    (lambda: JSet([1, 2]), "containsAll", ([2, 1],), True, _MISSING),
    (lambda: JSet([1, 2]), "size", (), 2, _MISSING),
    (lambda: JSet(), "isEmpty", (), True, _MISSING),
    (lambda: JSet([1]), "clear", (), None, JSet()),
    (lambda: JSet([1, 2]), "toArray", (), JArray([1, 2], "Object"), _MISSING),
    (lambda: JSet([1, 2]), "equals", (JSet([2, 1]),), True, _MISSING),
    (lambda: JSet([1, 2]), "hashCode", (), 3, _MISSING),
    (lambda: JSet([1, 2]), "toString", (), "[1, 2]", _MISSING),
    # --- Range
    (lambda: JRange(1, 3), "size", (), 3, _MISSING),
    (lambda: JRange(1, 3), "isEmpty", (), False, _MISSING),
    (lambda: JRange(3, 1), "contains", (2,), True, _MISSING),
    (lambda: JRange(1, 3), "containsAll", ([1, 3],), True, _MISSING),
    (lambda: JRange(3, 1), "getMin", (), 1, _MISSING),
    (lambda: JRange(3, 1), "getMax", (), 3, _MISSING),
    (lambda: JRange(1, 1 << 40, True), "getMax", (), Long(1 << 40), _MISSING),
    (lambda: JRange(3, 1), "toArray", (), JArray([3, 2, 1], "Object"), _MISSING),
    (lambda: JRange(1, 3), "equals", (JRange(1, 3),), True, _MISSING),
    # --- Pattern
    (lambda: JPattern("a+"), "pattern", (), "a+", _MISSING),
    (lambda: JPattern(","), "split", ("a,b,,",), JArray(["a", "b"], "String"), _MISSING),
    (lambda: JPattern("a+"), "toString", (), "a+", _MISSING),
    # --- caught errors and their info
    (_err, "getMessage", (), "x@2:5 throw error", _MISSING),
    (_err, "getValue", (), "boom", _MISSING),
    (_err, "getCause", (), "why", _MISSING),
    (_err, "toString", (), "x@2:5 throw error", _MISSING),
    (lambda: ErrorInfo(2, 5), "getLine", (), 2, _MISSING),
    (lambda: ErrorInfo(2, 5), "getColumn", (), 5, _MISSING),
]

#: Members whose result is identity-based (no fixed expected value), checked separately.
IDENTITY_MEMBERS = {
    ("Array", "hashCode"),
    ("Array", "toString"),
    ("Range", "toString"),
    ("Range", "hashCode"),
    ("Pattern", "equals"),
    ("Pattern", "hashCode"),
    ("Map", "entrySet"),
    ("JexlException", "getInfo"),
}


@pytest.mark.parametrize(
    ("make", "name", "args", "expected", "after"),
    EXAMPLES,
    ids=[f"{M.kind_of(e[0]())}.{e[1]}{len(e[2])}-{i}" for i, e in enumerate(EXAMPLES)],
)
def test_member_example(
    make: Callable[[], Any], name: str, args: tuple[Any, ...], expected: Any, after: Any
) -> None:
    recv = make()
    result = call(recv, name, *args)
    assert same(result, expected), (result, expected)
    if after is not _MISSING:
        assert same(recv, after), (recv, after)


def test_every_member_has_an_example() -> None:
    covered = {(M.kind_of(make()), name) for make, name, *_ in EXAMPLES} | IDENTITY_MEMBERS
    missing = [
        (kind, name)
        for kind, info in M.all_members().items()
        for name in info["methods"]
        if (kind, name) not in covered
    ]
    assert missing == []


def test_identity_members() -> None:
    arr = JArray([1, 2], "int")
    assert call(arr, "toString").startswith("[I@")
    assert call(arr, "hashCode") == call(arr, "hashCode")
    assert call(JRange(1, 2), "toString").startswith(
        "org.apache.commons.jexl3.internal.IntegerRange$Ascending@"
    )
    assert call(JRange(1, 3), "hashCode") == call(JRange(1, 3), "hashCode")
    p = JPattern("a")
    assert call(p, "equals", p) and not call(p, "equals", JPattern("a"))
    assert isinstance(call(p, "hashCode"), int)
    assert call(_err(), "getInfo") == ErrorInfo(2, 5)


def test_entry_set_entries_read_and_write_through() -> None:
    m = {"a": 1, "b": 2}
    entries = list(call(m, "entrySet"))
    assert [(e.jexl_get("key"), e.jexl_get("value")) for e in entries] == [("a", 1), ("b", 2)]
    assert entries[0].jexl_call("getKey", []) == "a"
    assert entries[0].jexl_call("setValue", [10]) == 1
    assert m["a"] == 10
    assert entries[1].jexl_string() == "b=2"
    assert entries[0].jexl_type_info().name == "Map.Entry"


def test_key_set_is_a_copy() -> None:
    m = {"a": 1}
    keys = call(m, "keySet")
    keys.add("z")
    assert m == {"a": 1}


def test_properties_and_getters() -> None:
    assert M.properties_of("Array")["length"].get(JArray([1, 2, 3], "int")) == 3
    err = _err()
    props = M.properties_of("JexlException")
    assert [props[n].get(err) for n in ("value", "message", "cause")] == [
        "boom",
        "x@2:5 throw error",
        "why",
    ]
    assert M.properties_of("JexlInfo")["line"].get(ErrorInfo(3, 4)) == 3
    getter = M.getter_for("String", "empty")
    assert getter is not None and getter.name == "isEmpty"
    assert M.getter_for("Map", "empty") is not None
    assert M.getter_for("String", "class") is None  # getClass is not in any table
    assert "empty" in M.property_names("List")
    assert "min" in M.property_names("Range")


# --- Java semantics that scripts rely on (digest 6.4) ------------------------------------


def test_substring_past_the_end_is_java_s_error() -> None:
    with pytest.raises(EvalError, match="begin 5, end 3, length 3"):
        call("abc", "substring", 5)
    with pytest.raises(EvalError, match="begin 2, end 1, length 3"):
        call("abc", "substring", 2, 1)


def test_index_errors_name_index_and_length() -> None:
    with pytest.raises(EvalError, match="index 5 out of bounds for length 2"):
        call([1, 2], "get", 5)
    with pytest.raises(EvalError, match="index -1 out of bounds for length 2"):
        call([1, 2], "set", -1, 0)
    with pytest.raises(EvalError, match="index 7 out of bounds for length 2"):
        call([1, 2], "remove", 7)
    with pytest.raises(EvalError, match="index 3 out of bounds for length 3"):
        call("abc", "charAt", 3)
    with pytest.raises(EvalError, match="toIndex = 5"):
        call([1, 2], "subList", 1, 5)
    with pytest.raises(EvalError, match="count is negative: -1"):
        call("a", "repeat", -1)


def test_length_counts_utf16_units() -> None:
    assert call("a😀", "length") == 3
    assert call("a😀", "charAt", 1) == Char("\ud83d")  # the high surrogate, as in Java
    assert call("a😀b", "indexOf", "b") == 3
    assert same(call("😀", "toCharArray"), JArray([Char("\ud83d"), Char("\ude00")], "char"))


@given(st.text(max_size=20))
def test_utf16_view_round_trips(s: str) -> None:
    u = M.to_utf16(s)
    assert len(u) == M.java_length(s) == len(s.encode("utf-16-le", "surrogatepass")) // 2
    assert M.from_utf16(u) == s


@given(st.text(max_size=12), st.integers(0, 14), st.integers(0, 14))
def test_substring_agrees_with_slicing_on_bmp(s: str, b: int, e: int) -> None:
    s = "".join(c for c in s if c <= "\uffff" and not "\ud800" <= c <= "\udfff")
    if b <= e <= len(s):
        assert call(s, "substring", b, e) == s[b:e]
    else:
        with pytest.raises(EvalError):
            call(s, "substring", b, e)


@given(st.text(alphabet="ab.", max_size=10), st.text(alphabet="ab.", min_size=1, max_size=2))
def test_replace_is_literal_and_total(s: str, old: str) -> None:
    # every occurrence, and '.' is a dot, not a regex
    assert call(s, "replace", old, "#") == s.replace(old, "#")
    assert len(call(s, "replace", old, "##")) == len(s) + s.count(old) * (2 - len(old))


def test_list_remove_overloads() -> None:
    xs = [10, 20, 30]
    assert call(xs, "remove", 1) == 20  # remove(int index)
    ys = [1, 2, 3]
    assert call(ys, "remove", Long(3)) is False  # remove(Object): Long 3 is not Integer 3
    assert ys == [1, 2, 3]
    zs = ["x", 1]
    assert call(zs, "remove", "x") is True and zs == [1]


def test_wrong_argument_types_are_no_overload() -> None:
    with pytest.raises(NoOverload):
        call("abc", "substring", "1")
    with pytest.raises(NoOverload):
        call("abc", "substring", 1.5)
    with pytest.raises(NoOverload):
        call("abc", "replace", Char("a"), "b")
    with pytest.raises(NoOverload):
        call([1], "sort", "not a comparator")
    with pytest.raises(NoOverload):
        call(1, "compareTo", Long(1))
    with pytest.raises(NoOverload):
        call("abc", "charAt", Long(1 << 40))
    with pytest.raises(NoOverload):
        call("banana", "indexOf", Char("n"))  # JEXL does not widen a Character to int
    with pytest.raises(NoOverload):
        call("abc", "charAt", True)
    with pytest.raises(NoOverload):
        call("abc", "charAt", 1.5)


def test_long_arguments_that_fit_are_narrowed() -> None:
    assert call("abc", "charAt", Long(1)) == Char("b")
    assert call([1, 2], "get", Long(0)) == 1


def test_sort_needs_one_comparable_kind() -> None:
    with pytest.raises(EvalError, match="cannot sort"):
        call([1, "a"], "sort", None)
    with pytest.raises(EvalError, match="cannot sort"):
        call([1, Long(2)], "sort", None)
    with pytest.raises(EvalError, match="null"):
        call([1, None], "sort", None)
    xs = [2.0, float("nan"), -0.0, 0.0, -1.0]
    call(xs, "sort", None)
    assert [str(x) for x in xs] == ["-1.0", "-0.0", "0.0", "2.0", "nan"]


def test_add_on_a_list_respects_the_items_limit() -> None:
    thread = Thread(limits=Limits(items=3))
    xs = [1, 2, 3]
    with pytest.raises(LimitExceeded) as info:
        call(xs, "add", 4, thread=thread)
    assert info.value.limit == "items"
    assert xs == [1, 2, 3]


def test_add_all_of_a_list_to_itself_in_a_loop_stops_at_the_items_limit() -> None:
    thread = Thread(limits=Limits(items=10_000))
    xs = [1]
    with pytest.raises(LimitExceeded) as info:
        for _ in range(100):
            call(xs, "addAll", xs, thread=thread)
    assert info.value.limit == "items"
    assert len(xs) <= 10_000


def test_add_all_charges_steps() -> None:
    thread = Thread(limits=Limits(steps=10_000, items=None))
    xs = list(range(5000))
    with pytest.raises(LimitExceeded) as info:
        for _ in range(10):
            call([], "addAll", xs, thread=thread)
    assert info.value.limit == "steps"


@pytest.mark.parametrize(
    ("name", "args"),
    [("repeat", (1 << 20,)), ("concat", ("x" * 200,)), ("replace", ("a", "aaaa"))],
)
def test_string_results_respect_the_string_limit(name: str, args: tuple[Any, ...]) -> None:
    thread = Thread(limits=Limits(string_length=100))
    with pytest.raises(LimitExceeded) as info:
        call("a" * 40, name, *args, thread=thread)
    assert info.value.limit == "string_length"


def test_split_and_replace_all_on_huge_input_charge_steps() -> None:
    big = "a," * 200_000  # 200,000 matches of ','
    for name, args in (("split", (",",)), ("replaceAll", (",", ";"))):
        thread = Thread(limits=Limits(steps=100_000))  # one step per match
        with pytest.raises(LimitExceeded) as info:
            call(big, name, *args, thread=thread)
        assert info.value.limit == "steps", name


def test_scanning_characters_costs_one_step_per_64() -> None:
    thread = Thread(limits=Limits(steps=None))
    before = thread.steps
    call("x" * 64_000, "indexOf", "z", thread=thread)
    assert thread.steps - before == 1000
    small = thread.steps
    call("short", "indexOf", "z", thread=thread)
    assert thread.steps == small  # below 64 characters: covered by the call's own step
    with pytest.raises(LimitExceeded) as info:
        for _ in range(100):
            call("x" * 640_000, "contains", "z", thread=Thread(limits=Limits(steps=5_000)))
    assert info.value.limit == "steps"


def test_to_char_array_respects_the_items_limit() -> None:
    thread = Thread(limits=Limits(items=5))
    with pytest.raises(LimitExceeded):
        call("abcdefgh", "toCharArray", thread=thread)


def test_display_names() -> None:
    assert M.display_name("a") == "String"
    assert M.display_name(JArray([1], "int")) == "int[]"
    assert M.display_name(None) == "null"
    assert M.display_name([1]) == "List"
    assert M.display_name({}) == "Map"
    assert M.display_name(Long(1)) == "Long"


def test_method_info_for_check() -> None:
    info = M.method_info("String", "substring")
    assert info is not None and info.min_args == 1 and info.max_args == 2
    assert info.returns == "String"
    assert M.method_info("String", "format") is None
    assert M.members_of("Nope") == {}


# --- the same examples on real Java, through JEXL 3.1 -----------------------------------------

_NO_ORACLE_KINDS = {"Array", "Range", "Pattern", "JexlException", "JexlInfo", "Function"}
#: results that are identities or views in Java (compared elsewhere)
_NO_ORACLE_METHODS = {"entrySet", "hashCode"}


def _oracle_arg(name: str, value: Any, variables: dict[str, Any]) -> str:
    """A script expression for an argument: Characters are made with charAt, None is null,
    everything else is passed as a host variable."""
    if value is None:
        return "null"
    if isinstance(value, Char):
        return f"'{value}'.charAt(0)" if value not in "'\\" else "'x'.charAt(0)"
    variables[name] = value
    return name


def _oracle_cases() -> list[tuple[Any, ...]]:
    cases = []
    for i, (make, name, args, _expected, after) in enumerate(EXAMPLES):
        recv = make()
        kind = M.kind_of(recv)
        if kind in _NO_ORACLE_KINDS or name in _NO_ORACLE_METHODS:
            continue
        if any(isinstance(a, JArray | JRange | JPattern) for a in args):
            continue
        if isinstance(recv, Char):
            continue  # a Character cannot be passed as a host variable
        if any(isinstance(x, float) and not math.isfinite(x) for x in (recv, *args)):
            continue  # the harness has no encoding for NaN and infinities
        if isinstance(recv, str) and any(isinstance(a, float | Decimal) for a in args):
            # 3.7.0 narrows an integral 110.0 to an int argument (JexlArithmetic.narrowNumber);
            # 3.1 narrows doubles to float only, so 'x'.indexOf(110.0) is unsolvable there
            continue
        cases.append((i, make, name, args, after))
    return cases


@pytest.mark.oracle
@pytest.mark.parametrize(("index", "make", "name", "args", "after"), _oracle_cases())
def test_member_example_on_jexl_3_1(
    jexl_oracle: Oracle,  # noqa: F811 - the fixture
    index: int,
    make: Callable[[], Any],
    name: str,
    args: tuple[Any, ...],
    after: Any,
) -> None:
    variables: dict[str, Any] = {"r": make()}
    exprs = [_oracle_arg(f"a{k}", a, variables) for k, a in enumerate(args)]
    call_src = f"r.{name}({', '.join(exprs)})"
    ours = call(make(), name, *args)
    theirs = jexl_oracle.eval(call_src, variables)
    assert theirs.ok, theirs.show()
    assert theirs.value is not None
    assert same_jvalue(theirs.value, from_ours(ours)), (theirs.show(), from_ours(ours).show())
    if after is not _MISSING:
        variables["r"] = make()
        theirs = jexl_oracle.eval(f"{call_src}; r", variables)
        assert theirs.ok and theirs.value is not None, theirs.show()
        recv = make()
        call(recv, name, *args)
        assert same_jvalue(theirs.value, from_ours(recv)), theirs.show()


# --- random List and Map programs, against java.util through JEXL 3.1 -------------------------

#: host variables the random programs use as arguments: Integers, a Long, Strings, null
_VARS: dict[str, Any] = {"i0": 0, "i1": 1, "i2": 2, "i9": 9, "n1": -1, "L1": Long(1)}
_VARS |= {"sa": "a", "sb": "b", "nul": None}
_ARGS = sorted(_VARS)
_LIST_OPS: list[tuple[str, int]] = [
    ("add", 1),
    ("add", 2),
    ("remove", 1),
    ("get", 1),
    ("set", 2),
    ("indexOf", 1),
    ("lastIndexOf", 1),
    ("contains", 1),
    ("size", 0),
    ("isEmpty", 0),
    ("subList", 2),
    ("addAll", 1),
    ("clear", 0),
]
_MAP_OPS: list[tuple[str, int]] = [
    ("put", 2),
    ("get", 1),
    ("remove", 1),
    ("containsKey", 1),
    ("containsValue", 1),
    ("getOrDefault", 2),
    ("putIfAbsent", 2),
    ("size", 0),
    ("isEmpty", 0),
]


def _program(ops: list[tuple[str, int, list[str]]]) -> str:
    lines = ["var r = [...];"]
    for name, _, args in ops:
        arg_src = ", ".join("x" if a == "SELF" else a for a in args)
        if name == "subList":
            # Java's subList is a view that fails once the list changes (ours is a copy):
            # keep its text at the time of the call
            lines.append(f"r.add('' + x.{name}({arg_src}));")
        else:
            lines.append(f"r.add(x.{name}({arg_src}));")
    lines.append("r.add(x); r")
    return "\n".join(lines)


def _run_ours(make: Callable[[], Any], ops: list[tuple[str, int, list[str]]]) -> Any:
    x = make()
    results: list[Any] = []
    for name, _, args in ops:
        values = [x if a == "SELF" else _VARS[a] for a in args]
        result = call(x, name, *values)
        results.append(to_string(result) if name == "subList" else result)
    results.append(x)
    return results


#: Map keys the random programs use: no Long, since a Python dict finds the Long key 1L
#: for the Integer 1 (values.py's documented trap; map_get checks only non-Integer keys)
_KEY_ARGS = [a for a in _ARGS if a != "L1"]


def _ops(
    table: list[tuple[str, int]], keys: list[str] = _ARGS
) -> st.SearchStrategy[list[tuple[str, int, list[str]]]]:
    def one(op: tuple[str, int]) -> st.SearchStrategy[tuple[str, int, list[str]]]:
        name, n = op
        pool = ["SELF"] if name in ("addAll", "containsAll") else _ARGS
        first = ["SELF"] if name in ("addAll", "containsAll") else keys
        return st.tuples(
            st.sampled_from(first), st.lists(st.sampled_from(pool), min_size=n, max_size=n)
        ).map(lambda fa: (name, n, [fa[0], *fa[1][1:]] if n else []))

    return st.lists(st.sampled_from(table).flatmap(one), min_size=1, max_size=6)


def _no_bytes(v: JValue) -> JValue:
    """JEXL narrows arguments to Byte or Short when they fit (``narrowNumber``); we have
    neither kind and narrow to Integer, so the comparison reads Byte and Short as Integer."""
    if v.cls in ("Byte", "Short"):
        return JValue("Integer", v.kind, v.value)
    if v.kind in ("list", "array", "set", "collection"):
        return JValue(v.cls, v.kind, tuple(_no_bytes(x) for x in v.value))
    if v.kind in ("map", "entry"):
        return JValue(v.cls, v.kind, tuple((_no_bytes(k), _no_bytes(x)) for k, x in v.value))
    return v


def _agree(oracle: Oracle, source: str, start: Any, ours: Callable[[], Any]) -> None:
    theirs = oracle.eval(source, {**_VARS, "x": start})
    try:
        mine = ours()
    except (EvalError, NoOverload) as err:
        # a map cannot hold both 1 and 1L as keys: a documented limitation (map_put)
        assume("cannot also hold" not in str(err))
        assert not theirs.ok, (source, theirs.show(), err)
        return
    assert theirs.ok, (source, theirs.show(), mine)
    assert theirs.value is not None
    assert same_jvalue(_no_bytes(theirs.value), from_ours(mine)), (source, theirs.show(), mine)


@pytest.mark.oracle
@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2, "a", Long(1)]), max_size=4), _ops(_LIST_OPS))
def test_random_list_programs_agree_with_java(
    jexl_oracle: Oracle,  # noqa: F811 - the fixture
    start: list[Any],
    ops: list[tuple[str, int, list[str]]],
) -> None:
    _agree(jexl_oracle, _program(ops), list(start), lambda: _run_ours(lambda: list(start), ops))


@pytest.mark.oracle
@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["a", "b", 1]), st.sampled_from([0, 1, "a"]), max_size=3),
    _ops(_MAP_OPS, _KEY_ARGS),
)
def test_random_map_programs_agree_with_java(
    jexl_oracle: Oracle,  # noqa: F811 - the fixture
    start: dict[Any, Any],
    ops: list[tuple[str, int, list[str]]],
) -> None:
    _agree(jexl_oracle, _program(ops), dict(start), lambda: _run_ours(lambda: dict(start), ops))


def test_map_lookups_use_java_key_equality_for_other_kinds() -> None:
    m: dict[Any, Any] = {1: "int", "a": "str"}
    assert M.map_get(m, 1) == "int"
    assert M.map_get(m, Long(1)) is None  # HashMap: Long 1 is not the key Integer 1
    assert M.map_get(m, 1.0) is None
    assert M.map_get(m, True) is None
    assert M.map_get(m, Char("a")) is None
    assert M.map_get(m, [1]) is None  # an unhashable key is never found
    assert M.map_has(m, "a") and not M.map_has(m, Long(1))
    assert call(m, "containsKey", Long(1)) is False
    assert call(m, "remove", Long(1)) is None and m == {1: "int", "a": "str"}


def test_a_map_cannot_hold_python_equal_keys_of_two_java_kinds() -> None:
    m: dict[Any, Any] = {1: "int"}
    with pytest.raises(EvalError, match=r"already has the key 1 \(Integer\).*1 \(Long\)"):
        call(m, "put", Long(1), "long")
    assert m == {1: "int"}
    with pytest.raises(EvalError, match="cannot be a map key"):
        call(m, "put", [1], "list")
    assert call({Long(2): "x"}, "put", Long(2), "y") == "x"


def test_java_exceptions_are_the_cause_of_errors() -> None:
    with pytest.raises(EvalError) as info:
        call("abc", "substring", 5)
    cause = info.value.cause
    assert to_string(cause) == (
        "java.lang.StringIndexOutOfBoundsException: begin 5, end 3, length 3"
    )
    assert call(cause, "getMessage") == "begin 5, end 3, length 3"
    with pytest.raises(EvalError) as info:
        call([1], "get", 3)
    assert info.value.message == "index 3 out of bounds for length 1"
    assert to_string(info.value.cause) == (
        "java.lang.IndexOutOfBoundsException: Index 3 out of bounds for length 1"
    )
    with pytest.raises(EvalError) as info:
        call("a", "replaceAll", "(", "x")
    assert to_string(info.value.cause).startswith("java.util.regex.PatternSyntaxException: ")


def test_array_set_keeps_the_component_type() -> None:
    arr = JArray([1, 2], "int")
    with pytest.raises(EvalError, match=r"cannot store a value of type String in int\[\]"):
        call(arr, "set", 0, "x")
    with pytest.raises(EvalError, match="index 2 out of bounds for length 2"):
        call(arr, "set", 2, 1)
    assert list(arr) == [1, 2]
    assert "add" not in M.members_of("Array")  # fixed size: 3.7.0 gives null (a warning)


# --- random String calls against java.lang.String through JEXL 3.1 ----------------------------

_TEXT = st.text(alphabet="aAb ß\t.é😀", max_size=6)
_INT = st.integers(-2, 8)
_STRING_CALLS: list[tuple[str, list[st.SearchStrategy[Any]]]] = [
    ("substring", [_INT]),
    ("substring", [_INT, _INT]),
    ("indexOf", [_TEXT]),
    ("indexOf", [_TEXT, _INT]),
    ("lastIndexOf", [_TEXT]),
    ("lastIndexOf", [_TEXT, _INT]),
    ("startsWith", [_TEXT]),
    ("startsWith", [_TEXT, _INT]),
    ("endsWith", [_TEXT]),
    ("contains", [_TEXT]),
    ("replace", [_TEXT, _TEXT]),
    ("concat", [_TEXT]),
    ("repeat", [st.integers(-1, 3)]),
    ("compareTo", [_TEXT]),
    ("compareToIgnoreCase", [_TEXT]),
    ("equalsIgnoreCase", [_TEXT]),
    ("trim", []),
    ("strip", []),
    ("isBlank", []),
    ("toUpperCase", []),
    ("toLowerCase", []),
    ("length", []),
    ("hashCode", []),
    ("charAt", [_INT]),
    ("codePointAt", [_INT]),
    ("matches", [st.sampled_from([".*", "a.", "[^b]*", "(?i)A.*", "\\s*"])]),
    ("replaceAll", [st.sampled_from(["a", "\\s", "(.)"]), st.sampled_from(["x", "[$1]", ""])]),
    ("split", [st.sampled_from([" ", "a", "\\.", "b+", "", "[aé]"]), st.integers(-1, 2)]),
]


@st.composite
def _string_call(draw: st.DrawFn) -> tuple[str, str, list[Any]]:
    name, arg_strategies = draw(st.sampled_from(_STRING_CALLS))
    return draw(_TEXT), name, [draw(s) for s in arg_strategies]


@pytest.mark.oracle
@settings(max_examples=200, deadline=None)
@given(_string_call())
def test_random_string_calls_agree_with_java(
    jexl_oracle: Oracle,  # noqa: F811 - the fixture
    case: tuple[str, str, list[Any]],
) -> None:
    text, name, args = case
    # Java steps past an empty match by one UTF-16 unit, so ''.split on an emoji cuts it
    # into its two surrogates; our regexes step by characters (a known difference)
    assume(not (name == "split" and args[0] == "" and any(c > "\uffff" for c in text)))
    variables = {"s": text, **{f"a{i}": a for i, a in enumerate(args)}}
    source = f"s.{name}({', '.join(f'a{i}' for i in range(len(args)))})"
    theirs = jexl_oracle.eval(source, variables)
    try:
        mine = call(text, name, *args)
    except (EvalError, NoOverload) as err:
        assert not theirs.ok, (source, variables, theirs.show(), err)
        return
    assert theirs.ok, (source, variables, theirs.show(), mine)
    assert theirs.value is not None
    assert same_jvalue(theirs.value, from_ours(mine)), (source, variables, theirs.show(), mine)


_SET_OPS: list[tuple[str, int]] = [
    ("add", 1),
    ("remove", 1),
    ("contains", 1),
    ("size", 0),
    ("isEmpty", 0),
    ("addAll", 1),
    ("containsAll", 1),
    ("clear", 0),
]


@pytest.mark.oracle
@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, 1, "a", Long(1)]), max_size=3), _ops(_SET_OPS))
def test_random_set_programs_agree_with_java(
    jexl_oracle: Oracle,  # noqa: F811 - the fixture
    start: list[Any],
    ops: list[tuple[str, int, list[str]]],
) -> None:
    _agree(jexl_oracle, _program(ops), JSet(start), lambda: _run_ours(lambda: JSet(start), ops))
