"""The entity schema: business types declared in TOML, turned into peewee models.

A schema file declares each type under ``[types.NAME]`` with its fields and, optionally,
its states::

    [types.SubmittedDocument]
    states = { NEW = "New", PROCESSED = "Processed", REJECTED = "Rejected" }

    [types.SubmittedDocument.fields]
    note = "text"
    amount = { type = "decimal", digits = 19, places = 2 }
    attachments = { type = "list", of = "SubmittedDocumentAttachment", backref = "document" }

    [types.SubmittedDocumentAttachment.fields]
    document = { type = "reference", to = "SubmittedDocument" }
    attachedFile = "file"

Field kinds: ``string`` (``length``, default 255), ``text``, ``integer`` (64-bit),
``decimal`` (``digits`` default 19, ``places`` default 2), ``boolean``, ``date``,
``datetime`` (stored in UTC), ``reference`` (``to``: a type of the schema), ``list``
(``of``: a type whose ``backref`` field references this one; added to it when it does not
declare it), ``file`` (an AttachedFile). Any field but a list may say ``index = true``.
A type with ``states`` gets a ``state`` field referencing ``State``; the first state is
the initial one. Every field may be null. Each type is a table named in snake_case
(``submitted_document``) with a snake_case column per field (``attachment_names``,
``attached_file_id``), so queries run in SQL.
"""

from __future__ import annotations

import decimal
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import peewee

from mailstore.models import BUILTIN_TYPE_NAMES, AttachedFile, BaseModel, State, snake_case

__all__ = [
    "FIELD_KINDS",
    "EntityModel",
    "EntitySchema",
    "BoundedCharField",
    "CheckedTextField",
    "ExactDecimalField",
    "Int64Field",
    "FieldSpec",
    "SchemaError",
    "StateSpec",
    "TypeSpec",
    "build_models",
    "default_schema",
    "load_schema",
    "parse_schema",
]

FIELD_KINDS = (
    "string",
    "text",
    "integer",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "reference",
    "list",
    "file",
)
#: kinds stored as a foreign key column (``<column>_id``)
_KEY_KINDS = ("reference", "file", "state")
_TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]*\Z")
_FIELD_NAME = re.compile(r"[a-z][A-Za-z0-9]*\Z")
# names a field may not take: the primary key and everything a peewee model instance has
_RESERVED_FIELDS = frozenset({"id", "type"} | {n for n in dir(peewee.Model) if n[:1] != "_"})
_OPTIONS = {
    "string": {"length", "index"},
    "decimal": {"digits", "places", "index"},
    "reference": {"to", "index"},
    "list": {"of", "backref"},
}


class SchemaError(ValueError):
    """Raised for an entity schema that cannot be used; the message names file, type, field."""


@dataclass(frozen=True)
class StateSpec:
    """One state of a type: ``code`` as scripts use it, ``name`` for people."""

    code: str
    name: str


@dataclass(frozen=True)
class FieldSpec:
    """One declared field. ``target`` is the referenced or listed type (else None)."""

    name: str
    kind: str
    target: str | None = None
    backref: str | None = None
    length: int | None = None
    digits: int | None = None
    places: int | None = None
    index: bool = False

    @property
    def column(self) -> str | None:
        """Return the column name, or None for a list (it lives in the other table)."""
        if self.kind == "list":
            return None
        return snake_case(self.name) + ("_id" if self.kind in _KEY_KINDS else "")

    @property
    def detail(self) -> str:
        """Return what besides the kind defines the column; a change of it is a type change."""
        if self.kind in ("reference", "list"):
            return f"{self.target}" + (f".{self.backref}" if self.kind == "list" else "")
        if self.kind == "decimal":
            return f"{self.digits},{self.places}"
        if self.kind == "string":
            return str(self.length)
        return ""

    def describe(self) -> str:
        """Return the kind as the schema file spells it: ``decimal(19,2)``, ``list of X``."""
        if self.kind == "list":
            return f"list of {self.target}"
        if self.kind == "reference":
            return f"reference to {self.target}"
        if self.detail:
            return f"{self.kind}({self.detail})"
        return self.kind


