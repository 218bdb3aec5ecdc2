"""``mailwright check SCRIPT... [--strict]``: errors and warnings before anything runs."""

from __future__ import annotations

import argparse

from rich.console import Console

from mailstore.schema import SchemaError, load_schema

from ..context import resolve_config
from ..runner import check_files
from ._common import UsageError, read_text

NAME = "check"
HELP = "check handler scripts for errors and warnings without running them"
DESCRIPTION = (
    "Check handler scripts: errors (what would not compile) and warnings (what would fail "
    "or silently give null at run time). Exit 1 on errors, and on warnings too with --strict."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scripts", nargs="+", metavar="SCRIPT")
    parser.add_argument("--strict", action="store_true", help="warnings fail the check too")


def run(args: argparse.Namespace, console: Console) -> int:
    sources = {path: read_text(path) for path in args.scripts}
    # With a configuration, scripts are checked against its schema's types; without one,
    # against the shipped default schema (check works with no configuration at all).
    config = resolve_config(args.config)
    schema = None
    if config is not None and config.schema_path is not None:
        try:
            schema = load_schema(config.schema_path)
        except SchemaError as err:
            raise UsageError(str(err)) from None
    outcome = check_files(sources, schema=schema)
    for diag in outcome.diagnostics:
        console.print(diag.render(), markup=False)
    console.print(outcome.summary(), markup=False)
    return 1 if outcome.errors or (args.strict and outcome.warnings) else 0
