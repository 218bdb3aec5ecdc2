"""The ``mailwright`` command line: argument parsing and dispatch to one function per command.

Exit status: 0 success, 1 a failure the command reports, 2 bad usage or unreadable input.
Errors are one clear paragraph; ``--debug`` adds the Python traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from . import __version__
from .runner import CheckOutcome, check_files, run_file

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad usage or unreadable input: exit status 2."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="the mailwright.toml to use")
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")

    parser = argparse.ArgumentParser(
        prog="mailwright",
        description="Turn incoming e-mail into business records with handler scripts.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"mailwright {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check",
        parents=[common],
        help="check handler scripts for errors and warnings without running them",
        description="Check handler scripts: errors (what would not compile) and warnings "
        "(what would fail or silently give null at run time). Exit 1 on errors, and on "
        "warnings too with --strict.",
    )
    check.add_argument("scripts", nargs="+", metavar="SCRIPT")
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")

    run = sub.add_parser(
        "run",
        parents=[common],
        help="run a handler script once and report what it did",
        description="Run a handler script once and report its result, logs and warnings. "
        "A dry run by default: nothing is kept.",
    )
    run.add_argument("script", metavar="SCRIPT")
    run.add_argument("--eml", metavar="FILE", help="the e-mail the script sees as entity")
    run.add_argument("--purpose", metavar="P", help="the purpose of the throwaway account")
    run.add_argument("--account", metavar="NAME", help="run as this configured account")
    run.add_argument("--commit", action="store_true", help="keep what the script wrote")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mailwright`` console script; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 for --help/--version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        if args.command == "check":
            return _cmd_check(args, out)
        if args.command == "run":
            return _cmd_run(args, out)
        parser.error(f"unknown command {args.command!r}")
    except UsageError as exc:
        err.print(f"mailwright {args.command}: {exc}", markup=False)
        if args.debug:
            err.print(traceback.format_exc(), markup=False)
        return EXIT_USAGE
    except Exception as exc:  # one clear paragraph, the traceback only with --debug
        err.print(f"mailwright {args.command}: {exc}", markup=False)
        if args.debug:
            err.print(traceback.format_exc(), markup=False)
        else:
            err.print("(run again with --debug for the details)", markup=False)
        return EXIT_FAILURE
    return EXIT_OK


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None


def _cmd_check(args: argparse.Namespace, out: Console) -> int:
    sources = {path: _read(path) for path in args.scripts}
    outcome: CheckOutcome = check_files(sources)
    for diag in outcome.diagnostics:
        out.print(diag.render(), markup=False)
    out.print(outcome.summary(), markup=False)
    if outcome.errors or (args.strict and outcome.warnings):
        return EXIT_FAILURE
    return EXIT_OK


def _cmd_run(args: argparse.Namespace, out: Console) -> int:
    if args.eml or args.account or args.commit:
        # The store and e-mail parsing arrive with the runtime issue; say so plainly.
        raise UsageError("--eml, --account and --commit need the entity store, not yet built")
    source = _read(args.script)
    report = run_file(args.script, source, purpose=args.purpose)
    if args.json:
        sys.stdout.write(report.to_json_text() + "\n")
    else:
        for line in report.render_text():
            out.print(line, markup=False)
    return EXIT_FAILURE if report.error is not None else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
