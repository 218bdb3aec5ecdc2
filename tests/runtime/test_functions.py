"""The store-free library functions: what is registered (names, argument counts known to
``check``), and parseJson's mapping of JSON onto the language's values."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime.functions import library_functions, library_types, parse_json
from scriptengine import Engine, Limits, ScriptError, ScriptLimitError
from scriptengine.errors import EvalError
from scriptengine.values import BigInteger, Long, java_class_name, to_string


@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = Engine()
    for function in library_functions():
        engine.host.add_function(function)
    for info in library_types():
        engine.register_type(info)
    return engine


def test_the_library_functions_and_their_argument_counts() -> None:
    counts = {f.name: (f.min_args, f.max_args) for f in library_functions()}
    assert counts == {
        "now": (0, 0),
        "today": (0, 0),
        "formatDate": (2, 3),
        "parseDate": (1, 3),
        "parseJson": (1, 1),
        "parseXml": (1, 1),
    }
    assert all(f.doc for f in library_functions())
    assert {t.name for t in library_types()} == {
        "LocalDate",
        "ZonedDateTime",
        "DayOfWeek",
        "Month",
        "XmlElement",
    }


def test_check_reports_wrong_argument_counts(engine: Engine) -> None:
    found = engine.check("formatDate(today()); parseJson('1', 2); now(1)")
    assert [(d.code, d.column, d.message) for d in found] == [
        ("argument-count", 1, "'formatDate' takes 2 to 3 arguments, got 1"),
        ("argument-count", 22, "'parseJson' takes 1 argument, got 2"),
        ("argument-count", 41, "'now' takes 0 arguments, got 1"),
    ]


def test_wrong_argument_counts_fail_at_run_time(engine: Engine) -> None:
    with pytest.raises(ScriptError) as info:
        engine.compile("var x = 1;\nparseJson('1', x)").run({})
    assert (info.value.line, info.value.column) == (2, 1)
    assert "parseJson" in info.value.message


# --- parseJson ------------------------------------------------------------------------------


def test_objects_become_maps_and_arrays_lists(engine: Engine) -> None:
    value = engine.eval(
        "parseJson(t)", {"t": '{"name": "Jana", "tags": ["a", "b"], "ok": true, "x": null}'}
    )
    assert value == {"name": "Jana", "tags": ["a", "b"], "ok": True, "x": None}
    assert type(value) is dict and type(value["tags"]) is list
    assert engine.eval("parseJson(t).tags.size()", {"t": '{"tags": [1, 2, 3]}'}) == 3
    assert engine.eval("parseJson(t).a.b[1]", {"t": '{"a": {"b": [10, 20]}}'}) == 20
    assert engine.eval("parseJson(t).keySet().toString()", {"t": '{"z": 1, "a": 2}'}) == "[z, a]"


@pytest.mark.parametrize(
    ("text", "kind", "shown"),
    [
        ("42", "Integer", "42"),
        ("-2147483648", "Integer", "-2147483648"),
        ("2147483648", "Long", "2147483648"),
        ("-9223372036854775808", "Long", "-9223372036854775808"),
        ("9223372036854775808", "BigInteger", "9223372036854775808"),
        ("0.10", "BigDecimal", "0.10"),
        ("1e3", "BigDecimal", "1E+3"),
        ("-0.0", "BigDecimal", "0.0"),
        ('"č"', "String", "č"),
        ("true", "Boolean", "true"),
    ],
)
def test_numbers_keep_their_size_and_scale(
    engine: Engine, text: str, kind: str, shown: str
) -> None:
    value = engine.eval("parseJson(t)", {"t": text})
    assert java_class_name(value) == kind
    assert to_string(value) == shown


def test_decimals_compute_exactly(engine: Engine) -> None:
    assert engine.eval("parseJson(t).a + parseJson(t).b", {"t": '{"a": 0.1, "b": 0.2}'}) == (
        Decimal("0.3")
    )
    assert engine.eval("parseJson('0.5') == 0.5") is True
    assert engine.eval("parseJson('2147483648') == 2147483648l") is True


def test_duplicate_keys_keep_the_last_value() -> None:
    assert parse_json('{"a": 1, "a": 2}') == {"a": 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1,\n "b": }', "invalid JSON at line 2, column 7: expecting value"),
        ("[1, 2", "invalid JSON at line 1, column 6: expecting ',' delimiter"),
        ("", "invalid JSON at line 1, column 1: expecting value"),
        (
            "{'a': 1}",
            "invalid JSON at line 1, column 2: expecting property name enclosed in double quotes",
        ),
        ('{"a": NaN}', "invalid JSON: NaN is not JSON"),
        ("[Infinity]", "invalid JSON: Infinity is not JSON"),
        ("[" + "7" * 5000 + "]", "invalid JSON: a whole number of 5000 digits is too long"),
        ("1 2", "invalid JSON at line 1, column 3: extra data"),
        ('"žž" x', "invalid JSON at line 1, column 6: extra data"),
    ],
)
def test_errors_give_line_and_column(text: str, message: str) -> None:
    with pytest.raises(EvalError) as info:
        parse_json(text)
    assert str(info.value) == message


def test_not_a_string_is_an_error(engine: Engine) -> None:
    with pytest.raises(ScriptError, match="parseJson expects a String, got null"):
        engine.eval("parseJson(null)")
    with pytest.raises(ScriptError, match="parseJson expects a String, got ArrayList"):
        engine.eval("parseJson([...])")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(EvalError, match="nested too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000)


def test_a_byte_order_mark_is_ignored() -> None:
    assert parse_json('\ufeff{"a": 1}') == {"a": 1}


def test_parsing_is_charged_to_the_run(engine: Engine) -> None:
    text = json.dumps(list(range(5000)))
    with pytest.raises(ScriptLimitError, match="step limit"):
        engine.compile("parseJson(t)").run({"t": text}, limits=Limits(steps=1000))
    with pytest.raises(ScriptLimitError, match="collection size limit"):
        engine.compile("parseJson(t)").run({"t": text}, limits=Limits(items=100))


def _java_kind(v: Any) -> Any:
    """Python's JSON value -> the value parseJson must give (same numbers, Java kinds)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        if -(2**31) <= v < 2**31:
            return v
        return Long(v) if -(2**63) <= v < 2**63 else BigInteger(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, list):
        return [_java_kind(x) for x in v]
    return {k: _java_kind(x) for k, x in v.items()}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_every_json_document_parses_to_the_same_values_with_java_kinds(value: Any) -> None:
    got = parse_json(json.dumps(value, ensure_ascii=False))
    want = _java_kind(value)
    assert got == want

    def kinds(v: Any) -> Any:
        if isinstance(v, list):
            return [kinds(x) for x in v]
        if isinstance(v, dict):
            return {k: kinds(x) for k, x in v.items()}
        return type(v)

    assert kinds(got) == kinds(want)
