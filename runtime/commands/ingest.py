"""``mailwright ingest [--account NAME] [--dry-run]``: the cron job that fetches and handles."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console

from mailstore.config import Config

from ..context import open_context
from ..ingest import IngestReport, ingest
from ..ingest.dryrun import size_text
from ._common import UsageError

if TYPE_CHECKING:  # the bar and the table are imported where used: cron has neither
    from rich.progress import Progress

NAME = "ingest"
HELP = "fetch new mail from the accounts and run the handler on it"
DESCRIPTION = (
    "Fetch new messages from every enabled mail account (or --account NAME), store each one "
    "and run the handler script on it; e-mails that are RECEIVED or due for a retry are "
    "handled first. Every message is stored once and handled once, even across crashes and "
    "overlapping runs. A progress bar in a terminal, plain log lines otherwise (under cron); "
    "the log file and level come from [log] in mailwright.toml. Exit status 1 when any "
    "account or e-mail failed. See examples/cron.txt for the crontab line."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", metavar="NAME", help="only this account")
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would be fetched; store nothing"
    )


class _Lines:
    """Progress as plain lines (under cron): only messages, no bar."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def start(self, account: str) -> None:
        pass

    def advance(self, account: str) -> None:
        pass

    def message(self, text: str) -> None:
        self.console.print(text, markup=False)


class _Bar:
    """Progress as a rich bar per account (in a terminal)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}

    def start(self, account: str) -> None:
        self.tasks[account] = self.progress.add_task(account, total=None)

    def advance(self, account: str) -> None:
        task = self.tasks.get(account)
        if task is not None:
            self.progress.advance(task)

    def message(self, text: str) -> None:
        self.progress.console.print(text, markup=False)


@contextmanager
def run_logging(config: Config, *, debug: bool = False) -> Iterator[None]:
    """While the run lasts, send the ``mailwright`` log to the config's ``[log] file`` at
    ``[log] level`` (lines with their time), and with ``--debug`` to standard error too,
    tracebacks included. Removed afterwards (tests call ``main`` many times in one process).

    With neither, the log goes nowhere: without a handler Python's last resort would print
    every warning again on standard error, and internal errors with their traceback, next
    to the lines the command prints itself. `UsageError` naming ``log.file`` when the file
    cannot be opened."""
    logger = logging.getLogger("mailwright")
    handlers: list[logging.Handler] = []
    if config.log_file is not None:
        try:
            to_file = logging.FileHandler(config.log_file, encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"cannot open the log file {config.log_file} ({exc.strerror}); check log.file "
                "in mailwright.toml"
            ) from None
        to_file.setLevel(config.log_level)
        handlers.append(to_file)
    if debug:
        handlers.append(logging.StreamHandler(sys.stderr))
    if not handlers:
        handlers.append(logging.NullHandler())
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    old_level = logger.level
    for handler in handlers:
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else config.log_level)
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(old_level)


def _summary(report: IngestReport, console: Console) -> None:
    for account in report.accounts:
        if report.dry_run and account.pending:
            _pending_table(account.name, account.pending, console)
        console.print(account.summary(dry_run=report.dry_run), markup=False)
    if not report.accounts:
        console.print("no enabled mail accounts (add one with `mailwright accounts add`)")
    if report.dry_run:
        console.print("dry run: nothing was stored", markup=False)


def _pending_table(name: str, pending: list[tuple[str, int]], console: Console) -> None:
    """What a dry run found new in one account: UID (or file key) and size."""
    from rich.table import Table

    table = Table("UID / key", "size", title=f"{name}: would be fetched", title_justify="left")
    for key, size in pending:
        table.add_row(key, size_text(size))
    console.print(table)


def run(args: argparse.Namespace, console: Console) -> int:
    with open_context(args.config) as ctx:
        with run_logging(ctx.config, debug=getattr(args, "debug", False)):
            try:
                if console.is_terminal:
                    from rich.progress import (
                        BarColumn,
                        Progress,
                        SpinnerColumn,
                        TextColumn,
                        TimeElapsedColumn,
                    )

                    columns = (
                        SpinnerColumn(),
                        TextColumn("{task.description}"),
                        BarColumn(),
                        TextColumn("{task.completed} messages"),
                        TimeElapsedColumn(),
                    )
                    with Progress(*columns, console=console, transient=True) as bar:
                        report = ingest(
                            ctx, account=args.account, dry_run=args.dry_run, progress=_Bar(bar)
                        )
                else:
                    report = ingest(
                        ctx,
                        account=args.account,
                        dry_run=args.dry_run,
                        progress=_Lines(console),
                    )
            except ValueError as exc:  # an unknown account
                raise UsageError(str(exc)) from None
        _summary(report, console)
        delivered = True
        if not args.dry_run:
            # the mail the handlers queued leaves now, after their runs committed
            from ..outbox import deliver
            from .deliver import print_report

            outbox = deliver(ctx)
            if outbox.sent or outbox.deferred or outbox.failed or outbox.unknown or outbox.error:
                print_report(outbox, console)
            delivered = outbox.ok
    return 0 if report.ok and delivered else 1
