"""Storing a fetched or read message: SKIPPED when too big, IGNORED when too old, and
parsed one message ahead of the commits.

Both paths (IMAP, local sources) decide what to store with `incoming` and store it with
`commit`. `one_ahead` lets a run parse message k+1, and have its blobs fsynced by the
blob threads, while message k's rows commit and its handler runs: the fsyncs wait beside
the work instead of before it. Nothing about the guarantees changes: a message is in the
ledger only once its own transaction has committed, its blobs durable before that; a
message parsed ahead and never committed (a crash, a lost lease) left only unreferenced
blobs, which ``gc`` removes, and is still new to the next run.
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.utils
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mailstore import models as m
from mailstore.receive import PreparedEmail, commit_received, prepare_received

from ..context import AppContext
from ..settings import header_block

T = TypeVar("T")


def _sent_date(headers: bytes) -> dt.datetime | None:
    """The Date header as naive UTC, or None when it is missing or unreadable."""
    parsed = email.parser.BytesHeaderParser().parsebytes(headers)
    value = parsed.get("Date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 5322 "-0000": the offset is unknown, take it as UTC
        return when
    return when.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass
class Incoming:
    """A message on its way into the ledger: where it comes from, what to store, and the
    message parsed with its blob writes under way (`PreparedEmail`), or why it could not
    be (``failure``: the run reports it, the next run tries the message again)."""

    #: how reports name it: ``UID 7``, ``message KEY``
    what: str
    #: the ledger identity: ``folder``, ``uidvalidity``, ``uid`` (IMAP) or ``key``
    identity: dict[str, Any]
    state: str = "RECEIVED"
    reason: str | None = None
    #: the message's real size when only its headers are stored (SKIPPED)
    size: int | None = None
    prepared: PreparedEmail | None = None
    failure: Exception | None = field(default=None, repr=False)

    def discard(self) -> None:
        """Drop it without storing (its blob writes waited for)."""
        if self.prepared is not None:
            self.prepared.discard()


def incoming(
    ctx: AppContext,
    account: m.MailAccount,
    what: str,
    raw: bytes,
    identity: dict[str, Any],
    *,
    complete: bool = True,
    size: int | None = None,
    left: str = "left in the source",
) -> Incoming:
    """Decide how *raw* is stored and start storing it (parse, blob writes); never raises.

    Over ``limits.maxMessageMB`` (or fetched without its body, ``complete`` False, with
    *size* the whole message's size): SKIPPED with the reason, only its headers kept (the
    message stays where it is, *left* says so). Sent before the account's ``since``:
    IGNORED (kept whole, never handled). Otherwise RECEIVED."""
    limit = ctx.config.max_message_bytes
    whole = size if size is not None else len(raw)
    item = Incoming(what, identity)
    try:
        headers = header_block(raw)
        if not complete or whole > limit:
            item.state, item.size = "SKIPPED", whole
            item.reason = (
                f"{whole / 1048576:.1f} MB is over the limit of {limit / 1048576:.0f} MB "
                f"(limits.maxMessageMB in mailwright.toml); {left}"
            )
            item.prepared = prepare_received(ctx.store, headers)
            return item
        if account.since is not None:
            sent = _sent_date(headers)
            if sent is not None and sent < account.since:
                item.state = "IGNORED"
                item.reason = (
                    f"sent {sent:%Y-%m-%d %H:%M} UTC, before the account's since "
                    f"{account.since:%Y-%m-%d}"
                )
        item.prepared = prepare_received(
            ctx.store, raw, trusted_authserv_id=ctx.config.trusted_authserv_id
        )
    except Exception as exc:  # a blob store that cannot be written, a bug: reported per message
        item.failure = exc
    return item


def commit(ctx: AppContext, account: m.MailAccount, item: Incoming) -> tuple[m.ReceivedEmail, bool]:
    """Store *item* and commit; return ``(row, created)``. Raises what stopped it (its
    `Incoming.failure`, a blob write that failed, the database). Idempotent: a message
    already stored comes back as it is."""
    if item.failure is not None:
        raise item.failure
    assert item.prepared is not None
    return commit_received(
        ctx.store,
        account,
        item.prepared,
        **item.identity,
        state=item.state,
        reason=item.reason,
        size=item.size,
    )


def one_ahead(
    prepare: Callable[[T], Incoming | None], sources: Iterable[T]
) -> Generator[Incoming, None, None]:
    """Yield ``prepare(source)`` for each of *sources* (skipping None), each one only once
    the next one is prepared: the caller commits item k while item k+1's blobs are being
    written.

    The caller must `commit` (or `Incoming.discard`) each item it is given before it asks
    for the next. When it stops early (a lost lease, an error), closing the generator
    discards what was prepared and not given, so no blob write is left running."""
    ahead: Incoming | None = None
    given: Incoming | None = None
    try:
        for source in sources:
            item = prepare(source)
            if item is None:
                continue
            given, ahead = ahead, item
            if given is not None:
                yield given
            given = None
        if ahead is not None:
            given, ahead = ahead, None
            yield given
    finally:
        for left in (given, ahead):
            if left is not None:
                left.discard()


def store_message(
    ctx: AppContext, account: m.MailAccount, key: str, raw: bytes
) -> tuple[m.ReceivedEmail, bool]:
    """Store one message of a local source and commit; return ``(row, created)``.

    Over ``limits.maxMessageMB``: SKIPPED with the reason, only its headers kept (the
    message stays in the source). Sent before the account's ``since``: IGNORED (kept
    whole, never handled). Idempotent: a message already stored comes back as it is."""
    return commit(ctx, account, incoming(ctx, account, f"message {key}", raw, {"key": key}))
