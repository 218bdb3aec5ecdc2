"""One handler run against the store: one database transaction, and what it did.

A `RunSession` opens a transaction (`begin`), gives host functions the store through
`current_session()`, and ends it (`end`): committed when the run succeeded and
``commit`` is set, else rolled back (a dry run, the default of ``mailwright run`` and the
REPL, rolls back even a successful run; ids assigned inside the transaction still show
in the report). It tracks the records the run created and changed and the mail it
queued, for the report of ARCHITECTURE.md ("run --json"), and writes the `ScriptRun` row
of a committed run, which survives a failed run (written after the rollback).

Records are managed as in JPA, which the original product's scripts assume: a record
read from the store (``entity``, ``find``...) and changed by the script is saved when the
run ends (and reported under ``changed``); a record made by ``createNew`` is inserted
only by ``persist`` (with the new records of its collections).

Example::

    session = RunSession(store, commit=False)
    with session.activate():
        doc = session.create("SubmittedDocument")
        session.persist(doc)
    session.created_json()   # [{"type": "SubmittedDocument", "id": 1, "fields": {...}}]
"""

from __future__ import annotations

import contextvars
import datetime as dt
import difflib
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import peewee

from mailstore import models as m
from mailstore.api import Store, StoreError, insert_new, insert_row
from mailstore.blobs import BlobNotFound
from mailstore.schema import EntityModel, EntitySchema, FieldSpec
from scriptengine.errors import EvalError
from scriptengine.host import TypeInfo
from scriptengine.thread import Thread
from scriptengine.values import JSet, java_class_name, to_json, to_string

from .dates import unwrap_date
from .email import FACES, EmailRecord
from .records import (
    READABLE_BUILTINS,
    BuiltinRecord,
    EntityRecord,
    Record,
    StateRecord,
    article,
    as_utc_datetime,
    builtin_type_info,
    entity_type_info,
    get_row,
)

_CURRENT: contextvars.ContextVar[RunSession | None] = contextvars.ContextVar(
    "mailwright_run_session", default=None
)

#: types scripts may read but whose rows they never write
_FACE_TYPES = {cls.type_name: model for model, cls in FACES.items()}
#: the built-in fields each face lets scripts filter on (the columns it shows)
_FACE_FILTERS: dict[str, tuple[str, ...]] = {
    "ReceivedEmail": (
        "mailAccount",
        "folder",
        "messageId",
        "inReplyTo",
        "mailFrom",
        "mailFromName",
        "subject",
        "sentDate",
        "receivedDate",
        "signed",
        "sentEmail",
        "state",
        "note",
    ),
    "MailAccount": ("name", "address", "purpose"),
    "ReceivedEmailAttachment": ("attachedFile", "inline", "contentId"),
    "AttachedFile": ("name", "contentType", "size", "sha256"),
    "SentEmail": ("messageId", "subject", "sentDate", "state"),
    "State": ("code", "name", "typeName"),
}


def current_session(function: str) -> RunSession:
    """The run's session; ``EvalError`` naming ``function`` when no store is attached."""
    session = _CURRENT.get()
    if session is None:
        raise EvalError(f"{function} needs the store, and this run has none")
    return session


def active_session() -> RunSession | None:
    """The session of the current run, or None."""
    return _CURRENT.get()


