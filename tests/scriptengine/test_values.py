"""values.py: Java value kinds, toString, class names, equals/hashCode, JSON.

Expected strings and hash codes were produced with Java 17 (``Double.toString`` only where
Java 17 already prints the shortest digits; digest section 0 item 8).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from scriptengine.host import HostObject, MethodInfo, TypeInfo
from scriptengine.values import (
    BigInteger,
    CaughtError,
    Char,
    ErrorInfo,
    Float,
    Invocable,
    JArray,
    JPattern,
    JRange,
    JSet,
    JsonNumber,
    Long,
    array_component,
    decimal_to_string,
    double_to_string,
    dumps_json,
    float_to_string,
    java_class_name,
    java_equals,
    java_hash,
    java_key,
    template_string,
    to_json,
    to_string,
    utf16_len,
)


class Purpose(HostObject):
    """An enum-like host value, as ``entity.mailAccount.purpose``."""

    jexl_type = TypeInfo("Purpose", methods={"name": MethodInfo("name")}, enum_like=True)

    def __init__(self, name: str) -> None:
        self.name = name

    def jexl_string(self) -> str:
        return self.name


# --- kinds ----------------------------------------------------------------------------------


def test_numeric_kinds_keep_their_python_base_behaviour() -> None:
    assert Long(5) + 1 == 6
    assert isinstance(Long(5), int) and type(Long(5)) is Long
    assert BigInteger(2**70) > 2**69
    assert Float(0.1) != 0.1  # rounded to float32
    assert Float(0.1) == 0.10000000149011612
    assert Float(1e39) == math.inf  # beyond float32's range
    assert Char("a") == "a" and type(Char("a")) is Char


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "Boolean"),
        (1, "Integer"),
        (Long(1), "Long"),
        (BigInteger(1), "BigInteger"),
        (1.5, "Double"),
        (Float(1.5), "Float"),
        (Decimal("1.5"), "BigDecimal"),
        ("a", "String"),
        (Char("a"), "Character"),
        ([1], "ArrayList"),
        ({"a": 1}, "HashMap"),
        (JSet([1]), "HashSet"),
        (JArray([1, 2], "int"), "int[]"),
        (JArray(["a"], "String"), "String[]"),
        (JArray([], "Object"), "Object[]"),
        (JRange(1, 3), "Range"),
        (Purpose("INVOICES"), "Purpose"),
    ],
)
def test_java_class_name(value: object, name: str) -> None:
    assert java_class_name(value) == name


def test_java_class_name_of_pattern() -> None:
    assert java_class_name(JPattern("a+")) == "Pattern"


@pytest.mark.parametrize(
    ("items", "component"),
    [
        ([1, 2], "int"),  # digest 2.4: all Integer -> int[]
        (["a", "b"], "String"),
        ([1, 2.5], "Number"),  # mixed numbers
        ([1, Long(2)], "Number"),
        ([None, 1], "Integer"),  # a null keeps the boxed class
        ([1, "a"], "Object"),
        ([], "Object"),
        ([True, False], "boolean"),
        ([1.5, 2.5], "double"),
        ([Long(1)], "long"),
        ([Char("a")], "char"),
        ([Decimal(1), Decimal(2)], "BigDecimal"),
        ([None], "Object"),
        ([[1], [2]], "ArrayList"),
    ],
)
def test_array_component_follows_arraybuilder(items: list[object], component: str) -> None:
    assert array_component(items) == component
    assert JArray.of(items).component == component


def test_arrays_compare_by_identity() -> None:
    a = JArray.of([1, 2])
    b = JArray.of([1, 2])
    assert a == a
    assert a != b  # digest 2.4: [1, 2] == [1, 2] is false for arrays
    assert len({a, b}) == 2
    assert list(a) == [1, 2]


# --- sets -----------------------------------------------------------------------------------


def test_set_keeps_insertion_order_and_drops_duplicates() -> None:
    s = JSet([3, 1, 2, 2, 1])
    assert list(s) == [3, 1, 2]
    assert len(s) == 3


def test_set_uses_java_equality() -> None:
    s = JSet([1, Long(1), 1.0, True, "1", Char("1"), Decimal("1.0"), Decimal("1.00")])
    assert len(s) == 8  # all different in Java
    assert s.contains(Long(1)) and not s.contains(Long(2))
    assert s.contains(Decimal("1.00")) and not s.contains(Decimal("1"))


def test_set_add_remove_clear() -> None:
    s = JSet()
    assert s.add("a") is True
    assert s.add("a") is False
    assert s.add([1, 2]) is True  # lists are elements by content
    assert s.contains([1, 2])
    assert s.remove("a") is True
    assert s.remove("a") is False
    assert "a" not in s and [1, 2] in s
    s.clear()
    assert len(s) == 0 and list(s) == []


def test_set_equality() -> None:
    assert JSet([1, 2]) == JSet([2, 1])
    assert JSet([1, 2]) != JSet([1, Long(2)])
    assert JSet([1]) != JSet([1, 2])
    assert JSet([1, 2]) != [1, 2]


def test_set_iteration_survives_modification() -> None:
    s = JSet([1, 2])
    for v in s:
        s.add(v + 10)
    assert list(s) == [1, 2, 11, 12]


# --- ranges ---------------------------------------------------------------------------------


def test_range_counts_up_and_down_inclusively() -> None:
    assert list(JRange(1, 3)) == [1, 2, 3]
    assert list(JRange(3, 1)) == [3, 2, 1]
    assert list(JRange(2, 2)) == [2]
    assert len(JRange(1, 3)) == 3 and len(JRange(3, -1)) == 5


def test_long_range_yields_longs() -> None:
    r = JRange(2**31, 2**31 + 1, is_long=True)
    items = list(r)
    assert items == [2**31, 2**31 + 1]
    assert all(type(i) is Long for i in items)


def test_range_contains_numbers_by_integer_part() -> None:
    r = JRange(3, 1)
    assert r.contains(1) and r.contains(3) and r.contains(Long(2))
    assert r.contains(2.5)  # IntegerRange.contains uses intValue()
    assert not r.contains(4) and not r.contains("2") and not r.contains(None)
    assert not r.contains(True) and not r.contains(math.nan)


def test_range_equality_and_direction() -> None:
    assert JRange(1, 3) == JRange(1, 3)
    assert JRange(1, 3) != JRange(3, 1)  # Ascending vs Descending classes
    assert java_equals(JRange(1, 3), JRange(1, 3))


# --- toString -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (1.0, "1.0"),
        (2.0, "2.0"),
        (0.001, "0.001"),
        (0.00099, "9.9E-4"),
        (1e-4, "1.0E-4"),
        (1e7, "1.0E7"),
        (9999999.999, "9999999.999"),
        (1e10, "1.0E10"),
        (1e21, "1.0E21"),
        (1e-300, "1.0E-300"),
        (5e-324, "4.9E-324"),  # Java picks the closest two-digit decimal
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (123456.789, "123456.789"),
        (100.0, "100.0"),
        (1e16, "1.0E16"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (-2.5, "-2.5"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1234567.0, "1234567.0"),
        (123456789.0, "1.23456789E8"),
    ],
)
def test_double_to_string_java_layout(x: float, text: str) -> None:
    assert double_to_string(x) == text
    assert to_string(x) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.1, "0.1"),
        (1 / 3, "0.33333334"),
        (1e10, "1.0E10"),
        (1e-5, "1.0E-5"),
        (3.4028235e38, "3.4028235E38"),
        (1.4e-45, "1.4E-45"),
        (123456.79, "123456.79"),
        (16777216.0, "1.6777216E7"),
        (0.001, "0.001"),
        (1234567.9, "1234567.9"),
        (1.5, "1.5"),
    ],
)
def test_float_to_string(x: float, text: str) -> None:
    assert float_to_string(Float(x)) == text
    assert to_string(Float(x)) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("1E+3", "1E+3"),
        ("0.000001", "0.000001"),
        ("0.0000001", "1E-7"),
        ("123.4500", "123.4500"),
        ("-0.00", "0.00"),  # Java has no negative zero
        ("0E-10", "0E-10"),
        ("12345678901234567890.123", "12345678901234567890.123"),
        ("1e5", "1E+5"),
        ("3.10", "3.10"),
    ],
)
def test_decimal_to_string_is_bigdecimal_tostring(text: str, shown: str) -> None:
    assert decimal_to_string(Decimal(text)) == shown
    assert to_string(Decimal(text)) == shown


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (Long(-7), "-7"),
        (BigInteger(10**30), "1" + "0" * 30),
        ("x", "x"),
        (Char("c"), "c"),
        ([1, "a", None, 2.0], "[1, a, null, 2.0]"),
        ({"a": 1, "b": [1, 2]}, "{a=1, b=[1, 2]}"),
        ({}, "{}"),
        ([], "[]"),
        (JSet([1, 2]), "[1, 2]"),
        ({1: {"x": None}}, "{1={x=null}}"),
        (Purpose("INVOICES"), "INVOICES"),
    ],
)
def test_to_string_values(value: object, text: str) -> None:
    assert to_string(value) == text


def test_to_string_of_self_containing_collections() -> None:
    lst: list[object] = [1]
    lst.append(lst)
    assert to_string(lst) == "[1, (this Collection)]"
    m: dict[str, object] = {}
    m["me"] = m
    assert to_string(m) == "{me=(this Map)}"


def test_arrays_print_java_identity_strings() -> None:
    ints = JArray.of([1, 2])
    text = to_string(ints)
    assert text.startswith("[I@")
    assert text == to_string(ints)  # stable per object
    assert to_string(JArray.of(["a"])).startswith("[Ljava.lang.String;@")
    assert to_string(JArray.of([1, "a"])).startswith("[Ljava.lang.Object;@")
    assert to_string(JArray.of([1.5])).startswith("[D@")
    assert to_string(JArray.of([Decimal(1)])).startswith("[Ljava.math.BigDecimal;@")
    assert to_string(JArray.of([1, 2])) != text  # another object, another hash


def test_ranges_print_identity_strings() -> None:
    assert to_string(JRange(1, 3)).startswith(
        "org.apache.commons.jexl3.internal.IntegerRange$Ascending@"
    )
    assert to_string(JRange(3, 1, is_long=True)).startswith(
        "org.apache.commons.jexl3.internal.LongRange$Descending@"
    )


def test_pattern_prints_its_source() -> None:
    assert to_string(JPattern("a+b")) == "a+b"


def test_caught_error_and_function_strings() -> None:
    err = CaughtError("boom", "it failed", ErrorInfo(3, 7))
    assert to_string(err) == "it failed"
    assert err.info.line == 3 and err.info.column == 7 and err.cause is None

    class Fn(Invocable):
        name = "double"

        def invoke(self, args: list[object]) -> object:
            return args[0]

    assert to_string(Fn()) == "function double"
    assert java_class_name(Fn()) == "Closure"


def test_template_string_shows_null_as_empty() -> None:
    assert template_string(None) == ""
    assert template_string(2.0) == "2.0"
    assert template_string([1, None]) == "[1, null]"


# --- equals / hashCode ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (1, 1, True),
        (1, Long(1), False),  # Integer.equals(Long) is false
        (Long(2), Long(2), True),
        (1, 1.0, False),
        (1.0, 1.0, True),
        (math.nan, math.nan, True),  # Double.equals compares bits
        (0.0, -0.0, False),
        (Decimal("1.10"), Decimal("1.1"), False),  # BigDecimal.equals: value and scale
        (Decimal("1.10"), Decimal("1.10"), True),
        (Decimal("0.0"), Decimal("-0.0"), True),
        ("a", "a", True),
        ("a", Char("a"), False),
        (Char("a"), Char("a"), True),
        (True, True, True),
        (True, 1, False),
        (None, None, True),
        (None, 0, False),
        ([1, 2], [1, 2], True),
        ([1, 2], [1, Long(2)], False),
        ({"a": [1]}, {"a": [1]}, True),
        ({"a": 1}, {"a": Long(1)}, False),
        ({1: "x"}, {Long(1): "x"}, False),
        (JSet([1, 2]), JSet([2, 1]), True),
        (BigInteger(5), 5, False),
        (Float(1.5), 1.5, False),
    ],
)
def test_java_equals(a: object, b: object, equal: bool) -> None:
    assert java_equals(a, b) is equal
    assert java_equals(b, a) is equal
    assert (java_key(a) == java_key(b)) is equal


def test_java_equals_arrays_by_identity() -> None:
    a = JArray.of([1])
    assert java_equals(a, a)
    assert not java_equals(a, JArray.of([1]))
    assert not java_equals(a, [1])


def test_java_equals_host_objects_by_identity() -> None:
    class Point(HostObject):
        jexl_type = TypeInfo("Point")

    p = Point()
    assert java_equals(p, p)
    assert not java_equals(p, Point())
    assert len(JSet([p, Point(), p])) == 2


def test_enum_like_host_objects_equal_by_name() -> None:
    # a Java enum constant is one object; two host objects for it must be equal
    assert java_equals(Purpose("A"), Purpose("A"))
    assert java_hash(Purpose("A")) == java_hash(Purpose("A")) == java_hash("A")
    assert not java_equals(Purpose("A"), Purpose("B"))
    assert not java_equals(Purpose("A"), "A")
    assert len(JSet([Purpose("A"), Purpose("A"), "A"])) == 2


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("hello", 99162322),
        ("é😀", 1996812),  # over UTF-16 code units
        (Long(1 << 40), 256),
        (Long(-5), 4),
        (1.0, 1072693248),
        (-0.0, -2147483648),
        (math.nan, 2146959360),
        (Float(0.1), 1036831949),
        (BigInteger(123456789012345678901234567890), 1915528825),
        (BigInteger(-98765432109876543210), 550835337),
        (Decimal("3.10"), 9612),
        (Decimal("-1E+3"), -34),
        ([1, "a", None, 2.5], 1075050497),
        ({"a": 1, "b": [1, 2]}, 992),
        (JSet([1, 2, 3]), 6),
        (True, 1231),
        (False, 1237),
        (Char("x"), 120),
        (None, 0),
        (-17, -17),
    ],
)
def test_java_hash_matches_java(value: object, code: int) -> None:
    assert java_hash(value) == code


# --- JSON -----------------------------------------------------------------------------------


def test_to_json_numbers() -> None:
    assert to_json(1) == 1
    assert to_json(Long(2**40)) == 2**40 and type(to_json(Long(5))) is int
    assert to_json(BigInteger(10**30)) == 10**30
    assert to_json(1.5) == 1.5
    assert to_json(math.nan) == "NaN"
    assert to_json(math.inf) == "Infinity"
    assert to_json(-math.inf) == "-Infinity"
    assert to_json(Float(math.inf)) == "Infinity"
    dec = to_json(Decimal("3.10"))
    assert isinstance(dec, JsonNumber) and dec == "3.10"


def test_to_json_structures() -> None:
    value = {
        "list": [1, None, True],
        "array": JArray.of(["a"]),
        "set": JSet([2, 1]),
        "range": JRange(1, 3),
        1: Char("c"),
        None: Purpose("INVOICES"),
    }
    assert to_json(value) == {
        "list": [1, None, True],
        "array": ["a"],
        "set": [2, 1],
        "range": [1, 2, 3],
        "1": "c",
        "null": "INVOICES",
    }


def test_dumps_json_writes_decimals_with_their_scale_and_utf8() -> None:
    text = dumps_json(
        to_json(
            {"amount": Decimal("3.10"), "name": "Jiří", "f": Float(0.1), "big": Decimal("1E+3")}
        )
    )
    assert text == '{"amount":3.10,"name":"Jiří","f":0.1,"big":1E+3}'
    assert json.loads(text)["amount"] == 3.1  # valid JSON


def test_dumps_json_indent_and_empty() -> None:
    assert dumps_json({"a": [], "b": {}}, indent=2) == '{\n  "a": [],\n  "b": {}\n}'
    assert dumps_json([1, [2]], indent=1) == "[\n 1,\n [\n  2\n ]\n]"
    assert json.loads(dumps_json(to_json([1e300, -0.0, 5e-324]))) == [1e300, -0.0, 5e-324]


def test_dumps_json_refuses_non_finite_floats() -> None:
    with pytest.raises(ValueError):
        dumps_json(math.nan)


def test_dumps_json_converts_script_values_itself() -> None:
    assert dumps_json(JSet([Decimal("1.50")])) == "[1.50]"


def test_host_object_to_json_hook() -> None:
    class Rec(HostObject):
        def to_json(self) -> dict[str, object]:
            return {"type": "Rec", "id": 7}

    assert to_json([Rec()]) == [{"type": "Rec", "id": 7}]


def test_utf16_len() -> None:
    assert utf16_len("") == 0
    assert utf16_len("abc") == 3
    assert utf16_len("žluť") == 4
    assert utf16_len("a😀") == 3


def test_deeply_nested_values_are_errors_not_crashes() -> None:
    from scriptengine.errors import EvalError

    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    for fn in (to_string, java_key, java_hash, to_json):
        with pytest.raises(EvalError, match="nested too deeply"):
            fn(deep)
    other: list[object] = []
    for _ in range(5000):
        other = [other]
    with pytest.raises(EvalError, match="nested too deeply"):
        java_equals(deep, other)


def test_to_json_dates_are_iso_8601() -> None:
    import datetime as dt

    tz = dt.timezone(dt.timedelta(hours=1))
    assert to_json(dt.datetime(2024, 3, 1, 9, 30, tzinfo=tz)) == "2024-03-01T09:30:00+01:00"
    assert to_json([dt.date(2024, 3, 1)]) == ["2024-03-01"]
