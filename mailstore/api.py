"""The small Python API of mailstore: open a store, query records, read attached files.

>>> import tempfile
>>> from mailstore import Store
>>> folder = tempfile.mkdtemp()
>>> store = Store.open(f"sqlite:///{folder}/mail.db", blob_dir=f"{folder}/blobs", migrate=True)
>>> Doc = store.model("SubmittedDocument")
>>> doc = Doc.create(note="invoice 7", state=store.state("SubmittedDocument", "NEW"))
>>> [d.note for d in store.records("SubmittedDocument", state=store.state("SubmittedDocument", "NEW"))]
['invoice 7']
>>> sha, size = store.blobs.put_bytes(b"%PDF-1.4 ...")
>>> store.file(sha)[:8]
b'%PDF-1.4'
>>> store.close()
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, TypeVar

import peewee

from mailstore import models as m
from mailstore.blobs import BlobStore
from mailstore.config import Config
from mailstore.db import describe_url, is_postgresql, open_database
from mailstore.migrate import MigrationReport, migrate, pending_changes
from mailstore.schema import EntityModel, EntitySchema, build_models, default_schema, load_schema
from mailstore.secrets import SecretBox, load_secret_box

__all__ = ["Store", "StoreError", "insert_new", "insert_row"]

#: built-in types by name, readable through `Store.records` like business types
_BUILTIN_BY_NAME: dict[str, type[m.BaseModel]] = {
    cls.__name__: cls for cls in m.BUILTIN_MODELS if cls not in (m.SchemaVersion, m.EntityField)
}


class StoreError(Exception):
    """Raised for a store that cannot be used as asked: an unknown type or field, or a
    database that needs ``mailwright db migrate``."""


class Store:
    """An open entity store: the database, its models, the blob store and the secrets.

    Make one with `Store.open`; close it with `close` (or use ``with``). The built-in
    models are bound to this store's database while it is open (one store per process
    at a time).
    """

    def __init__(
        self,
        db: peewee.Database,
        schema: EntitySchema,
        blobs: BlobStore,
        config: Config | None = None,
        key_file: Path | None = None,
    ) -> None:
        self.db = db
        self.schema = schema
        self.blobs = blobs
        self.config = config
        self._key_file = key_file
        self._secrets: SecretBox | None = None
        #: the columns of each State row found by `state`, by (type, code): states change
        #: only by migration, and a handler asks for the same few for every e-mail
        self._states: dict[tuple[str, str], dict[str, Any]] = {}
        self.entity_models: dict[str, type[EntityModel]] = build_models(schema)
        m.bind(db)
        db.bind(list(self.entity_models.values()), bind_refs=False, bind_backrefs=False)

    @classmethod
    def open(
        cls,
        config_or_url: Config | str,
        *,
        schema: EntitySchema | str | Path | None = None,
        blob_dir: str | Path | None = None,
        migrate: bool = False,
    ) -> Store:
        """Return the store described by a `Config` or a database URL.

        *schema*: an `EntitySchema` or a schema file; default: the config's
        ``storage.schema``, else the shipped default schema. *blob_dir*: default the
        config's ``storage.blobs``, else ``blobs`` next to a SQLite file (required for
        PostgreSQL URLs without a config). With *migrate* the database is brought up to
        date first (`mailstore.migrate.migrate`); without it, a database that is not up
        to date raises `StoreError` listing what ``mailwright db migrate`` would change.
        A database that cannot be reached raises `StoreError` naming the URL (never its
        password).
        """
        config = config_or_url if isinstance(config_or_url, Config) else None
        url = config.database_url if config is not None else str(config_or_url)
        if schema is None and config is not None and config.schema_path is not None:
            schema = config.schema_path
        if isinstance(schema, str | Path):
            schema = load_schema(schema)
        entity_schema = schema if schema is not None else default_schema()
        if blob_dir is None:
            blob_dir = config.blob_dir if config is not None else _blobs_next_to(url)
        try:
            db = open_database(url)
        except (peewee.OperationalError, OSError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise StoreError(
                f"{describe_url(url)}: cannot connect to the database: {first}"
            ) from err
        try:
            if migrate:
                _migrate(db, entity_schema)
            else:
                pending = pending_changes(db, entity_schema)
                if pending:
                    raise StoreError(
                        "the database is not up to date; run `mailwright db migrate`:\n  "
                        + "\n  ".join(pending)
                    )
            return cls(
                db,
                entity_schema,
                BlobStore(blob_dir),
                config,
                config.key_file if config is not None else None,
            )
        except BaseException:
            db.close()
            raise

    # --- records -------------------------------------------------------------------

    def model(self, type_name: str) -> type[m.BaseModel]:
        """Return the model of *type_name*, a business type of the schema or a built-in one
        (``ReceivedEmail``, ``MailAccount``, ...); raise `StoreError` naming the closest."""
        found = self.entity_models.get(type_name) or _BUILTIN_BY_NAME.get(type_name)
        if found is None:
            names = list(self.entity_models) + list(_BUILTIN_BY_NAME)
            close = difflib.get_close_matches(type_name, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise StoreError(f"unknown type {type_name!r}{hint}")
        return found

    def records(
        self,
        type_name: str,
        *,
        order_by: str | None = None,
        limit: int | None = None,
        **filters: Any,
    ) -> list[Any]:
        """Return the records of *type_name* whose fields equal *filters*, by id unless
        *order_by* names a field (``"-created"``: descending; nulls come last either way).

        A filter value of None matches null; a record or an id matches a reference. The
        query runs in SQL. Raises `StoreError` for an unknown field.

        >>> store.records("ReceivedEmail", state="FAILED", order_by="-receivedDate")  # doctest: +SKIP
        """
        model = self.model(type_name)
        query = (
            model.select().where(*self._conditions(model, filters)) if filters else model.select()
        )
        if order_by:
            descending = order_by.startswith("-")
            fld = self._field(model, order_by.lstrip("-"))
            # NULLS LAST both ways: SQLite and PostgreSQL disagree on the default
            order = fld.desc(nulls="LAST") if descending else fld.asc(nulls="LAST")
            query = query.order_by(order, model._meta.primary_key)
        else:
            query = query.order_by(model._meta.primary_key)
        if limit is not None:
            query = query.limit(limit)
        return list(query)

    def count(self, type_name: str, **filters: Any) -> int:
        """Return how many records of *type_name* match *filters* (as `records`)."""
        model = self.model(type_name)
        query = model.select()
        if filters:
            query = query.where(*self._conditions(model, filters))
        return int(query.count())

    def get(self, type_name: str, record_id: int) -> Any:
        """Return the record of *type_name* with id *record_id*, or None."""
        model = self.model(type_name)
        return model.get_or_none(model._meta.primary_key == record_id)

    def state(self, type_name: str, code: str) -> m.State:
        """Return the `State` *code* of *type_name*; raise `StoreError` when it is not one.

        Read once per store (states change only through `migrate`, which forgets them);
        each call returns a new object, so changing one changes no other caller's.
        """
        known = self._states.get((type_name, code))
        if known is not None:
            copy = m.State(**known)
            dirty: set[str] = getattr(copy, "_dirty")  # noqa: B009 - peewee's, untyped
            dirty.clear()
            return copy
        found = m.State.get_or_none((m.State.typeName == type_name) & (m.State.code == code))
        if found is None:
            codes = [s.code for s in m.State.select().where(m.State.typeName == type_name)]
            raise StoreError(
                f"{type_name} has no state {code!r}"
                + (f" (its states: {', '.join(codes)})" if codes else " (it has no states)")
            )
        self._states[(type_name, code)] = dict(found.__data__)
        return found

    def _field(self, model: type[m.BaseModel], name: str) -> peewee.Field:
        fld: peewee.Field | None = model._meta.fields.get(name)
        if fld is None:
            close = difflib.get_close_matches(name, list(model._meta.fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise StoreError(f"{model.__name__} has no field {name!r}{hint}")
        return fld

    def _conditions(self, model: type[m.BaseModel], filters: dict[str, Any]) -> list[Any]:
        conditions = []
        for name, value in filters.items():
            fld = self._field(model, name)
            conditions.append(fld.is_null() if value is None else fld == value)
        return conditions

    # --- files ---------------------------------------------------------------------

    def file(self, sha256: str) -> bytes:
        """Return the content of the stored file *sha256* (`mailstore.blobs.BlobNotFound`
        when absent); prefer `open_file` for large files."""
        return self.blobs.read(sha256)

    def open_file(self, sha256: str) -> BinaryIO:
        """Return the stored file *sha256* opened for binary reading (close it after use)."""
        return self.blobs.open(sha256)

    def add_file(
        self, name: str, content: bytes | BinaryIO, content_type: str = "application/octet-stream"
    ) -> m.AttachedFile:
        """Store *content* (bytes, or a binary stream read in chunks) in the blob store and
        return a new `AttachedFile` row for it (saved; inside the caller's transaction).

        The content is written once however many files share it; the row is new each time
        (names differ). Trap: a blob written for a transaction that rolls back stays on
        disk until ``gc``; that is harmless (it is only unreferenced).
        """
        if isinstance(content, bytes | bytearray):
            sha, size = self.blobs.put_bytes(bytes(content))
        else:
            sha, size = self.blobs.put_stream(content)
        return m.AttachedFile.create(name=name, contentType=content_type, size=size, sha256=sha)

    def file_record(self, sha256: str) -> m.AttachedFile | None:
        """Return the first `AttachedFile` with this content, or None."""
        return m.AttachedFile.get_or_none(m.AttachedFile.sha256 == sha256)

    # --- secrets, transactions, closing --------------------------------------------

    @property
    def secrets(self) -> SecretBox:
        """Return the `SecretBox` (``MAILWRIGHT_SECRET_KEY``, else the config's key file,
        created when missing); raises `mailstore.secrets.SecretKeyError` without either."""
        if self._secrets is None:
            self._secrets = load_secret_box(self._key_file)
        return self._secrets

    def atomic(self) -> AbstractContextManager[Any]:
        """Return a transaction block: all of it is committed, or none of it.

        Blocks are for writing: on SQLite an outermost block begins ``IMMEDIATE``, holding
        the write lock from the start. A deferred transaction that reads and then writes
        fails at once with "database is locked" when another process committed in
        between, whatever the busy timeout (SQLITE_BUSY_SNAPSHOT in WAL mode); taking the
        lock first makes the other writer wait instead. Nested blocks are savepoints;
        PostgreSQL needs nothing of this (row locks and guarded UPDATEs decide there).
        """
        if isinstance(self.db, peewee.SqliteDatabase) and not self.db.in_transaction():
            return self.db.atomic("IMMEDIATE")
        return self.db.atomic()

    def migrate(self) -> MigrationReport:
        """Bring the database up to date with the store's schema; return what was done."""
        self._states.clear()
        return _migrate(self.db, self.schema)

    def iter_types(self) -> Iterator[str]:
        """Yield the names of the business types, in schema order."""
        yield from self.entity_models

    def close(self) -> None:
        """Close the database connection."""
        if not self.db.is_closed():
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _migrate(db: peewee.Database, schema: EntitySchema) -> MigrationReport:
    return migrate(db, schema)


def _blobs_next_to(url: str) -> Path:
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url[len("sqlite:///") :]).resolve().parent / "blobs"
    raise StoreError(f"give blob_dir= (or a Config) for {url.split('://')[0]} databases")


