"""The outbox sender: QUEUED SentEmail rows go out through the central SMTP server.

The protocol of ARCHITECTURE.md ("Outgoing mail guarantees"), step by step:

1. Expired claims are taken back first, each by one conditional UPDATE: a SENDING row whose
   claim ran out without ``dataStarted`` returns to QUEUED (the server cannot have it, it
   is sent once later); with ``dataStarted`` it becomes UNKNOWN (the server may have it; it
   is never resent by itself — ``outbox retry`` is the operator's decision).
2. Due rows are claimed one by one: ``UPDATE ... SET state='SENDING', claimOwner=<us>,
   claimExpires=<now + lease> WHERE id=? AND state='QUEUED'``. On PostgreSQL a second
   deliverer waits for the row lock and then finds the condition false; SQLite runs
   writers one at a time. Two deliverers never hold one row.
3. ONE connection for the batch (a new one only when the server dropped it).
4. Per message, after MAIL and RCPT were accepted, ``dataStarted`` is committed, again
   conditionally on our claim (a claim lost meanwhile means: do not send); then DATA.
5. The answer is committed: 250 -> SENT with ``sentDate``; 4xx (or a connection refused or
   dropped before the data went out) -> QUEUED with backoff from ``[retry]``, FAILED after
   the last attempt; 5xx -> FAILED with the server's reply in ``lastReply``; a connection
   that broke after the data went out -> UNKNOWN.

Every statement commits on its own (no long transaction holds the database while the
network is slow). Claims are renewed while a long batch works, so they never expire under
a live deliverer. Errors of the configuration (certificate, no STARTTLS, login refused, no
central server) are not the message's fault: the claimed rows go back to QUEUED without
counting an attempt, and the report says what to fix.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from mailstore import models as m
from mailstore.blobs import BlobNotFound
from mailstore.db import is_postgresql
from mailstore.outmessage import build_message, envelope_recipients
from mailstore.secrets import SecretKeyError
from mailstore.smtp import SmtpError, SmtpSettings, close, connect, send

from .context import AppContext
from .robot import reply_to_for, robot_address, robot_warnings, tokens_enabled
from .settings import SettingsError
from .smtpaccounts import central_server

__all__ = [
    "CANCELLABLE",
    "DeliverReport",
    "OutboxError",
    "RETRYABLE",
    "cancel",
    "deliver",
    "outbox_owner",
    "retry",
]

log = logging.getLogger(__name__)

#: states an operator may put back in the queue with ``outbox retry``
RETRYABLE = ("FAILED", "UNKNOWN", "CANCELLED", "BOUNCED", "QUEUED")
#: states ``outbox cancel`` accepts
CANCELLABLE = ("QUEUED", "FAILED", "UNKNOWN")
#: rows claimed at a time; the rest wait for the next round of the same run
CLAIM_BATCH = 200

#: messages built at a time before they are sent (see `_Batch.prepare`)
PREPARE_AHEAD = 20
#: ... unless they are this big together (the first one is always built)
PREPARE_BYTES = 16 * 1024 * 1024

Progress = Callable[[int, int], None]


class OutboxError(Exception):
    """``outbox retry`` or ``cancel`` cannot be done; the message says why."""


@dataclass
class DeliverReport:
    """What one `deliver` did, by SentEmail id."""

    sent: list[int] = field(default_factory=list)
    #: temporary failures, back in the queue with a later nextAttempt
    deferred: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    #: rows that became UNKNOWN in this run (a broken connection after the data, or an
    #: expired claim with dataStarted)
    unknown: list[int] = field(default_factory=list)
    #: expired claims without dataStarted put back in the queue
    requeued: list[int] = field(default_factory=list)
    #: SENT, but the server refused some of the recipients (named in the row's lastReply)
    partly_refused: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: a problem that stopped the batch (no central server, cannot connect, login refused)
    error: str | None = None
    #: the server used (``host:port (security)``), None when nothing was sent
    server: str | None = None
    connections: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing failed, became UNKNOWN, missed a recipient or stopped the batch."""
        return (
            not self.failed and not self.unknown and not self.partly_refused and self.error is None
        )

    def summary(self) -> str:
        """One line: ``sent 3, deferred 1, failed 0, unknown 0``, and the error if any."""
        parts = [
            f"sent {len(self.sent)}",
            f"deferred {len(self.deferred)}",
            f"failed {len(self.failed)}",
            f"unknown {len(self.unknown)}",
        ]
        if self.requeued:
            parts.append(f"requeued {len(self.requeued)} (expired claims)")
        if self.partly_refused:
            parts.append(f"partly refused {len(self.partly_refused)}")
        line = "outbox: " + ", ".join(parts)
        if self.server:
            line += f" via {self.server}"
        return line