class RunSession:
    """The store side of one run: its transaction, identity map, created/changed records
    and queued mail. Not thread-safe: one run, one thread."""

    def __init__(
        self,
        store: Store,
        *,
        commit: bool = False,
        zone: dt.tzinfo | None = None,
        thread: Thread | None = None,
    ) -> None:
        self.store = store
        self.commit = commit
        self.zone = zone
        self.thread = thread
        self._types = _type_infos(store.schema)
        #: findState's answers in this run, by (type, code): states change only through
        #: ``migrate``, never inside a run (`Store.state` keeps them per store already)
        self._states: dict[tuple[str, str], StateRecord] = {}
        self._rows: dict[tuple[str, int], Record] = {}
        self.created: list[EntityRecord] = []
        self._created_ids: set[int] = set()
        #: record -> names of the fields the run changed (stored records only)
        self.changed: dict[Record, list[str]] = {}
        self.removed: list[dict[str, Any]] = []
        self.queued: list[m.SentEmail] = []
        self._txn: Any = None
        self._token: contextvars.Token[RunSession | None] | None = None

    # --- the transaction ---------------------------------------------------------------
    def begin(self) -> None:
        """Open the run's transaction and make this the current session."""
        if self._txn is not None:
            raise RuntimeError("the run's transaction is already open")
        self._txn = self.store.atomic()
        self._txn.__enter__()
        self._token = _CURRENT.set(self)

    def end(self, ok: bool, *, flushed: bool = False) -> bool:
        """Close the transaction: commit when ``ok`` and ``commit``, else roll back.

        Saves the changed stored records first (their errors roll back and are raised as
        ``EvalError``), unless ``flushed``: the caller called `flush` after the script's
        last change (the ingestion run does, to record a failure of it as the script's).
        Returns True when the transaction was committed."""
        if self._txn is None:
            raise RuntimeError("the run's transaction is not open")
        txn, self._txn = self._txn, None
        if self._token is not None:
            try:
                _CURRENT.reset(self._token)
            except ValueError:  # ended in another context (a REPL's event loop): just clear
                _CURRENT.set(None)
            self._token = None
        keep = ok and self.commit
        try:
            if ok and not flushed:
                self.flush()
        except BaseException as exc:
            txn.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if keep:
            txn.__exit__(None, None, None)
        else:
            rollback = _Rollback()
            txn.__exit__(_Rollback, rollback, None)
        return keep

    @contextmanager
    def activate(self) -> Iterator[RunSession]:
        """``with session.activate():`` begin, then end (ok unless an exception left)."""
        self.begin()
        ok = False
        try:
            yield self
            ok = True
        finally:
            if self._txn is not None:
                self.end(ok)

    @property
    def is_open(self) -> bool:
        """True between `begin` and `end`."""
        return self._txn is not None

    # --- limits ---------------------------------------------------------------------------
    def charge(self, steps: int, chars: int = 0) -> None:
        """Charge host work to the run's thread (when it has one)."""
        if self.thread is not None:
            self.thread.charge(steps)
            if chars:
                self.thread.check_string(chars)

    def read_file(self, sha256: str) -> bytes:
        """The content of a stored file; ``EvalError`` when the blob store lacks it."""
        try:
            return self.store.file(sha256)
        except BlobNotFound:
            raise EvalError(
                f"the content of file {sha256[:12]}... is missing from the store"
            ) from None

    # --- types and rows ----------------------------------------------------------------------
    def type_names(self) -> list[str]:
        """Every type name scripts may use with find/findAll/count."""
        return list(self._types) + list(_FACE_TYPES) + ["State"] + list(READABLE_BUILTINS)

    def model(self, type_name: Any, function: str) -> type[m.BaseModel]:
        """The model of a readable type; ``EvalError`` naming the closest type otherwise."""
        if not isinstance(type_name, str):
            raise EvalError(
                f"{function} expects a type name (a String), not {article(java_class_name(type_name))}"
            )
        if type_name in self._types:
            return self.store.model(type_name)
        if type_name in _FACE_TYPES:
            return _FACE_TYPES[type_name]
        if type_name == "State":
            return m.State
        if type_name in READABLE_BUILTINS:
            return READABLE_BUILTINS[type_name][0]
        raise unknown_type(type_name, self.type_names())

    def wrap(self, row: Any) -> Any:
        """The one host object for ``row`` in this run (the same object every time, so
        ``==`` and changes are shared), or None for None."""
        if row is None:
            return None
        if isinstance(row, Record):
            return row
        model = type(row)
        type_name = model.__name__
        key = (type_name, int(row.id))
        found = self._rows.get(key)
        if found is not None:
            return found
        record: Record
        if isinstance(row, EntityModel):
            spec = self.store.schema.types[type_name]
            record = EntityRecord(self, row, spec, self._types[type_name])
        elif model in FACES:
            record = FACES[model](self, row)
        elif model is m.State:
            record = StateRecord(self, row)
        elif type_name in READABLE_BUILTINS:
            record = BuiltinRecord(self, row, builtin_type_info(type_name))
        else:
            raise EvalError(f"{type_name} rows are not readable by scripts")
        self._rows[key] = record
        return record

    def load(self, type_name: str, record_id: int) -> Any:
        """The record ``type_name`` #``record_id`` (from the identity map first), or None."""
        found = self._rows.get((type_name, int(record_id)))
        if found is not None:
            return found
        model = self.model(type_name, "find")
        return self.wrap(get_row(model, record_id))

    def load_list(self, record: EntityRecord, spec: FieldSpec) -> list[Any]:
        """The stored members of the collection ``spec`` of ``record``, by id."""
        child = self.store.model(spec.target or "")
        backref = child._meta.fields[spec.backref or ""]
        rows = list(child.select().where(backref == record.record_id).order_by(child.id))
        self.charge(1 + len(rows))
        return [self.wrap(r) for r in rows]

    # --- making and saving records ---------------------------------------------------------
    def create(self, type_name: Any) -> EntityRecord:
        """A new record of a business type, in its initial state; not stored until persisted."""
        if not isinstance(type_name, str) or type_name not in self._types:
            if isinstance(type_name, str) and type_name in self.type_names():
                raise EvalError(
                    f"createNew makes records of the schema's types; {type_name} is built in"
                )
            if not isinstance(type_name, str):
                raise EvalError(
                    "createNew expects a type name (a String), not "
                    + article(java_class_name(type_name))
                )
            raise unknown_type(type_name, list(self._types))
        spec = self.store.schema.types[type_name]
        row = self.store.model(type_name)()
        record = EntityRecord(self, row, spec, self._types[type_name])
        if spec.initial_state is not None:
            record.refs["state"] = self.find_state(type_name, spec.initial_state)
        self.charge(1)
        return record

    def find_state(self, type_name: Any, code: Any) -> StateRecord:
        """The State ``code`` of ``type_name``; ``EvalError`` listing the type's states."""
        if not isinstance(type_name, str) or not isinstance(code, str):
            raise EvalError("findState expects a type name and a state code (Strings)")
        known = self._states.get((type_name, code))
        if known is not None:
            return known
        if type_name not in self._types:
            raise unknown_type(type_name, list(self._types))
        try:
            row = self.store.state(type_name, code)
        except StoreError as err:
            raise EvalError(str(err)) from None
        state: StateRecord = self.wrap(row)
        self._states[(type_name, code)] = state
        return state

    def persist(self, record: Any) -> Any:
        """Insert a new record, or save a stored one's changes; then the same for the new
        and changed records of its collections (each gets this record as its back
        reference). Returns the record."""
        if isinstance(record, EmailRecord):
            self._save(record)
            return record
        if isinstance(record, Record) and not isinstance(record, EntityRecord):
            raise EvalError(f"{record.type_name} records are read-only to scripts")
        if not isinstance(record, EntityRecord):
            raise EvalError(
                "persist expects a record made by createNew or read from the store, not "
                + article(java_class_name(record))
            )
        self._persist(record, set())
        return record

    def _persist(self, record: EntityRecord, seen: set[int]) -> None:
        if id(record) in seen:
            return
        seen.add(id(record))
        self._save(record)
        for f in record.spec.fields:
            if f.kind != "list" or f.name not in record.lists:
                continue
            members = record.lists[f.name]
            for item in list(members):
                if not isinstance(item, EntityRecord) or item.type_name != f.target:
                    raise EvalError(
                        f"{f.name} of {record.type_name} holds {f.target} records, not "
                        + article(java_class_name(item))
                    )
                item.refs[f.backref or ""] = record
                self._persist(item, seen)

    def _save(self, record: Record) -> None:
        row = record.row
        if isinstance(record, EntityRecord):
            for name, target in record.refs.items():
                if target is not None and target.record_id is None:
                    raise EvalError(
                        f"field '{name}' of {record.type_name} refers to a new "
                        f"{target.type_name} that is not persisted yet: persist it first"
                    )
                ref_id = None if target is None else target.record_id
                if row.__data__.get(name) != ref_id:
                    setattr(row, name, ref_id)
        new = row.id is None
        dirty = record.dirty_fields()
        if not new and not dirty:
            return
        try:
            with statement_block(self.store):  # a failed write leaves the run usable
                if new and type(row)._meta.auto_increment:
                    insert_new(row)  # save's INSERT, with its SQL text built once
                elif new:
                    row.save(force_insert=True)
                else:
                    row.save(only=[type(row)._meta.fields[n] for n in dirty])
        except (peewee.IntegrityError, peewee.DataError, ValueError) as err:
            raise EvalError(f"cannot save {record.jexl_string()}: {_db_message(err)}") from None
        self.charge(2)
        record.mark_saved()
        if new:
            self._rows[(record.type_name, int(row.id))] = record
            if isinstance(record, EntityRecord):
                self.created.append(record)
                self._created_ids.add(id(record))
        elif id(record) not in self._created_ids:
            fields = self.changed.setdefault(record, [])
            fields.extend(n for n in dirty if n not in fields)

    def flush(self) -> None:
        """Save every stored record the run changed but did not persist (JPA's dirty
        checking at commit)."""
        for record in list(self._rows.values()):
            if isinstance(record, EntityRecord | EmailRecord) and record.record_id is not None:
                if isinstance(record, EntityRecord):
                    for name, target in record.refs.items():
                        ref_id = None if target is None else target.record_id
                        if target is not None and ref_id is None:
                            continue  # a reference to an unsaved record is not saved
                        if record.row.__data__.get(name) != ref_id:
                            setattr(record.row, name, ref_id)
                if record.dirty_fields():
                    self._save(record)

    def remove(self, record: Any) -> None:
        """Delete a stored business record and the members of its collections."""
        if not isinstance(record, EntityRecord):
            if isinstance(record, Record):
                raise EvalError(f"{record.type_name} records cannot be removed by scripts")
            raise EvalError("remove expects a record, not " + article(java_class_name(record)))
        rid = record.record_id
        if rid is None:
            raise EvalError(f"{record.type_name} record is not stored: nothing to remove")
        try:
            with self.store.atomic():
                for f in record.spec.fields:
                    if f.kind == "list":
                        child = self.store.model(f.target or "")
                        backref = child._meta.fields[f.backref or ""]
                        child.delete().where(backref == rid).execute()
                type(record.row).delete_by_id(rid)
        except peewee.IntegrityError as err:
            raise EvalError(
                f"cannot remove {record.jexl_string()}: other records refer to it "
                f"({_db_message(err)})"
            ) from None
        self.charge(2)
        self._rows.pop((record.type_name, rid), None)
        self.changed.pop(record, None)
        if id(record) in self._created_ids:
            self._created_ids.discard(id(record))
            self.created = [r for r in self.created if r is not record]
        else:
            self.removed.append({"type": record.type_name, "id": rid})
        record.row.id = None
        record.saved = {}

    def change_state(self, record: Any, code: Any) -> Any:
        """Set the record's state by code; a stored record is saved at once."""
        if not isinstance(record, EntityRecord) or record.spec.field("state") is None:
            raise EvalError(
                "changeState expects a record of a type with states, not "
                + (record.type_name if isinstance(record, Record) else java_class_name(record))
            )
        record.refs["state"] = self.find_state(record.type_name, code)
        if record.record_id is not None:
            self._save(record)
        return record

    # --- queries ----------------------------------------------------------------------------
    def select(
        self,
        type_name: Any,
        filters: Any,
        function: str,
        order_by: Any = None,
        limit: Any = None,
    ) -> Any:
        """The SQL query of find/findOne/findAll/count: equality filters on fields."""
        model = self.model(type_name, function)
        query = model.select()
        if isinstance(filters, JSet) and len(filters) == 0:
            filters = None  # ``{}`` is an empty Set in the language; read it as no filters
        if filters is not None:
            if not isinstance(filters, Mapping):
                raise EvalError(
                    f"{function} expects its filters as a Map ({{'field': value}}), not "
                    + article(java_class_name(filters))
                )
            for name, value in filters.items():
                fld = self._filter_field(model, str(type_name), name, function)
                query = query.where(self._condition(model, str(type_name), fld, value))
        if order_by is not None:
            if not isinstance(order_by, str) or not order_by.lstrip("-+"):
                raise EvalError("orderBy is a field name, with '-' in front for descending")
            descending = order_by.startswith("-")
            fld = self._filter_field(model, str(type_name), order_by.lstrip("-+"), function)
            order = fld.desc(nulls="LAST") if descending else fld.asc(nulls="LAST")
            query = query.order_by(order, model._meta.primary_key)
        else:
            query = query.order_by(model._meta.primary_key)
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise EvalError("limit is a whole number of records, 0 or more")
            query = query.limit(int(limit))
        return query

    def _filter_field(
        self, model: type[m.BaseModel], type_name: str, name: Any, function: str
    ) -> peewee.Field:
        if type_name in self._types:
            spec = self.store.schema.types[type_name]
            allowed = ["id"] + [f.name for f in spec.fields if f.kind != "list"]
        elif type_name in _FACE_FILTERS:
            allowed = ["id", *_FACE_FILTERS[type_name]]
        else:
            allowed = ["id", *READABLE_BUILTINS[type_name][1]]
        if not isinstance(name, str) or name not in allowed:
            label = to_string(name)
            close = difflib.get_close_matches(label, allowed, n=1)
            raise EvalError(
                f"{function}: {type_name} has no field '{label}' to filter or order by",
                hint=f"did you mean '{close[0]}'?" if close else None,
            )
        fld: peewee.Field = model._meta.fields[name]
        return fld

    def _condition(
        self, model: type[m.BaseModel], type_name: str, fld: peewee.Field, value: Any
    ) -> Any:
        if value is None:
            return fld.is_null()
        if isinstance(fld, peewee.ForeignKeyField):
            if isinstance(value, Record):
                rid = value.record_id
                if rid is None:
                    raise EvalError(f"the {value.type_name} record is not stored yet")
                return fld == rid
            if isinstance(value, str) and fld.rel_model is m.State and fld.name == "state":
                return fld == self.find_state(type_name, value).record_id
            if isinstance(value, int) and not isinstance(value, bool):
                return fld == int(value)
            raise EvalError(
                f"field '{fld.name}' of {type_name} is a reference: filter it by a record "
                f"or an id, not {article(java_class_name(value))}"
            )
        if isinstance(fld, peewee.DateTimeField):
            moment = as_utc_datetime(value, self.zone)
            if moment is None:
                raise EvalError(f"field '{fld.name}' of {type_name} is a date and time")
            return fld == moment
        raw = value
        if isinstance(value, Record):
            raise EvalError(f"field '{fld.name}' of {type_name} is not a reference")
        if hasattr(value, "jexl_type_info") and value.jexl_type_info().enum_like:
            raw = value.jexl_string()
        elif isinstance(value, list | dict | JSet):
            raise EvalError("filters compare a field with one value, not with a collection")
        else:
            raw = unwrap_date(value)
        # plain Python values for the database driver (Long, Char are subclasses)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = int(raw)
        elif isinstance(raw, str):
            raw = str.__str__(raw)
        elif isinstance(raw, float):
            raw = float(raw)
        return fld == raw

    def find(self, type_name: Any, record_id: Any) -> Any:
        """The record of that type and id, or None."""
        model = self.model(type_name, "find")
        if isinstance(record_id, bool) or not isinstance(record_id, int):
            raise EvalError(
                f"find expects an id (a whole number), not {article(java_class_name(record_id))}"
            )
        found = self._rows.get((str(type_name), int(record_id)))
        if found is not None:
            return found
        self.charge(1)
        return self.wrap(get_row(model, int(record_id)))

    def find_all(
        self, type_name: Any, filters: Any = None, options: Any = None, function: str = "findAll"
    ) -> list[Any]:
        """The matching records (by id unless ``orderBy``), at most ``limit``."""
        order_by = limit = None
        if options is not None:
            if not isinstance(options, Mapping):
                raise EvalError(
                    f"{function} expects its options as a Map, not "
                    + article(java_class_name(options))
                )
            for key in options:
                if key not in ("orderBy", "limit"):
                    close = difflib.get_close_matches(to_string(key), ["orderBy", "limit"], n=1)
                    raise EvalError(
                        f"{function}: unknown option '{to_string(key)}' (orderBy, limit)",
                        hint=f"did you mean '{close[0]}'?" if close else None,
                    )
            order_by, limit = options.get("orderBy"), options.get("limit")
        query = self.select(type_name, filters, function, order_by, limit)
        rows = list(query)
        if self.thread is not None:
            self.thread.check_items(len(rows))
        self.charge(1 + len(rows))
        return [self.wrap(r) for r in rows]

    def find_one(self, type_name: Any, filters: Any) -> Any:
        """The one matching record, or None; ``EvalError`` when several match."""
        rows = list(self.select(type_name, filters, "findOne", None, 2))
        self.charge(1 + len(rows))
        if len(rows) > 1:
            total = self.select(type_name, filters, "findOne").count()
            raise EvalError(
                f"findOne found {total} {type_name} records matching "
                f"{to_string(filters)}; use findAll"
            )
        return self.wrap(rows[0]) if rows else None

    def count(self, type_name: Any, filters: Any = None) -> int:
        """How many records match (counted in SQL)."""
        self.charge(1)
        return int(self.select(type_name, filters, "count").count())

    def param(self, name: Any) -> str | None:
        """The value of the global parameter ``name``, or None."""
        if not isinstance(name, str):
            raise EvalError("param expects a parameter name (a String)")
        self.charge(1)
        row = m.GlobalParameter.get_or_none(m.GlobalParameter.name == name)
        return None if row is None else row.value

    # --- mail -----------------------------------------------------------------------------
    def queue(self, fields: dict[str, Any], attachments: list[Record]) -> m.SentEmail:
        """Write a QUEUED SentEmail (and its attachments) in the run's transaction."""
        with self.store.atomic():
            row = m.SentEmail.create(state="QUEUED", **fields)
            for position, file_record in enumerate(attachments):
                m.SentEmailAttachment.create(
                    sentEmail=row, attachedFile=file_record.record_id, position=position
                )
        self.charge(2 + len(attachments))
        self.queued.append(row)
        return row

    # --- the report -------------------------------------------------------------------------
    def created_json(self) -> list[dict[str, Any]]:
        """``created`` of the report: every record the run inserted, all its fields."""
        out = []
        for record in self.created:
            fields = {f.name: record.field_json(f.name) for f in record.spec.fields}
            out.append({"type": record.type_name, "id": record.record_id, "fields": fields})
        return out

    def changed_json(self) -> list[dict[str, Any]]:
        """``changed`` of the report: stored records with the fields the run changed (a
        removed record has ``"removed": true`` and no fields)."""
        out: list[dict[str, Any]] = []
        for record, names in self.changed.items():
            fields = {n: record.field_json(n) for n in names}
            out.append({"type": record.type_name, "id": record.record_id, "fields": fields})
        for gone in self.removed:
            out.append({**gone, "fields": {}, "removed": True})
        return out

    def queued_json(self) -> list[dict[str, Any]]:
        """``queued`` of the report: to, cc, subject and Message-ID of each queued mail."""
        return [
            {
                "to": list(row.to or []),
                "cc": list(row.cc or []),
                "subject": row.subject,
                "messageId": row.messageId,
            }
            for row in self.queued
        ]

    def touched(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``(created, changed)`` as ``[{"type", "id"}]`` lists, for the ScriptRun row."""
        created = [{"type": r.type_name, "id": r.record_id} for r in self.created]
        changed = [{"type": r.type_name, "id": r.record_id} for r in self.changed]
        changed += [dict(g) for g in self.removed]
        return created, changed


class _Rollback(Exception):
    """Passed to the transaction's ``__exit__`` to roll it back (never raised)."""


def unknown_type(type_name: str, known: list[str]) -> EvalError:
    """``unknown type 'X'`` with the closest known type as the hint."""
    close = difflib.get_close_matches(type_name, known, n=1)
    return EvalError(
        f"unknown type '{type_name}'", hint=f"did you mean '{close[0]}'?" if close else None
    )


def statement_block(store: Store) -> AbstractContextManager[Any]:
    """What one write statement of a run needs so that its failure leaves the run's
    transaction usable: a savepoint (``store.atomic()``), but nothing on SQLite inside an
    open transaction, where a failed statement undoes itself and nothing else (SQLite's
    default ABORT conflict resolution) and the savepoint's two statements would double
    the cost of a small INSERT. Errors that end SQLite's transaction (disk full, I/O)
    are ``OperationalError``s, raised either way. PostgreSQL aborts the whole
    transaction on any error: there the savepoint is needed."""
    db = store.db
    if isinstance(db, peewee.SqliteDatabase) and db.in_transaction():
        return nullcontext()
    return store.atomic()


#: the TypeInfos of a schema's types, by schema (kept with it: identity, not equality)
_TYPE_INFOS: dict[int, tuple[EntitySchema, dict[str, TypeInfo]]] = {}


def _type_infos(schema: EntitySchema) -> dict[str, TypeInfo]:
    """``entity_type_info`` of each type of ``schema``, made once per schema object (every
    run made them again; they are read-only). Trap: callers must not change the dict."""
    cached = _TYPE_INFOS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, {name: entity_type_info(spec) for name, spec in schema.types.items()})
        _TYPE_INFOS[id(schema)] = cached
    return cached[1]


