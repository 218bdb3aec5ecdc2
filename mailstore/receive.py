"""Storing a received message: raw bytes to blobs, parsed fields to a ReceivedEmail row.

``store_received`` is the one way a message enters the ledger, whatever its source
(IMAP, Maildir, mbox, a folder of ``.eml`` files, ``--eml`` on the command line). It is
idempotent on the ledger's unique keys: storing the same message of the same account
again returns the row already there, so a crash between storing and flagging on the
server (the guarantee in ARCHITECTURE.md, "Exactly once") costs nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from datetime import datetime
from typing import Any, BinaryIO

import peewee

from mailstore import models as m
from mailstore.api import Store, insert_row
from mailstore.mime import MailPart, ParsedEmail, parse_email
from mailstore.replylink import link_received

__all__ = [
    "PreparedEmail",
    "commit_received",
    "find_received",
    "prepare_received",
    "store_received",
]


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


#: the SQL of `_stored_id`, by (database class, IMAP identity or not)
_ID_SQL: dict[tuple[str, bool], str] = {}


def _stored_id(
    account: m.MailAccount | int,
    *,
    folder: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    key: str | None = None,
) -> int | None:
    """Return the id of the stored e-mail with this identity, or None (checked: `_identity`).

    The question asked of every message before anything is written: the SQL is built by
    peewee once per database kind and reused, and only the id is read (``get_or_none``
    builds a 30-column query and a model object each time, about a millisecond).
    """
    conditions = _identity(account, folder, uidvalidity, uid, key)
    e = m.ReceivedEmail
    db = e._meta.database
    account_id = account.id if isinstance(account, m.MailAccount) else account
    imap = key is None
    fields: list[tuple[Any, Any]] = [(e.mailAccount, account_id)]
    fields += (
        [(e.folder, folder), (e.uidvalidity, uidvalidity), (e.uid, uid)] if imap else [(e.key, key)]
    )
    # the values as peewee would send them (MailCharField cuts and replaces NUL)
    params = tuple(field.db_value(value) for field, value in fields)
    cache_key = (type(db).__name__, imap)
    sql = _ID_SQL.get(cache_key)
    if sql is None:
        # no LIMIT: the identity is unique, and peewee sends a limit as one more parameter
        sql, built = e.select(e.id).where(*conditions).sql()
        if tuple(built) != params:  # a peewee that orders parameters otherwise: no cache
            found = db.execute_sql(sql, built).fetchone()
            return int(found[0]) if found else None
        _ID_SQL[cache_key] = sql
    found = db.execute_sql(sql, params).fetchone()
    return int(found[0]) if found else None


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


#: threads writing a message's blobs at once (see `_blob_pool`)
BLOB_THREADS = 4
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _blob_pool() -> ThreadPoolExecutor:
    """Return the threads that write blobs, made on first use in this process.

    Why threads: a blob costs two fsyncs (file, folder), milliseconds each, and a message
    has several blobs; fsyncs issued at the same moment share one journal commit, and
    they wait without the GIL, so the raw message is written while it is parsed.
    """
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            # a forked child inherits the pool object but none of its threads
            _pool = ThreadPoolExecutor(BLOB_THREADS, thread_name_prefix="mailwright-blobs")
            _pool_pid = os.getpid()
        return _pool


def _wait(writes: Iterable[Future[Any]]) -> None:
    """Wait for every blob write to end; then raise the first failure, if any.

    Waiting for all of them even after a failure: no write is still running when the
    caller goes on (or reports the error), so the blobs are all there or the call failed.
    """
    failure: BaseException | None = None
    for write in writes:
        try:
            write.result()
        except Exception as exc:  # noqa: BLE001 - re-raised below, after the others
            failure = failure or exc
    if failure is not None:
        raise failure


def _store_parts(store: Store, parsed: ParsedEmail) -> list[Future[Any]]:
    """Start writing every part's content to the blob store; return the running writes.

    Started before the transaction and waited for before its commit (`_insert`): blob
    writes cannot be rolled back, and a blob left by a transaction that failed is only
    unreferenced (``gc`` removes it). Each content is written once even when several
    parts have it.
    """
    pool = _blob_pool()
    writes: dict[str, Future[Any]] = {}
    for part in [*parsed.attachments, *parsed.inline_parts]:
        if part.sha256 not in writes:
            writes[part.sha256] = pool.submit(store.blobs.put_bytes, part.content)
    return list(writes.values())


def _parts(parsed: ParsedEmail) -> list[tuple[MailPart, bool]]:
    """Return the (part, is inline part) pairs of a message, in the order they are stored."""
    return [(p, False) for p in parsed.attachments] + [(p, True) for p in parsed.inline_parts]


class PreparedEmail:
    """A message parsed, with the writes of its blobs under way; `prepare_received` makes
    one and `commit_received` stores it (or `discard` forgets it).

    Splitting the two lets a caller parse the next message, and have its blobs fsynced,
    while the previous one's rows commit and its handler runs (``runtime.ingest`` does).
    Trap: every one must end in `commit_received` or `discard`, so that no blob write is
    still running when the caller goes on."""

    __slots__ = ("parsed", "writes")

    def __init__(self, parsed: ParsedEmail, writes: list[Future[Any]]) -> None:
        self.parsed = parsed
        self.writes = writes

    def discard(self) -> None:
        """Wait for the blob writes and drop the message: its blobs are only unreferenced
        (``gc`` removes them), nothing is in the ledger."""
        futures_wait(self.writes)


def prepare_received(
    store: Store, source: bytes | BinaryIO, *, trusted_authserv_id: str | None = None
) -> PreparedEmail:
    """Parse a raw message and start writing its blobs (the raw message and each part's
    content); return the `PreparedEmail` for `commit_received`.

    Never fails because of the message's content (see `parse_email`). A file object is
    streamed to the blob store first, then parsed from there (never held whole in memory
    twice); bytes are written by another thread while this one parses."""
    writes: list[Future[Any]] = []
    try:
        if isinstance(source, bytes | bytearray | memoryview):
            raw = bytes(source)
            writes.append(_blob_pool().submit(store.blobs.put_bytes, raw))
            parsed = parse_email(raw, trusted_authserv_id=trusted_authserv_id)
        else:
            sha, _ = store.blobs.put_stream(source)
            with store.blobs.open(sha) as stored:
                parsed = parse_email(stored, trusted_authserv_id=trusted_authserv_id)
        writes += _store_parts(store, parsed)
    except BaseException:
        futures_wait(writes)  # no write left running behind the failure
        raise
    return PreparedEmail(parsed, writes)


def commit_received(
    store: Store,
    account: m.MailAccount | int,
    prepared: PreparedEmail,
    *,
    folder: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    key: str | None = None,
    state: str = "RECEIVED",
    reason: str | None = None,
    received_date: datetime | None = None,
    size: int | None = None,
) -> tuple[m.ReceivedEmail, bool]:
    """Store a `PreparedEmail` under its identity; return ``(ReceivedEmail, created)``.

    Once every blob write has ended well, the rows are written in one transaction (see
    `store_received` for the rest of the contract, which this is the second half of). A
    blob that could not be written raises and nothing is stored. When the identity is
    already stored, nothing is written and that row comes back with ``created`` False:
    the unique index decides (no query first: the callers ask before parsing, which is
    what a check saves)."""
    try:
        conditions = _identity(account, folder, uidvalidity, uid, key)
        parsed = prepared.parsed
        try:
            row = _insert(
                store,
                account,
                parsed,
                _parts(parsed),
                identity={"folder": folder, "uidvalidity": uidvalidity, "uid": uid, "key": key},
                extra={
                    "state": state,
                    "reason": reason,
                    **({"receivedDate": _naive_utc(received_date)} if received_date else {}),
                    **({"size": size} if size is not None else {}),
                },
                writes=prepared.writes,
            )
        except peewee.IntegrityError:
            # Stored already (by an earlier run, or another writer since the caller's
            # check): the unique index decided, and its row is the answer. Any other
            # violation is a bug.
            winner = m.ReceivedEmail.get_or_none(*conditions)
            if winner is None:
                raise
            return winner, False
    finally:
        # on every way out (the winner's row, a failure) no write is left running
        prepared.discard()
    return row, True


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
    size: int | None = None,
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
    once, fsynced by a few threads while the message is parsed), and once every blob is
    durable the ReceivedEmail, its AttachedFile and ReceivedEmailAttachment rows are
    written in one transaction (a savepoint when the caller has one open); a blob that
    cannot be written raises (no row is left).

    Never fails because of the message's content: what cannot be parsed is explained in
    ``parseError``. ``state`` and ``reason`` are for the runner's SKIPPED and IGNORED
    messages; ``received_date`` (aware or naive UTC) defaults to now; ``size`` is the
    message's real size when *source* is only part of it (a SKIPPED message's headers).
    The same as `prepare_received` then `commit_received`, with the identity checked
    first (a message already stored is not parsed).
    """
    _identity(account, folder, uidvalidity, uid, key)
    existing_id = _stored_id(account, folder=folder, uidvalidity=uidvalidity, uid=uid, key=key)
    if existing_id is not None:
        return m.ReceivedEmail.get_by_id(existing_id), False
    prepared = prepare_received(store, source, trusted_authserv_id=trusted_authserv_id)
    return commit_received(
        store,
        account,
        prepared,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=uid,
        key=key,
        state=state,
        reason=reason,
        received_date=received_date,
        size=size,
    )


def _insert(
    store: Store,
    account: m.MailAccount | int,
    parsed: ParsedEmail,
    parts: list[tuple[MailPart, bool]],
    identity: dict[str, Any],
    extra: dict[str, Any],
    writes: list[Future[Any]],
) -> m.ReceivedEmail:
    """Write the rows in one transaction; peewee.IntegrityError when the identity is taken.

    *writes* are the blob writes still running (started while the message was parsed):
    they must all have ended well before the transaction begins (the guarantee: a blob is
    durable before the row naming it commits); one that failed raises, nothing is written.
    Waited for before, not inside, the transaction: on SQLite it holds the write lock
    from its first statement, and every other runner would wait on our fsyncs.
    """
    _wait(writes)
    with store.atomic():
        # insert_row, not create: the same rows, with SQL text built once (see insert_row)
        row = insert_row(
            m.ReceivedEmail, mailAccount=account, **identity, **{**_email_fields(parsed), **extra}
        )
        for position, (part, inline_part) in enumerate(parts):
            attached = insert_row(
                m.AttachedFile,
                name=part.filename,
                contentType=part.content_type,
                size=part.size,
                sha256=part.sha256,
            )
            insert_row(
                m.ReceivedEmailAttachment,
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