@dataclass(frozen=True)
class TypeSpec:
    """One declared type: its fields in declaration order and its states."""

    name: str
    fields: tuple[FieldSpec, ...]
    states: tuple[StateSpec, ...] = ()

    @property
    def table(self) -> str:
        """Return the table name (snake_case of the type name)."""
        return snake_case(self.name)

    def field(self, name: str) -> FieldSpec | None:
        """Return the field called *name*, or None."""
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def initial_state(self) -> str | None:
        """Return the code of the first declared state, or None when there are no states."""
        return self.states[0].code if self.states else None


@dataclass(frozen=True)
class EntitySchema:
    """A parsed, checked schema: types by name, in declaration order."""

    types: dict[str, TypeSpec] = field(default_factory=dict)
    source: str = "<schema>"


def load_schema(path: str | Path) -> EntitySchema:
    """Return the schema read from the TOML file *path*; raise `SchemaError` naming it."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise SchemaError(f"{p}: cannot read the schema: {err.strerror or err}") from err
    return parse_schema(text, str(p))


def default_schema() -> EntitySchema:
    """Return the schema shipped with mailwright (``SubmittedDocument`` and its attachments)."""
    text = resources.files("mailstore").joinpath("default_schema.toml").read_text("utf-8")
    return parse_schema(text, "default_schema.toml")


def parse_schema(text: str, source: str = "<schema>") -> EntitySchema:
    """Return the schema declared by TOML *text*; *source* names it in error messages.

    Checks names, kinds, options, references (to declared types), list back references
    and reference cycles between different types (refused: their tables could not be
    created one after the other on PostgreSQL; a type may reference itself).

    >>> s = parse_schema('[types.Note.fields]\\ntext = "text"')
    >>> s.types["Note"].fields[0].kind
    'text'
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SchemaError(f"{source}: not valid TOML: {err}") from err
    unknown = set(data) - {"types"}
    if unknown:
        raise SchemaError(
            f"{source}: unknown top-level key {sorted(unknown)[0]!r} (want [types.X])"
        )
    raw_types = data.get("types", {})
    if not isinstance(raw_types, dict):
        raise SchemaError(f"{source}: types must be a table of [types.NAME] sections")
    types: dict[str, TypeSpec] = {}
    for type_name, raw in raw_types.items():
        types[type_name] = _parse_type(source, type_name, raw)
    types = _add_backrefs(source, types)
    schema = EntitySchema(types, source)
    _check_references(schema)
    return schema


def _parse_type(source: str, name: str, raw: Any) -> TypeSpec:
    where = f"{source}: {name}"
    if not _TYPE_NAME.match(name):
        raise SchemaError(
            f"{where}: a type name starts with an upper-case letter, letters and digits only"
        )
    if name in BUILTIN_TYPE_NAMES:
        raise SchemaError(f"{where}: the name of a built-in type; choose another")
    if not isinstance(raw, dict):
        raise SchemaError(f"{where}: must be a table with fields and states")
    extra = set(raw) - {"fields", "states"}
    if extra:
        raise SchemaError(f"{where}: unknown key {sorted(extra)[0]!r} (want fields or states)")
    states = _parse_states(where, raw.get("states", []))
    fields: list[FieldSpec] = []
    raw_fields = raw.get("fields", {})
    if not isinstance(raw_fields, dict):
        raise SchemaError(f"{where}.fields: must be a table of field = kind")
    for fname, fraw in raw_fields.items():
        fields.append(_parse_field(f"{where}.{fname}", fname, fraw))
    if states:
        if any(f.name == "state" for f in fields):
            raise SchemaError(f"{where}.state: declared by the states; remove the field")
        fields.insert(0, FieldSpec("state", "state", target="State"))
    columns: dict[str, str] = {}
    for f in fields:
        col = f.column
        if col is None:
            continue
        if col in columns:
            raise SchemaError(f"{where}.{f.name}: same column {col!r} as field {columns[col]!r}")
        columns[col] = f.name
    return TypeSpec(name, tuple(fields), states)


def _parse_states(where: str, raw: Any) -> tuple[StateSpec, ...]:
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [(c, c.capitalize() if isinstance(c, str) else c) for c in raw]
    else:
        raise SchemaError(f'{where}.states: a list of codes or a table CODE = "name"')
    states = []
    for code, name in pairs:
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", code):
            raise SchemaError(f"{where}.states: {code!r} is not an upper-case code like NEW")
        if not isinstance(name, str):
            raise SchemaError(f"{where}.states.{code}: the name must be a string")
        states.append(StateSpec(code, name))
    if len({s.code for s in states}) != len(states):
        raise SchemaError(f"{where}.states: a code is declared twice")
    return tuple(states)


