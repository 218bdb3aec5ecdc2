"""The differential machinery itself: value transport, rendering, comparison, case files.

If these fail, the differential and language tests cannot be trusted either way.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.jexl.conftest import split_chunks
from tests.oracle.jvalues import NULL, JValue, assert_equal, from_ours, same
from tests.oracle.oracle import Oracle, jexl_oracle  # noqa: F401 - the fixture
from tests.oracle.ours import run_ours


def _long(v: int) -> Any:
    from scriptengine import values

    return values.Long(v)


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1).map(_long),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(TEXT, inner, max_size=4),
    ),
    max_leaves=10,
)


@pytest.mark.oracle
@given(VALUES)
def test_a_host_value_comes_back_from_jexl_as_it_went(
    jexl_oracle: Oracle,  # noqa: F811
    value: Any,
) -> None:
    # typed() -> JexlOracle.java -> render -> from_oracle must equal our own rendering, so
    # any disagreement in the differential tests is the engines', not the transport's
    result = jexl_oracle.eval("x", {"x": value})
    assert result.ok, result.show()
    assert result.value is not None
    assert same(result.value, from_ours(value)), (result.show(), from_ours(value).show())


@pytest.mark.oracle
def test_the_oracle_reports_errors_with_position(jexl_oracle: Oracle) -> None:  # noqa: F811
    result = jexl_oracle.eval("var a = 1;\nvar b = a / 0;")
    assert not result.ok and not result.parse
    assert (result.line, result.message) == (2, "script@2:13 / error")
    parse = jexl_oracle.eval("var = ;")
    assert not parse.ok and parse.parse


def test_doubles_compare_numerically_but_keep_nan_and_signed_zero() -> None:
    def dbl(x: float) -> JValue:
        return JValue("Double", "number", x)

    assert same(dbl(0.1 + 0.2), dbl(float("0.30000000000000004")))
    assert same(dbl(math.nan), dbl(math.nan))
    assert not same(dbl(0.0), dbl(-0.0))
    assert not same(dbl(1.0), JValue("Float", "number", 1.0))


def test_big_decimals_compare_with_their_scale() -> None:
    assert same(JValue("BigDecimal", "number", Decimal("1.10")), from_ours(Decimal("1.10")))
    assert not same(from_ours(Decimal("1.10")), from_ours(Decimal("1.1")))
    assert not same(from_ours(Decimal("0.00")), from_ours(Decimal("-0.00")))


def test_integer_kinds_differ() -> None:
    assert not same(from_ours(1), from_ours(_long(1)))
    assert not same(from_ours(1), from_ours(1.0))
    assert not same(from_ours(True), from_ours(1))
    assert same(from_ours(None), NULL)


def test_maps_and_sets_compare_order_free_lists_do_not() -> None:
    from scriptengine import values

    assert same(from_ours({"a": 1, "b": 2}), from_ours({"b": 2, "a": 1}))
    assert same(from_ours(values.JSet([1, 2])), from_ours(values.JSet([2, 1])))
    assert not same(from_ours([1, 2]), from_ours([2, 1]))
    assert not same(from_ours({"a": 1}), from_ours({"a": _long(1)}))


def test_arrays_keep_their_class_in_comparisons_but_not_in_assert_equals() -> None:
    from scriptengine import values

    ints = values.JArray([1, 2], "int")
    objects = values.JArray([1, 2], "Object")
    assert not same(from_ours(ints), from_ours(objects))
    assert assert_equal(from_ours(ints), from_ours([1, 2]))
    assert not assert_equal(from_ours([1, 2]), from_ours(values.JSet([1, 2])))


#: scripts whose assert must fail, on our engine and on JEXL 3.1 alike
FAILING_ASSERTS = [
    "assert.equals(1, 1l)",
    "assert.equals([1, 2], [2, 1, ...])",
    "assert.equals('1', 1)",
    "assert.isTrue(1)",
    "assert.isFalse(0)",
    "assert.isNull(0)",
    "assert.kind(1, 'Long')",
    "assert.fails(function() { 1 }, 'x')",
    "assert.fails(function() { 1 / 0 }, 'no such text')",
    "assert.fails(function() { assert.isTrue(false) }, '.*')",
]
PASSING_ASSERTS = [
    "assert.equals(1, 1)",
    "assert.equals([1, 2], [1, 2, ...])",
    "assert.equals({'a': [1, ...]}, {'a': [1]})",
    "assert.equals({1, 2}, {2, 1})",
    "assert.isTrue(1 == 1)",
    "assert.isNull(null)",
    "assert.kind(1l, 'Long')",
    "assert.fails(function() { 1 / 0 }, 'error|zero|divi')",
]


@pytest.mark.parametrize("source", FAILING_ASSERTS)
def test_our_assert_object_fails(source: str) -> None:
    outcome = run_ours(source, with_assert=True)
    assert not outcome.ok and outcome.error is not None
    assert "assertion failed" in outcome.error.message


@pytest.mark.parametrize("source", PASSING_ASSERTS)
def test_our_assert_object_passes(source: str) -> None:
    outcome = run_ours(source, with_assert=True)
    assert outcome.ok, outcome.show()


@pytest.mark.oracle
@pytest.mark.parametrize("source", FAILING_ASSERTS)
def test_the_java_assert_object_fails(source: str, jexl_oracle: Oracle) -> None:  # noqa: F811
    result = jexl_oracle.eval(source, with_assert=True)
    assert not result.ok and "assertion failed" in result.message, result.show()


@pytest.mark.oracle
@pytest.mark.parametrize("source", PASSING_ASSERTS)
def test_the_java_assert_object_passes(source: str, jexl_oracle: Oracle) -> None:  # noqa: F811
    result = jexl_oracle.eval(source, with_assert=True)
    assert result.ok, result.show()


def test_case_files_split_into_chunks_that_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.jexl"
    path.write_text(
        "## oracle: 3.1\nvar a = 1;\n---\n## only a comment\n---\n"
        "var b = 2;\nb / 0; ### \"/ error\"\n---\n## oracle: no -- 3.2+\n'a\\nb'\n",
        encoding="utf-8",
    )
    chunks = split_chunks(path)
    assert [c.line for c in chunks] == [1, 6, 9]
    assert [c.oracle for c in chunks] == [True, True, False]
    assert chunks[1].expect == (7, "/ error")
    assert chunks[1].source.splitlines()[6] == 'b / 0; ### "/ error"'


def test_two_expectations_in_one_chunk_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "y.jexl"
    path.write_text('a; ### "x"\nb; ### "y"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="more than one"):
        split_chunks(path)
