"""The TOML entity schema: parsing, checks with messages naming type and field, models."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailstore import models as m
from mailstore.db import open_database
from mailstore.schema import (
    FieldSpec,
    SchemaError,
    build_models,
    default_schema,
    load_schema,
    parse_schema,
)


def test_the_default_schema() -> None:
    schema = default_schema()
    assert list(schema.types) == ["SubmittedDocument", "SubmittedDocumentAttachment"]
    doc = schema.types["SubmittedDocument"]
    assert [s.code for s in doc.states] == ["NEW", "PROCESSED", "REJECTED"]
    assert doc.initial_state == "NEW"
    assert [(f.name, f.kind) for f in doc.fields] == [
        ("state", "state"),
        ("note", "text"),
        ("attachmentNames", "text"),
        ("attachments", "list"),
    ]
    att = schema.types["SubmittedDocumentAttachment"]
    assert [(f.name, f.kind, f.target) for f in att.fields] == [
        ("document", "reference", "SubmittedDocument"),
        ("attachedFile", "file", None),
    ]
    assert att.states == () and att.initial_state is None


def test_models_have_the_fields_scripts_use() -> None:
    models = build_models(default_schema())
    Doc, Att = models["SubmittedDocument"], models["SubmittedDocumentAttachment"]
    assert Doc._meta.table_name == "submitted_document"
    assert {n: f.column_name for n, f in Doc._meta.fields.items()} == {
        "id": "id",
        "state": "state_id",
        "note": "note",
        "attachmentNames": "attachment_names",
    }
    assert Att._meta.fields["attachedFile"].rel_model is m.AttachedFile
    assert Doc._meta.fields["state"].rel_model is m.State
    assert Att._meta.fields["document"].rel_model is Doc
    assert Att._meta.fields["document"].on_delete == "CASCADE"
    assert isinstance(Doc.attachments, peewee.BackrefAccessor)
    # fresh classes per call: two stores never share model state
    assert build_models(default_schema())["SubmittedDocument"] is not Doc


def test_a_list_adds_its_back_reference_when_missing() -> None:
    schema = parse_schema(
        """
[types.Order.fields]
lines = { type = "list", of = "OrderLine" }
[types.OrderLine.fields]
text = "string"
"""
    )
    line = schema.types["OrderLine"]
    assert line.field("order") == FieldSpec("order", "reference", target="Order")
    assert schema.types["Order"].field("lines") == FieldSpec(
        "lines", "list", target="OrderLine", backref="order"
    )


def test_a_type_may_reference_itself() -> None:
    schema = parse_schema('[types.Folder.fields]\nparent = { type = "reference", to = "Folder" }')
    Folder = build_models(schema)["Folder"]
    assert Folder._meta.fields["parent"].rel_model is Folder


def test_all_kinds_round_trip_through_sql(db_url: str) -> None:
    # db_url: SQLite, and PostgreSQL when MAILWRIGHT_TEST_DATABASE_URL is set (conftest)
    schema = parse_schema(
        """
