"""``mailwright test [PATH] [-k TEXT] [--json]``: run the handler tests (``*.test.toml``)
found at PATH."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..context import open_context
from ..handlertests import (
    TestFormatError,
    TestOutcome,
    discover,
    display_path,
    failure_lines,
    load_file,
    outcomes_json,
    run_tests,
    runner_executor,
    summary,
)
from ._common import UsageError

NAME = "test"
HELP = "run the handler tests (*.test.toml) of a file or folder"
DESCRIPTION = (
    "Run handler tests: each *.test.toml file next to a handler names the e-mail to feed it "
    "and what must follow (records created, mail queued, the result or an error). Every test "
    "is a dry run. Prints a pass/fail table and, for each failure, expected and actual; exit "
    "1 when any test fails. See docs/handler-tests.md for the format."
)

_STYLE = {"PASS": "green", "FAIL": "red", "ERROR": "yellow"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", default=".", metavar="PATH", help="a test file or a folder (default .)"
    )
    parser.add_argument(
        "-k",
        metavar="TEXT",
        dest="select",
        help="run only the tests whose file or name contains TEXT (case-insensitive)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")


def run(args: argparse.Namespace, console: Console) -> int:
    try:
        files = discover(Path(args.path))
        tests = [test for file in files for test in load_file(file)]
    except TestFormatError as exc:
        raise UsageError(str(exc)) from None
    if args.select:
        tests = [t for t in tests if args.select.lower() in t.label.lower()]
    if not tests:
        which = f" matching {args.select!r}" if args.select else ""
        console.print(f"no handler tests (*.test.toml){which} found in {args.path}", markup=False)
        return 1
    # one store for every test (each run rolls back): the configured one, else a throwaway
    with open_context(args.config, throwaway_ok=True) as context:
        outcomes = run_tests(tests, runner_executor(context=context))
    if args.json:
        text = json.dumps(outcomes_json(outcomes), ensure_ascii=False, default=str)
        sys.stdout.write(text + "\n")
        return 0 if all(o.passed for o in outcomes) else 1
    console.print(_table(outcomes))
    for outcome in outcomes:
        if outcome.passed:
            continue
        console.print()
        console.print(Text(f"{outcome.status} {outcome.test.label}", style="bold"))
        for line in failure_lines(outcome):
            console.print("  " + line, markup=False, highlight=False)
    console.print()
    console.print(summary(outcomes), markup=False)
    return 0 if all(o.passed for o in outcomes) else 1


def _table(outcomes: list[TestOutcome]) -> Table:
    table = Table(show_header=True, header_style="bold")
    table.add_column("result")
    table.add_column("test")
    table.add_column("file")
    table.add_column("details", overflow="fold")
    for o in outcomes:
        if o.crash is not None:
            detail = o.crash
        elif o.mismatches:
            first = o.mismatches[0].where
            more = len(o.mismatches) - 1
            detail = first + (f" and {more} more" if more else "")
        else:
            detail = ""
        table.add_row(
            Text(o.status, style=_STYLE[o.status]),
            Text(o.test.name),
            Text(display_path(o.test.file)),
            Text(detail),
        )
    return table
