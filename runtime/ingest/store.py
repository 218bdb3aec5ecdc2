"""Storing a message of a local source: SKIPPED when too big, IGNORED when too old."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.utils

from mailstore import models as m
from mailstore.receive import store_received

from ..context import AppContext
from ..settings import header_block


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


def store_message(
    ctx: AppContext, account: m.MailAccount, key: str, raw: bytes
) -> tuple[m.ReceivedEmail, bool]:
    """Store one message of a local source and commit; return ``(row, created)``.

    Over ``limits.maxMessageMB``: SKIPPED with the reason, only its headers kept (the
    message stays in the source). Sent before the account's ``since``: IGNORED (kept
    whole, never handled). Idempotent: a message already stored comes back as it is."""
    limit = ctx.config.max_message_bytes
    headers = header_block(raw)
    if len(raw) > limit:
        reason = (
            f"{len(raw) / 1048576:.1f} MB is over the limit of {limit / 1048576:.0f} MB "
            "(limits.maxMessageMB in mailwright.toml); left in the source"
        )
        return store_received(
            ctx.store, account, headers, key=key, state="SKIPPED", reason=reason, size=len(raw)
        )
    state = "RECEIVED"
    reason_text: str | None = None
    if account.since is not None:
        sent = _sent_date(headers)
        if sent is not None and sent < account.since:
            state = "IGNORED"
            reason_text = (
                f"sent {sent:%Y-%m-%d %H:%M} UTC, before the account's since "
                f"{account.since:%Y-%m-%d}"
            )
    return store_received(
        ctx.store,
        account,
        raw,
        key=key,
        state=state,
        reason=reason_text,
        trusted_authserv_id=ctx.config.trusted_authserv_id,
    )