[types.Sample]
states = ["OPEN", "CLOSED"]
[types.Sample.fields]
s = { type = "string", length = 20, index = true }
t = "text"
i = "integer"
d = { type = "decimal", digits = 10, places = 3 }
b = "boolean"
day = "date"
at = "datetime"
f = "file"
other = { type = "reference", to = "Sample" }
"""
    )
    models = build_models(schema)
    db = open_database(db_url)
    Sample = models["Sample"]
    with db.bind_ctx([Sample, m.AttachedFile, m.State], bind_refs=False, bind_backrefs=False):
        db.create_tables([m.AttachedFile, m.State, Sample])
        f = m.AttachedFile.create(name="a.txt", size=1, sha256="0" * 64)
        open_ = m.State.create(typeName="Sample", code="OPEN", name="Open")
        first = Sample.create(
            s="Žluťoučký kůň",
            t="x" * 10_000,
            i=2**62,
            d=decimal.Decimal("-1.5"),
            b=True,
            day=dt.date(2024, 2, 29),
            at=dt.datetime(2024, 2, 29, 23, 59, 1),
            f=f,
            state=open_,
        )
        second = Sample.create(other=first, b=False)
        a = Sample.get_by_id(first.id)
        assert (a.s, a.t, a.i, a.d, a.b) == (
            "Žluťoučký kůň",
            "x" * 10_000,
            2**62,
            decimal.Decimal("-1.500"),
            True,
        )
        assert (a.day, a.at, a.f.name, a.state.code) == (
            dt.date(2024, 2, 29),
            dt.datetime(2024, 2, 29, 23, 59, 1),
            "a.txt",
            "OPEN",
        )
        b = Sample.get_by_id(second.id)
        assert b.other.id == first.id and b.s is None and b.b is False
        assert Sample.select().where(Sample.i > 2**61).count() == 1
        assert Sample.select().where(Sample.day < dt.date(2025, 1, 1)).count() == 1
    db.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[types.invoice.fields]\nx = 'text'",
            "schema.toml: invoice: a type name starts with an upper-case letter",
        ),
        (
            "[types.ReceivedEmail.fields]\nx = 'text'",
            "schema.toml: ReceivedEmail: the name of a built-in type",
        ),
        (
            "[types.Invoice.fields]\nAmount = 'text'",
            "schema.toml: Invoice.Amount: a field name starts with a lower-case",
        ),
        ("[types.Invoice.fields]\nsave = 'text'", "schema.toml: Invoice.save: 'save' is reserved"),
        ("[types.Invoice.fields]\nid = 'integer'", "schema.toml: Invoice.id: 'id' is reserved"),
        (
            "[types.Invoice.fields]\nx = 'txt'",
            "schema.toml: Invoice.x: unknown kind 'txt' (did you mean 'text'?)",
        ),
        (
            "[types.Invoice.fields]\nx = 'money'",
            "schema.toml: Invoice.x: unknown kind 'money' (one of string, text",
        ),
        (
            "[types.Invoice.fields]\nx = { type = 'text', length = 3 }",
            "schema.toml: Invoice.x: text takes no option 'length'",
        ),
        (
            "[types.Invoice.fields]\nx = { type = 'string', length = 0 }",
            "schema.toml: Invoice.x: length must be a whole number from 1",
        ),
        (
            "[types.Invoice.fields]\nx = { type = 'decimal', digits = 4, places = 5 }",
            "Invoice.x: places must be a whole number from 0 to digits (4)",
        ),
        (
            "[types.Invoice.fields]\nx = { type = 'reference' }",
            'Invoice.x: a reference needs to = "TypeName"',
        ),
        (
            "[types.Invoice.fields]\nx = { type = 'reference', to = 'Invoce' }",
            "schema.toml: Invoice.x: unknown type 'Invoce' (did you mean 'Invoice'?)",
        ),
        (
            "[types.Invoice.fields]\nx = { type = 'list', of = 'Line' }",
            "schema.toml: Invoice.x: unknown type 'Line'",
        ),
        ("[types.Invoice.fields]\nx = 5", "Invoice.x: want a kind"),
        (
            "[types.Invoice.fields]\nx = { type = 'text', index = 'yes' }",
            "Invoice.x: index must be true or false",
        ),
        ("[types.Invoice]\nstates = ['new']", "Invoice.states: 'new' is not an upper-case code"),
        ("[types.Invoice]\nstates = ['NEW', 'NEW']", "Invoice.states: a code is declared twice"),
        (
            "[types.Invoice]\nstates = ['NEW']\n[types.Invoice.fields]\nstate = 'text'",
            "Invoice.state: declared by the states",
        ),
        ("[types.Invoice]\nfield = {}", "schema.toml: Invoice: unknown key 'field'"),
        (
            "[types.Invoice.fields]\nfooBar = 'text'\nfooBAR = 'text'",
            "Invoice.fooBAR: same column 'foo_bar' as field 'fooBar'",
        ),
        ("[Invoice.fields]\nx = 'text'", "schema.toml: unknown top-level key 'Invoice'"),
        ("[types.Invoice.fields\n", "schema.toml: not valid TOML"),
        (
            "[types.A.fields]\nb = { type = 'reference', to = 'B' }\n[types.B.fields]\na = { type = 'reference', to = 'A' }",
            "schema.toml: A: references form a cycle (A -> B -> A)",
        ),
        (
            "[types.A.fields]\nbs = { type = 'list', of = 'B', backref = 'owner' }\n[types.B.fields]\nowner = 'text'",
            "A.bs: B.owner must be a reference to A, not text",
        ),
    ],
)
def test_schema_errors_name_type_and_field(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=re.escape(message)):
        parse_schema(text, "schema.toml")


def test_load_schema_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"missing.toml: cannot read the schema"):
        load_schema(tmp_path / "missing.toml")
    path = tmp_path / "schema.toml"
    path.write_text('[types.Note.fields]\nbody = "txet"\n')
    with pytest.raises(SchemaError, match=re.escape(f"{path}: Note.body: unknown kind 'txet'")):
        load_schema(path)


def test_describe_spells_kinds_as_the_file_does() -> None:
    assert FieldSpec("a", "decimal", digits=12, places=2).describe() == "decimal(12,2)"
    assert FieldSpec("a", "string", length=30).describe() == "string(30)"
    assert FieldSpec("a", "list", target="Line", backref="order").describe() == "list of Line"
    assert FieldSpec("a", "reference", target="Order").describe() == "reference to Order"
    assert FieldSpec("a", "date").describe() == "date"


# --- property: any schema of scalar fields stores and returns what it is given ---------

#: what a text column can hold: not NUL (PostgreSQL refuses it) and no lone surrogate
#: (not encodable in UTF-8: the driver refuses it, and a script's save reports it)
_TEXT_CHARS = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
_KINDS: dict[str, Any] = {
    "string": st.text(_TEXT_CHARS, max_size=40),
    "text": st.text(_TEXT_CHARS, max_size=300),
    "integer": st.integers(-(2**63), 2**63 - 1),
    "decimal": st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
    "boolean": st.booleans(),
    "date": st.dates(),
    "datetime": st.datetimes(),
}
_names = st.from_regex(r"[a-z][a-zA-Z0-9]{0,12}", fullmatch=True).filter(
    lambda n: n not in {"id", "type"} and not hasattr(peewee.Model, n)
)


@st.composite
def _schema_and_rows(draw: st.DrawFn) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
    fields = draw(st.dictionaries(_names, st.sampled_from(sorted(_KINDS)), min_size=1, max_size=6))
    # names equal in snake_case would share a column: the parser refuses them (tested above)
    columns: dict[str, str] = {}
    for name in list(fields):
        col = re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])", r"_\1\2", name).lower()
        if col in columns.values():
            del fields[name]
        columns[name] = col
    text = "[types.Thing.fields]\n" + "".join(f'{n} = "{k}"\n' for n, k in fields.items())
    rows = draw(
        st.lists(
            st.fixed_dictionaries({n: st.none() | _KINDS[k] for n, k in fields.items()}),
            min_size=1,
            max_size=4,
        )
    )
    return text, fields, rows


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def scratch_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Yield a database URL for property tests, which create and drop their own tables."""
    if request.param == "sqlite":
        yield "sqlite:///:memory:"
        return
    base = os.environ.get("MAILWRIGHT_TEST_DATABASE_URL")
    if not base:
        pytest.skip("MAILWRIGHT_TEST_DATABASE_URL is not set")
    schema = "p_" + uuid.uuid4().hex[:16]
    admin = open_database(base)
    admin.execute_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield base + ("&" if "?" in base else "?") + "options=" + quote(f"-csearch_path={schema}")
    finally:
        admin.execute_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=_schema_and_rows())
