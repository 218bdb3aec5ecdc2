"""Records of the store as host objects: what a handler script sees of a stored row.

A `Record` wraps one peewee row. Business types of the schema (``SubmittedDocument``)
become `EntityRecord`: a property per field (writable, checked on assignment), a List per
one-to-many collection (``sd.attachments.add(att)``), references that point at other
records (assigning one shares the row, it never copies it). Built-in rows have faces of
their own (``runtime.email``); the rest are `BuiltinRecord` (read-only).

Records are strict (ARCHITECTURE.md "What a handler script sees"): an unknown field is an
error naming the type and the closest field, because a mistyped field must not silently
lose data. A value of the wrong type assigned to a field is an error naming the field, its
type and the value's type; lossless conversions (Integer -> decimal) are made.

Records never save themselves: `runtime.session.RunSession` inserts, updates and reports
them (``persist``), and loads the rows behind references and lists on first access.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

import peewee

from mailstore import models as m
from mailstore.db import is_postgresql
from mailstore.schema import EntitySchema, FieldSpec, TypeSpec
from scriptengine.errors import EvalError
from scriptengine.host import HostObject, PropertyInfo, TypeInfo
from scriptengine.values import Char, Long, double_to_string, java_class_name, to_json

from .dates import unwrap_date, wrap_date

DATE_TYPE = "LocalDate"
DATETIME_TYPE = "ZonedDateTime"

#: the Java-side type name scripts (and ``check``) see for each field kind
KIND_TYPES: dict[str, str] = {
    "string": "String",
    "text": "String",
    "integer": "Long",
    "decimal": "BigDecimal",
    "boolean": "Boolean",
    "date": DATE_TYPE,
    "datetime": DATETIME_TYPE,
    "file": "AttachedFile",
    "state": "State",
    "list": "List",
}

_INT64 = (-(2**63), 2**63 - 1)

_Row = TypeVar("_Row", bound=peewee.Model)


def row_from_db(model: type[_Row], fields: Sequence[Any], values: Sequence[Any]) -> _Row:
    """The instance peewee's own SELECT makes of one result row: each value converted by
    its field's ``python_value``, set as the model's constructor sets it, nothing dirty
    (what ``ModelObjectCursorWrapper`` does). ``values`` are in the order of ``fields``."""
    row = model(__no_default__=1, **{f.name: f.python_value(v) for f, v in zip(fields, values)})
    dirty: set[str] = getattr(row, "_dirty")  # noqa: B009 - peewee's private, untyped
    dirty.clear()
    return row


def column_list(model: type[peewee.Model], alias: str = "") -> str:
    """Every column of ``model``, quoted, in ``_meta.sorted_fields`` order (``"t1"."id",
    ...`` with an alias), for SELECT text built once."""
    prefix = f'"{alias}".' if alias else ""
    return ", ".join(f'{prefix}"{f.column_name}"' for f in model._meta.sorted_fields)


#: the SELECT text of `get_row`, by (PostgreSQL or not, model)
_BY_ID_SQL: dict[tuple[bool, type[peewee.Model]], str] = {}


def get_row(model: type[_Row], record_id: int) -> _Row | None:
    """``model.get_or_none(model.id == record_id)``: the same row, or None, read with SQL
    text built once per database kind and model (building a SELECT with peewee costs
    several times running it; ``load``, ``find`` and references read rows by id all the
    time). Trap: like every query of this package the search_path, not the model, decides
    the PostgreSQL schema."""
    meta: Any = model._meta  # peewee's metadata is untyped
    db: Any = meta.database
    pk = meta.primary_key
    pg = is_postgresql(db)
    sql = _BY_ID_SQL.get((pg, model))
    if sql is None:
        p = "%s" if pg else "?"
        sql = (
            f'SELECT {column_list(model)} FROM "{meta.table_name}" '
            f'WHERE "{pk.column_name}" = {p} LIMIT 1'
        )
        _BY_ID_SQL[(pg, model)] = sql
    found = db.execute_sql(sql, [pk.db_value(record_id)]).fetchone()
    return None if found is None else row_from_db(model, meta.sorted_fields, found)


class RecordHost(Protocol):
    """What records need from the run they belong to (`runtime.session.RunSession`)."""

    zone: dt.tzinfo | None

    def wrap(self, row: Any) -> Any:
        """The one host object standing for ``row`` in this run."""

    def load(self, type_name: str, record_id: int) -> Any:
        """The host object of the stored record, or None."""

    def load_list(self, record: EntityRecord, spec: FieldSpec) -> list[Any]:
        """The stored members of a one-to-many collection of ``record``."""


def article(word: str) -> str:
    """``an Integer``, ``a String``: the noun with its English article; ``null`` has none
    (``not null``, never ``not a null``)."""
    if word == "null":
        return word
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


class Record(HostObject):
    """A stored (or new) row seen by scripts. ``type_name`` is the type's name, ``row`` the
    peewee instance; its ``id`` is None until the row is inserted."""

    type_name: str = "Object"

    def __init__(self, host: RecordHost, row: Any) -> None:
        self.host = host
        self.row = row
        #: the column values as last read from or written to the database
        self.saved: dict[str, Any] = dict(row.__data__) if row.id is not None else {}

    @property
    def record_id(self) -> int | None:
        """The row's id, or None for a record not inserted yet."""
        value = self.row.id
        return None if value is None else int(value)

    def jexl_string(self) -> str:
        """``SubmittedDocument#7``, or ``SubmittedDocument#new`` before it is persisted."""
        rid = self.record_id
        return f"{self.type_name}#{'new' if rid is None else rid}"

    def to_json(self) -> dict[str, Any]:
        """A reference as ``run --json`` shows it: ``{"type": ..., "id": ...}``."""
        return {"type": self.type_name, "id": self.record_id}

    def dirty_fields(self) -> list[str]:
        """Names of the fields whose value differs from what the database holds."""
        data = self.row.__data__
        return [k for k in data if k != "id" and data.get(k) != self.saved.get(k)]

    def mark_saved(self) -> None:
        """Remember the current values as the stored ones (after an insert or update)."""
        self.saved = dict(self.row.__data__)

    def field_json(self, name: str) -> Any:
        """The JSON form of one field's current value (for the run's report)."""
        return to_json(self.jexl_get(name))


