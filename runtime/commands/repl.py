"""``mailwright repl [--eml FILE] [--purpose P]``: the interactive shell of the language."""

from __future__ import annotations

import argparse
import re
import sys

from rich.console import Console

from ..context import open_context
from ..repl import (
    Repl,
    ReplBackend,
    ReplError,
    StoreBackend,
    history_path,
    read_inputs,
    run_terminal,
)
from ._common import UsageError

NAME = "repl"
HELP = "an interactive shell: try expressions and handlers on an e-mail (a dry run)"
DESCRIPTION = (
    "An interactive shell of the handler language. Inputs run one after another in one "
    "session (variables persist); an expression's value is printed. With --eml the e-mail "
    "is `entity`. Everything is a dry run until :commit. Type :help for the commands."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--eml", metavar="FILE", help="the e-mail the session sees as entity")
    parser.add_argument("--purpose", metavar="P", help="the purpose of the throwaway account")


def make_backend(args: argparse.Namespace) -> ReplBackend:
    """The store side: the configured store, else a throwaway one (the REPL, like ``run``,
    works with no configuration at all)."""
    if args.purpose is not None and not re.fullmatch(r"[A-Z][A-Z0-9_]*", args.purpose):
        raise UsageError(f"--purpose {args.purpose}: an upper-case name like INVOICES or GENERAL")
    context = open_context(getattr(args, "config", None), throwaway_ok=True)
    try:
        return StoreBackend(context, purpose=args.purpose)
    except BaseException:
        context.close()
        raise


def run(args: argparse.Namespace, console: Console) -> int:
    backend = make_backend(args)
    repl = Repl(backend, debug=bool(getattr(args, "debug", False)))

    def write(line: str) -> None:
        console.print(line, markup=False, highlight=False)

    try:
        if args.eml:
            try:
                for line in repl.command(f":email {args.eml}"):
                    write(line)
            except ReplError as exc:
                raise UsageError(str(exc)) from None
        if sys.stdin.isatty() and sys.stdout.isatty():
            write("mailwright repl: a dry run until :commit; :help lists the commands")
            repl.echo = lambda line: write(f"log: {line}")
            run_terminal(repl, write, history_path())
        else:
            for text in read_inputs(sys.stdin):
                for line in repl.handle(text):
                    write(line)
                if repl.done:
                    break
    finally:
        backend.close()
    return 0