def test_any_scalar_schema_stores_what_it_is_given(
    scratch_url: str, case: tuple[str, dict[str, str], list[dict[str, Any]]]
) -> None:
    text, fields, rows = case
    Thing = build_models(parse_schema(text))["Thing"]
    db = open_database(scratch_url)
    with db.bind_ctx([Thing]):
        db.drop_tables([Thing])
        db.create_tables([Thing])
        ids = [Thing.create(**row).id for row in rows]
        for row_id, row in zip(ids, rows):
            got = Thing.get_by_id(row_id)
            for name, value in row.items():
                assert getattr(got, name) == value, name
        # equality filters run in SQL and find each row
        for row_id, row in zip(ids, rows):
            name, value = next(iter(row.items()))
            fld = Thing._meta.fields[name]
            query = Thing.select().where(fld.is_null() if value is None else fld == value)
            assert row_id in [t.id for t in query]
        db.drop_tables([Thing])
    db.close()


def test_text_with_nul_is_refused_alike_everywhere(scratch_url: str) -> None:
    schema = parse_schema('[types.Note.fields]\nbody = "text"\ntitle = "string"')
    Note = build_models(schema)["Note"]
    db = open_database(scratch_url)
    with db.bind_ctx([Note]):
        db.create_tables([Note])
        for field in ("body", "title"):
            with pytest.raises(
                ValueError, match=f"Note.{field}: the text contains a NUL character"
            ):
                Note.create(**{field: "a\x00b"})
        assert Note.select().count() == 0
    db.close()
