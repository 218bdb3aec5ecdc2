"""``mailwright db migrate``: bring the database up to date with the code and the schema.

Runs ``mailstore.migrate.migrate`` under its lock (two processes never migrate at once:
the second waits, then finds nothing to do) and prints what changed, or ``up to date``.
A change that could lose data is refused with every reason, and nothing is changed.
"""

from __future__ import annotations

import argparse

import peewee
from rich.console import Console

from mailstore.db import describe_url, open_database
from mailstore.migrate import MigrationError, migrate
from mailstore.schema import SchemaError, default_schema, load_schema

from ..context import resolve_config
from ._common import UsageError

NAME = "db"
HELP = "database maintenance: db migrate"
DESCRIPTION = (
    "Database maintenance. `mailwright db migrate` creates or updates the tables of the "
    "built-in types and of the schema's types, and the states; it refuses (changing "
    "nothing) what could lose data."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION")
    migrate_parser = sub.add_parser(
        "migrate",
        help="create or update the database's tables",
        description="Bring the database up to date with this mailwright and the schema.",
    )
    # every command takes --config (and --debug) after its own words too; SUPPRESS keeps
    # a value given before `migrate` when none is given after it
    migrate_parser.add_argument(
        "--config", metavar="FILE", default=argparse.SUPPRESS, help="the mailwright.toml to use"
    )
    migrate_parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )


def run(args: argparse.Namespace, console: Console) -> int:
    if getattr(args, "db_command", None) != "migrate":
        raise UsageError("say what to do: mailwright db migrate")
    config = resolve_config(args.config)
    if config is None:
        raise UsageError(
            "no mailwright.toml here: give --config FILE, set MAILWRIGHT_CONFIG, "
            "or make one with `mailwright init DIR`"
        )
    where = describe_url(config.database_url)
    try:
        schema = load_schema(config.schema_path) if config.schema_path else default_schema()
    except SchemaError as err:
        raise UsageError(str(err)) from None
    try:
        db = open_database(config.database_url)
    except (peewee.OperationalError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else "unreachable"
        console.print(f"{where}: cannot connect to the database: {first}", markup=False)
        return 1
    try:
        report = migrate(db, schema)
    except MigrationError as err:
        console.print(f"{where}: {err}", markup=False)
        return 1
    finally:
        db.close()
    console.print(f"{where}: {report.summary()}", markup=False)
    return 0
