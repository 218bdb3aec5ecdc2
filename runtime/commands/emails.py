"""``mailwright emails [--state S] [--account NAME] [--json]``, ``emails show ID`` and
``emails --stale`` (the accounts whose mail stopped arriving or whose runs stopped working)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from mailstore import models as m
from mailstore.api import Store, StoreError
from mailstore.housekeeping import raw_message_status

from ..context import open_context
from ..health import stale_accounts
from ._common import UsageError

NAME = "emails"
HELP = "list the received e-mails, or show one with its runs"
DESCRIPTION = (
    "List what came in, newest first: id, account, state, attempts, when, sender and "
    "subject (--state, --account and --limit narrow it; --json prints a JSON array). "
    "`mailwright emails show ID` shows one e-mail with every handler run, its log and "
    "the records it made. `mailwright emails --stale` lists the accounts that received "
    "nothing for longer than their quiet period or had no successful run for a day "
    "(exit 1 when there are any)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="*", metavar="show ID", help="show one e-mail")
    parser.add_argument("--state", type=str.upper, choices=m.RECEIVED_STATES, metavar="S")
    parser.add_argument("--account", metavar="NAME", help="only this account's e-mails")
    parser.add_argument("--limit", type=int, default=100, metavar="N", help="at most N (100)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--stale",
        action="store_true",
        help="list the accounts with no mail for their quiet period or no success for a day",
    )


def _when(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """A stored moment (naive UTC) as ISO 8601 in the configured zone, with its offset, as
    `records` and `run --json` show dates (``2026-11-27T16:50:42+01:00``)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(zone).isoformat(timespec="seconds")


def _shown(value: str | None) -> str:
    """An ISO moment of `_when` for people: a space between the date and the time."""
    return "" if value is None else value.replace("T", " ", 1)


def _summary(row: m.ReceivedEmail, accounts: dict[int, str], zone: dt.tzinfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "account": accounts.get(row.__data__["mailAccount"], "?"),
        "state": row.state,
        "attempts": row.attempts,
        "nextAttempt": _when(row.nextAttempt, zone),
        "receivedDate": _when(row.receivedDate, zone),
        "from": row.mailFrom,
        "subject": row.subject,
        "reason": row.reason,
        "lastError": row.lastError,
    }


def _list(args: argparse.Namespace, zone: dt.tzinfo, console: Console) -> int:
    e = m.ReceivedEmail
    accounts = {a.id: a.name for a in m.MailAccount.select()}
    query = e.select()
    if args.state:
        query = query.where(e.state == args.state)
    if args.account is not None:
        account = m.MailAccount.get_or_none(m.MailAccount.name == args.account)
        if account is None:
            raise UsageError(f"no mail account named {args.account!r}")
        query = query.where(e.mailAccount == account.id)
    rows = [_summary(r, accounts, zone) for r in query.order_by(e.id.desc()).limit(args.limit)]
    if args.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 0
    if not rows:
        console.print("no e-mails", markup=False)
        return 0
    table = Table("id", "account", "state", "tries", "received", "from", "subject")
    for column in table.columns:
        column.overflow = "fold"  # wrapped, never cut: an address must stay readable
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["account"],
            r["state"],
            str(r["attempts"]),
            _shown(r["receivedDate"])[:16],  # to the minute, in the configured zone
            r["from"] or "",
            r["subject"] or "",
        )
    console.print(table)
    return 0


def _record(store: Store, entry: dict[str, Any]) -> dict[str, Any]:
    """A record a run made or changed, with its fields as stored now."""
    out: dict[str, Any] = {"type": entry.get("type"), "id": entry.get("id")}
    try:
        row = store.get(str(entry.get("type")), int(entry.get("id") or 0))
    except (StoreError, ValueError, TypeError):
        row = None
    if row is None:
        out["missing"] = True
        return out
    out["fields"] = {
        k: (v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v)
        for k, v in row.__data__.items()
        if k != "id"
    }
    return out


