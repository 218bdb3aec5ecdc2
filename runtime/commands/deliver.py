"""``mailwright deliver``: send the outbox's due messages through the central SMTP server."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..context import open_context
from ..outbox import DeliverReport, deliver
from ._common import UsageError

NAME = "deliver"
HELP = "send the queued outgoing mail"
DESCRIPTION = (
    "Send every QUEUED message that is due through the central SMTP server (the default "
    "SMTP account, else the legacy .properties file), on one connection. A temporary "
    "failure is retried later with the [retry] delays; a permanent one is FAILED with the "
    "server's reply; a message whose fate is unknown (the connection broke after its data "
    "went out) is UNKNOWN and never resent by itself (`mailwright outbox retry ID`). "
    "`mailwright ingest` delivers too, after fetching. Exit status 1 when a message failed, "
    "became UNKNOWN, or the server could not be used."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, metavar="N", help="send at most N messages")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per SMTP step")


def print_report(report: DeliverReport, console: Console) -> None:
    """Print the warnings, the error and the one-line summary of a `deliver` run."""
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False, style="yellow")
    if report.error:
        console.print(f"error: {report.error}", markup=False, style="red")
    console.print(report.summary(), markup=False)


def run(args: argparse.Namespace, console: Console) -> int:
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be 1 or more")
    with open_context(args.config) as ctx:
        if console.is_terminal:
            # imported here: `ingest` imports this module for print_report, under cron
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            columns = (
                TextColumn("sending"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("outbox", total=None)

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                report = deliver(ctx, limit=args.limit, progress=advance, timeout=args.timeout)
        else:
            report = deliver(ctx, limit=args.limit, timeout=args.timeout)
        print_report(report, console)
    return 0 if report.ok else 1