def outbox_owner() -> str:
    """A claim owner unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Clock:
    """The run's time: *start* (naive UTC; a test may give one) plus the time elapsed."""

    def __init__(self, start: dt.datetime | None) -> None:
        self.start = start or m.utcnow()
        self._t0 = time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self._t0)


def _take_back_expired(now: dt.datetime, report: DeliverReport) -> None:
    expired = (m.SentEmail.state == "SENDING") & (m.SentEmail.claimExpires < now)
    # read the ids first only to report them: the UPDATEs' own conditions decide
    requeue = [r.id for r in m.SentEmail.select(m.SentEmail.id).where(
        expired & m.SentEmail.dataStarted.is_null()
    )]  # fmt: skip
    for row_id in requeue:
        done = (
            m.SentEmail.update(state="QUEUED", claimOwner=None, claimExpires=None)
            .where(expired & m.SentEmail.dataStarted.is_null() & (m.SentEmail.id == row_id))
            .execute()
        )
        if done:
            report.requeued.append(row_id)
    unknown = [r.id for r in m.SentEmail.select(m.SentEmail.id).where(
        expired & m.SentEmail.dataStarted.is_null(False)
    )]  # fmt: skip
    for row_id in unknown:
        done = (
            m.SentEmail.update(
                state="UNKNOWN",
                claimOwner=None,
                claimExpires=None,
                lastReply="the sender stopped after the message data started and before "
                "the server's answer was recorded: the server may have it (not resent; "
                "`mailwright outbox retry` sends it again)",
            )
            .where(expired & m.SentEmail.dataStarted.is_null(False) & (m.SentEmail.id == row_id))
            .execute()
        )
        if done:
            report.unknown.append(row_id)


