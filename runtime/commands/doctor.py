"""``mailwright doctor [--json] [--timeout S]``: check the installation, say what to fix.

The checks are in ``runtime.doctor``; this prints one line per check (``ok``, ``warn``,
``skip`` or ``FAIL``, what was checked and seen) and, under each warning and failure, what to
do. Exit 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.text import Text

from ..doctor import DEFAULT_TIMEOUT, DoctorReport, run_doctor
from ._common import UsageError

NAME = "doctor"
HELP = "check the config, database, key, accounts, tokens, SMTP, robot, handlers"
DESCRIPTION = (
    "Check everything an installation needs: the config file, the database (reachable, "
    "migrated), the secret key (present, private, opens every stored secret), each enabled "
    "account (log in, folder), OAuth2 tokens, the central SMTP server (connect, STARTTLS, "
    "AUTH; no message is sent), the robot address, the handler scripts and the stale "
    "accounts. One line per check, what to fix for each problem; exit 1 when any fails."
)

#: how each status is shown in a terminal
_STYLES = {"ok": "green", "warn": "yellow", "skip": "dim", "FAIL": "bold red"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds each server may take to answer ({DEFAULT_TIMEOUT:g})",
    )


def run(args: argparse.Namespace, console: Console) -> int:
    if not args.timeout > 0:
        raise UsageError(f"--timeout {args.timeout:g}: give a number of seconds above 0")
    report = run_doctor(args.config, timeout=args.timeout)
    if args.json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
    else:
        _print(report, console)
    return 0 if report.ok else 1


def _print(report: DoctorReport, console: Console) -> None:
    for result in report.results:
        line = Text(f"{result.status:<5}", style=_STYLES.get(result.status, ""))
        line.append(f" {result.check}: {result.detail}")
        console.print(line)
        if result.fix and result.status in ("warn", "FAIL"):
            console.print(Text(f"      fix: {result.fix}"))
    console.print(Text(report.summary(), style="bold" if not report.ok else ""))
