"""``mailwright run SCRIPT [--eml FILE] [--purpose P | --account NAME] [--commit] [--json]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from ..context import open_context
from ..runner import PURPOSE, run_file
from ._common import UsageError, read_text

NAME = "run"
HELP = "run a handler script once and report what it did"
DESCRIPTION = (
    "Run a handler script once, with an e-mail (--eml) as `entity`, and report what it "
    "created, changed and queued, its logs and its result. A dry run by default: nothing "
    "is kept unless --commit. Without a mailwright.toml the run uses a throwaway database "
    "with the default schema and an account of purpose GENERAL (or --purpose)."
)


#: what --commit says without a configuration: the throwaway database is gone after the run
THROWAWAY_COMMIT = (
    "committed to a throwaway database, removed again: no mailwright.toml here, so nothing "
    "is kept (give --config FILE, set MAILWRIGHT_CONFIG, or make one with `mailwright init DIR`)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", metavar="SCRIPT")
    parser.add_argument("--eml", metavar="FILE", help="the e-mail the script sees as entity")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--purpose", metavar="P", help="the purpose of the account (GENERAL)")
    group.add_argument("--account", metavar="NAME", help="run as this configured account")
    parser.add_argument("--commit", action="store_true", help="keep what the script wrote")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _read_eml(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None


def run(args: argparse.Namespace, console: Console) -> int:
    source = read_text(args.script)
    raw = _read_eml(args.eml) if args.eml else None
    if args.purpose is not None and not PURPOSE.match(args.purpose):
        raise UsageError(
            f"--purpose {args.purpose}: purposes are upper-case names like INVOICES or GENERAL"
        )
    with open_context(args.config, throwaway_ok=True) as ctx:
        if args.account is not None and ctx.is_throwaway:
            raise UsageError(
                "--account needs a mailwright.toml with that account; without one use --purpose"
            )
        try:
            report = run_file(
                args.script,
                source,
                eml=raw,
                purpose=args.purpose,
                account=args.account,
                commit=args.commit,
                context=ctx,
            )
        except ValueError as exc:  # an unknown account
            raise UsageError(str(exc)) from None
        throwaway = ctx.is_throwaway
    if args.json:
        sys.stdout.write(report.to_json_text() + "\n")
        if report.committed and throwaway:
            sys.stderr.write(THROWAWAY_COMMIT + "\n")  # stdout stays one JSON object
    else:
        for line in report.render_text():
            console.print(line, markup=False)
        if report.error is None:
            if report.committed and throwaway:
                shown = THROWAWAY_COMMIT
            elif report.committed:
                shown = "committed"
            else:
                shown = "dry run: nothing was kept (--commit keeps it)"
            console.print(shown, markup=False)
    return 1 if report.error is not None else 0
