"""``--where`` on every kind of field, through `runtime.records_cli` on a schema that has
them all: each value is read by the field's kind and compared in SQL (a datetime given
as a date matches that whole day in the configured zone)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from mailstore.api import Store
from mailstore.schema import parse_schema
from runtime.records_cli import RecordsError, parse_where, select_records, type_spec

#: a type with a field of every kind (test_records_kinds uses it too)
SCHEMA = """
[types.Invoice]
states = ["NEW", "PAID"]
[types.Invoice.fields]
number = { type = "string", length = 20 }
amount = { type = "decimal", digits = 12, places = 2 }
lines = "integer"
paid = "boolean"
due = "date"
received = "datetime"
scan = "file"
supplier = { type = "reference", to = "Supplier" }
items = { type = "list", of = "InvoiceLine", backref = "invoice" }
[types.Supplier.fields]
name = "string"
[types.InvoiceLine.fields]
invoice = { type = "reference", to = "Invoice" }
text = "string"
"""
PRAGUE = zoneinfo.ZoneInfo("Europe/Prague")


@pytest.fixture
def invoices(db_url: str, tmp_path: Path) -> Iterator[Store]:
    store = Store.open(
        db_url, schema=parse_schema(SCHEMA), blob_dir=tmp_path / "blobs", migrate=True
    )
    try:
        supplier = store.model("Supplier").create(name="ACME")
        inv = store.model("Invoice")
        scan = store.add_file("scan.pdf", b"%PDF-1.4 scan")
        inv.create(
            number="2026-1", amount=Decimal("1234.50"), lines=3, paid=True,
            due=dt.date(2026, 3, 31), received=dt.datetime(2026, 3, 1, 23, 30),  # UTC
            scan=scan, supplier=supplier, state=store.state("Invoice", "PAID"),
        )  # fmt: skip
        inv.create(number="2026-2", amount=Decimal("10"), lines=1, paid=False,
                   state=store.state("Invoice", "NEW"))  # fmt: skip
        yield store
    finally:
        store.close()


def numbers(store: Store, *items: str) -> list[str]:
    spec = type_spec(store, "Invoice")
    rows, total = select_records(store, spec, [parse_where(store, spec, i, PRAGUE) for i in items])
    assert total == len(rows)
    return [r.number for r in rows]


def test_each_kind_of_value(invoices: Store) -> None:
    sha = invoices.records("AttachedFile")[0].sha256
    assert numbers(invoices, "number=2026-2") == ["2026-2"]
    assert numbers(invoices, "amount=1234.5") == ["2026-1"]
    assert numbers(invoices, "lines=3") == ["2026-1"]
    assert numbers(invoices, "paid=false") == ["2026-2"]
    assert numbers(invoices, "paid=yes") == ["2026-1"]
    assert numbers(invoices, "due=2026-03-31") == ["2026-1"]
    assert numbers(invoices, "due=null") == ["2026-2"]
    # 23:30 UTC on 1 March is 00:30 on 2 March in Prague
    assert numbers(invoices, "received=2026-03-02") == ["2026-1"]
    assert numbers(invoices, "received=2026-03-01") == []
    assert numbers(invoices, "received=2026-03-02T00:30") == ["2026-1"]
    assert numbers(invoices, "received=2026-03-01T23:30+00:00") == ["2026-1"]
    assert numbers(invoices, f"scan={sha}") == ["2026-1"]
    assert numbers(invoices, "supplier=1", "state=PAID") == ["2026-1"]
    assert numbers(invoices, "state=NEW") == ["2026-2"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("lines=three", "Invoice.lines: 'three' is not a whole number"),
        ("amount=1,5", "is not a decimal number"),
        ("paid=maybe", "is not true or false"),
        ("due=31.3.2026", "is not an ISO date"),
        ("received=yesterday", "is not an ISO date and time"),
        ("supplier=ACME", "is not a record id"),
        ("scan=scan.pdf", "is not a file id or a SHA-256"),
        ("state=LOST", "Invoice has no state 'LOST' (its states: NEW, PAID)"),
        ("numbr=1", "did you mean 'number'"),
    ],
)
def test_values_a_field_cannot_hold_name_the_field(
    invoices: Store, item: str, message: str
) -> None:
    with pytest.raises(RecordsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        numbers(invoices, item)
