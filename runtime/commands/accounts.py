"""``mailwright accounts``: the mailboxes the runner reads (add, edit, rename, list, show,
enable, disable, remove, test). The checks and the writing are in ``runtime.settings``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from mailstore import models as m

from ..context import open_context
from ..settings import (
    AccountEdit,
    AccountSpec,
    SettingsError,
    add_account,
    check_account,
    edit_account,
    get_account,
    list_accounts,
    parse_since,
    remove_account,
    rename_account,
    set_account_enabled,
)
from ._common import UsageError, add_action
from .emails import _when  # moments in JSON as `emails` and `records` write them

NAME = "accounts"
HELP = "mail accounts: add, edit, rename, list, show, enable, disable, remove, test"
DESCRIPTION = (
    "The mailboxes `mailwright ingest` reads: an IMAP folder, or a local Maildir, mbox file "
    "or folder of .eml files. `accounts add NAME --purpose P --imap HOST --credential C` "
    "adds one; `accounts edit NAME --after move:Done` changes one; `accounts test NAME` "
    "tries it."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="accounts_command", metavar="ACTION")
    add = add_action(sub, "add", "add a mail account")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--purpose", required=True, help="INVOICES, ROBOT, GENERAL or your own")
    add.add_argument("--address", help="the mailbox's address (default: the login name)")
    source = add.add_mutually_exclusive_group(required=True)
    source.add_argument("--imap", metavar="HOST", help="an IMAP server")
    source.add_argument("--maildir", metavar="PATH", help="a local Maildir")
    source.add_argument("--mbox", metavar="PATH", help="a local mbox file")
    source.add_argument("--eml-dir", metavar="PATH", help="a folder of .eml files")
    add.add_argument("--port", type=int, help="default: 993 for ssl, 143 otherwise")
    add.add_argument("--security", default="ssl", choices=["ssl", "starttls", "none"])
    add.add_argument("--folder", default="INBOX", help="the IMAP folder (default INBOX)")
    add.add_argument("--credential", metavar="CRED", help="the login (`credentials add`)")
    add.add_argument(
        "--after",
        metavar="ACTION",
        help="seen, move:FOLDER, delete or none (default: seen, none for mbox and .eml)",
    )
    add.add_argument("--handler", metavar="SCRIPT", help="this account's own handler script")
    add.add_argument("--keywords", action="store_true", help="write the state as IMAP keywords")
    add.add_argument("--quiet-period", type=int, metavar="HOURS", help="no mail this long warns")
    when = add.add_mutually_exclusive_group()
    when.add_argument("--since", metavar="DATE", help="ignore messages older than DATE")
    when.add_argument("--from-now", action="store_true", help="ignore what is there now")
    add.add_argument("--allow-insecure", action="store_true", help="permit --security none")
    add.add_argument("--ca-file", metavar="FILE", help="the CA of a server's certificate")
    edit = add_action(sub, "edit", "change an account's settings")
    edit.add_argument("name", metavar="NAME")
    handler = edit.add_mutually_exclusive_group()
    handler.add_argument("--handler", metavar="SCRIPT", help="this account's own handler script")
    handler.add_argument(
        "--no-handler", action="store_true", help="drop its own handler (the global one runs)"
    )
    edit.add_argument("--after", metavar="ACTION", help="seen, move:FOLDER, delete or none")
    edit.add_argument(
        "--quiet-period", type=int, metavar="HOURS", help="no mail this long warns (0: never)"
    )
    edit.add_argument("--credential", metavar="CRED", help="log in with another credential")
    edit.add_argument("--folder", help="read another IMAP folder")
    edit.add_argument("--address", help="the mailbox's address (XOAUTH2 logs in as it)")
    edit.add_argument(
        "--keywords",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the state as IMAP keywords (or not)",
    )
    edit.add_argument("--ca-file", metavar="FILE", help="the CA of the server's certificate")
    rename = add_action(sub, "rename", "rename an account (its e-mails stay with it)")
    rename.add_argument("name", metavar="OLD")
    rename.add_argument("new_name", metavar="NEW")
    listing = add_action(sub, "list", "list the accounts")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    for action, text in (
        ("show", "show an account's settings"),
        ("enable", "enable an account"),
        ("disable", "disable an account (not ingested)"),
        ("remove", "remove an account that has no stored e-mails"),
        ("test", "log in and select the folder, or open the local source"),
    ):
        add_action(sub, action, text).add_argument("name", metavar="NAME")


def run(args: argparse.Namespace, console: Console) -> int:
    action = getattr(args, "accounts_command", None)
    if action is None:
        raise UsageError(
            "say what to do: add, edit, rename, list, show, enable, disable, remove or test"
        )
    with open_context(args.config) as ctx:
        try:
            return _run(action, args, ctx.store, ctx.zone, console)
        except SettingsError as err:
            raise UsageError(str(err)) from None


def _run(action: str, args: argparse.Namespace, store: Any, zone: Any, console: Console) -> int:
    if action == "add":
        account, notes = add_account(store, _spec(args, zone))
        console.print(f"added account {account.name} ({_source(account)})", markup=False)
        for note in notes:
            console.print(note, markup=False)
        return 0
    if action == "edit":
        account, lines = edit_account(store, args.name, _edit(args))
        console.print(f"account {account.name} changed", markup=False)
        for line in lines:
            console.print(f"  {line}", markup=False)
        return 0
    if action == "rename":
        rename_account(store, args.name, args.new_name)
        console.print(f"account {args.name} is now {args.new_name}", markup=False)
        return 0
    if action == "list":
        if args.json:
            rows = [_json_row(a, zone) for a in list_accounts(store)]
            sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        else:
            _print_table(list_accounts(store), console)
        return 0
    if action == "show":
        for label, value in _details(get_account(store, args.name)):
            console.print(f"{label + ':':<16}{value}", markup=False)
        return 0
    if action in ("enable", "disable"):
        set_account_enabled(store, args.name, action == "enable")
        console.print(f"account {args.name} {action}d", markup=False)
        return 0
    if action == "remove":
        remove_account(store, args.name)
        console.print(f"removed account {args.name}", markup=False)
        return 0
    result = check_account(store, args.name)
    for line in result.lines:
        console.print(line, markup=False)
    return 0 if result.ok else 1


def _spec(args: argparse.Namespace, zone: Any) -> AccountSpec:
    kinds = (("imap", args.imap), ("maildir", args.maildir), ("mbox", args.mbox))
    kind, where = next(((k, v) for k, v in kinds if v), ("emlfolder", args.eml_dir))
    return AccountSpec(
        name=args.name,
        purpose=args.purpose,
        source_kind=kind,
        host=where if kind == "imap" else None,
        path=where if kind != "imap" else None,
        address=args.address,
        port=args.port,
        security=args.security,
        folder=args.folder,
        credential=args.credential,
        after=args.after,
        handler=args.handler,
        keywords=args.keywords,
        quiet_period_hours=args.quiet_period,
        since=parse_since(args.since, zone) if args.since else None,
        from_now=args.from_now,
        allow_insecure=args.allow_insecure,
        ca_file=args.ca_file,
    )


def _edit(args: argparse.Namespace) -> AccountEdit:
    return AccountEdit(
        handler="" if args.no_handler else args.handler,
        after=args.after,
        quiet_period_hours=args.quiet_period,
        credential=args.credential,
        folder=args.folder,
        address=args.address,
        keywords=args.keywords,
        ca_file=args.ca_file,
    )


def _source(account: m.MailAccount) -> str:
    if account.sourceKind == "imap":
        return f"imap {account.host}:{account.port} {account.security} {account.folder}"
    return f"{account.sourceKind} {account.path}"


def _print_table(accounts: list[m.MailAccount], console: Console) -> None:
    if not accounts:
        console.print("no accounts (add one with `mailwright accounts add`)", markup=False)
        return
    table = Table("name", "purpose", "address", "source", "after", "enabled")
    for a in accounts:
        table.add_row(
            a.name,
            a.purpose,
            a.address,
            _source(a),
            a.afterProcessing,
            "yes" if a.enabled else "no",
        )
    console.print(table)


def _json_row(a: m.MailAccount, zone: Any) -> dict[str, Any]:
    """An account for programs (monitoring reads the last run, success and error): every
    setting, the credential by name (never its secret), moments ISO 8601 in the zone."""
    imap = a.sourceKind == "imap"
    return {
        "name": a.name,
        "purpose": a.purpose,
        "address": a.address or None,
        "source": a.sourceKind,
        "host": a.host if imap else None,
        "port": a.port if imap else None,
        "security": a.security if imap else None,
        "folder": a.folder if imap else None,
        "path": None if imap else a.path,
        "credential": a.credential.name if a.credential is not None else None,
        "after": a.afterProcessing,
        "handler": a.handlerScript,
        "keywords": bool(a.imapKeywords),
        "quietPeriodHours": a.quietPeriodHours,
        "since": _when(a.since, zone),
        "enabled": bool(a.enabled),
        "lastRunAt": _when(a.lastRunAt, zone),
        "lastSuccessAt": _when(a.lastSuccessAt, zone),
        "lastError": a.lastError,
    }


def _details(a: m.MailAccount) -> list[tuple[str, str]]:
    """The account's settings as (label, text); the credential by name, never its secret."""
    rows = [
        ("name", a.name),
        ("purpose", a.purpose),
        ("address", a.address or "-"),
        ("source", _source(a)),
        ("credential", a.credential.name if a.credential is not None else "-"),
        ("ca file", a.caFile or "-"),
        ("after", a.afterProcessing),
        ("handler", a.handlerScript or "(the global one)"),
        ("keywords", "yes" if a.imapKeywords else "no"),
        ("quiet period", f"{a.quietPeriodHours} h" if a.quietPeriodHours else "-"),
        ("since", f"{a.since:%Y-%m-%d %H:%M} UTC" if a.since else "-"),
        ("enabled", "yes" if a.enabled else "no"),
        ("last run", f"{a.lastRunAt:%Y-%m-%d %H:%M} UTC" if a.lastRunAt else "never"),
        ("last success", f"{a.lastSuccessAt:%Y-%m-%d %H:%M} UTC" if a.lastSuccessAt else "never"),
        ("last error", a.lastError or "-"),
    ]
    stored = m.ReceivedEmail.select().where(m.ReceivedEmail.mailAccount == a).count()
    rows.append(("stored e-mails", str(stored)))
    return rows