_Row = TypeVar("_Row", bound=peewee.Model)

#: the INSERT text of `insert_row`, by (PostgreSQL or not, model, column names)
_INSERT_SQL: dict[tuple[bool, type[peewee.Model], tuple[str, ...]], str] = {}


def insert_row(model: type[_Row], **values: Any) -> _Row:
    """Insert one row as ``model.create(**values)`` would; return it as a read would.

    Why not ``create``: building an INSERT's SQL costs more CPU than running it on SQLite
    (ingestion writes five rows a message). Here the text is built once per database
    kind, model and set of columns, and reused; the values are converted by the fields,
    as peewee does, and the model's defaults are filled the same way.

    The returned object holds each value converted to the database and back (a
    ``MailCharField`` cut, NUL replaced), so it equals the row read back by id; nothing
    of it is dirty. Raises ``peewee.IntegrityError`` as ``create`` does. Traps: no
    ``save`` override of the model runs (the built-in models have none); the search_path
    (not the model) decides the PostgreSQL schema, as for every query of this package.
    """
    row = model(**values)  # fills the defaults, as create does
    meta: Any = model._meta  # peewee's metadata is untyped
    fields, stored = _insert(row)
    data = row.__data__
    for f, value in zip(fields, stored, strict=True):
        data[f.name] = f.python_value(value)
    for name in meta.fields:  # what a read gives for the columns not written (no server
        data.setdefault(name, None)  # defaults in this package's models)
    return row