def _due_ids(now: dt.datetime, limit: int | None) -> list[int]:
    query = (
        m.SentEmail.select(m.SentEmail.id)
        .where(
            (m.SentEmail.state == "QUEUED")
            & (m.SentEmail.nextAttempt.is_null() | (m.SentEmail.nextAttempt <= now))
        )
        .order_by(m.SentEmail.created, m.SentEmail.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [r.id for r in query]


def _claim_chunk(ids: list[int], owner: str, expires: dt.datetime) -> list[m.SentEmail]:
    """Claim the QUEUED rows among *ids* for *owner*; return those we hold, oldest first.

    One UPDATE whose WHERE re-checks ``state = 'QUEUED'`` row by row: a row another
    deliverer claimed first is not ours and is not returned (SQLite runs writers one at a
    time; PostgreSQL skips rows locked by another claim and re-checks the state of the
    rest after their lock)."""
    queued = m.SentEmail.id.in_(ids) & (m.SentEmail.state == "QUEUED")
    db = m.SentEmail._meta.database
    if is_postgresql(db):
        # rows another deliverer is claiming right now are skipped, not waited for: two
        # UPDATEs taking the same row locks in different orders could deadlock
        queued = m.SentEmail.id.in_(
            m.SentEmail.select(m.SentEmail.id).where(queued).for_update(skip_locked=True)
        )
    m.SentEmail.update(state="SENDING", claimOwner=owner, claimExpires=expires).where(
        queued & (m.SentEmail.state == "QUEUED")
    ).execute()
    return list(
        m.SentEmail.select()
        .where(
            m.SentEmail.id.in_(ids)
            & (m.SentEmail.state == "SENDING")
            & (m.SentEmail.claimOwner == owner)
        )
        .order_by(m.SentEmail.created, m.SentEmail.id)
    )


def _attachments(ids: list[int]) -> dict[int, list[m.AttachedFile]]:
    """The attached files of the rows *ids*, in order, by row id (one query for a chunk)."""
    found: dict[int, list[m.AttachedFile]] = {}
    query = (
        m.SentEmailAttachment.select(m.SentEmailAttachment, m.AttachedFile)
        .join(m.AttachedFile)
        .where(m.SentEmailAttachment.sentEmail.in_(ids))
        .order_by(m.SentEmailAttachment.sentEmail, m.SentEmailAttachment.position)
    )
    for link in query:
        # the raw foreign key: reading link.sentEmail would load the row again
        found.setdefault(int(link.__data__["sentEmail"]), []).append(link.attachedFile)
    return found


def _ours(row_id: int, owner: str) -> Any:
    return (
        (m.SentEmail.id == row_id)
        & (m.SentEmail.state == "SENDING")
        & (m.SentEmail.claimOwner == owner)
    )


class _HotPath:
    """The two UPDATEs every message costs (``dataStarted``, then SENT), as SQL text.

    Why not peewee's query builder here: making the SQL of an UPDATE costs more CPU than
    running it on SQLite (a third of ``deliver``'s own CPU per message, measured with
    bench/bench_deliver.py). The values go as parameters, converted by the fields as
    peewee would; the conditions are those of `_ours`.
    """

    def _run(self, sql: str, params: list[Any]) -> int:
        db: Any = m.SentEmail._meta.database  # peewee's execute_sql is untyped
        param = "?" if not is_postgresql(db) else "%s"
        table = m.SentEmail._meta.table_name
        where = f'"id" = {param} AND "state" = {param} AND "claim_owner" = {param}'
        cursor = db.execute_sql(sql.format(table=table, p=param, where=where), params)
        return int(cursor.rowcount)

    def data_started(self, row_id: int, owner: str, now: dt.datetime, expires: dt.datetime) -> int:
        """Mark *row_id* dataStarted (and renew its claim) if it is still ours; rows changed."""
        return self._run(
            'UPDATE "{table}" SET "data_started" = {p}, "claim_expires" = {p} WHERE {where}',
            [_stamp(now), _stamp(expires), row_id, "SENDING", owner],
        )

    def sent(
        self, row_id: int, owner: str, now: dt.datetime, reply: str, account: int | None
    ) -> int:
        """Mark *row_id* SENT if it is still ours; rows changed."""
        return self._run(
            'UPDATE "{table}" SET "state" = {p}, "sent_date" = {p}, "last_reply" = {p}, '
            '"attempts" = "attempts" + 1, "claim_owner" = NULL, "claim_expires" = NULL, '
            '"smtp_account_id" = {p} WHERE {where}',
            ["SENT", _stamp(now), reply, account, row_id, "SENDING", owner],
        )


def _stamp(value: dt.datetime) -> Any:
    # the field's own conversion, so the stored text is what peewee writes and reads
    field: Any = m.SentEmail.dataStarted  # peewee's db_value is untyped
    return field.db_value(value)


_HOT = _HotPath()


class _LostClaim(Exception):
    """Our claim on a row was taken back (we were too slow): do not send it."""


@dataclass
class _Batch:
    ctx: AppContext
    owner: str
    clock: _Clock
    report: DeliverReport
    progress: Progress | None
    timeout: float
    settings: SmtpSettings | None = None
    conn: smtplib.SMTP | None = None
    envelope_from: str | None = None
    #: the robot address and whether it carries tokens (parameters read once per run)
    robot: str | None = None
    tokens: bool = False
    #: the attached files of the claimed chunk, by row id
    attachments: dict[int, list[m.AttachedFile]] = field(default_factory=dict)
    #: messages built ahead of sending (`prepare`), by row id
    prepared: dict[int, tuple[bytes, list[str]] | Exception] = field(default_factory=dict)
    last_renewal: float = field(default_factory=time.monotonic)

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.ctx.config.lease_seconds)

    def renew(self, ids: list[int]) -> None:
        """Push our claims' expiry forward once a third of the lease has passed."""
        if time.monotonic() - self.last_renewal < self.ctx.config.lease_seconds / 3:
            return
        expires = self.clock() + self.lease
        m.SentEmail.update(claimExpires=expires).where(
            m.SentEmail.id.in_(ids)
            & (m.SentEmail.state == "SENDING")
            & (m.SentEmail.claimOwner == self.owner)
        ).execute()
        self.last_renewal = time.monotonic()

    def release(self, ids: list[int]) -> None:
        """Give unsent claimed rows back to the queue, as they were (no attempt counted)."""
        if ids:
            m.SentEmail.update(state="QUEUED", claimOwner=None, claimExpires=None).where(
                m.SentEmail.id.in_(ids)
                & (m.SentEmail.state == "SENDING")
                & (m.SentEmail.claimOwner == self.owner)
                & m.SentEmail.dataStarted.is_null()
            ).execute()

    # -- outcomes, each one conditional UPDATE on our claim

    def sent(self, row: m.SentEmail, reply: str) -> None:
        done = _HOT.sent(
            row.id,
            self.owner,
            self.clock(),
            reply,
            self.settings.smtp_account_id if self.settings else None,
        )
        if done:
            self.report.sent.append(row.id)
        else:  # taken back while we sent: it was already marked UNKNOWN; say so
            self.report.warnings.append(
                f"message {row.id} ({row.messageId}) was sent, but its claim had expired "
                "meanwhile: its state may say UNKNOWN"
            )

    def failed(self, row: m.SentEmail, reply: str) -> None:
        m.SentEmail.update(
            state="FAILED",
            lastReply=reply,
            attempts=m.SentEmail.attempts + 1,
            claimOwner=None,
            claimExpires=None,
            dataStarted=None,
        ).where(_ours(row.id, self.owner)).execute()
        self.report.failed.append(row.id)

    def temporary(self, row: m.SentEmail, reply: str) -> None:
        """A temporary failure: QUEUED with backoff, FAILED after the last attempt."""
        attempts = int(row.attempts) + 1
        config = self.ctx.config
        if attempts >= config.attempts:
            self.failed(row, f"{reply} (gave up after {attempts} attempts)")
            return
        delays = config.retry_delays or (60.0,)
        delay = delays[min(attempts - 1, len(delays) - 1)]
        m.SentEmail.update(
            state="QUEUED",
            lastReply=reply,
            attempts=attempts,
            nextAttempt=self.clock() + dt.timedelta(seconds=delay),
            claimOwner=None,
            claimExpires=None,
            dataStarted=None,
        ).where(_ours(row.id, self.owner)).execute()
        self.report.deferred.append(row.id)

    def unknown(self, row: m.SentEmail, reply: str) -> None:
        m.SentEmail.update(
            state="UNKNOWN",
            lastReply=reply,
            attempts=m.SentEmail.attempts + 1,
            claimOwner=None,
            claimExpires=None,
        ).where(_ours(row.id, self.owner)).execute()
        self.report.unknown.append(row.id)

    # -- the connection

    def connection(self) -> smtplib.SMTP:
        if self.conn is None:
            assert self.settings is not None
            self.conn = connect(self.settings, timeout=self.timeout)
            self.report.connections += 1
            self.report.server = self.settings.address
        return self.conn

    def drop_connection(self) -> None:
        if self.conn is not None:
            close(self.conn)
            self.conn = None

    # -- one message

    def message_bytes(self, row: m.SentEmail) -> bytes:
        assert self.settings is not None
        from_address = row.fromAddress or self.settings.from_address
        if not from_address:
            raise ValueError(
                f"no From address: the message has none and {self.settings.source} names "
                "none (smtp add --from, or mail.from in the legacy file)"
            )
        attachments = [
            (str(file.name), str(file.contentType), self.ctx.store.file(file.sha256))
            for file in self.attachments.get(row.id, [])
        ]
        if self.tokens or row.replyTo:
            reply_to = reply_to_for(self.ctx.store, row)  # a token of its own per row
        else:
            reply_to = self.robot  # read once for the batch, not twice per message
        message = build_message(
            row, attachments, from_address=from_address, reply_to=reply_to, now=self.clock()
        )
        return bytes(message)

    def prepare(self, rows: list[m.SentEmail]) -> None:
        """Build the messages of *rows* now, before any of them is sent.

        Why ahead: building is CPU work, and interleaving it with the server's round trips
        makes each round trip wait for the scheduler again; built in one go, the sending
        loop only waits for the server (bench/bench_deliver.py measures the difference).
        """
        size = 0
        for row in rows:
            if size > PREPARE_BYTES:  # big attachments: do not hold many messages at once
                break
            try:
                raw = self.message_bytes(row)
                self.prepared[row.id] = (raw, envelope_recipients(row))
                size += len(raw)
            except (ValueError, OSError, BlobNotFound) as error:
                # a row that cannot become a message (a bad address, an attachment whose
                # content is gone): that row fails, the others go on
                if isinstance(error, BlobNotFound):
                    error = ValueError(f"an attachment's content is missing ({error})")
                self.prepared[row.id] = error

    def deliver_one(self, row: m.SentEmail) -> None:
        assert self.settings is not None
        if row.id not in self.prepared:
            self.prepare([row])
        built = self.prepared.pop(row.id)
        if isinstance(built, Exception):
            self.failed(row, f"cannot build the message: {built}")
            return
        raw, recipients = built
        sender = (
            self.envelope_from or parseaddr(row.fromAddress or self.settings.from_address or "")[1]
        )
        conn = self.connection()  # SmtpError goes to the batch: the server, not the row

        def mark_data_started() -> None:
            now = self.clock()
            if not _HOT.data_started(row.id, self.owner, now, now + self.lease):
                raise _LostClaim

        try:
            reply = send(
                conn, sender, recipients, raw, before_data=mark_data_started,
                settings=self.settings,
            )  # fmt: skip
        except _LostClaim:
            # MAIL and RCPT were said: abort that transaction, the connection goes on
            try:
                conn.rset()
            except (smtplib.SMTPException, OSError):
                self.drop_connection()
            self.report.warnings.append(
                f"message {row.id}: its claim expired before the data: left to the "
                "deliverer that took it back"
            )
            return
        except SmtpError as error:
            reply_text = error.reply or error.detail
            if error.code is None or error.code == 421:
                self.drop_connection()  # dropped, timed out or closing: the next row reconnects
            if error.maybe_delivered:
                self.unknown(row, f"{error.step}: {error.detail}")
            elif error.temporary:
                self.temporary(row, f"{error.step}: {reply_text}")
            else:
                self.failed(row, f"{error.step}: {reply_text}")
            return
        self.sent(row, str(reply))
        if reply.refused:  # the others got it; these did not, and nothing resends it
            self.report.partly_refused.append(row.id)
            self.report.warnings.append(
                f"message {row.id} ({row.messageId}) was sent, but not to "
                + "; ".join(f"{a} ({r})" for a, r in reply.refused.items())
                + ": send it to them anew if they need it"
            )


def deliver(
    ctx: AppContext,
    *,
    now: dt.datetime | None = None,
    owner: str | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> DeliverReport:
    """Send the due QUEUED messages through the central SMTP server; return the report.

    *now* (naive UTC) is the run's start time (tests move it to expire claims); *owner*
    names the claims (default: `outbox_owner`); *limit* caps the messages sent in this
    run; *progress(done, total)* is called after each message. Never raises for a server
    or configuration problem: `DeliverReport.error` says it (and ``ok`` is False).
    """
    clock = _Clock(now)
    owner = owner or outbox_owner()
    report = DeliverReport()
    _take_back_expired(clock(), report)
    due = _due_ids(clock(), limit)
    if not due:
        return report
    try:
        central = central_server(ctx.store, ctx.config)
    except (SettingsError, SecretKeyError) as error:  # its password cannot be read either
        report.error = str(error)
        return report
    report.warnings.extend(central.warnings)
    robot = robot_address(ctx.store)
    report.warnings.extend(robot_warnings(ctx.store))
    batch = _Batch(ctx, owner, clock, report, progress, timeout, central.settings)
    batch.envelope_from = parseaddr(robot)[1] if robot else None
    batch.robot, batch.tokens = robot, tokens_enabled(ctx.store)
    total, done = len(due), 0
    claimed: list[int] = []
    try:
        while due:
            chunk, due = due[:CLAIM_BATCH], due[CLAIM_BATCH:]
            expires = clock() + batch.lease
            rows = _claim_chunk(chunk, owner, expires)
            claimed = [row.id for row in rows]
            done += len(chunk) - len(claimed)  # taken by another deliverer
            batch.last_renewal = time.monotonic()
            batch.attachments = _attachments(claimed)
            for index, row in enumerate(rows):
                if row.id not in batch.prepared:
                    try:
                        batch.prepare(rows[index : index + PREPARE_AHEAD])
                    except SecretKeyError as error:  # the reply-token key: configuration
                        batch.report.error = str(error)
                        batch.release(claimed[index:])
                        return report
                batch.renew(claimed[index:])
                try:
                    batch.deliver_one(row)
                except SmtpError as error:
                    # the server or the configuration, not this message
                    _batch_failed(batch, claimed[index:], error)
                    return report
                done += 1
                if progress is not None:
                    progress(done, total)
    except BaseException:
        # a database error or an interrupt: what we claimed and did not start goes back
        # at once rather than when the claims expire
        try:
            batch.release(claimed)
        except Exception:  # the database itself may be what failed
            log.exception("could not give back the claimed outbox rows")
        raise
    finally:
        batch.drop_connection()
    return report


def _batch_failed(batch: _Batch, rows: list[int], error: SmtpError) -> None:
    """The connection could not be made: a temporary cause counts an attempt for each
    claimed row (with backoff), a configuration error gives them back untouched."""
    batch.report.error = str(error)
    if not error.temporary:
        batch.release(rows)
        return
    for row_id in rows:
        row = m.SentEmail.get_or_none(_ours(row_id, batch.owner))
        if row is not None:
            batch.temporary(row, f"{error.step}: {error.reply or error.detail}")


def _get(row_id: int) -> m.SentEmail:
    row = m.SentEmail.get_or_none(m.SentEmail.id == row_id)
    if row is None:
        raise OutboxError(f"no outgoing message with id {row_id} (see `mailwright outbox`)")
    return row


def retry(ctx: AppContext, row_id: int) -> m.SentEmail:
    """Put message *row_id* back in the queue, due now, attempts counted from zero;
    return it. Allowed for FAILED, UNKNOWN (the operator decides the server did not get
    it, or that a second copy is acceptable), CANCELLED, BOUNCED, and QUEUED (sooner).
    Raises `OutboxError` for SENT (send a new message instead) and SENDING (in progress).
    """
    row = _get(row_id)
    if row.state not in RETRYABLE:
        why = {
            "SENT": "it was sent; queue a new message to send it again",
            "SENDING": f"it is being sent now (by {row.claimOwner})",
        }.get(row.state, "")
        raise OutboxError(f"message {row_id} is {row.state}: {why}".rstrip(": "))
    done = (
        m.SentEmail.update(
            state="QUEUED",
            attempts=0,
            nextAttempt=None,
            dataStarted=None,
            claimOwner=None,
            claimExpires=None,
        )
        .where((m.SentEmail.id == row_id) & (m.SentEmail.state == row.state))
        .execute()
    )
    if not done:
        raise OutboxError(f"message {row_id} changed meanwhile; look again with `outbox show`")
    return _get(row_id)


def cancel(ctx: AppContext, row_id: int) -> m.SentEmail:
    """Mark message *row_id* CANCELLED (never sent by `deliver`); return it. Allowed for
    QUEUED, FAILED and UNKNOWN; `OutboxError` otherwise."""
    row = _get(row_id)
    if row.state not in CANCELLABLE:
        raise OutboxError(
            f"message {row_id} is {row.state}: only QUEUED, FAILED or UNKNOWN messages "
            "can be cancelled"
        )
    done = (
        m.SentEmail.update(state="CANCELLED", claimOwner=None, claimExpires=None)
        .where((m.SentEmail.id == row_id) & (m.SentEmail.state == row.state))
        .execute()
    )
    if not done:
        raise OutboxError(f"message {row_id} changed meanwhile; look again with `outbox show`")
    return _get(row_id)