def _parse_field(where: str, name: str, raw: Any) -> FieldSpec:
    if not _FIELD_NAME.match(name):
        raise SchemaError(
            f"{where}: a field name starts with a lower-case letter, letters and digits only"
        )
    if name in _RESERVED_FIELDS:
        raise SchemaError(f"{where}: {name!r} is reserved; choose another name")
    opts: dict[str, Any]
    if isinstance(raw, str):
        opts = {"type": raw}
    elif isinstance(raw, dict):
        opts = dict(raw)
    else:
        raise SchemaError(f'{where}: want a kind ("text") or a table {{ type = ... }}')
    kind = opts.pop("type", None)
    if kind not in FIELD_KINDS:
        close = difflib.get_close_matches(str(kind), FIELD_KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (one of {', '.join(FIELD_KINDS)})"
        raise SchemaError(f"{where}: unknown kind {kind!r}{hint}")
    allowed = _OPTIONS.get(kind, {"index"})
    extra = set(opts) - allowed
    if extra:
        raise SchemaError(f"{where}: {kind} takes no option {sorted(extra)[0]!r}")
    index = opts.get("index", False)
    if not isinstance(index, bool):
        raise SchemaError(f"{where}: index must be true or false")

    def positive(key: str, default: int, top: int) -> int:
        value = opts.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= top:
            raise SchemaError(f"{where}: {key} must be a whole number from 1 to {top}")
        return value

    if kind == "string":
        return FieldSpec(name, kind, length=positive("length", 255, 10_000), index=index)
    if kind == "decimal":
        digits = positive("digits", 19, 1000)
        places = opts.get("places", 2)
        if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= digits:
            raise SchemaError(f"{where}: places must be a whole number from 0 to digits ({digits})")
        return FieldSpec(name, kind, digits=digits, places=places, index=index)
    if kind == "reference":
        to = opts.get("to")
        if not isinstance(to, str):
            raise SchemaError(f'{where}: a reference needs to = "TypeName"')
        return FieldSpec(name, kind, target=to, index=index)
    if kind == "list":
        of = opts.get("of")
        if not isinstance(of, str):
            raise SchemaError(f'{where}: a list needs of = "TypeName"')
        backref = opts.get("backref")
        if backref is not None and not (isinstance(backref, str) and _FIELD_NAME.match(backref)):
            raise SchemaError(f"{where}: backref must be a field name")
        return FieldSpec(name, kind, target=of, backref=backref)
    return FieldSpec(name, kind, index=index)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _add_backrefs(source: str, types: dict[str, TypeSpec]) -> dict[str, TypeSpec]:
    # A list is one-to-many through a reference in the listed type: fill in the backref
    # name, and add the reference field to the listed type when it does not declare it.
    result = dict(types)
    for t in types.values():
        new_fields = []
        for f in t.fields:
            if f.kind == "list":
                where = f"{source}: {t.name}.{f.name}"
                child = result.get(f.target or "")
                if child is None:
                    raise SchemaError(
                        f"{where}: unknown type {f.target!r}{_suggest(f.target, types)}"
                    )
                backref = f.backref or _lower_first(t.name)
                f = FieldSpec(f.name, "list", target=f.target, backref=backref)
                existing = child.field(backref)
                if existing is None:
                    ref = FieldSpec(backref, "reference", target=t.name)
                    if backref in _RESERVED_FIELDS:
                        raise SchemaError(f"{where}: backref {backref!r} is reserved")
                    result[child.name] = TypeSpec(child.name, child.fields + (ref,), child.states)
                elif existing.kind != "reference" or existing.target != t.name:
                    raise SchemaError(
                        f"{where}: {child.name}.{backref} must be a reference to {t.name}, "
                        f"not {existing.describe()}"
                    )
            new_fields.append(f)
        current = result[t.name]
        # keep fields another list added to this type while we were iterating
        added = tuple(x for x in current.fields if x.name not in {n.name for n in t.fields})
        result[t.name] = TypeSpec(t.name, tuple(new_fields) + added, t.states)
    return result


def _suggest(name: str | None, types: dict[str, TypeSpec]) -> str:
    close = difflib.get_close_matches(str(name), list(types), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_references(schema: EntitySchema) -> None:
    edges: dict[str, set[str]] = {name: set() for name in schema.types}
    for t in schema.types.values():
        for f in t.fields:
            if f.kind == "reference":
                if f.target not in schema.types:
                    raise SchemaError(
                        f"{schema.source}: {t.name}.{f.name}: unknown type "
                        f"{f.target!r}{_suggest(f.target, schema.types)}"
                    )
                if f.target != t.name:
                    edges[t.name].add(f.target)
    # a depth-first search for a cycle between different types
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = visiting[visiting.index(name) :] + [name]
            raise SchemaError(
                f"{schema.source}: {name}: references form a cycle ({' -> '.join(cycle)}); "
                "only a type's references to itself may loop"
            )
        visiting.append(name)
        for target in sorted(edges[name]):
            visit(target)
        visiting.pop()
        done.add(name)

    for name in schema.types:
        visit(name)


def creation_order(schema: EntitySchema) -> list[TypeSpec]:
    """Return the types so that each comes after the types it references."""
    order: list[TypeSpec] = []
    seen: set[str] = set()

    def visit(t: TypeSpec) -> None:
        if t.name in seen:
            return
        seen.add(t.name)
        for f in t.fields:
            if f.kind == "reference" and f.target != t.name:
                visit(schema.types[f.target or ""])
        order.append(t)

    for t in schema.types.values():
        visit(t)
    return order


def _field_name(fld: peewee.Field) -> str:
    model = getattr(fld, "model", None)
    return f"{model.__name__}.{fld.name}" if model is not None else str(fld.name)


def _check_nul(fld: peewee.Field, value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(
            f"{_field_name(fld)}: the text contains a NUL character (\\u0000), "
            "which the database cannot store"
        )


class BoundedCharField(peewee.CharField):
    """A string field that refuses values longer than its length on every database.

    PostgreSQL would refuse them and SQLite would keep them: the same script must not
    work on one and fail on the other. Likewise a NUL character (PostgreSQL text cannot
    hold it). Raises ``ValueError`` naming the field.
    """

    def db_value(self, value: Any) -> Any:
        value = peewee.CharField.db_value(self, value)  # type: ignore[no-untyped-call,unused-ignore]
        if isinstance(value, str) and len(value) > self.max_length:
            raise ValueError(
                f"{_field_name(self)}: a string of {len(value)} characters is longer than "
                f"the field's {self.max_length}"
            )
        _check_nul(self, value)
        return value


class CheckedTextField(peewee.TextField):
    """A text field that refuses a NUL character on every database (``ValueError``)."""

    def db_value(self, value: Any) -> Any:
        value = peewee.TextField.db_value(self, value)  # type: ignore[no-untyped-call,unused-ignore]
        _check_nul(self, value)
        return value


class Int64Field(peewee.BigIntegerField):
    """A 64-bit integer field that refuses bigger numbers with a ``ValueError`` naming the
    field (the databases would fail each in their own way)."""

    def db_value(self, value: Any) -> Any:
        value = peewee.BigIntegerField.db_value(self, value)  # type: ignore[no-untyped-call,unused-ignore]
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise ValueError(f"{_field_name(self)}: {value} does not fit in 64 bits")
        return value


class ExactDecimalField(peewee.Field):
    """A decimal with a fixed number of places that refuses to round or overflow.

    Values are sent as text: PostgreSQL casts them to NUMERIC; SQLite stores them in a
    NUMERIC column as numbers, exact up to 15 significant digits, so on SQLite a value
    with more is refused rather than rounded. Read back they have the declared
    scale (``3.1`` reads ``Decimal('3.10')`` for 2 places), as Java's BigDecimal would
    keep it. A value with more places or digits raises ``ValueError`` naming the field:
    data is never silently lost.
    """

    field_type = "DECIMAL"

    def __init__(self, digits: int = 19, places: int = 2, **kwargs: Any) -> None:
        self.digits = digits
        self.places = places
        self._exp = decimal.Decimal(1).scaleb(-places)
        super().__init__(**kwargs)

    def get_modifiers(self) -> list[int]:
        return [self.digits, self.places]

    def _where(self) -> str:
        return _field_name(self)

    def db_value(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, float | int) and not isinstance(value, bool):
            value = decimal.Decimal(str(value))
        if not isinstance(value, decimal.Decimal) or not value.is_finite():
            raise ValueError(f"{self._where()}: {value!r} is not a decimal number")
        ctx = decimal.Context(prec=self.digits + 2, traps=[decimal.Inexact])
        try:
            exact = value.quantize(self._exp, context=ctx)
        except decimal.DecimalException:
            raise ValueError(
                f"{self._where()}: {value} has more than {self.places} decimal places"
            ) from None
        if len(exact.as_tuple().digits) > self.digits:
            raise ValueError(f"{self._where()}: {value} has more than {self.digits} digits")
        model = getattr(self, "model", None)
        db = model._meta.database if model is not None else None
        if isinstance(db, peewee.SqliteDatabase) and len(exact.normalize().as_tuple().digits) > 15:
            # SQLite keeps only 15 significant digits of a decimal in a NUMERIC column
            raise ValueError(
                f"{self._where()}: {value} has more than 15 significant digits, the most "
                "SQLite stores exactly (PostgreSQL stores up to the declared digits)"
            )
        return str(exact)

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return decimal.Decimal(str(value)).quantize(self._exp)


class EntityModel(BaseModel):
    """Base of the models built from the schema; ``_spec`` is the type's `TypeSpec`."""

    _spec: TypeSpec


def _column_field(t: TypeSpec, f: FieldSpec, models: dict[str, type[BaseModel]]) -> peewee.Field:
    common: dict[str, Any] = {"null": True, "column_name": f.column, "index": f.index}
    if f.kind == "string":
        return BoundedCharField(max_length=f.length or 255, **common)
    if f.kind == "text":
        return CheckedTextField(**common)
    if f.kind == "integer":
        return Int64Field(**common)
    if f.kind == "decimal":
        return ExactDecimalField(digits=f.digits or 19, places=f.places or 0, **common)
    if f.kind == "boolean":
        return peewee.BooleanField(**common)
    if f.kind == "date":
        return peewee.DateField(**common)
    if f.kind == "datetime":
        return peewee.DateTimeField(**common)
    common["index"] = True  # foreign keys are looked up from both sides
    id_name = f.name + "_id"
    if f.kind == "file":
        return peewee.ForeignKeyField(AttachedFile, backref="+", object_id_name=id_name, **common)
    if f.kind == "state":
        return peewee.ForeignKeyField(State, backref="+", object_id_name=id_name, **common)
    target: Any = "self" if f.target == t.name else models[f.target or ""]
    return peewee.ForeignKeyField(target, backref="+", object_id_name=id_name, **common)


def build_models(schema: EntitySchema) -> dict[str, type[EntityModel]]:
    """Return a peewee model class per type of *schema*, by type name, unbound.

    Each class has a field per declared field (``record.attachmentNames``), ``record.state``
    referencing `State`, and for a list field a back reference: ``document.attachments`` is
    a query of the SubmittedDocumentAttachment rows whose ``document`` is this document.
    The classes are new on every call (bind them with ``db.bind(models.values())``).
    """
    models: dict[str, type[EntityModel]] = {}
    lists: dict[tuple[str, str], str] = {}  # (child type, backref field) -> list field name
    for t in schema.types.values():
        for f in t.fields:
            if f.kind == "list":
                lists[(f.target or "", f.backref or "")] = f.name
    for t in creation_order(schema):
        attrs: dict[str, Any] = {"__module__": __name__, "_spec": t}
        for f in t.fields:
            if f.kind == "list":
                continue
            fld = _column_field(t, f, models)  # type: ignore[arg-type]
            list_name = lists.get((t.name, f.name))
            if list_name is not None and isinstance(fld, peewee.ForeignKeyField):
                fld.declared_backref = list_name
                fld.on_delete = "CASCADE"
            attrs[f.name] = fld
        attrs["Meta"] = type("Meta", (), {"table_name": t.table})
        models[t.name] = type(t.name, (EntityModel,), attrs)
    return {name: models[name] for name in schema.types}