def insert_new(row: peewee.Model) -> None:
    """Insert the new *row* as ``row.save(force_insert=True)`` would, and set its id.

    The same SQL text reuse as `insert_row`; the values stay in *row* as given (as
    ``save`` leaves them) and nothing of it is dirty afterwards. Raises what ``save``
    raises (``peewee.IntegrityError``, ``peewee.DataError``).
    """
    _insert(row)


def _insert(row: peewee.Model) -> tuple[list[Any], list[Any]]:
    """Insert *row*'s ``__data__`` (but its id) and set its id; return the fields written
    and the values sent, as converted by those fields."""
    model = type(row)
    meta: Any = model._meta  # peewee's metadata is untyped
    data = row.__data__
    pk = meta.primary_key
    names = tuple(name for name in data if name != pk.name)
    fields = [meta.fields[name] for name in names]
    db: Any = meta.database
    pg = is_postgresql(db)
    key = (pg, model, names)
    sql = _INSERT_SQL.get(key)
    if sql is None:
        param = "%s" if pg else "?"
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        sql = (
            f'INSERT INTO "{meta.table_name}" ({columns}) '
            f"VALUES ({', '.join([param] * len(fields))})"
        )
        if pg:
            sql += f' RETURNING "{pk.column_name}"'
        _INSERT_SQL[key] = sql
    stored = [f.db_value(data[f.name]) for f in fields]
    cursor = db.execute_sql(sql, stored)
    data[pk.name] = cursor.fetchone()[0] if pg else cursor.lastrowid
    dirty: set[str] = getattr(row, "_dirty")  # noqa: B009 - peewee's private, untyped
    dirty.clear()
    return fields, stored
