"""Records of the store as host types: fields, conversions, errors, references, lists,
states, dates; checked through scripts, as users meet them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailstore.api import Store
from mailstore.config import Config
from mailstore.schema import parse_schema
from runtime.context import context_for
from runtime.records import entity_type_info
from runtime.runner import RunReport, run_file
from tests.mailstore.conftest import db_url  # noqa: F401

SCHEMA = """
[types.Invoice]
states = { NEW = "New", PAID = "Paid" }

[types.Invoice.fields]
number = { type = "string", length = 10 }
note = "text"
count = "integer"
amount = { type = "decimal", digits = 10, places = 2 }
paid = "boolean"
due = "date"
issued = "datetime"
supplier = { type = "reference", to = "Supplier" }
scan = "file"
lines = { type = "list", of = "InvoiceLine", backref = "invoice" }

[types.InvoiceLine.fields]
text = "text"

[types.Supplier]
states = ["ACTIVE", "BLOCKED"]

[types.Supplier.fields]
name = "string"
"""

INVOICE_EML = Path(__file__).resolve().parents[2] / "examples" / "invoices" / "invoice.eml"


@pytest.fixture
def ctx(db_url: str, tmp_path: Path):  # noqa: F811
    config = Config(path=None, database_url=db_url, blob_dir=tmp_path / "blobs", time_zone="UTC")
    store = Store.open(config, schema=parse_schema(SCHEMA, "test.toml"), migrate=True)
    context = context_for(config, store)
    try:
        yield context
    finally:
        context.close()


def ok(ctx, source: str, **kw) -> RunReport:
    report = run_file("t.jexl", source, context=ctx, **kw)
    assert report.error is None, report.error.render()
    return report


def fails(ctx, source: str, **kw) -> str:
    report = run_file("t.jexl", source, context=ctx, **kw)
    assert report.error is not None, f"no error, result {report.result!r}"
    err = report.error.to_json()
    return str(err["message"])


# --- fields ----------------------------------------------------------------------------------


def test_new_record_starts_in_initial_state_without_id(ctx) -> None:
    r = ok(ctx, "var i = createNew('Invoice'); [i.id, i.state.code, i.state.name, i.note]")
    assert list(r.result) == [None, "NEW", "New", None]


def test_fields_round_trip_through_the_store(ctx) -> None:
    script = """
    var i = createNew('Invoice');
    i.number = 'F-1'; i.note = 'přijato'; i.count = 3; i.amount = 12.5b; i.paid = true;
    persist(i);
    var j = findOne('Invoice', {'number': 'F-1'});
    [j === i, j.note, j.count, j.amount, j.paid, j.id == i.id]
    """
    r = ok(ctx, script)
    assert list(r.result) == [True, "přijato", 3, Decimal("12.50"), True, True]
    assert r.created[0]["fields"]["amount"] == "12.50"  # JSON: with its scale
    assert r.created[0]["fields"]["count"] == 3


def test_integer_and_double_become_decimal_losslessly(ctx) -> None:
    r = ok(
        ctx,
        "var i = createNew('Invoice'); i.amount = 7; var a = i.amount; i.amount = 0.1; [a, i.amount]",
    )
    assert list(r.result) == [Decimal("7.00"), Decimal("0.10")]


def test_decimal_that_would_be_rounded_is_an_error(ctx) -> None:
    msg = fails(ctx, "var i = createNew('Invoice'); i.amount = 1.005b")
    assert "amount" in msg and "Invoice" in msg and "2 decimal places" in msg


def test_decimal_with_too_many_digits_is_an_error(ctx) -> None:
    msg = fails(ctx, "var i = createNew('Invoice'); i.amount = 123456789012b")
    assert "more than 10 digits" in msg


@pytest.mark.parametrize(
    ("field", "value", "field_type", "value_type"),
    [
        ("note", "42", "String", "Integer"),
        ("count", "'3'", "Long", "String"),
        ("count", "1.5", "Long", "Double"),
        ("amount", "'12.50'", "BigDecimal", "String"),
        ("paid", "'true'", "Boolean", "String"),
        ("due", "'2026-03-01'", "LocalDate", "String"),
        ("supplier", "createNew('InvoiceLine')", "Supplier", "InvoiceLine"),
        ("scan", "'file.pdf'", "AttachedFile", "String"),
        ("state", "'NEW'", "State", "String"),
    ],
)
def test_wrong_type_names_field_its_type_and_the_value_type(
    ctx, field: str, value: str, field_type: str, value_type: str
) -> None:
    msg = fails(ctx, f"var i = createNew('Invoice'); i.{field} = {value}")
    assert f"field '{field}' of Invoice" in msg
    assert field_type in msg and value_type in msg


def test_string_longer_than_its_field_is_an_error(ctx) -> None:
    msg = fails(ctx, "var i = createNew('Invoice'); i.number = 'F-0123456789'")
    assert "number" in msg and "10 characters" in msg


def test_unknown_field_is_an_error_naming_the_closest(ctx) -> None:
    report = run_file("t.jexl", "var i = createNew('Invoice'); i.nuber = 'x'", context=ctx)
    assert report.error is not None
    assert "unknown field 'nuber' of Invoice" in report.error.message
    assert report.error.hint == "did you mean 'number'?"
    read = run_file("t.jexl", "var i = createNew('Invoice'); i.ammount", context=ctx)
    assert read.error is not None and "'amount'" in (read.error.hint or "")


def test_id_and_lists_are_read_only(ctx) -> None:
    assert "read-only" in fails(ctx, "var i = createNew('Invoice'); i.id = 5")
    assert "read-only" in fails(ctx, "var i = createNew('Invoice'); i.lines = [...]")


def test_null_clears_a_field(ctx) -> None:
    r = ok(
        ctx,
        "var i = createNew('Invoice'); i.note = 'x'; i.note = null; i.supplier = null; [i.note, i.supplier]",
    )
    assert list(r.result) == [None, None]


# --- references, files, lists, states -------------------------------------------------------


def test_reference_to_a_new_record_needs_it_persisted_first(ctx) -> None:
    script = (
        "var s = createNew('Supplier'); var i = createNew('Invoice'); i.supplier = s; persist(i)"
    )
    assert "persist it first" in fails(ctx, script)
    ok_script = (
        "var s = createNew('Supplier'); s.name = 'Alfa'; persist(s);"
        "var i = createNew('Invoice'); i.supplier = s; persist(i);"
        "find('Invoice', i.id).supplier.name"
    )
    assert ok(ctx, ok_script).result == "Alfa"


def test_assigned_file_is_shared_not_copied(ctx) -> None:
    script = """
    var i = createNew('Invoice');
    i.scan = entity.attachments.get(0).attachedFile;
    persist(i);
    [i.scan.name, i.scan === entity.attachments[0].attachedFile, count('AttachedFile')]
    """
    r = ok(ctx, script, eml=INVOICE_EML.read_bytes())
    assert list(r.result) == ["faktura č. 1.pdf", True, 2]
    scan = r.created[0]["fields"]["scan"]
    assert scan["name"] == "faktura č. 1.pdf" and scan["contentType"] == "application/pdf"
    assert set(scan) == {"name", "contentType", "size", "sha256"}


def test_list_add_then_persist_cascades(ctx) -> None:
    script = """
    var i = createNew('Invoice');
    for (var t : ['a', 'b', 'c']) { var l = createNew('InvoiceLine'); l.text = t; i.lines.add(l); }
    persist(i);
    var again = findAll('InvoiceLine', {'invoice': i});
    [i.lines.size(), again.size(), again[2].text, again[0].invoice === i, count('InvoiceLine')]
    """
    r = ok(ctx, script)
    assert list(r.result) == [3, 3, "c", True, 3]
    assert [c["type"] for c in r.created] == [
        "Invoice",
        "InvoiceLine",
        "InvoiceLine",
        "InvoiceLine",
    ]
    ids = [c["id"] for c in r.created[1:]]
    assert r.created[0]["fields"]["lines"] == [{"type": "InvoiceLine", "id": n} for n in ids]


def test_stored_list_is_loaded_and_grows(ctx) -> None:
    setup = "var i = createNew('Invoice'); i.number = 'L'; var l = createNew('InvoiceLine'); i.lines.add(l); persist(i); i.id"
    first = ok(ctx, setup, commit=True)
    script = f"""
    var i = find('Invoice', {int(first.result)});
    var before = i.lines.size();
    i.lines.add(createNew('InvoiceLine'));
    persist(i);
    [before, count('InvoiceLine', {{'invoice': i}})]
    """
    assert list(ok(ctx, script).result) == [1, 2]


def test_wrong_record_in_a_list_is_an_error_at_persist(ctx) -> None:
    msg = fails(ctx, "var i = createNew('Invoice'); i.lines.add('x'); persist(i)")
    assert "lines of Invoice holds InvoiceLine records" in msg


def test_state_of_another_type_is_refused(ctx) -> None:
    msg = fails(ctx, "var i = createNew('Invoice'); i.state = findState('Supplier', 'ACTIVE')")
    assert "state of Invoice" in msg and "ACTIVE" in msg


def test_find_state_unknown_code_lists_the_states(ctx) -> None:
    msg = fails(ctx, "findState('Invoice', 'DONE')")
    assert "NEW" in msg and "PAID" in msg


def test_state_shows_as_its_code(ctx) -> None:
    r = ok(
        ctx, "var i = createNew('Invoice'); ['' + i.state, i.state.code == 'NEW', i.state.typeName]"
    )
    assert list(r.result) == ["NEW", True, "Invoice"]


def test_record_shows_type_and_id(ctx) -> None:
    r = ok(
        ctx, "var i = createNew('Invoice'); var before = '' + i; persist(i); [before, i.toString()]"
    )
    assert list(r.result) == ["Invoice#new", "Invoice#1"]


# --- dates ------------------------------------------------------------------------------------


def test_dates_round_trip_with_their_java_face(ctx) -> None:
    script = """
    var i = createNew('Invoice');
    i.due = parseDate('31.03.2026', 'dd.MM.yyyy');
    i.issued = parseDate('2026-03-01 14:30', 'yyyy-MM-dd HH:mm');
    persist(i);
    var j = find('Invoice', i.id);
    [j.due.getDayOfMonth(), j.due.getMonthValue(), j.issued.getHour(), '' + j.due]
    """
    r = ok(ctx, script)
    assert list(r.result) == [31, 3, 14, "2026-03-31"]
    assert r.created[0]["fields"]["due"] == "2026-03-31"
    assert r.created[0]["fields"]["issued"].startswith("2026-03-01T14:30:00")


def test_datetime_field_refuses_a_date(ctx) -> None:
    msg = fails(ctx, "var i = createNew('Invoice'); i.issued = parseDate('1.3.2026', 'd.M.yyyy')")
    assert "issued" in msg and "ZonedDateTime" in msg and "LocalDate" in msg


# --- type information for check ---------------------------------------------------------------


def test_type_info_describes_every_field() -> None:
    spec = parse_schema(SCHEMA, "test.toml").types["Invoice"]
    info = entity_type_info(spec)
    assert info.strict
    assert info.properties["amount"].type == "BigDecimal"
    assert info.properties["supplier"].type == "Supplier"
    assert info.properties["lines"].type == "List" and not info.properties["lines"].writable
    assert info.properties["state"].type == "State" and info.properties["state"].writable
    assert not info.properties["id"].writable


def test_check_knows_record_fields(ctx) -> None:
    diags = ctx.engine.check("var i = createNew('Invoice'); i.amout = 1; createNew('Invoce')")
    messages = [(d.message, d.hint) for d in diags]
    assert ("unknown property 'amout' of Invoice", "did you mean 'amount'?") in messages
    assert ("unknown type 'Invoce'", "did you mean 'Invoice'?") in messages


# --- properties -------------------------------------------------------------------------------

_settings = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(n=st.integers(min_value=-(10**7), max_value=10**7))
def test_any_integer_is_stored_in_a_decimal_exactly(ctx, n: int) -> None:
    r = ok(
        ctx,
        f"var i = createNew('Invoice'); i.amount = {n}; persist(i); find('Invoice', i.id).amount",
    )
    assert r.result == Decimal(n)


@_settings
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    )
)
def test_any_text_round_trips(ctx, text: str) -> None:
    report = run_file(
        "t.jexl",
        "var i = createNew('Invoice'); i.note = t; persist(i); find('Invoice', i.id).note",
        context=ctx,
        variables={"t": text},
    )
    assert report.error is None and report.result == text


def test_nul_in_text_is_an_error_naming_the_field(ctx) -> None:
    report = run_file(
        "t.jexl", "var i = createNew('Invoice'); i.note = t", context=ctx, variables={"t": "a\x00b"}
    )
    assert (
        report.error is not None
        and "note" in report.error.message
        and "NUL" in report.error.message
    )


def test_zone_of_the_config_shapes_datetimes(ctx) -> None:
    r = ok(ctx, "entity.sentDate.getHour()", eml=INVOICE_EML.read_bytes())
    # Date: Tue, 03 Mar 2026 09:15:00 +0100 -> 08:15 in UTC (the config's zone)
    assert r.result == 8


def test_null_where_a_record_belongs_is_named_plainly(ctx) -> None:
    # Java says "null", not "a null" (STYLE.md: errors in the language's terms)
    msg = fails(ctx, "var i = createNew('Invoice'); i.lines.add(null); persist(i)")
    assert msg.startswith("lines of Invoice holds InvoiceLine records, not null")
    assert fails(ctx, "find('Invoice', null)").startswith(
        "find expects an id (a whole number), not null"
    )
    assert "not an Integer" in fails(ctx, "remove(5)")
