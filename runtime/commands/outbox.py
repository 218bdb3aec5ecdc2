"""``mailwright outbox``: the outgoing messages and their states (list, show, retry, cancel)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from rich.console import Console
from rich.table import Table

from mailstore import models as m

from ..context import open_context
from ..outbox import OutboxError, cancel, retry
from ._common import UsageError, add_action

NAME = "outbox"
HELP = "outgoing mail: list (--state S), show, retry, cancel"
DESCRIPTION = (
    "The outgoing messages: QUEUED (waiting for `mailwright deliver`), SENDING (being sent), "
    "SENT, FAILED (the server refused it, or the last attempt failed), UNKNOWN (the "
    "connection broke after the data went out: the server may have it; never resent by "
    "itself), BOUNCED, CANCELLED. `outbox retry ID` queues one again (for UNKNOWN: only if "
    "a second copy is acceptable); `outbox cancel ID` stops one from being sent."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", choices=m.SENT_STATES, help="only messages in this state")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--limit", type=int, default=100, help="at most this many (newest)")
    sub = parser.add_subparsers(dest="outbox_command", metavar="ACTION")
    show = add_action(sub, "show", "show one message and its delivery")
    show.add_argument("id", metavar="ID", type=int)
    show.add_argument("--json", action="store_true", help="print JSON")
    add_action(
        sub,
        "retry",
        "queue a FAILED, UNKNOWN, BOUNCED or CANCELLED message again (or a QUEUED one sooner)",
    ).add_argument("id", metavar="ID", type=int)
    add_action(sub, "cancel", "cancel a QUEUED, FAILED or UNKNOWN message").add_argument(
        "id", metavar="ID", type=int
    )


def run(args: argparse.Namespace, console: Console) -> int:
    action = getattr(args, "outbox_command", None)
    if action is None and args.limit < 1:
        raise UsageError("--limit must be 1 or more")
    with open_context(args.config) as ctx:
        if action is None:
            rows = _rows(args.state, args.limit)
            if args.json:
                console.print_json(data=[_as_json(r) for r in rows])
            else:
                _print_table(rows, console, args.state)
            return 0
        try:
            if action == "show":
                row = m.SentEmail.get_or_none(m.SentEmail.id == args.id)
                if row is None:
                    raise OutboxError(f"no outgoing message with id {args.id}")
                if args.json:
                    console.print_json(data=_as_json(row, full=True))
                else:
                    for label, value in _details(row):
                        console.print(f"{label + ':':<14}{value}", markup=False)
                return 0
            if action == "retry":
                before = m.SentEmail.get_or_none(m.SentEmail.id == args.id)
                row = retry(ctx, args.id)
                console.print(
                    f"message {row.id} is QUEUED again: `mailwright deliver` sends it",
                    markup=False,
                )
                if before is not None and before.state == "UNKNOWN":
                    # the operator's decision, but say what it may cost
                    console.print(
                        "warning: it was UNKNOWN: the server may have accepted it already, "
                        "so the recipients may get it twice",
                        markup=False,
                        style="yellow",
                    )
                return 0
            row = cancel(ctx, args.id)
            console.print(f"message {row.id} is CANCELLED", markup=False)
            return 0
        except OutboxError as err:
            raise UsageError(str(err)) from None


def _rows(state: str | None, limit: int) -> list[m.SentEmail]:
    query = m.SentEmail.select().order_by(m.SentEmail.id.desc()).limit(limit)
    if state:
        query = query.where(m.SentEmail.state == state)
    return list(query)


def _when(value: dt.datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "-"


def _iso(value: dt.datetime | None) -> str | None:
    return value.replace(tzinfo=dt.UTC).isoformat() if value else None


def _recipients(row: m.SentEmail) -> str:
    people = list(row.to or []) + list(row.cc or []) + list(row.bcc or [])
    return ", ".join(str(p) for p in people) or "-"


def _as_json(row: m.SentEmail, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id,
        "state": row.state,
        "messageId": row.messageId,
        "to": list(row.to or []),
        "cc": list(row.cc or []),
        "subject": row.subject,
        "attempts": row.attempts,
        "nextAttempt": _iso(row.nextAttempt),
        "sentDate": _iso(row.sentDate),
        "lastReply": row.lastReply,
        "created": _iso(row.created),
    }
    if full:
        data.update(
            bcc=list(row.bcc or []),
            fromAddress=row.fromAddress,
            replyTo=row.replyTo,
            inReplyTo=row.inReplyTo,
            autoSubmitted=row.autoSubmitted,
            relatedTo=({"type": row.relatedType, "id": row.relatedId} if row.relatedType else None),
            dataStarted=_iso(row.dataStarted),
            claimOwner=row.claimOwner,
            claimExpires=_iso(row.claimExpires),
            body=row.body,
        )
    return data


def _print_table(rows: list[m.SentEmail], console: Console, state: str | None) -> None:
    if not rows:
        what = f"{state} messages" if state else "outgoing messages"
        console.print(f"no {what}", markup=False)
        return
    table = Table("id", "state", "to", "subject", "attempts", "when", "last reply")
    for row in rows:
        when = row.sentDate if row.state == "SENT" else row.nextAttempt or row.created
        table.add_row(
            str(row.id),
            row.state,
            _recipients(row),
            row.subject or "",
            str(row.attempts),
            _when(when),
            (row.lastReply or "")[:60],
        )
    console.print(table)


def _details(row: m.SentEmail) -> list[tuple[str, str]]:
    related = f"{row.relatedType} {row.relatedId}" if row.relatedType else "-"
    rows = [
        ("id", str(row.id)),
        ("state", row.state),
        ("message-id", row.messageId),
        ("from", row.fromAddress or "- (the central server's)"),
        ("to", ", ".join(row.to or []) or "-"),
        ("cc", ", ".join(row.cc or []) or "-"),
        ("bcc", ", ".join(row.bcc or []) or "-"),
        ("subject", row.subject or ""),
        ("related to", related),
        ("attempts", str(row.attempts)),
        ("next attempt", _when(row.nextAttempt)),
        ("data started", _when(row.dataStarted)),
        ("sent", _when(row.sentDate)),
        ("last reply", row.lastReply or "-"),
        ("created", _when(row.created)),
    ]
    if row.state == "SENDING":
        rows.append(("claimed by", f"{row.claimOwner} until {_when(row.claimExpires)}"))
    if row.state == "UNKNOWN":
        rows.append(
            (
                "note",
                "the server may have this message; `outbox retry` sends it again (a second "
                "copy if it had it), `outbox cancel` closes it",
            )
        )
    return rows
