"""Business records for the command line: query with ``--where``, JSON/CSV/table cells,
one record's details (files, the e-mail that made it), and operator state changes.

Records are read through a `runtime.session.RunSession`, so JSON has exactly the shape
of ``run --json`` (references ``{"type", "id"}``, a state with its ``code``, files
``{"name", "contentType", "size", "sha256"}``, dates ISO 8601 with the offset of the
configured zone, decimals with their scale), and ``records state`` applies the rules of
``changeState`` in scripts. Errors are `RecordsError`, whose message names what is known
(the types, the fields, the state codes).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import peewee

from mailstore import models as m
from mailstore.api import Store, StoreError
from mailstore.schema import FieldSpec, TypeSpec
from scriptengine.errors import EvalError
from scriptengine.values import JsonNumber, dumps_json

from .records import EntityRecord
from .session import RunSession

__all__ = [
    "RecordsError",
    "WhereClause",
    "change_state",
    "csv_header",
    "csv_row",
    "find_source_email",
    "parse_where",
    "record_details",
    "record_json",
    "select_records",
    "table_cells",
    "type_spec",
]

_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class RecordsError(Exception):
    """Raised for an unknown type, field, state or record, or a value a field cannot hold."""


@dataclass(frozen=True)
class WhereClause:
    """One ``--where field=value``: the field and the SQL condition made of the value."""

    field: str
    condition: Any


def type_spec(store: Store, type_name: str) -> TypeSpec:
    """Return the schema's type *type_name*; `RecordsError` naming the known types."""
    spec = store.schema.types.get(type_name)
    if spec is None:
        known = list(store.schema.types)
        close = difflib.get_close_matches(type_name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise RecordsError(
            f"unknown type {type_name!r}{hint}; the schema's types: {', '.join(known) or 'none'}"
        )
    return spec


def _field(spec: TypeSpec, name: str) -> FieldSpec | None:
    """Return the filterable field *name* (None for ``id``); `RecordsError` otherwise."""
    if name == "id":
        return None
    f = spec.field(name)
    if f is None or f.kind == "list":
        names = ["id"] + [x.name for x in spec.fields if x.kind != "list"]
        if f is not None:
            raise RecordsError(
                f"{spec.name}.{name} is a list: filter its members' type instead; "
                f"the fields of {spec.name}: {', '.join(names)}"
            )
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise RecordsError(
            f"{spec.name} has no field {name!r}{hint}; its fields: {', '.join(names)}"
        )
    return f


def _day_range(day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.replace(tzinfo=None), end.astimezone(dt.UTC).replace(tzinfo=None)


def _value_error(spec: TypeSpec, f: FieldSpec | None, text: str, want: str) -> RecordsError:
    name = "id" if f is None else f.name
    return RecordsError(f"{spec.name}.{name}: {text!r} is not {want}")


def parse_where(store: Store, spec: TypeSpec, item: str, zone: dt.tzinfo) -> WhereClause:
    """Return the condition of one ``field=value`` on records of *spec*.

    The value is read by the field's kind: whole numbers for integers and references (a
    record's id), ``true``/``false`` for booleans, ISO dates (``2026-11-27``) for dates;
    a datetime takes an ISO date and time (without an offset: in *zone*), or a date alone
    for that whole day; a state takes its code (``NEW``); a file its id or its SHA-256.
    ``null`` matches an empty field (so a text field holding the word null cannot be
    selected this way). `RecordsError` names the field and what it wants.
    """
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise RecordsError(f"--where {item!r}: write field=value, e.g. --where note=invoice")
    f = _field(spec, name)
    model = store.model(spec.name)
    column: Any = model._meta.primary_key if f is None else model._meta.fields[name]
    if text == "null":
        return WhereClause(name, column.is_null())
    kind = "id" if f is None else f.kind
    if kind in ("id", "integer", "reference"):
        try:
            return WhereClause(name, column == int(text))
        except ValueError:
            want = "a whole number" if kind == "integer" else "a record id (a whole number)"
            raise _value_error(spec, f, text, want) from None
    if kind == "decimal":
        try:
            return WhereClause(name, column == Decimal(text))
        except InvalidOperation:
            raise _value_error(spec, f, text, "a decimal number (1234.50)") from None
    if kind == "boolean":
        if text.lower() not in _TRUE | _FALSE:
            raise _value_error(spec, f, text, "true or false")
        return WhereClause(name, column == (text.lower() in _TRUE))
    if kind == "date":
        try:
            return WhereClause(name, column == dt.date.fromisoformat(text))
        except ValueError:
            raise _value_error(spec, f, text, "an ISO date (2026-11-27)") from None
    if kind == "datetime":
        return WhereClause(name, _datetime_condition(spec, f, column, text, zone))
    if kind == "state":
        try:
            return WhereClause(name, column == store.state(spec.name, text).id)
        except StoreError as err:
            raise RecordsError(str(err)) from None
    if kind == "file":
        if _SHA256.match(text.lower()):
            files = m.AttachedFile.select(m.AttachedFile.id)
            return WhereClause(name, column.in_(files.where(m.AttachedFile.sha256 == text.lower())))
        try:
            return WhereClause(name, column == int(text))
        except ValueError:
            raise _value_error(spec, f, text, "a file id or a SHA-256") from None
    return WhereClause(name, column == text)


def _datetime_condition(
    spec: TypeSpec, f: FieldSpec | None, column: peewee.Field, text: str, zone: dt.tzinfo
) -> Any:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            start, end = _day_range(dt.date.fromisoformat(text), zone)
            return (column >= start) & (column < end)
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _value_error(
            spec, f, text, "an ISO date and time (2026-11-27T08:30, or a date for the day)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return column == when.astimezone(dt.UTC).replace(tzinfo=None)


def select_records(
    store: Store,
    spec: TypeSpec,
    where: list[WhereClause],
    *,
    limit: int | None = None,
) -> tuple[list[Any], int]:
    """Return (the rows matching every clause, by id, at most *limit*; how many match)."""
    model = store.model(spec.name)
    query = model.select()
    for clause in where:
        query = query.where(clause.condition)
    total = int(query.count())
    query = query.order_by(model._meta.primary_key)
    if limit is not None:
        query = query.limit(limit)
    return list(query), total


def _session(store: Store, zone: dt.tzinfo) -> RunSession:
    return RunSession(store, commit=False, zone=zone)


def record_json(session: RunSession, row: Any) -> dict[str, Any]:
    """Return ``{"type", "id", "fields"}`` of a stored row, as ``run --json`` shows records
    (every declared field, lists as references)."""
    record: EntityRecord = session.wrap(row)
    fields = {f.name: record.field_json(f.name) for f in record.spec.fields}
    return {"type": record.type_name, "id": record.record_id, "fields": fields}


def _text(value: Any) -> str:
    """One JSON field value as a table or CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, JsonNumber | str | int | float):
        return str(value)
    if isinstance(value, dict):
        if value.get("type") == "State":
            return str(value.get("code"))
        if "sha256" in value:
            return str(value.get("name"))
        if "id" in value:
            return f"#{value['id']}"
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return dumps_json(value)


def table_cells(spec: TypeSpec, data: dict[str, Any]) -> list[str]:
    """Return the cells of a record's table row: id, then each field (a state by its code,
    a reference as ``#id``, a file by its name, a list as its members' ids)."""
    return [str(data["id"])] + [_text(data["fields"].get(f.name)) for f in spec.fields]


def csv_header(spec: TypeSpec) -> list[str]:
    """Return the CSV header: ``id``, each field, and ``FIELD.sha256`` after a file field."""
    names = ["id"]
    for f in spec.fields:
        names.append(f.name)
        if f.kind == "file":
            names.append(f"{f.name}.sha256")
    return names


def csv_row(spec: TypeSpec, data: dict[str, Any]) -> list[str]:
    """Return a record's CSV cells, in the order of `csv_header` (a file: its name, then
    its SHA-256 for ``mailwright files get``; a list: its members' ids, space-separated)."""
    cells = [str(data["id"])]
    for f in spec.fields:
        value = data["fields"].get(f.name)
        if f.kind == "list":
            cells.append(" ".join(str(v.get("id")) for v in value or []))
        elif f.kind == "reference":
            cells.append("" if value is None else str(value.get("id")))
        else:
            cells.append(_text(value))
        if f.kind == "file":
            cells.append("" if value is None else str(value.get("sha256")))
    return cells


def get_record(store: Store, spec: TypeSpec, record_id: int) -> Any:
    """Return the stored row of *spec* with *record_id*; `RecordsError` when absent."""
    row = store.get(spec.name, record_id)
    if row is None:
        raise RecordsError(f"no {spec.name} with id {record_id} in the store")
    return row


def find_source_email(type_name: str, record_id: int) -> tuple[m.ScriptRun, Any] | None:
    """Return (the committed run that created record *type_name* #*record_id*, its
    ReceivedEmail or None), or None when no run records it (a record made by hand, or its
    run removed by retention: ``gc`` keeps the newest run of each e-mail).

    Runs list what they created as JSON text (``[{"type": ..., "id": ...}]``); it is
    matched with LIKE on the exact JSON of the entry, which the closing brace keeps from
    matching id 70 for id 7.
    """
    r = m.ScriptRun
    entry = json.dumps({"type": type_name, "id": int(record_id)}, ensure_ascii=False)
    pattern = peewee.Value(f"%{entry}%", converter=False)
    query = (
        r.select()
        # plain LIKE (peewee's OP.LIKE is GLOB on SQLite): case-sensitive on PostgreSQL,
        # and the entry holds no character SQLite would fold
        .where(r.committed & peewee.NodeList((r.created, peewee.SQL("LIKE"), pattern)))
        .order_by(r.id)
    )
    for run in query:
        if any(
            isinstance(c, dict) and c.get("type") == type_name and c.get("id") == record_id
            for c in run.created or []
        ):
            email_id = run.__data__.get("receivedEmail")
            email = None
            if email_id is not None:
                email = m.ReceivedEmail.get_or_none(m.ReceivedEmail.id == email_id)
            return run, email
    return None


def _files(session: RunSession, record: EntityRecord) -> list[dict[str, Any]]:
    """The record's files: its file fields, then those of its lists' members."""
    out: list[dict[str, Any]] = []
    for f in record.spec.fields:
        value = record.jexl_get(f.name)
        if f.kind == "file" and value is not None:
            out.append({"field": f.name, **value.to_json()})
        elif f.kind == "list":
            for member in value:
                if not isinstance(member, EntityRecord):
                    continue
                for g in member.spec.fields:
                    if g.kind == "file":
                        file = member.jexl_get(g.name)
                        if file is not None:
                            out.append(
                                {
                                    "field": f"{f.name}[#{member.record_id}].{g.name}",
                                    **file.to_json(),
                                }
                            )
    return out


def _moment(value: dt.datetime, zone: dt.tzinfo) -> str:
    """A stored moment (naive UTC) as ISO 8601 in *zone* with its offset, to the second,
    as record fields and ``mailwright emails`` show moments."""
    return value.replace(tzinfo=dt.UTC).astimezone(zone).isoformat(timespec="seconds")


def record_details(store: Store, spec: TypeSpec, record_id: int, zone: dt.tzinfo) -> dict[str, Any]:
    """Return everything ``records show`` shows: the record as `record_json`, ``files``
    (``field``, ``name``, ``contentType``, ``size``, ``sha256``) and ``email``, the
    e-mail that made it (``{"id", "from", "subject", "receivedDate", "run"}``) or None."""
    row = get_record(store, spec, record_id)
    session = _session(store, zone)
    data = record_json(session, row)
    data["files"] = _files(session, session.wrap(row))
    source = find_source_email(spec.name, record_id)
    data["email"] = None
    if source is not None:
        run, email = source
        data["email"] = {
            "id": None if email is None else email.id,
            "from": None if email is None else email.mailFrom,
            "subject": None if email is None else email.subject,
            "receivedDate": None if email is None else _moment(email.receivedDate, zone),
            "run": run.id,
            "script": run.scriptName,
        }
    return data


def change_state(
    store: Store, spec: TypeSpec, record_id: int, code: str, zone: dt.tzinfo
) -> tuple[str | None, str]:
    """Move record *spec* #*record_id* to state *code* as ``changeState`` does in a script,
    in one transaction; return (the old state's code or None, the new one).

    `RecordsError` for a type without states, a missing record, or an unknown code (the
    message lists the type's codes).
    """
    if spec.field("state") is None:
        raise RecordsError(f"{spec.name} has no states (its schema declares none)")
    row = get_record(store, spec, record_id)
    session = RunSession(store, commit=True, zone=zone)
    with session.activate():
        record: EntityRecord = session.wrap(row)
        before = record.jexl_get("state")
        old = None if before is None else str(before.row.code)
        try:
            session.change_state(record, code)
        except EvalError as err:
            raise RecordsError(err.message) from None
    return old, code
