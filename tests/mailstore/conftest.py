"""Fixtures for the store tests: a database URL and a `Store`, on SQLite and PostgreSQL.

Every test that uses ``db_url``, ``db`` or ``store`` runs twice: on a SQLite file in its
own temporary folder, and on PostgreSQL when ``MAILWRIGHT_TEST_DATABASE_URL`` is set
(skipped otherwise). On PostgreSQL each test gets a schema of its own (``search_path``
in the URL), dropped afterwards, so tests running in parallel (``pytest -n 2``) never
see each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import peewee
import pytest

from mailstore.api import Store
from mailstore.db import open_database

PG_ENV = "MAILWRIGHT_TEST_DATABASE_URL"
#: the repository root, for subprocesses that import mailstore
REPO_ROOT = Path(__file__).resolve().parents[2]


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote('-csearch_path=' + schema)}"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database of the parametrised kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    schema = "t_" + uuid.uuid4().hex[:16]
    admin = open_database(base)
    try:
        admin.execute_sql(f'CREATE SCHEMA "{schema}"')
        yield _pg_schema_url(base, schema)
    finally:
        admin.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@pytest.fixture
def db(db_url: str) -> Iterator[peewee.Database]:
    """Yield an open connection to the empty database of ``db_url``."""
    database = open_database(db_url)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    """Yield a migrated store with the default schema and a blob folder in ``tmp_path``."""
    s = Store.open(db_url, blob_dir=tmp_path / "blobs", migrate=True)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """Return an environment in which ``python -c`` can import mailstore."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env
