"""The ``mailwright`` command line: parses arguments and dispatches to ``runtime.commands``.

Exit status: 0 success, 1 a failure the command reports, 2 bad usage or unreadable input.
Errors are one clear paragraph; ``--debug`` adds the Python traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from rich.console import Console

from . import __version__
from .commands import command_module, command_modules
from .commands._common import UsageError, add_common_options

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _command_in(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (the first word that is not an option or the value
    of ``--config``), or None."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser: with only the command ``argv`` names, when it names one (a
    single module to import), else with every command of ``runtime.commands``."""
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common, after_command=False)
    after = argparse.ArgumentParser(add_help=False)
    add_common_options(after, after_command=True)
    parser = argparse.ArgumentParser(
        prog="mailwright",
        description="Turn incoming e-mail into business records with handler scripts.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"mailwright {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = _command_in(argv) if argv is not None else None
    only = command_module(named) if named is not None else None
    for module in [only] if only is not None else command_modules():
        cmd = sub.add_parser(
            module.NAME,
            parents=[after],
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mailwright`` console script; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 for --help/--version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return int(args._module.run(args, out))
    except UsageError as exc:
        err.print(f"mailwright {args.command}: {exc}", markup=False)
        if args.debug:
            err.print(traceback.format_exc(), markup=False)
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.print(f"mailwright {args.command}: interrupted", markup=False)
        return EXIT_FAILURE
    except Exception as exc:  # one clear paragraph; the traceback only with --debug
        err.print(f"mailwright {args.command}: {exc}", markup=False)
        if args.debug:
            err.print(traceback.format_exc(), markup=False)
        else:
            err.print("(run again with --debug for the details)", markup=False)
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
