"""``mailwright reprocess (ID... | --failed | --quarantined) [--account NAME]``."""

from __future__ import annotations

import argparse

from rich.console import Console

from mailstore import models as m

from ..context import open_context
from ..ingest import reprocess
from ._common import UsageError
from .ingest import run_logging

NAME = "reprocess"
HELP = "run the handler again on stored e-mails (after fixing the script)"
DESCRIPTION = (
    "Run the handler script again on stored e-mails: the ones given by id, or every FAILED "
    "(--failed) or QUARANTINED (--quarantined) e-mail, of one account with --account. "
    "Each run is recorded; a successful one marks the e-mail PROCESSED and carries out the "
    "account's after-processing action. Exit status 1 when any e-mail failed again."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", metavar="ID", nargs="*", type=int, help="e-mail ids")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--failed", action="store_true", help="every FAILED e-mail")
    group.add_argument("--quarantined", action="store_true", help="every QUARANTINED e-mail")
    parser.add_argument("--account", metavar="NAME", help="only e-mails of this account")


def _selected(args: argparse.Namespace) -> list[int]:
    """The ids to reprocess, checked; ``UsageError`` for bad usage or unknown ids."""
    e = m.ReceivedEmail
    if bool(args.ids) + args.failed + args.quarantined != 1:
        raise UsageError("give e-mail ids, or --failed, or --quarantined (one of them)")
    account = None
    if args.account is not None:
        account = m.MailAccount.get_or_none(m.MailAccount.name == args.account)
        if account is None:
            raise UsageError(f"no mail account named {args.account!r}")
    if args.ids:
        rows = {row.id: row for row in e.select().where(e.id.in_(args.ids))}
        missing = [str(i) for i in args.ids if i not in rows]
        if missing:
            raise UsageError(f"no e-mail with id {', '.join(missing)} in the store")
        if account is not None:
            stray = [str(i) for i in args.ids if rows[i].__data__["mailAccount"] != account.id]
            if stray:
                raise UsageError(f"e-mail {', '.join(stray)} is not of account {account.name}")
        return list(dict.fromkeys(args.ids))
    query = e.select(e.id).where(e.state == ("FAILED" if args.failed else "QUARANTINED"))
    if account is not None:
        query = query.where(e.mailAccount == account.id)
    return [row.id for row in query.order_by(e.id)]


def run(args: argparse.Namespace, console: Console) -> int:
    with open_context(args.config) as ctx:
        ids = _selected(args)
        if not ids:
            console.print("no e-mails to reprocess", markup=False)
            return 0
        with run_logging(ctx.config, debug=getattr(args, "debug", False)):
            reports = reprocess(ctx, ids)
    ok = True
    for report in reports:
        for line in report.errors:
            console.print(line, markup=False)
        console.print(report.summary(), markup=False)
        ok = ok and report.ok
    return 0 if ok else 1