def _db_message(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else "the database refused it"


def write_script_run(
    store: Store,
    *,
    email_id: int | None,
    script_name: str,
    source: str,
    outcome: str,
    duration_ms: float,
    steps: int,
    result: Any = None,
    error: tuple[str, int, int] | None = None,
    created: list[dict[str, Any]] | None = None,
    changed: list[dict[str, Any]] | None = None,
    logs: list[str] | None = None,
    committed: bool = True,
    started_at: dt.datetime | None = None,
    email_stored: bool = False,
) -> m.ScriptRun:
    """Insert the ScriptRun row of a run (in the caller's transaction, or its own).

    ``error`` is ``(message, line, column)``; ``result`` a JSON-ready value
    (``scriptengine.values.to_json``); ``email_id`` is dropped when that e-mail is no
    longer stored (a failed run under ``--commit`` rolled it back). ``started_at``: when
    the run started (naive UTC, the store's convention); by default now less
    ``duration_ms``, since the row is written after the run (a failed run's after its
    rollback). ``email_stored``: the caller knows the e-mail is stored in its open
    transaction (it is not looked up then, and the row goes in without a savepoint of its
    own: its failure fails the caller's transaction, which the caller rolls back)."""
    if started_at is None:
        started_at = m.utcnow() - dt.timedelta(milliseconds=duration_ms)
    with nullcontext() if email_stored else statement_block(store):
        if (
            email_id is not None
            and not email_stored
            and m.ReceivedEmail.get_or_none(m.ReceivedEmail.id == email_id) is None
        ):
            email_id = None
        # insert_row: the same row as create, with SQL text built once
        return insert_row(
            m.ScriptRun,
            receivedEmail=email_id,
            scriptName=script_name,
            scriptSha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
            startedAt=started_at,
            durationMs=duration_ms,
            steps=steps,
            outcome=outcome,
            result=result,
            errorMessage=error[0] if error else None,
            errorLine=error[1] if error else None,
            errorColumn=error[2] if error else None,
            created=created or [],
            changed=changed or [],
            logLines=logs or [],
            committed=committed,
        )


def json_value(value: Any) -> Any:
    """``to_json`` of a script value, or its string form when it has none."""
    try:
        return to_json(value)
    except EvalError:
        return to_string(value)