class EntityRecord(Record):
    """A record of a business type of the schema: strict, fields writable, lists mutable."""

    def __init__(self, host: RecordHost, row: Any, spec: TypeSpec, info: TypeInfo) -> None:
        super().__init__(host, row)
        self.spec = spec
        self.info = info
        self.type_name = spec.name
        #: records assigned to reference, file and state fields (possibly not yet inserted)
        self.refs: dict[str, Record | None] = {}
        #: the one-to-many collections read so far: plain Lists the script may change
        self.lists: dict[str, list[Any]] = {}

    def jexl_type_info(self) -> TypeInfo:
        return self.info

    def jexl_get(self, name: str) -> Any:
        if name == "id":
            rid = self.record_id
            return None if rid is None else Long(rid)
        f = self.spec.field(name)
        if f is None:  # pragma: no cover - the access layer only passes declared names
            raise EvalError(f"unknown field '{name}' of {self.type_name}")
        if f.kind == "list":
            found = self.lists.get(name)
            if found is None:
                found = [] if self.record_id is None else self.host.load_list(self, f)
                self.lists[name] = found
            return found
        if f.kind in ("reference", "file", "state"):
            if name in self.refs:
                return self.refs[name]
            ref_id = self.row.__data__.get(name)
            if ref_id is None:
                return None
            target = _ref_target(self.spec, f)
            found_ref = self.host.load(target, int(ref_id))
            self.refs[name] = found_ref
            return found_ref
        return script_value(f.kind, getattr(self.row, name), self.host.zone)

    def jexl_set(self, name: str, value: Any) -> None:
        f = self.spec.field(name)
        if f is None or f.kind == "list":  # pragma: no cover - lists are read-only properties
            raise EvalError(f"field '{name}' of {self.type_name} cannot be assigned")
        if f.kind in ("reference", "file", "state"):
            self.refs[name] = check_reference(self.spec, f, value)
            return
        setattr(self.row, name, store_value(self.spec.name, f, value, self.host.zone))


def _ref_target(spec: TypeSpec, f: FieldSpec) -> str:
    if f.kind == "file":
        return "AttachedFile"
    if f.kind == "state":
        return "State"
    return f.target or spec.name


def _described(f: FieldSpec) -> str:
    if f.kind in ("reference",):
        return article(f"{f.target} record")
    if f.kind == "file":
        return "an AttachedFile (a file)"
    if f.kind == "state":
        return "a State"
    return f"{article(KIND_TYPES[f.kind])} ({f.describe()})"


def wrong_type(type_name: str, f: FieldSpec, value: Any) -> EvalError:
    """The error for assigning ``value`` to field ``f``: names the field, its type and the
    value's type (``java_class_name``, never a Python type)."""
    return EvalError(
        f"field '{f.name}' of {type_name} holds {_described(f)}: "
        f"cannot assign {article(java_class_name(value))}"
    )