def _details(store: Store, row: m.ReceivedEmail, zone: dt.tzinfo) -> dict[str, Any]:
    accounts = {a.id: a.name for a in m.MailAccount.select()}
    data = _summary(row, accounts, zone)
    data.update(
        {
            "messageId": row.messageId,
            "to": row.mailTo,
            "cc": row.cc,
            "sentDate": _when(row.sentDate, zone),
            "size": row.size,
            "sha256": row.sha256,
            # None while the raw message is stored; gc's retention removes old ones
            "rawMessage": raw_message_status(store, row),
            "parseError": row.parseError,
            "note": row.note,
            "attachments": [
                p.attachedFile.name
                for p in m.ReceivedEmailAttachment.select()
                .where(m.ReceivedEmailAttachment.receivedEmail == row.id)
                .order_by(m.ReceivedEmailAttachment.position)
                if not p.inlinePart
            ],
        }
    )
    runs = []
    for run in (
        m.ScriptRun.select().where(m.ScriptRun.receivedEmail == row.id).order_by(m.ScriptRun.id)
    ):
        runs.append(
            {
                "id": run.id,
                "startedAt": _when(run.startedAt, zone),
                "script": run.scriptName,
                "outcome": run.outcome,
                "durationMs": round(run.durationMs, 1),
                "error": run.errorMessage,
                "line": run.errorLine,
                "column": run.errorColumn,
                "log": list(run.logLines or []),
                "created": [_record(store, c) for c in run.created or []],
                "changed": [_record(store, c) for c in run.changed or []],
            }
        )
    data["runs"] = runs
    return data


def _show(args: argparse.Namespace, store: Store, zone: dt.tzinfo, console: Console) -> int:
    if len(args.action) != 2 or not args.action[1].isdigit():
        raise UsageError("usage: mailwright emails show ID")
    row = m.ReceivedEmail.get_or_none(m.ReceivedEmail.id == int(args.action[1]))
    if row is None:
        raise UsageError(f"no e-mail with id {args.action[1]} in the store")
    data = _details(store, row, zone)
    if args.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return 0
    say = console.print
    say(f"e-mail #{data['id']} of {data['account']}: {data['state']}", markup=False)
    for label, key in [
        ("from", "from"),
        ("to", "to"),
        ("subject", "subject"),
        ("sent", "sentDate"),
        ("received", "receivedDate"),
        ("message-id", "messageId"),
        ("size", "size"),
        ("attachments", "attachments"),
        ("attempts", "attempts"),
        ("next attempt", "nextAttempt"),
        ("last error", "lastError"),
        ("reason", "reason"),
        ("parse error", "parseError"),
        ("note", "note"),
    ]:
        value = data[key]
        if value not in (None, [], ""):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            if key in ("sentDate", "receivedDate", "nextAttempt"):
                shown = _shown(shown)
            say(f"  {label}: {shown}", markup=False)
    if data["rawMessage"]:
        say(f"  {data['rawMessage']}", markup=False)
    if not data["runs"]:
        say("no handler runs", markup=False)
    for run in data["runs"]:
        where = f" at line {run['line']}:{run['column']}" if run["line"] else ""
        say(
            f"run #{run['id']} {_shown(run['startedAt'])} {run['script']}: {run['outcome']} "
            f"({run['durationMs']} ms)",
            markup=False,
        )
        if run["error"]:
            say(f"  error{where}: {run['error']}", markup=False)
        for line in run["log"]:
            say(f"  log: {line}", markup=False)
        for verb in ("created", "changed"):
            for rec in run[verb]:
                fields = rec.get("fields")
                text = (
                    "(no longer stored)"
                    if fields is None
                    else ", ".join(f"{k}={v}" for k, v in fields.items())
                )
                say(f"  {verb} {rec['type']} #{rec['id']}: {text}", markup=False)
    return 0


def _stale(args: argparse.Namespace, store: Store, console: Console) -> int:
    """The health problems of the enabled accounts; exit 1 when there are any."""
    problems = stale_accounts(store)
    if args.json:
        sys.stdout.write(json.dumps([p.to_json() for p in problems], ensure_ascii=False) + "\n")
        return 1 if problems else 0
    if not problems:
        console.print("no stale accounts", markup=False)
        return 0
    table = Table("account", "problem", "since (UTC)", "what to do")
    for p in problems:
        since = "" if p.since is None else p.since.strftime("%Y-%m-%d %H:%M")
        table.add_row(p.account, p.reason, since, p.advice)
    console.print(table)
    return 1


def run(args: argparse.Namespace, console: Console) -> int:
    if args.action and args.action[0] != "show":
        raise UsageError(f"unknown action {args.action[0]!r} (use: mailwright emails show ID)")
    if args.stale and (args.action or args.state or args.account is not None):
        raise UsageError("--stale lists accounts: give it alone (with --json if wanted)")
    with open_context(args.config) as ctx:
        if args.stale:
            return _stale(args, ctx.store, console)
        if args.action:
            return _show(args, ctx.store, ctx.zone, console)
        return _list(args, ctx.zone, console)
