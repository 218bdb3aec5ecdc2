"""``mailwright records TYPE [--where field=value ...] [--state CODE] [--json | --csv]``,
``records show TYPE ID`` and ``records state TYPE ID CODE``. The queries, the JSON and
CSV shapes and the state change are in ``runtime.records_cli``."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scriptengine.values import dumps_json

from ..context import open_context
from ..records_cli import (
    RecordsError,
    WhereClause,
    change_state,
    csv_header,
    csv_row,
    parse_where,
    record_details,
    record_json,
    select_records,
    table_cells,
    type_spec,
)
from ..session import RunSession
from ._common import UsageError

NAME = "records"
HELP = "list the records of a type, show one, or move one to another state"
DESCRIPTION = (
    "`mailwright records TYPE` lists the records of a business type of the schema as a "
    "table (--json: a JSON array shaped like `run --json`'s records; --csv: CSV with a "
    "header). --where field=value (repeatable) keeps the records whose field equals the "
    "value: references by id, a state by its code, dates ISO (2026-11-27), null for an "
    "empty field. `records show TYPE ID` shows one record with its files and the e-mail "
    "that made it; `records state TYPE ID CODE` moves it to another state, as changeState "
    "does in a handler."
)

#: rows a table shows when --limit is not given (exports have no default limit)
TABLE_LIMIT = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = (
        "%(prog)s TYPE [--where FIELD=VALUE ...] [--state CODE] [--limit N] [--json | --csv]\n"
        "       %(prog)s show TYPE ID [--json]\n"
        "       %(prog)s state TYPE ID CODE"
    )
    parser.add_argument(
        "words", nargs="+", metavar="WORDS", help="TYPE, or show TYPE ID, or state TYPE ID CODE"
    )
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="only records whose field equals the value (repeatable: all must hold)",
    )
    parser.add_argument("--state", metavar="CODE", help="only records in this state")
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"at most N records (a table: {TABLE_LIMIT} by default; 0: all)",
    )
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print a JSON array")
    out.add_argument("--csv", action="store_true", help="print CSV with a header line")


def _record_id(text: str) -> int:
    if not text.isdigit():
        raise UsageError(f"{text!r} is not a record id (a whole number)")
    return int(text)


def run(args: argparse.Namespace, console: Console) -> int:
    words: list[str] = args.words
    with open_context(args.config) as ctx:
        try:
            if words[0] == "show":
                if len(words) != 3:
                    raise UsageError("usage: mailwright records show TYPE ID")
                return _show(ctx, words[1], _record_id(words[2]), args.json, console)
            if words[0] == "state":
                if len(words) != 4:
                    raise UsageError("usage: mailwright records state TYPE ID CODE")
                spec = type_spec(ctx.store, words[1])
                old, new = change_state(ctx.store, spec, _record_id(words[2]), words[3], ctx.zone)
                console.print(
                    f"{spec.name} #{words[2]}: {old or 'no state'} -> {new}", markup=False
                )
                return 0
            if len(words) != 1:
                raise UsageError(
                    f"unknown action {words[0]!r}: give a TYPE, `show TYPE ID` or "
                    "`state TYPE ID CODE`"
                )
            return _list(ctx, words[0], args, console)
        except RecordsError as err:
            raise UsageError(str(err)) from None


def _list(ctx: Any, type_name: str, args: argparse.Namespace, console: Console) -> int:
    spec = type_spec(ctx.store, type_name)
    where: list[WhereClause] = [parse_where(ctx.store, spec, w, ctx.zone) for w in args.where]
    if args.state is not None:
        if spec.field("state") is None:
            raise RecordsError(f"{spec.name} has no states (its schema declares none)")
        where.append(parse_where(ctx.store, spec, f"state={args.state}", ctx.zone))
    limit = args.limit
    if limit is None and not (args.json or args.csv):
        limit = TABLE_LIMIT
    if limit is not None and limit < 0:
        raise UsageError("--limit is a number of records, 0 or more (0: all)")
    rows, total = select_records(ctx.store, spec, where, limit=limit or None)
    session = RunSession(ctx.store, commit=False, zone=ctx.zone)
    data = [record_json(session, row) for row in rows]
    if args.json:
        sys.stdout.write(dumps_json(data) + "\n")
        return 0
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(csv_header(spec))
        for item in data:
            writer.writerow(csv_row(spec, item))
        return 0
    if not data:
        console.print(f"no {spec.name} records" + (" match" if where else ""), markup=False)
        return 0
    table = Table("id", *(f.name for f in spec.fields))
    for column in table.columns:
        # a narrow terminal wraps a value over lines rather than cutting it with an
        # ellipsis: a truncated number or date would be read as another one
        column.overflow = "fold"
    for item in data:
        # Text: a value such as "[b]" is data, never rich markup
        table.add_row(*(Text(cell) for cell in table_cells(spec, item)))
    console.print(table)
    if total > len(data):
        console.print(
            f"(the first {len(data)} of {total}; --limit N for more, --limit 0 for all)",
            markup=False,
        )
    return 0


def _show(ctx: Any, type_name: str, record_id: int, as_json: bool, console: Console) -> int:
    spec = type_spec(ctx.store, type_name)
    data = record_details(ctx.store, spec, record_id, ctx.zone)
    if as_json:
        sys.stdout.write(dumps_json(data) + "\n")
        return 0
    say = console.print
    say(f"{spec.name} #{record_id}", markup=False)
    cells = table_cells(spec, data)[1:]
    for f, cell in zip(spec.fields, cells, strict=True):
        if f.kind == "list":
            cell = f"{len(data['fields'][f.name] or [])} ({cell})" if cell else "0"
        say(f"  {f.name}: {cell}", markup=False)
    # a line per file, not a table: a table narrower than 64 columns would cut the
    # SHA-256 that `mailwright files get` needs
    for file in data["files"]:
        say(
            f"  file {file['field']}: {file['name']} ({file['contentType']}, "
            f"{file['size']} bytes) sha256 {file['sha256']}",
            markup=False,
        )
    email = data["email"]
    if email is None:
        say("made by: no recorded run (made by hand, or its run was removed)", markup=False)
    elif email["id"] is None:
        say(f"made by: run #{email['run']} of {email['script']} (no e-mail)", markup=False)
    else:
        say(
            f"made by: e-mail #{email['id']} from {email['from']}, {email['subject']!r}, "
            f"received {email['receivedDate']} (run #{email['run']}; "
            f"`mailwright emails show {email['id']}`)",
            markup=False,
        )
    return 0
