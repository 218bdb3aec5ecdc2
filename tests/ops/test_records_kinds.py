"""``mailwright records`` output for every kind of field (decimal, date, datetime, boolean,
reference, file, list, state): the table, JSON, CSV and ``records show``, on the
installation filled by the ingestion harness with a schema that adds an Invoice type.
Narrow terminals wrap values instead of cutting them, and ``records show`` always prints
the whole SHA-256 that ``files get`` needs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

import pytest

from tests.ops.conftest import Installation, run_cli
from tests.ops.test_records_where import SCHEMA


@dataclass
class Invoices:
    """The ids of the invoices made for the tests, and the ingested PDF one holds."""

    full: int
    empty: int
    supplier: int
    items: list[int]
    name: str
    sha: str
    size: int


def table_rows(out: str) -> list[list[str]]:
    """The rows of a rich table as printed, each cell's wrapped lines joined again."""
    rows: list[list[str]] = []
    for line in out.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0]:  # the id column starts a new row; wrapped lines leave it empty
            rows.append(cells)
        else:
            rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
    return rows


@pytest.fixture
def invoices(installation: Installation, capsys: pytest.CaptureFixture[str]) -> Invoices:
    """The installation with the Invoice types migrated, in Europe/Prague, and two
    invoices: one with every field set (its scan an ingested PDF), one with none."""
    default = resources.files("mailstore").joinpath("default_schema.toml").read_text("utf-8")
    (installation.dir / "schema.toml").write_text(default + SCHEMA, encoding="utf-8")
    installation.write_config(schema="schema.toml", zone="Europe/Prague")
    status, _, err = run_cli(capsys, "db", "migrate")
    assert status == 0, err
    with installation.open() as store:
        pdf = store.records("SubmittedDocumentAttachment")[0].attachedFile
        supplier = store.model("Supplier").create(name="ACME")
        full = store.model("Invoice").create(
            number="2026-1", amount=Decimal("1234.50"), lines=3, paid=True,
            due=dt.date(2026, 3, 31), received=dt.datetime(2026, 3, 1, 23, 30),  # UTC: 00:30 on 2 March in Prague
            scan=pdf, supplier=supplier, state=store.state("Invoice", "PAID"),
        )  # fmt: skip
        items = [store.model("InvoiceLine").create(invoice=full, text=t).id for t in "ab"]
        empty = store.model("Invoice").create(number="2026-2", state=store.state("Invoice", "NEW"))
        return Invoices(full.id, empty.id, supplier.id, items, pdf.name, pdf.sha256, pdf.size)


def test_json_writes_each_kind_as_run_json_does(
    invoices: Invoices, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, "records", "Invoice", "--json")
    assert status == 0, err
    assert '"amount":1234.50' in out  # a JSON number keeping its scale, not 1234.5
    full, empty = json.loads(out)
    name, sha, size = invoices.name, invoices.sha, invoices.size
    assert full["fields"] == {
        "state": {"type": "State", "code": "PAID", "id": full["fields"]["state"]["id"]},
        "number": "2026-1",
        "amount": Decimal("1234.50"),
        "lines": 3,
        "paid": True,
        "due": "2026-03-31",
        "received": "2026-03-02T00:30:00+01:00",
        "scan": {"name": name, "contentType": "application/pdf", "size": size, "sha256": sha},
        "supplier": {"type": "Supplier", "id": invoices.supplier},
        "items": [{"type": "InvoiceLine", "id": i} for i in invoices.items],
    }
    assert empty["fields"] | {"state": None} == {
        "state": None, "number": "2026-2", "amount": None, "lines": None, "paid": None,
        "due": None, "received": None, "scan": None, "supplier": None, "items": [],
    }  # fmt: skip


def test_csv_writes_each_kind_as_one_cell(
    invoices: Invoices, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, "records", "Invoice", "--csv")
    assert status == 0, err
    header, full, empty = list(csv.reader(io.StringIO(out)))
    name, sha = invoices.name, invoices.sha
    items = " ".join(str(i) for i in invoices.items)
    assert header == ["id", "state", "number", "amount", "lines", "paid", "due", "received",
                      "scan", "scan.sha256", "supplier", "items"]  # fmt: skip
    assert full == [str(invoices.full), "PAID", "2026-1", "1234.50", "3", "true", "2026-03-31",
                    "2026-03-02T00:30:00+01:00", name, sha, str(invoices.supplier),
                    items]  # fmt: skip
    assert empty == [str(invoices.empty), "NEW", "2026-2"] + [""] * 9


def test_table_and_show_write_each_kind(
    invoices: Invoices, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, "records", "Invoice")
    assert status == 0, err
    name, sha, size = invoices.name, invoices.sha, invoices.size
    a, b = invoices.items
    assert table_rows(out)[0] == [
        str(invoices.full), "PAID", "2026-1", "1234.50", "3", "true", "2026-03-31",
        "2026-03-02T00:30:00+01:00", name, f"#{invoices.supplier}", f"#{a} #{b}",
    ]  # fmt: skip
    status, out, err = run_cli(capsys, "records", "show", "Invoice", str(invoices.full))
    assert status == 0, err
    for line in ("state: PAID", "amount: 1234.50", "lines: 3", "paid: true", "due: 2026-03-31",
                 "received: 2026-03-02T00:30:00+01:00", f"scan: {name}",
                 f"supplier: #{invoices.supplier}", f"items: 2 (#{a} #{b})",
                 f"file scan: {name} (application/pdf, {size} bytes) sha256 {sha}"):  # fmt: skip
        assert f"  {line}\n" in out, (line, out)


def test_a_narrow_terminal_wraps_values_and_keeps_the_whole_sha256(
    invoices: Invoices,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    status, out, _ = run_cli(capsys, "records", "Invoice")
    assert status == 0
    assert "…" not in out  # nothing cut off: a cut number or date would read as another
    full = table_rows(out)[0]
    assert full[3:8] == ["1234.50", "3", "true", "2026-03-31", "2026-03-02T00:30:00+01:00"]
    status, out, _ = run_cli(capsys, "records", "show", "SubmittedDocument", "1")
    assert status == 0
    shas = re.findall(r"sha256 ([0-9a-f]+)", out)
    assert len(shas) == 2 and all(len(s) == 64 for s in shas)
