"""Storing a received message: raw bytes to blobs, parsed fields to a ReceivedEmail row.

``store_received`` is the one way a message enters the ledger, whatever its source
(IMAP, Maildir, mbox, a folder of ``.eml`` files, ``--eml`` on the command line). It is
idempotent on the ledger's unique keys: storing the same message of the same account
again returns the row already there, so a crash between storing and flagging on the
server (the guarantee in ARCHITECTURE.md, "Exactly once") costs nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, BinaryIO

import peewee

from mailstore import models as m
from mailstore.api import Store
from mailstore.mime import MailPart, ParsedEmail, parse_email
from mailstore.replylink import link_received

__all__ = ["store_received", "find_received"]


def _identity(
    account: m.MailAccount | int,
    folder: str | None,
    uidvalidity: int | None,
    uid: int | None,
    key: str | None,
) -> list[Any]:
    """Return the WHERE conditions of a message's identity; ValueError if it has none."""
    imap = uid is not None or uidvalidity is not None
    if imap == (key is not None) or (imap and (uid is None or uidvalidity is None or not folder)):
        raise ValueError(
            "a received message needs either folder, uidvalidity and uid (IMAP) or a key "
            "(local sources), not both"
        )
    account_id = account.id if isinstance(account, m.MailAccount) else account
    conditions: list[Any] = [m.ReceivedEmail.mailAccount == account_id]
    if imap:
        conditions += [
            m.ReceivedEmail.folder == folder,
            m.ReceivedEmail.uidvalidity == uidvalidity,
            m.ReceivedEmail.uid == uid,
        ]
    else:
        conditions.append(m.ReceivedEmail.key == key)
    return conditions


def find_received(
    account: m.MailAccount | int,
    *,
    folder: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    key: str | None = None,
) -> m.ReceivedEmail | None:
    """Return the stored ReceivedEmail with this identity, or None.

    The identity is (account, folder, uidvalidity, uid) for IMAP or (account, key) for a
    local source; giving neither or both raises ValueError.
    """
    conditions = _identity(account, folder, uidvalidity, uid, key)
    return m.ReceivedEmail.get_or_none(*conditions)


def _naive_utc(value: datetime | None) -> datetime | None:
    # The store keeps naive UTC datetimes (mailstore.models); parse_email gives aware UTC.
    return value.replace(tzinfo=None) if value is not None else None


def _email_fields(parsed: ParsedEmail) -> dict[str, Any]:
    """Return the ReceivedEmail column values of a parsed message."""
    auth = parsed.auth_results
    return {
        "sha256": parsed.raw_sha256,
        "size": parsed.raw_size,
        "messageId": parsed.message_id,
        "inReplyTo": parsed.in_reply_to,
        "references": parsed.references,
        "mailFrom": parsed.mail_from,
        "mailFromName": parsed.mail_from_name,
        "mailTo": parsed.mail_to,
        "cc": parsed.cc,
        "replyTo": parsed.reply_to,
        "subject": parsed.subject,
        "body": parsed.body,
        "bodyHtml": parsed.body_html,
        "sentDate": _naive_utc(parsed.sent_date),
        "sentDateOffset": parsed.sent_date_offset,
        "headers": [[name, value] for name, value in parsed.headers.items()],
        "signed": parsed.signed,
        "authResults": (
            {"spf": auth.spf, "dkim": auth.dkim, "dmarc": auth.dmarc} if auth is not None else None
        ),
        "parseError": "\n".join(parsed.parse_errors) or None,
    }


def _store_parts(store: Store, parsed: ParsedEmail) -> list[tuple[MailPart, bool]]:
    """Write every part's content to the blob store; return (part, is inline part) pairs.

    Done before the transaction: blob writes cannot be rolled back, and a blob left by
    a transaction that failed is only unreferenced (``gc`` removes it).
    """
    parts = [(p, False) for p in parsed.attachments] + [(p, True) for p in parsed.inline_parts]
    for part, _ in parts:
        if not store.blobs.exists(part.sha256):
            store.blobs.put_bytes(part.content)
    return parts


def store_received(
    store: Store,
    account: m.MailAccount | int,
    source: bytes | BinaryIO,
    *,
    folder: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    key: str | None = None,
    trusted_authserv_id: str | None = None,
    state: str = "RECEIVED",
    reason: str | None = None,
    received_date: datetime | None = None,
) -> tuple[m.ReceivedEmail, bool]:
    """Store a raw message and return ``(ReceivedEmail, created)``.

    ``source`` is the raw message as bytes or a binary file object (streamed to the blob
    store, then parsed from there: the message is never held whole in memory twice).
    The identity is ``folder``, ``uidvalidity`` and ``uid`` for IMAP, or ``key`` for a
    local source (see ``mailstore.sources``); giving neither or both raises ValueError.

    When a message with that identity is already stored, nothing is written and the
    existing row comes back with ``created`` False; this holds against a concurrent
    writer too (the unique index decides, the loser returns the winner's row). Otherwise
    the raw message and each attachment's content go to the blob store (each content
    once), and the ReceivedEmail, its AttachedFile and ReceivedEmailAttachment rows are
    written in one transaction (a savepoint when the caller has one open).

    Never fails because of the message's content: what cannot be parsed is explained in
    ``parseError``. ``state`` and ``reason`` are for the runner's SKIPPED and IGNORED
    messages; ``received_date`` (aware or naive UTC) defaults to now.
    """
    conditions = _identity(account, folder, uidvalidity, uid, key)
    existing = m.ReceivedEmail.get_or_none(*conditions)
    if existing is not None:
        return existing, False
    if isinstance(source, bytes | bytearray | memoryview):
        raw = bytes(source)
        store.blobs.put_bytes(raw)
        parsed = parse_email(raw, trusted_authserv_id=trusted_authserv_id)
    else:
        sha, _ = store.blobs.put_stream(source)
        with store.blobs.open(sha) as stored:
            parsed = parse_email(stored, trusted_authserv_id=trusted_authserv_id)
    parts = _store_parts(store, parsed)
    try:
        row = _insert(
            store,
            account,
            parsed,
            parts,
            identity={"folder": folder, "uidvalidity": uidvalidity, "uid": uid, "key": key},
            extra={
                "state": state,
                "reason": reason,
                **({"receivedDate": _naive_utc(received_date)} if received_date else {}),
            },
        )
    except peewee.IntegrityError:
        # Another writer stored the same message between our check and our insert: the
        # unique index decided, and its row is the answer. Any other violation is a bug.
        winner = m.ReceivedEmail.get_or_none(*conditions)
        if winner is None:
            raise
        return winner, False
    return row, True


def _insert(
    store: Store,
    account: m.MailAccount | int,
    parsed: ParsedEmail,
    parts: list[tuple[MailPart, bool]],
    identity: dict[str, Any],
    extra: dict[str, Any],
) -> m.ReceivedEmail:
    """Write the rows in one transaction; peewee.IntegrityError when the identity is taken."""
    with store.atomic():
        row = m.ReceivedEmail.create(
            mailAccount=account, **identity, **_email_fields(parsed), **extra
        )
        for position, (part, inline_part) in enumerate(parts):
            attached = m.AttachedFile.create(
                name=part.filename,
                contentType=part.content_type,
                size=part.size,
                sha256=part.sha256,
            )
            m.ReceivedEmailAttachment.create(
                receivedEmail=row,
                attachedFile=attached,
                inlinePart=inline_part,
                inline=part.inline,
                contentId=part.content_id,
                position=position,
            )
        # a reply or a bounce: linked to what was sent, in the same transaction (issue 6)
        link_received(store, row, parsed)
        return row