def check_reference(spec: TypeSpec, f: FieldSpec, value: Any) -> Record | None:
    """The record to store in reference field ``f``; raises ``EvalError`` for anything
    but null or a record of the right type (a state of this type, for ``state``)."""
    if value is None:
        return None
    target = _ref_target(spec, f)
    if not isinstance(value, Record) or value.type_name != target:
        raise wrong_type(spec.name, f, value)
    if f.kind == "state" and value.row.typeName != spec.name:
        raise EvalError(
            f"field 'state' of {spec.name} takes a state of {spec.name}, "
            f"not {value.row.code} of {value.row.typeName}"
        )
    return value


def store_value(type_name: str, f: FieldSpec, value: Any, zone: dt.tzinfo | None) -> Any:
    """Convert a script value for column field ``f``; raises ``EvalError`` naming the field,
    its type and the value's type when the value does not fit without loss."""
    if value is None:
        return None
    kind = f.kind
    if kind in ("string", "text"):
        if not isinstance(value, str):
            raise wrong_type(type_name, f, value)
        text = str.__str__(value) if isinstance(value, Char) else str(value)
        if "\x00" in text:
            raise EvalError(
                f"field '{f.name}' of {type_name}: the text contains a NUL character, "
                "which the database cannot store"
            )
        if kind == "string" and f.length is not None and len(text) > f.length:
            raise EvalError(
                f"field '{f.name}' of {type_name} holds at most {f.length} characters, "
                f"not {len(text)}"
            )
        return text
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong_type(type_name, f, value)
        if not _INT64[0] <= value <= _INT64[1]:
            raise EvalError(f"field '{f.name}' of {type_name}: {int(value)} does not fit a Long")
        return int(value)
    if kind == "decimal":
        return _decimal_value(type_name, f, value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise wrong_type(type_name, f, value)
        return value
    if kind == "date":
        day = as_date(value)
        if day is None:
            raise wrong_type(type_name, f, value)
        return day
    if kind == "datetime":
        moment = as_utc_datetime(value, zone)
        if moment is None:
            raise wrong_type(type_name, f, value)
        return moment
    raise wrong_type(type_name, f, value)  # pragma: no cover - every kind is handled above


def _decimal_value(type_name: str, f: FieldSpec, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise wrong_type(type_name, f, value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(int(value))
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise EvalError(f"field '{f.name}' of {type_name}: {value} is not a number it can hold")
        # Java's BigDecimal.valueOf(double): the digits the Double prints, not its binary
        number = Decimal(double_to_string(float(value)))
    else:
        raise wrong_type(type_name, f, value)
    places = f.places if f.places is not None else 2
    digits = f.digits if f.digits is not None else 19
    try:
        exact = number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise EvalError(
            f"field '{f.name}' of {type_name}: {number} has more than {digits} digits"
        ) from None
    if exact != number:
        raise EvalError(
            f"field '{f.name}' of {type_name}: {number} has more than {places} decimal places "
            "(it would be rounded)"
        )
    if len(exact.as_tuple().digits) > digits:
        raise EvalError(f"field '{f.name}' of {type_name}: {number} has more than {digits} digits")
    return exact


def script_value(kind: str, value: Any, zone: dt.tzinfo | None) -> Any:
    """A column's Python value as scripts see it (integers are Longs, dates Java-faced)."""
    if value is None:
        return None
    if kind == "integer":
        return Long(int(value))
    if kind == "date":
        return wrap_date(value)
    if kind == "datetime":
        return wrap_date(value, zone)
    return value


def entity_type_info(spec: TypeSpec) -> TypeInfo:
    """The strict TypeInfo of a schema type: ``id`` (read-only) and a property per field."""
    props: dict[str, PropertyInfo] = {"id": PropertyInfo("id", "Long", doc="the record's id")}
    for f in spec.fields:
        type_name = f.target if f.kind == "reference" else KIND_TYPES[f.kind]
        props[f.name] = PropertyInfo(f.name, type_name, writable=f.kind != "list", doc=f.describe())
    return TypeInfo(spec.name, props, strict=True, doc=f"a {spec.name} record of the schema")


def schema_type_infos(schema: EntitySchema) -> dict[str, TypeInfo]:
    """A TypeInfo per business type of ``schema``, by name."""
    return {name: entity_type_info(spec) for name, spec in schema.types.items()}


class StateRecord(Record):
    """A row of ``State``: ``code`` (``NEW``), ``name``, ``typeName``; shows as its code."""

    type_name = "State"
    jexl_type = TypeInfo(
        "State",
        {
            "id": PropertyInfo("id", "Long"),
            "code": PropertyInfo("code", "String", doc="NEW"),
            "name": PropertyInfo("name", "String", doc="the name for people"),
            "typeName": PropertyInfo("typeName", "String", doc="the type it is a state of"),
        },
        strict=True,
        doc="a state of a business type (findState)",
    )

    def jexl_get(self, name: str) -> Any:
        if name == "id":
            return Long(int(self.row.id))
        return getattr(self.row, name)

    def jexl_string(self) -> str:
        return str(self.row.code)

    def to_json(self) -> dict[str, Any]:
        """``{"type": "State", "code": "NEW", "id": 1}`` (ARCHITECTURE.md, "run --json")."""
        return {"type": "State", "code": self.row.code, "id": self.record_id}


#: built-in models scripts may read with find/findAll/count, and the fields they may see
#: and filter on (never secrets: Credential, SmtpAccount and Lease are not readable)
READABLE_BUILTINS: dict[str, tuple[type[m.BaseModel], tuple[str, ...]]] = {
    "GlobalParameter": (m.GlobalParameter, ("name", "value", "description")),
    "ScriptRun": (
        m.ScriptRun,
        (
            "receivedEmail",
            "scriptName",
            "scriptSha256",
            "startedAt",
            "durationMs",
            "steps",
            "outcome",
            "errorMessage",
            "errorLine",
            "errorColumn",
            "logLines",
        ),
    ),
}


def _builtin_prop_type(fld: peewee.Field) -> str | None:
    if isinstance(fld, peewee.ForeignKeyField):
        return str(fld.rel_model.__name__)
    if isinstance(fld, peewee.BooleanField):
        return "Boolean"
    if isinstance(fld, peewee.IntegerField):
        return "Long"
    if isinstance(fld, peewee.FloatField):
        return "Double"
    if isinstance(fld, peewee.DateTimeField):
        return DATETIME_TYPE
    if isinstance(fld, m.JSONTextField):
        return None
    if isinstance(fld, peewee.CharField | peewee.TextField):
        return "String"
    return None


def builtin_type_info(name: str) -> TypeInfo:
    """The read-only TypeInfo of a generic built-in type of `READABLE_BUILTINS`."""
    model, names = READABLE_BUILTINS[name]
    props = {"id": PropertyInfo("id", "Long")}
    for fname in names:
        props[fname] = PropertyInfo(fname, _builtin_prop_type(model._meta.fields[fname]))
    return TypeInfo(name, props, strict=True, doc=f"a {name} row (read-only)")


class BuiltinRecord(Record):
    """A read-only view of a built-in row of `READABLE_BUILTINS`."""

    def __init__(self, host: RecordHost, row: Any, info: TypeInfo) -> None:
        super().__init__(host, row)
        self.info = info
        self.type_name = info.name

    def jexl_type_info(self) -> TypeInfo:
        return self.info

    def jexl_get(self, name: str) -> Any:
        if name == "id":
            return Long(int(self.row.id))
        fld = type(self.row)._meta.fields[name]
        if isinstance(fld, peewee.ForeignKeyField):
            ref_id = self.row.__data__.get(name)
            return None if ref_id is None else self.host.load(fld.rel_model.__name__, ref_id)
        return builtin_value(fld, getattr(self.row, name), self.host.zone)


def builtin_value(fld: peewee.Field, value: Any, zone: dt.tzinfo | None) -> Any:
    """A built-in column's value as scripts see it: Longs, Java-faced dates, Lists."""
    if value is None:
        return None
    if isinstance(fld, peewee.BooleanField):
        return bool(value)
    if isinstance(fld, peewee.IntegerField):
        return Long(int(value))
    if isinstance(fld, peewee.DateTimeField):
        return wrap_date(value, zone)
    if isinstance(value, list):
        return list(value)
    return value


def as_date(value: Any) -> dt.date | None:
    """The calendar day of a script ``LocalDate`` (or Python date); None for anything else
    (a ZonedDateTime is not silently cut to its day)."""
    raw = unwrap_date(value)
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    return None


def as_utc_datetime(value: Any, zone: dt.tzinfo | None) -> dt.datetime | None:
    """The naive UTC datetime the store keeps for a script ``ZonedDateTime``; a naive
    Python datetime is taken in ``zone``. None for anything else (a LocalDate has no time)."""
    raw = unwrap_date(value)
    if not isinstance(raw, dt.datetime):
        return None
    if raw.tzinfo is None:
        raw = raw.replace(tzinfo=zone or dt.UTC)
    return raw.astimezone(dt.UTC).replace(tzinfo=None)
