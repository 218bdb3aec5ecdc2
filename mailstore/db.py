"""Opening the database from one URL, and the lock that serialises migrations."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import peewee
from playhouse.db_url import parse as parse_db_url

__all__ = [
    "DatabaseUrlError",
    "execute",
    "open_database",
    "is_postgresql",
    "is_sqlite",
    "describe_url",
    "exclusive_lock",
]

#: how long a process waits for another one's migration (or any write lock) on SQLite
SQLITE_BUSY_SECONDS = 60.0


class DatabaseUrlError(ValueError):
    """Raised by `open_database` for a URL it cannot use (unknown scheme, no path)."""


def open_database(url: str, *, connect: bool = True) -> peewee.Database:
    """Return a peewee database for *url*, connected unless *connect* is false.

    ``sqlite:///relative/path.db`` and ``sqlite:////absolute/path.db`` open a SQLite
    file in WAL mode with foreign keys on (SQLite ignores them by default, which would let
    a ReceivedEmailAttachment point at nothing) and a busy timeout, so a second process
    waits for the writer instead of failing at once. ``postgresql://user:pw@host:port/db``
    (or ``postgres://``) opens PostgreSQL through psycopg2; query parameters go to
    ``psycopg2.connect`` as they are, e.g. ``?options=-csearch_path%3Dtenant1`` to use
    another schema (the tests do this to keep parallel runs apart).

    Traps: ``sqlite://name.db`` (two slashes) is refused, since the name would read as a
    host; an in-memory SQLite database (``sqlite:///:memory:``) is one per connection, so
    it suits single-threaded tests only.

    >>> db = open_database("sqlite:///:memory:")
    >>> is_sqlite(db)
    True
    """
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        if parsed.netloc:
            raise DatabaseUrlError(
                f"{describe_url(url)}: a SQLite URL takes three slashes "
                "(sqlite:///relative.db or sqlite:////absolute/path.db)"
            )
        path = unquote(parsed.path[1:])
        if not path:
            raise DatabaseUrlError(f"{describe_url(url)}: the SQLite URL names no file")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db: peewee.Database = peewee.SqliteDatabase(
            path,
            pragmas=[
                ("journal_mode", "wal"),
                ("foreign_keys", 1),
                ("busy_timeout", int(SQLITE_BUSY_SECONDS * 1000)),
                # FULL, not NORMAL: the server is told (seen, moved, deleted) right
                # after a commit, so the commit must survive a power cut or kernel
                # crash too, not only a killed process. Under NORMAL the last commits
                # may roll back after a power cut, and a message the server already
                # deleted (``--after delete``) or moved would be lost with its records.
                # The price is one WAL fsync per commit (two a message: store, run).
                ("synchronous", "full"),
            ],
            timeout=SQLITE_BUSY_SECONDS,
        )
    elif scheme in ("postgresql", "postgres"):
        params = parse_db_url(url, unquote_password=True, unquote_user=True)
        name = params.pop("database")
        if not name:
            raise DatabaseUrlError(f"{describe_url(url)}: the PostgreSQL URL names no database")
        db = peewee.PostgresqlDatabase(name, **params)
    else:
        raise DatabaseUrlError(
            f"{describe_url(url)}: unknown database kind {scheme!r} "
            "(use sqlite:///path or postgresql://user@host/db)"
        )
    if connect:
        db.connect(reuse_if_open=True)
    return db


def describe_url(url: str) -> str:
    """Return *url* with its password replaced by ``***``, for messages and logs."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def execute(db: peewee.Database, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """Return the cursor of raw *sql* run on *db* (``%s`` placeholders on PostgreSQL, ``?``
    on SQLite). Trap: never build *sql* from data; pass values in *params*."""
    runner: Any = db  # peewee's execute_sql is untyped
    return runner.execute_sql(sql, params)


def is_sqlite(db: peewee.Database) -> bool:
    """Return True when *db* is a SQLite database."""
    return isinstance(db, peewee.SqliteDatabase)


def is_postgresql(db: peewee.Database) -> bool:
    """Return True when *db* is a PostgreSQL database."""
    return isinstance(db, peewee.PostgresqlDatabase)


def _advisory_key(db: peewee.Database, name: str) -> int:
    # One lock per (schema, purpose): two test schemas in one database do not wait for
    # each other, two processes migrating the same schema do.
    schema = execute(db, "SELECT current_schema()").fetchone()[0]
    digest = hashlib.sha256(f"mailwright:{schema}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def exclusive_lock(db: peewee.Database, name: str = "migrate") -> Iterator[None]:
    """Run the block in one transaction that no other process can run at the same time.

    SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock at once, so a second
    process blocks (up to `SQLITE_BUSY_SECONDS`) until the first commits, then sees its
    work. PostgreSQL: ``pg_advisory_xact_lock`` on a key made from the current schema and
    *name*, released by the commit or rollback. The block commits when it ends and rolls
    back when it raises.

    Trap: must not be entered inside another transaction (the lock would come too late to
    protect what that transaction already read); that raises ``RuntimeError``.
    """
    if db.in_transaction():
        raise RuntimeError("exclusive_lock() must not be used inside a transaction")
    if is_sqlite(db):
        deadline = time.monotonic() + SQLITE_BUSY_SECONDS
        while True:
            try:
                txn = db.atomic("IMMEDIATE")
                txn.__enter__()
                break
            except peewee.OperationalError as err:
                # the busy handler normally waits; a lock held through a WAL checkpoint
                # can still report "locked" at once, so try again until the deadline
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            yield
        except BaseException as err:
            txn.__exit__(type(err), err, err.__traceback__)
            raise
        txn.__exit__(None, None, None)
    else:
        with db.atomic():
            execute(db, "SELECT pg_advisory_xact_lock(%s)", (_advisory_key(db, name),))
            yield
