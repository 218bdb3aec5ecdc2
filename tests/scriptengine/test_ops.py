"""ops.Arithmetic: JEXL 3.7.0 operators, rule by rule (JEXL-SEMANTICS.md sections 2-4).

Each test names the digest section it checks. Values are built as the literal builder
makes them (``1l`` is ``Long(1)``, ``1.5f`` is ``Float(1.5)``, ``2b`` is ``Decimal('2')``,
``1h`` is ``BigInteger(1)``, ``[1, 2]`` is ``JArray.of([1, 2])``, ``[1, 2, ...]`` a list).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from scriptengine.errors import EvalError, LimitExceeded
from scriptengine.host import HostObject, MethodInfo, TypeInfo
from scriptengine.ops import Arithmetic, describe
from scriptengine.options import Options
from scriptengine.thread import Limits, Thread
from scriptengine.values import (
    BigInteger,
    Char,
    Float,
    JArray,
    JPattern,
    JRange,
    JSet,
    Long,
    java_class_name,
    to_string,
)

NAN = math.nan


@pytest.fixture
def ar() -> Arithmetic:
    return Arithmetic(Options(), Thread())


@pytest.fixture
def lenient() -> Arithmetic:
    return Arithmetic(Options(strict_arithmetic=False), Thread())


def typed(v: Any) -> tuple[str, str]:
    """A value with its Java kind, so ``2`` (Integer) and ``2l`` (Long) differ."""
    return java_class_name(v), to_string(v)


class Purpose(HostObject):
    """An enum-like host value (``entity.mailAccount.purpose``)."""

    jexl_type = TypeInfo("Purpose", enum_like=True)

    def __init__(self, name: str) -> None:
        self.name = name

    def jexl_string(self) -> str:
        return self.name


class Bag(HostObject):
    """A host object with duck-typed contains/startsWith/endsWith/isEmpty/size methods."""

    jexl_type = TypeInfo(
        "Bag",
        methods={
            "contains": MethodInfo("contains", 1, 1, "Boolean"),
            "startsWith": MethodInfo("startsWith", 1, 1, "Boolean"),
            "endsWith": MethodInfo("endsWith", 1, 1, "Boolean"),
            "isEmpty": MethodInfo("isEmpty", 0, 0, "Boolean"),
            "size": MethodInfo("size", 0, 0, "Integer"),
        },
    )

    def __init__(self, *items: Any) -> None:
        self.items = list(items)

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        if name == "contains":
            return args[0] in self.items
        if name == "startsWith":
            return bool(self.items) and self.items[0] == args[0]
        if name == "endsWith":
            return bool(self.items) and self.items[-1] == args[0]
        if name == "isEmpty":
            return not self.items
        if name == "size":
            return len(self.items)
        raise AssertionError(name)


# --- 3.2 + ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [
        ("1", 1, ("String", "11")),
        (1, "1", ("String", "11")),
        ("a", 1, ("String", "a1")),
        ("", 6.0 / 3, ("String", "2.0")),
        ("", 1.0e10, ("String", "1.0E10")),
        (True, 1, ("Integer", "2")),
        (Char("a"), "bc", ("String", "abc")),
        ("x", True, ("String", "xtrue")),
        ([1, 2], 1, ("String", "[1, 2]1")),  # 3.7.0 falls back to concatenation
        ({"a": 1}, "!", ("String", "{a=1}!")),
        (2147483647, 1, ("Long", "2147483648")),
        (Long(9223372036854775807), 1, ("BigInteger", "9223372036854775808")),
        (1, 2, ("Integer", "3")),
        (Long(1), 2, ("Long", "3")),
        (Float(1.5), 1, ("Double", "2.5")),
        (1.5, 1, ("Double", "2.5")),
        (Decimal("2"), 1, ("BigDecimal", "3")),  # 3.6+: stays BigDecimal
        (Decimal("1.10"), 2, ("BigDecimal", "3.10")),
        (BigInteger(1), 1, ("Integer", "2")),  # 3.7.0 narrows BigInteger with an int
        (BigInteger(1), BigInteger(1), ("BigInteger", "2")),
        (BigInteger(2**40), 1, ("Long", str(2**40 + 1))),
        (BigInteger(2**70), 1, ("BigInteger", str(2**70 + 1))),
        (Char("a"), 1, ("Integer", "98")),  # a Character is a number to + without Strings
        (-2147483648, -1, ("Long", "-2147483649")),
        (True, True, ("Integer", "2")),
        (True, 1.5, ("Double", "2.5")),
        (True, Decimal("1.5"), ("BigDecimal", "2.5")),
    ],
)
def test_add_strict(ar: Arithmetic, a: Any, b: Any, result: tuple[str, str]) -> None:
    assert typed(ar.add(a, b)) == result


def test_add_chains_left_to_right(ar: Arithmetic) -> None:
    # digest 3.2: 'a' + 1 + 2 -> "a12", 1 + 2 + 'a' -> "3a"
    assert ar.add(ar.add("a", 1), 2) == "a12"
    assert ar.add(ar.add(1, 2), "a") == "3a"


def test_add_shows_nan_as_empty(ar: Arithmetic) -> None:
    # JexlArithmetic.toString(Double NaN) is "" (used by + concatenation)
    assert ar.add("x", NAN) == "x"


@pytest.mark.parametrize(("a", "b"), [(None, 1), (1, None), ("a", None), (None, "a"), (None, None)])
def test_add_null_operand_is_an_error_when_strict(ar: Arithmetic, a: Any, b: Any) -> None:
    with pytest.raises(EvalError, match=r"operand.* of '\+' (is|are) null"):
        ar.add(a, b)


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [
        ("1", 1, ("Integer", "2")),
        ("1.5", 1, ("Double", "2.5")),
        ("a", 1, ("String", "a1")),
        (None, 1, ("Integer", "1")),
        ("a", None, ("String", "a")),
        (None, None, ("Integer", "0")),
        ("1", "1", ("String", "11")),  # both Strings: concatenation
        ([1], 2, ("String", "[1]2")),
    ],
)
def test_add_lenient(lenient: Arithmetic, a: Any, b: Any, result: tuple[str, str]) -> None:
    assert typed(lenient.add(a, b)) == result


def test_add_checks_the_string_limit() -> None:
    ar = Arithmetic(Options(), Thread(limits=Limits(string_length=10_000)))
    s = "x" * 3000
    s = ar.add(s, s)
    assert len(s) == 6000
    with pytest.raises(LimitExceeded) as info:
        ar.add(s, s)
    assert info.value.limit == "string_length"


def test_small_string_limits_apply_to_short_strings() -> None:
    ar = Arithmetic(Options(), Thread(limits=Limits(string_length=10)))
    assert ar.add("abcde", "fghij") == "abcdefghij"
    with pytest.raises(LimitExceeded):
        ar.add("abcde", "fghijk")
    with pytest.raises(LimitExceeded):
        ar.add("abcdefghij", 1)


def test_doubling_string_is_stopped_by_default_limits() -> None:
    ar = Arithmetic(Options(), Thread())
    s = "ab"
    with pytest.raises(LimitExceeded):
        for _ in range(40):
            s = ar.add(s, s)
    assert len(s) <= 10 * 1024 * 1024


def test_add_long_strings_charges_steps() -> None:
    thread = Thread(limits=Limits(steps=100))
    ar = Arithmetic(Options(), thread)
    before = thread.steps
    ar.add("x" * 100_000, "y")
    assert thread.steps > before


# --- 3.3 - * / % and numeric types --------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "a", "b", "result"),
    [
        ("sub", "5", 2, ("Integer", "3")),
        ("mul", "3", "4", ("BigInteger", "12")),  # 3.3+: a BigInteger
        ("mul", "2.5", 2, ("Double", "5.0")),
        ("sub", "1e3", 1, ("Double", "999.0")),
        ("sub", "", 1, ("Integer", "-1")),  # '' reads as 0
        ("mul", 100000, 100000, ("Long", "10000000000")),
        ("mul", Long(2**62), 2, ("BigInteger", str(2**63))),
        ("mul", Long(3), 2, ("Long", "6")),
        ("sub", -2147483648, 1, ("Long", "-2147483649")),
        ("sub", Long(-(2**63)), 1, ("BigInteger", str(-(2**63) - 1))),
        ("sub", Float(1.5), 1, ("Double", "0.5")),
        ("mul", Decimal("1.5"), Decimal("1.5"), ("BigDecimal", "2.25")),
        ("sub", Decimal("1.10"), 1, ("BigDecimal", "0.10")),
        ("div", 7, 2, ("Integer", "3")),
        ("div", -7, 2, ("Integer", "-3")),
        ("div", 7, -2, ("Integer", "-3")),
        ("div", -2147483648, -1, ("Long", "2147483648")),
        ("div", Long(7), 2, ("Long", "3")),
        ("div", 7.0, 2, ("Double", "3.5")),
        ("div", Decimal("1"), 3, ("BigDecimal", "0.3333333333333333333333333333333333")),
        ("div", Decimal("6.0"), Decimal("2"), ("BigDecimal", "3.0")),
        ("div", Decimal("100"), Decimal("0.1"), ("BigDecimal", "1.00E+3")),
        ("div", BigInteger(7), BigInteger(-2), ("BigInteger", "-3")),
        ("div", BigInteger(-7), 2, ("Integer", "-3")),
        ("div", Long(-(2**63)), -1, ("Long", str(-(2**63)))),  # Java's long division wraps
        ("mod", -7, 3, ("Integer", "-1")),  # 3.2+: sign of the dividend
        ("mod", 7, -3, ("Integer", "1")),
        ("mod", 7, 3, ("Integer", "1")),
        ("mod", -7.5, 2, ("Double", "-1.5")),
        ("mod", Long(-7), 3, ("Long", "-1")),
        ("mod", Decimal("10"), 3, ("BigDecimal", "1")),
        ("mod", Decimal("-7.5"), 2, ("BigDecimal", "-1.5")),
        # BigDecimal.remainder keeps Java's scale (checked on Java 17), not Python's
        ("mod", Decimal("1"), Decimal("1.10"), ("BigDecimal", "1")),
        ("mod", Decimal("2"), Decimal("1.10"), ("BigDecimal", "0.90")),
        ("mod", Decimal("0"), Decimal("1.10"), ("BigDecimal", "0")),
        ("mod", Decimal("1E+3"), Decimal("1"), ("BigDecimal", "0E+3")),
        ("mod", Decimal("5.000"), Decimal("5"), ("BigDecimal", "0.000")),
        ("div", Decimal("0"), Decimal("1.10"), ("BigDecimal", "0E+2")),
        ("mod", 1, Decimal("1.10"), ("BigDecimal", "1")),
        ("mod", BigInteger(-7), 3, ("Integer", "2")),  # BigInteger.mod is never negative
        ("mod", "-7", 3, ("Integer", "2")),  # a String takes the BigInteger path
        ("mod", math.inf, 2.0, ("Double", "NaN")),
        ("mul", True, 3, ("Integer", "3")),
        ("sub", Char("b"), Char("a"), ("Integer", "1")),
        ("mul", 1.5, "2", ("Double", "3.0")),
    ],
)
def test_arithmetic_types(ar: Arithmetic, op: str, a: Any, b: Any, result: tuple[str, str]) -> None:
    assert typed(getattr(ar, op)(a, b)) == result


@pytest.mark.parametrize("op", ["div", "mod"])
@pytest.mark.parametrize(
    ("a", "b"),
    [(1, 0), (1.5, 0.0), (Long(1), 0), (Decimal("1"), 0), (BigInteger(1), 0), (1, "0"), (1, False)],
)
def test_division_by_zero(ar: Arithmetic, lenient: Arithmetic, op: str, a: Any, b: Any) -> None:
    with pytest.raises(EvalError, match="by zero"):
        getattr(ar, op)(a, b)
    assert typed(getattr(lenient, op)(a, b)) == ("Double", "0.0")  # never Infinity


def test_bigdecimal_division_cannot_be_infinite(ar: Arithmetic) -> None:
    with pytest.raises(EvalError, match="division by zero"):
        ar.div(Decimal("0"), Decimal("0.00"))


def test_biginteger_mod_refuses_negative_modulus(ar: Arithmetic, lenient: Arithmetic) -> None:
    with pytest.raises(EvalError, match="negative"):
        ar.mod(BigInteger(7), -3)
    assert lenient.mod(BigInteger(7), -3) == 0.0


@pytest.mark.parametrize(
    ("op", "verb"),
    [("sub", "subtract"), ("mul", "multiply"), ("div", "divide"), ("mod", "remainder")],
)
def test_non_numeric_string_is_an_error(ar: Arithmetic, op: str, verb: str) -> None:
    with pytest.raises(EvalError) as info:
        getattr(ar, op)("a", 1)
    assert verb in info.value.message
    assert "'a' is not a number" in info.value.message
    assert "str" not in info.value.message.split("'a'")[0]


@pytest.mark.parametrize("value", [[1], {"a": 1}, JSet(), JArray.of([1]), Purpose("X")])
def test_collections_are_not_numbers(ar: Arithmetic, value: Any) -> None:
    with pytest.raises(EvalError, match="is not a number"):
        ar.sub(value, 1)
    with pytest.raises(EvalError, match="is not a number"):
        ar.mul(2, value)


def test_lenient_sub_still_refuses_non_numbers(lenient: Arithmetic) -> None:
    # only / and % turn failures into 0.0 (Interpreter catches ArithmeticException there)
    with pytest.raises(EvalError):
        lenient.sub("a", 1)
    assert lenient.div("a", 2) == 0.0
    assert lenient.sub(None, 1) == -1
    assert lenient.mul(None, None) == 0


@pytest.mark.parametrize("op", ["sub", "mul", "div", "mod"])
def test_null_operands_strict(ar: Arithmetic, op: str) -> None:
    with pytest.raises(EvalError, match="null"):
        getattr(ar, op)(None, 1)
    with pytest.raises(EvalError, match="null"):
        getattr(ar, op)(1, None)


def test_string_parsing_rules(ar: Arithmetic) -> None:
    with pytest.raises(EvalError):
        ar.sub(" 5", 1)  # new BigInteger(" 5") fails: no blanks
    assert ar.sub("-5", 1) == -6
    assert ar.sub("+5", 1) == 4
    assert typed(ar.sub("1.", 1)) == ("Double", "0.0")
    with pytest.raises(EvalError):
        ar.sub(".", 1)
    assert typed(ar.sub("2.5", Decimal("1"))) == ("BigDecimal", "1.5")
    with pytest.raises(EvalError):
        ar.sub("NaN", Decimal("1"))  # not a BigDecimal literal


# --- unary ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "result"),
    [
        (5, ("Integer", "-5")),
        (-2147483648, ("Integer", "-2147483648")),  # Java's int negation wraps
        (Long(5), ("Long", "-5")),
        (1.5, ("Double", "-1.5")),
        (0.0, ("Double", "-0.0")),
        (Float(1.5), ("Float", "-1.5")),
        (Decimal("1.10"), ("BigDecimal", "-1.10")),
        (Decimal("0"), ("BigDecimal", "0")),
        (BigInteger(2**70), ("BigInteger", str(-(2**70)))),
        (True, ("Boolean", "false")),
        (False, ("Boolean", "true")),
    ],
)
def test_neg(ar: Arithmetic, a: Any, result: tuple[str, str]) -> None:
    assert typed(ar.neg(a)) == result


def test_neg_errors(ar: Arithmetic, lenient: Arithmetic) -> None:
    with pytest.raises(EvalError, match="negate '5'"):
        ar.neg("5")
    with pytest.raises(EvalError, match="null"):
        ar.neg(None)
    assert lenient.neg(None) is None
    with pytest.raises(EvalError):
        ar.neg([1])


def test_pos(ar: Arithmetic, lenient: Arithmetic) -> None:
    assert typed(ar.pos(Long(3))) == ("Long", "3")
    assert typed(ar.pos(Char("a"))) == ("Integer", "97")
    assert ar.pos(True) is True
    assert ar.pos(-1.5) == -1.5
    with pytest.raises(EvalError):
        ar.pos("5")
    with pytest.raises(EvalError, match="null"):
        ar.pos(None)
    assert lenient.pos(None) is None


@pytest.mark.parametrize(
    ("a", "up", "down"),
    [
        (5, ("Integer", "6"), ("Integer", "4")),
        (2147483647, ("Integer", "-2147483648"), ("Integer", "2147483646")),  # as Java's int
        (Long(5), ("Long", "6"), ("Long", "4")),
        (1.5, ("Double", "2.5"), ("Double", "0.5")),
        (Float(1.5), ("Float", "2.5"), ("Float", "0.5")),
        (Decimal("1.10"), ("BigDecimal", "2.10"), ("BigDecimal", "0.10")),
        (BigInteger(1), ("BigInteger", "2"), ("BigInteger", "0")),
    ],
)
def test_incr_decr(ar: Arithmetic, a: Any, up: tuple[str, str], down: tuple[str, str]) -> None:
    assert typed(ar.incr(a)) == up
    assert typed(ar.decr(a)) == down


def test_incr_errors(ar: Arithmetic, lenient: Arithmetic) -> None:
    with pytest.raises(EvalError, match="null"):
        ar.incr(None)
    assert lenient.incr(None) == 1 and lenient.decr(None) == -1
    with pytest.raises(EvalError, match="increment 'a'"):
        ar.incr("a")
    with pytest.raises(EvalError, match="decrement"):
        ar.decr(True)


# --- bitwise and shifts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "a", "b", "result"),
    [
        ("bitand", 6, 3, 2),
        ("bitor", 6, 3, 7),
        ("bitxor", 6, 3, 5),
        ("bitand", "6", 3, 2),  # Strings are parsed
        ("bitor", True, 2, 3),
        ("bitand", 7.9, 3, 3),  # doubles truncate
        ("bitor", BigInteger(2**64 + 1), 0, 1),  # longValue keeps the low 64 bits
        ("shl", 1, 3, 8),
        ("shl", 1, 63, -(2**63)),
        ("shl", 1, 64, 1),  # the count is taken modulo 64
        ("shr", -16, 2, -4),
        ("ushr", -1, 60, 15),
        ("ushr", 16, 2, 4),
    ],
)
def test_bitwise(ar: Arithmetic, op: str, a: Any, b: Any, result: int) -> None:
    r = getattr(ar, op)(a, b)
    assert type(r) is Long and r == result


def test_bitnot(ar: Arithmetic, lenient: Arithmetic) -> None:
    assert typed(ar.bitnot(5)) == ("Long", "-6")
    assert ar.bitnot(Long(-1)) == 0
    with pytest.raises(EvalError, match="null"):
        ar.bitnot(None)
    assert lenient.bitnot(None) == -1


def test_bitwise_errors(ar: Arithmetic, lenient: Arithmetic) -> None:
    with pytest.raises(EvalError, match="null"):
        ar.bitand(None, 1)
    assert lenient.bitor(None, 4) == 4
    with pytest.raises(EvalError, match="'1.5' is not an integer"):
        ar.bitand("1.5", 1)
    with pytest.raises(EvalError, match="a List is not a number"):
        ar.shl([1], 1)


# --- 3.4 comparison -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "less"),
    [
        (1, 2, True),
        (2, 1, False),
        ("2", 10, True),  # numeric: the other side is an Integer
        (10, "9", False),
        ("B", "a", True),  # code-unit order
        ("2", "10", False),
        ("abc", "abd", True),
        ("\uffff", "😀", False),  # UTF-16: a surrogate sorts below U+FFFF
        (1, 1.5, True),
        (Long(3), 2, False),
        (Decimal("1.10"), 1.2, True),
        # BigInteger first: the double becomes a long (saturating) as in JexlArithmetic
        (BigInteger(2**70), 1.0e30, False),
        (BigInteger(5), 5.5, False),
        (NAN, 1, True),  # NaN sorts first
        (1, NAN, False),
        (-0.0, 0.0, True),
        (Char("a"), Char("b"), True),
        (Char("a"), 98, True),
        (False, True, True),
        (True, 2, True),  # Boolean -> 1 against a number
        ("1.5", 2.0, True),
    ],
)
def test_lt(ar: Arithmetic, a: Any, b: Any, less: bool) -> None:
    assert ar.lt(a, b) is less
    assert ar.ge(a, b) is not less


@pytest.mark.parametrize(
    ("a", "b"), [(1, 1), (1, 1.0), ("a", "a"), (Long(2), 2), (NAN, NAN), (Decimal("1.0"), 1)]
)
def test_equal_values_compare_equal(ar: Arithmetic, a: Any, b: Any) -> None:
    assert ar.le(a, b) and ar.ge(a, b)
    assert not ar.lt(a, b) and not ar.gt(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, "x"),  # 3.6+: an error
        ([1], [2]),
        ({"a": 1}, {"a": 2}),
        (Char("a"), "b"),
        (JSet(), 1),
        (Purpose("A"), Purpose("B")),
    ],
)
def test_incomparable_values_are_errors(ar: Arithmetic, a: Any, b: Any) -> None:
    for op in (ar.lt, ar.le, ar.gt, ar.ge):
        with pytest.raises(EvalError, match="cannot compare"):
            op(a, b)


def test_same_object_compares_without_error(ar: Arithmetic) -> None:
    lst = [1]
    assert ar.le(lst, lst) and ar.ge(lst, lst)
    assert not ar.lt(lst, lst)


def test_comparison_with_strings_against_objects(ar: Arithmetic) -> None:
    assert ar.lt([1, 2], "[1, 3]")  # toString comparison
    assert ar.lt(Purpose("A"), "B")


def test_null_comparison(ar: Arithmetic, lenient: Arithmetic) -> None:
    for op in (ar.lt, ar.le, ar.gt, ar.ge):
        with pytest.raises(EvalError, match="null"):
            op(None, 1)
        with pytest.raises(EvalError, match="null"):
            op(1, None)
    assert lenient.lt(None, 1) is False
    assert lenient.le(None, None) is True  # identity
    assert lenient.ge(None, 1) is False


def test_comparison_of_ordered_host_values(ar: Arithmetic) -> None:
    import datetime as dt

    assert ar.lt(dt.date(2024, 1, 1), dt.date(2024, 1, 2))
    with pytest.raises(EvalError):
        ar.lt(dt.date(2024, 1, 1), 5)


# --- 3.5 == -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (None, None, True),
        (None, 0, False),
        (0, None, False),
        (True, "true", True),
        (True, 1, True),
        (True, "x", True),
        (False, "", True),
        (False, "false", True),
        (False, 0.0, True),
        (True, [], True),
        (1, 1.0, True),
        ("1", 1, True),
        ("1.5", 1.5, True),
        (Long(1), 1, True),
        (Decimal("1.10"), 1.1, True),
        (BigInteger(5), 5, True),
        ("a", 1, False),  # 3.3+: false, not an error
        ("1.0", 1, True),
        ("1.5", 1, False),
        (Char("a"), "a", False),  # 3.7.0: char vs string is false
        (Char("a"), Char("a"), True),
        (Char("a"), 97, True),
        ([1, 2], "[1, 2]", True),  # a String against an object: toString
        ([1, 2], [1, 2], True),  # lists by equals
        ([1, 2], [1, Long(2)], False),  # ... with Java element equality
        ({"a": 1}, {"a": 1}, True),
        (JSet([1, 2]), JSet([2, 1]), True),
        (0, -0.0, False),  # Double.compare(0.0, -0.0) != 0
        (0.0, -0.0, False),
        (NAN, NAN, True),
        ("abc", "abc", True),
        ("abc", "abd", False),
        (Purpose("INVOICES"), "INVOICES", True),  # enums compare with strings by name
        ("INVOICES", Purpose("INVOICES"), True),
        (Purpose("INVOICES"), "OTHER", False),
        (Purpose("INVOICES"), Purpose("INVOICES"), True),  # the same enum constant
        (Purpose("INVOICES"), Purpose("OTHER"), False),
        (1, [1], False),
        (JRange(1, 2), JRange(1, 2), True),
    ],
)
def test_eq(ar: Arithmetic, a: Any, b: Any, equal: bool) -> None:
    assert ar.eq(a, b) is equal
    assert ar.ne(a, b) is not equal


def test_eq_arrays_by_identity(ar: Arithmetic) -> None:
    a = JArray.of([1, 2])
    assert ar.eq(a, a)
    assert not ar.eq(a, JArray.of([1, 2]))  # digest 2.4


def test_eq_null_is_fine_in_lenient_mode_too(lenient: Arithmetic) -> None:
    assert lenient.eq(None, None) and not lenient.eq(None, 0)


# --- 3.6 === ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (1, 1, True),
        (1, 1.0, False),
        ("1", 1, False),
        (1, Long(1), False),
        (None, None, True),
        (None, 1, False),
        ("a", "a", True),
        ([1], [1], True),
        (Decimal("1.0"), Decimal("1.00"), False),
        (NAN, NAN, True),
        (True, 1, False),
    ],
)
def test_identical(ar: Arithmetic, a: Any, b: Any, same: bool) -> None:
    assert ar.identical(a, b) is same
    assert ar.not_identical(a, b) is not same


# --- 3.7 =~ -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "matches"),
    [
        ("abc", "a.c", True),
        ("xabcx", "a.c", False),  # a full match
        (5, "5", True),
        (1.0, "1\\.0", True),
        ("abc", JPattern("a.c"), True),
        ("abcd", JPattern("a.c"), False),
        (2, [1, 2, 3], True),
        ("2", [1, 2, 3], False),  # Java equals
        (Long(2), [1, 2, 3], False),
        (2, JArray.of([1, 2, 3]), True),
        (2, JSet([1, 2]), True),
        (2, JRange(1, 3), True),
        (5, JRange(1, 3), False),
        ("a", {"a": 1}, True),
        ("b", {"a": 1}, False),
        (Long(1), {1: "x"}, False),  # containsKey with equals
        ({"a": 2}, {"a": 1, "b": 2}, True),  # a Map on the left: all its keys
        ({"c": 2}, {"a": 1}, False),
        ([1, 2], [1, 2, 3], True),  # containsAll
        ([1, 4], [1, 2, 3], False),
        (JArray.of([1, 2]), JSet([1, 2]), True),
        (Purpose("INVOICES"), ["INVOICES"], False),  # enum vs String: not equals
        (None, None, True),
        (None, "a", False),
        ("a", None, False),
        (5, 5, True),  # neither a container: ==
        (5, 6, False),
        ([[1]], [[1], [2]], True),
    ],
)
def test_match(ar: Arithmetic, a: Any, b: Any, matches: bool) -> None:
    assert ar.match(a, b) is matches
    assert ar.not_match(a, b) is not matches


def test_match_duck_typed_contains(ar: Arithmetic) -> None:
    assert ar.match("x", Bag("x", "y"))
    assert not ar.match("z", Bag("x"))


def test_match_invalid_regex_is_an_error(ar: Arithmetic) -> None:
    with pytest.raises(EvalError, match="invalid regular expression"):
        ar.match("a", "(")


def test_match_map_with_list_keys(ar: Arithmetic) -> None:
    # a list cannot be a Python dict key, but the lookup must not fail
    assert not ar.match([1], {"a": 1})


# --- 3.8 =^ =$ --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "starts", "ends"),
    [
        ("abc", "ab", True, False),
        ("abc", "bc", False, True),
        ("abc", "", True, True),
        ("abc", "abc", True, True),
        ("123", 12, True, False),  # the right side by toString
        (123, "12", False, False),  # not a String: == instead
        (123, 123, True, True),
        (Purpose("INVOICES"), "INV", False, False),
        ([1, 2], 1, False, False),  # 3.7.0: false
        (None, None, True, True),
        (None, "a", False, False),
        ("a", None, False, False),
        (Char("a"), "a", False, False),  # a Character is not a CharSequence
    ],
)
def test_startswith_endswith(ar: Arithmetic, a: Any, b: Any, starts: bool, ends: bool) -> None:
    assert ar.startswith(a, b) is starts
    assert ar.not_startswith(a, b) is not starts
    assert ar.endswith(a, b) is ends
    assert ar.not_endswith(a, b) is not ends


def test_startswith_duck_typed(ar: Arithmetic) -> None:
    assert ar.startswith(Bag("x", "y"), "x")
    assert ar.endswith(Bag("x", "y"), "y")
    assert not ar.endswith(Bag("x", "y"), "x")


# --- 3.9 and 4: truthiness ----------------------------------------------------------------------


def test_truthiness_table_of_the_digest(ar: Arithmetic) -> None:
    # digest 4 (run): for (v : [0, '', 'false', 'x', 0.0, 1, NaN, [...], {:}, {}, 'False',
    # ' ', 'true', -1]) v ? 1 : 0  ->  0 0 0 1 0 1 0 1 1 1 1 1 1 1
    values = [0, "", "false", "x", 0.0, 1, NAN, [], {}, JSet(), "False", " ", "true", -1]
    assert [int(ar.truth(v)) for v in values] == [0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1]


@pytest.mark.parametrize(
    ("value", "truth"),
    [
        (True, True),
        (False, False),
        (Long(0), False),
        (Long(2), True),
        (BigInteger(0), False),
        (Decimal("0.00"), False),
        (Decimal("0.1"), True),
        (Float(0.0), False),
        (Float(NAN), False),
        (-0.0, False),
        (Char("0"), True),
        (JArray.of([]), True),
        (JRange(0, 0), True),
        (Purpose("X"), True),
        ("0", True),
    ],
)
def test_truth_of_other_kinds(ar: Arithmetic, value: Any, truth: bool) -> None:
    assert ar.truth(value) is truth
    assert ar.not_(value) is not truth


def test_null_truth(ar: Arithmetic, lenient: Arithmetic) -> None:
    with pytest.raises(EvalError, match="null"):
        ar.truth(None)
    with pytest.raises(EvalError, match="null"):
        ar.not_(None)
    assert lenient.truth(None) is False
    assert lenient.not_(None) is True


def test_not(ar: Arithmetic) -> None:
    assert ar.not_(0) is True
    assert ar.not_("false") is True
    assert ar.not_("x") is False
    assert ar.not_(True) is False


# --- 3.11 empty and size --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "is_empty"),
    [
        (None, True),
        ("", True),
        (0, True),
        (0.0, True),
        (NAN, True),
        (Long(0), True),
        (Decimal("0.0"), True),
        (JArray.of([]), True),
        ([], True),
        ({}, True),
        (JSet(), True),
        (" ", False),
        (5, False),
        ("x", False),
        ([None], False),
        (False, False),  # a Boolean is not a number
        (JRange(1, 1), False),
        (Bag(), True),  # isEmpty() duck typing
        (Bag(1), False),
        (Purpose("X"), False),
    ],
)
def test_empty(ar: Arithmetic, value: Any, is_empty: bool) -> None:
    assert ar.empty(value) is is_empty


@pytest.mark.parametrize(
    ("value", "n"),
    [
        ("abc", 3),
        ("a😀", 3),  # UTF-16 code units
        ("", 0),
        (JArray.of([1, 2]), 2),
        ([1, 2, 3], 3),
        ({"a": 1}, 1),
        (JSet([1, 2]), 2),
        (JRange(5, 1), 5),
        (None, 0),
        (5, 0),  # 3.7.0
        (True, 0),
        (Char("a"), 0),
        (Bag(1, 2), 2),  # size() duck typing
        (Purpose("X"), 0),
    ],
)
def test_size(ar: Arithmetic, value: Any, n: int) -> None:
    assert ar.size(value) == n


# --- ranges, instanceof, to_string ------------------------------------------------------------------


def test_make_range(ar: Arithmetic, lenient: Arithmetic) -> None:
    assert list(ar.make_range(1, 3)) == [1, 2, 3]
    assert list(ar.make_range(3, 1)) == [3, 2, 1]
    r = ar.make_range(Long(2**31), Long(2**31 + 1))
    assert r.is_long and list(r) == [2**31, 2**31 + 1]
    assert list(ar.make_range("1", 2.9)) == [1, 2]  # parsed and truncated
    assert not ar.make_range(Long(1), Long(2)).is_long
    with pytest.raises(EvalError, match="null"):
        ar.make_range(None, 3)
    assert list(lenient.make_range(None, 1)) == [0, 1]
    with pytest.raises(EvalError):
        ar.make_range("a", 2)


@pytest.mark.parametrize(
    ("value", "name", "result"),
    [
        ("a", "java.lang.String", True),
        ("a", "String", True),
        ("a", "CharSequence", True),
        ("a", "java.lang.Object", True),
        (1, "java.lang.Integer", True),
        (1, "Number", True),
        (1, "Long", False),
        (Long(1), "java.lang.Long", True),
        (1.5, "Double", True),
        (Decimal(1), "java.math.BigDecimal", True),
        ([1], "java.util.List", True),
        ([1], "java.util.ArrayList", True),
        ([1], "java.util.Map", False),
        ({}, "java.util.Map", True),
        (JSet(), "java.util.Set", True),
        (JSet(), "Collection", True),
        (JArray.of([1]), "java.util.List", False),
        (JArray.of([1]), "Object", True),
        (True, "java.lang.Boolean", True),
        (Char("a"), "java.lang.Character", True),
        (Char("a"), "String", False),
        (None, "java.lang.Object", False),
        (Purpose("A"), "Purpose", True),
        (Purpose("A"), "com.example.Purpose", True),
        (Purpose("A"), "String", False),
        ("a", "com.example.String", False),
        (JRange(1, 2), "java.util.Collection", True),
    ],
)
def test_instanceof(ar: Arithmetic, value: Any, name: str, result: bool) -> None:
    assert ar.instanceof(value, name) is result


def test_to_string_helper(ar: Arithmetic) -> None:
    assert ar.to_string(None) == "null"
    assert ar.to_string(2.0) == "2.0"
    assert ar.to_string("x") == "x"
    assert ar.to_string([Long(1), 1.5]) == "[1, 1.5]"


def test_messages_never_name_python_types(ar: Arithmetic) -> None:
    cases = [
        (ar.sub, ([1], 1)),
        (ar.lt, ({"a": 1}, 1)),
        (ar.neg, (JSet(),)),
        (ar.incr, ([],)),
        (ar.bitand, ("x", 1)),
        (ar.sub, (JArray.of([1]), 1)),
    ]
    for fn, args in cases:
        with pytest.raises(EvalError) as info:
            fn(*args)
        msg = info.value.message
        for word in ("list", "dict", "str", "int", "float", "JSet", "JArray", "NoneType"):
            assert word not in msg.replace("List", "").split(), msg
        assert msg == msg.rstrip(".") and msg[0].islower(), msg


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("abc", "'abc'"),
        ("x" * 50, "'" + "x" * 37 + "...'"),
        (None, "null"),
        (1.5, "1.5"),
        ([1], "a List"),
        ({}, "a Map"),
        (JSet(), "a Set"),
        (JArray.of([1]), "an array"),
        (Char("c"), "the character 'c'"),
        (Purpose("A"), "a Purpose"),
    ],
)
def test_describe(value: Any, text: str) -> None:
    assert describe(value) == text


# --- huge numbers ---------------------------------------------------------------------------------


def test_huge_bigintegers_print_and_parse(ar: Arithmetic) -> None:
    big = BigInteger(10**5000)
    assert to_string(big) == "1" + "0" * 5000  # beyond Python's 4300-digit str() limit
    assert ar.add("x", big) == "x1" + "0" * 5000
    r = ar.sub("1" * 5000, 1)
    assert type(r) is BigInteger and to_string(r) == "1" * 4999 + "0"


def test_repeated_squaring_is_stopped() -> None:
    ar = Arithmetic(Options(), Thread())
    x: Any = BigInteger(10)
    with pytest.raises(LimitExceeded, match="number too large"):
        for _ in range(40):
            x = ar.mul(x, x)
    assert len(to_string(x)) <= 100_001


def test_number_size_follows_the_string_limit() -> None:
    ar = Arithmetic(Options(), Thread(limits=Limits(string_length=20_000)))
    with pytest.raises(LimitExceeded):
        ar.mul(BigInteger(10**15_000), BigInteger(10**15_000))
    unlimited = Arithmetic(Options(), Thread(limits=Limits.unlimited()))
    assert unlimited.mul(BigInteger(10**15_000), BigInteger(10**15_000)) == 10**30_000


def test_huge_exponents_do_not_build_huge_integers(ar: Arithmetic) -> None:
    # BigDecimal.longValue keeps the low 64 bits of the integer part: 10^18 * 10^k mod 2^64
    huge = Decimal("1E+999999999")
    expected = pow(10, 999999999, 1 << 64)
    expected = expected - (1 << 64) if expected >> 63 else expected
    assert ar.bitand(huge, -1) == expected
    assert ar.bitor(Decimal("-2.5"), 0) == -2
    with pytest.raises(EvalError, match="digits"):
        ar.sub("9" * 200_000, 1)


def test_conversion_functions_raise_eval_errors() -> None:
    from scriptengine.ops import CoercionError, parse_double, to_big_decimal, to_long

    with pytest.raises(CoercionError) as info:
        to_long("abc")
    assert isinstance(info.value, EvalError)
    assert info.value.message == "'abc' is not a number"
    with pytest.raises(EvalError, match="'1.5' is not an integer"):
        to_long("1.5")
    with pytest.raises(EvalError, match="Infinity is not a finite number"):
        to_big_decimal(math.inf)
    assert parse_double(" 2.5d ") == 2.5  # Double.parseDouble trims and takes a suffix
    assert math.isnan(parse_double(""))
    assert to_long("1e3") == 1000 and to_long("") == 0 and to_long(2.9e30) == 2**63 - 1
    assert to_big_decimal(0.1) == Decimal("0.1")  # through Double.toString, not binary
    assert to_big_decimal(True) == Decimal("1.0")


@pytest.mark.parametrize(
    ("fn", "args", "text"),
    [
        ("mul", (Decimal("0"), Decimal("-0.01")), "0.00"),
        ("neg", (Decimal("0.00"),), "0.00"),
        ("sub", (Decimal("-0.0"), 0), "0.0"),
        ("mul", (Decimal("-1"), 0.0), "0.0"),
        ("sub", ("-0.0", Decimal("0")), "0.0"),
    ],
)
def test_bigdecimal_has_no_negative_zero(ar: Arithmetic, fn: str, args: Any, text: str) -> None:
    r = getattr(ar, fn)(*args)
    assert type(r) is Decimal and not r.is_signed() and to_string(r) == text
