"""``mailwright run SCRIPT [--eml FILE] [--purpose P | --account NAME] [--commit] [--json]``."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from ..runner import run_file
from ._common import UsageError, read_text

NAME = "run"
HELP = "run a handler script once and report what it did"
DESCRIPTION = (
    "Run a handler script once and report its result, logs and warnings. A dry run by "
    "default: nothing is kept."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", metavar="SCRIPT")
    parser.add_argument("--eml", metavar="FILE", help="the e-mail the script sees as entity")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--purpose", metavar="P", help="the purpose of the throwaway account")
    group.add_argument("--account", metavar="NAME", help="run as this configured account")
    parser.add_argument("--commit", action="store_true", help="keep what the script wrote")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace, console: Console) -> int:
    if args.eml or args.account or args.commit:
        # The store bindings arrive with the runtime issue; say so plainly.
        raise UsageError("--eml, --account and --commit need the store bindings, not yet built")
    source = read_text(args.script)
    report = run_file(args.script, source, purpose=args.purpose)
    if args.json:
        sys.stdout.write(report.to_json_text() + "\n")
    else:
        for line in report.render_text():
            console.print(line, markup=False)
    return 1 if report.error is not None else 0
