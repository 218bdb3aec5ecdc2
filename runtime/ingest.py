"""Ingestion: one run of ``mailwright ingest`` over the mail accounts, exactly once.

The steps of ARCHITECTURE.md ("Ingestion guarantees"), one function each, in the order
`ingest_account` calls them for an account, under its lease:

1. `claim_account` takes the account's `Lease` (``account:ID``), so overlapping runs
   (cron firing again, several machines) never work on one account at the same time;
2. `load_handler` compiles the account's handler script (a script that does not compile
   is reported: messages are still fetched and stored, but stay RECEIVED, no attempt is
   counted and nothing is flagged, moved or deleted until it is fixed);
3. `due_emails` lists the stored e-mails that are RECEIVED or FAILED and due for a
   retry, and each is handled again first;
4. `new_messages` lists the source's messages not yet in the ledger;
5. `store_message` stores one (raw blob + parsed ReceivedEmail) and commits: SKIPPED with
   its headers only when it is over the size limit, IGNORED when older than ``since``;
6. `handle_email` runs the handler on it in its own transaction, which also records the
   ScriptRun and marks the e-mail PROCESSED, so the handler's records and the state
   commit together (a crash before the commit re-runs it, after it never does); a
   runtime failure rolls back and counts an attempt: FAILED with the next attempt after
   the config's backoff, QUARANTINED after the last attempt;
7. `after_action` flags, moves or deletes the message in the source only after that
   commit. A crash between the commit and the action leaves a PROCESSED e-mail still in
   the source: the next run finds it stored and carries the action out then.

One failing account or message never stops the others: errors are collected in the
`AccountReport` and the run goes on. ``dry_run`` writes nothing at all (no lease, no
e-mails, no runs): it reports what a run would store and handle.

Local sources (Maildir, mbox, folder of ``.eml`` files, `mailstore.sources`) and IMAP
folders (`mailstore.imap`, new messages found by UIDVALIDITY and UID) go through the same
steps.

Example::

    with open_context(None) as ctx:
        report = ingest(ctx)
        print(report.ok, [a.summary() for a in report.accounts])
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.utils
import functools
import hashlib
import logging
import mailbox
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import peewee

from mailstore import models as m
from mailstore.imap import KEYWORD_DONE, KEYWORD_FAILED, FetchedMessage, ImapError, ImapMailbox
from mailstore.oauth import OAuthError
from mailstore.receive import store_received
from mailstore.sources import LocalSource, SourceError, open_source
from scriptengine import Script, ScriptError, ScriptRuntimeError
from scriptengine.errors import EvalError

from .context import AppContext
from .session import RunSession, json_value, write_script_run
from .settings import SettingsError, open_imap

__all__ = [
    "AccountReport",
    "Handler",
    "IngestReport",
    "Progress",
    "after_action",
    "claim_account",
    "due_emails",
    "handle_email",
    "ingest",
    "ingest_account",
    "load_handler",
    "maildir_seen_keys",
    "new_messages",
    "reprocess",
    "runner_owner",
    "select_accounts",
    "store_message",
]

log = logging.getLogger("mailwright.ingest")

#: states whose e-mails a run hands to the handler (FAILED only when due)
HANDLED_STATES = ("RECEIVED", "FAILED")
#: the after-processing actions each local source supports (ARCHITECTURE.md, "Local sources")
LOCAL_ACTIONS = {
    "maildir": ("seen", "move", "delete", "none"),
    "mbox": ("none",),
    "emlfolder": ("move", "delete", "none"),
}

Clock = Callable[[], dt.datetime]


class Progress(Protocol):
    """What the run tells its user: a progress bar in a terminal, log lines under cron."""

    def start(self, account: str) -> None:
        """An account's work begins (the number of messages is not known in advance)."""

    def advance(self, account: str) -> None:
        """One message of the account was stored or handled."""

    def message(self, text: str) -> None:
        """A line worth showing: an error, a note, an account's summary."""


class _Quiet:
    def start(self, account: str) -> None:
        pass

    def advance(self, account: str) -> None:
        pass

    def message(self, text: str) -> None:
        pass


@dataclass
class AccountReport:
    """What a run did with one account: counts, errors (the account failed), notes."""

    name: str
    #: messages stored this run (dry run: that would be stored)
    stored: int = 0
    processed: int = 0
    failed: int = 0
    quarantined: int = 0
    skipped: int = 0
    ignored: int = 0
    #: after-actions carried out in the source
    actions: int = 0
    #: another runner holds the account's lease: nothing was done (not an error)
    busy: bool = False
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing went wrong with the account (handler failures of messages
        count: a FAILED or QUARANTINED e-mail needs someone to look)."""
        return not self.errors and not self.failed and not self.quarantined

    def summary(self) -> str:
        """One line: ``invoices: 3 stored, 2 processed, 1 failed``."""
        if self.busy:
            return f"{self.name}: another runner is working on it, left alone this time"
        counts = [
            (self.stored, "stored"),
            (self.processed, "processed"),
            (self.failed, "failed"),
            (self.quarantined, "quarantined"),
            (self.skipped, "skipped"),
            (self.ignored, "ignored"),
        ]
        parts = [f"{n} {word}" for n, word in counts if n]
        text = f"{self.name}: " + (", ".join(parts) if parts else "nothing new")
        if self.errors:
            text += f" ({len(self.errors)} error{'s' * (len(self.errors) != 1)})"
        return text


@dataclass
class IngestReport:
    """The whole run: one `AccountReport` per account looked at."""

    accounts: list[AccountReport] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when every account succeeded (the exit status of ``mailwright ingest``)."""
        return all(a.ok for a in self.accounts)


@dataclass
class Handler:
    """An account's handler: the compiled script, or why there is none."""

    name: str
    source: str = ""
    script: Script | None = None
    #: why the handler cannot run (missing file, compile error), else None
    error: str | None = None


def runner_owner() -> str:
    """A lease owner name unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease_name(account: m.MailAccount) -> str:
    return f"account:{account.id}"


# --- step 0: which accounts -------------------------------------------------------------------


def select_accounts(name: str | None = None) -> list[m.MailAccount]:
    """The enabled accounts by name, or the one named (enabled or not: asking for it by
    name is asking for it). ``ValueError`` listing the accounts for an unknown name."""
    if name is None:
        query = m.MailAccount.select().where(m.MailAccount.enabled == True)  # noqa: E712
        return list(query.order_by(m.MailAccount.name))
    found = m.MailAccount.get_or_none(m.MailAccount.name == name)
    if found is None:
        names = [a.name for a in m.MailAccount.select().order_by(m.MailAccount.name)]
        known = f"the accounts are: {', '.join(names)}" if names else "there are no accounts"
        raise ValueError(f"no mail account named {name!r} ({known}; see `mailwright accounts`)")
    return [found]


# --- step 1: the lease ----------------------------------------------------------------------


def claim_account(ctx: AppContext, account: m.MailAccount, owner: str, now: dt.datetime) -> bool:
    """Take the account's lease for the config's ``retry.lease``; True when it is ours.

    Claimed in a short transaction of its own, so other runners see it at once."""
    with ctx.store.atomic():
        return m.Lease.claim(
            _lease_name(account), owner, ctx.config.lease_seconds, account=account, now=now
        )


def _renew(ctx: AppContext, account: m.MailAccount, owner: str, now: dt.datetime) -> bool:
    with ctx.store.atomic():
        return m.Lease.renew(_lease_name(account), owner, ctx.config.lease_seconds, now=now)


def _release(ctx: AppContext, account: m.MailAccount, owner: str) -> None:
    with ctx.store.atomic():
        m.Lease.release(_lease_name(account), owner)


# --- step 2: the handler --------------------------------------------------------------------


def _resolve(ctx: AppContext, path: str | Path) -> Path:
    """A path from the config or an account, relative to the config file's folder."""
    p = Path(path).expanduser()
    if not p.is_absolute() and ctx.config.path is not None:
        p = ctx.config.path.resolve().parent / p
    return p


def load_handler(
    ctx: AppContext, account: m.MailAccount, cache: dict[Path, Handler] | None = None
) -> Handler:
    """The account's handler (its own script, else ``handler.script`` of the config),
    compiled; a `Handler` with ``error`` set when there is none, it cannot be read or it
    does not compile. ``cache`` (path -> Handler) compiles each file once per run."""
    setting = account.handlerScript or ctx.config.handler_script
    if not setting:
        return Handler(
            name="(none)",
            error="no handler script: set handler.script in mailwright.toml or give the "
            "account one (mailwright accounts add --handler SCRIPT)",
        )
    path = _resolve(ctx, setting)
    if cache is not None and path in cache:
        return cache[path]
    handler = Handler(name=str(path))
    try:
        handler.source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        handler.error = f"handler script {path}: cannot read it ({reason})"
    else:
        try:
            handler.script = ctx.engine.compile(handler.source, filename=path.name)
        except ScriptError as exc:
            handler.error = f"handler script does not compile: {exc.render()}"
    if cache is not None:
        cache[path] = handler
    return handler


# --- step 3: what is due ----------------------------------------------------------------------


def due_emails(account: m.MailAccount, now: dt.datetime) -> list[int]:
    """Ids of the account's stored e-mails to handle before fetching: RECEIVED ones, and
    FAILED ones whose next attempt is due, oldest first."""
    e = m.ReceivedEmail
    due = (e.state == "RECEIVED") | (
        (e.state == "FAILED") & (e.nextAttempt.is_null() | (e.nextAttempt <= now))
    )
    query = e.select(e.id).where((e.mailAccount == account.id) & due).order_by(e.id)
    return [row.id for row in query]


# --- step 4: what is new ----------------------------------------------------------------------


def _open_local(ctx: AppContext, account: m.MailAccount) -> LocalSource:
    """The account's local source, its after action checked; SourceError naming the
    setting to change."""
    if not account.path:
        raise SourceError(f"account {account.name}: no path of its {account.sourceKind}")
    verb = account.afterProcessing.partition(":")[0].strip().lower()
    allowed = LOCAL_ACTIONS.get(account.sourceKind, ())
    if verb not in allowed:
        listed = ", ".join("move:FOLDER" if a == "move" else a for a in allowed)
        raise SourceError(
            f"account {account.name}: after-processing {account.afterProcessing!r} is not "
            f"possible for a {account.sourceKind} (choose {listed} with --after)"
        )
    return open_source(account.sourceKind, _resolve(ctx, account.path))


def new_messages(
    source: LocalSource, account: m.MailAccount, on_stored: Callable[[str, int, str], None]
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(key, raw)`` for the source's messages not in the ledger yet.

    ``on_stored(key, email id, state)`` is called for each message already stored
    instead (the run uses it to finish after-actions a crash interrupted). One query for
    the whole ledger of the account, not one per message."""
    e = m.ReceivedEmail
    query = e.select(e.id, e.key, e.state).where(
        (e.mailAccount == account.id) & e.key.is_null(False)
    )
    stored = {row.key: (row.id, row.state) for row in query}
    for key, raw in source.messages():
        known = stored.get(key)
        if known is None:
            yield key, raw
        else:
            on_stored(key, *known)


def maildir_seen_keys(path: Path) -> set[str]:
    """The keys of a Maildir's messages that already have the S flag (in ``cur``).

    Lets a run skip the ``seen`` action on messages it flagged before (a Maildir keeps
    them listed) instead of renaming every file on every run."""
    keys: set[str] = set()
    try:
        names = os.listdir(path / "cur")
    except OSError:
        return keys
    marker = mailbox.Maildir.colon + "2,"
    for name in names:
        unique, sep, flags = name.partition(marker)
        if sep and "S" in flags:
            keys.add(unique)
    return keys


# --- step 5: store -------------------------------------------------------------------------


def _header_block(raw: bytes) -> bytes:
    """The header part of a raw message, up to and including the blank line."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(sep)
        if at >= 0:
            return raw[: at + len(sep)]
    return raw


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
    headers = _header_block(raw)
    if len(raw) > limit:
        reason = (
            f"{len(raw) / 1048576:.1f} MB is over the limit of {limit / 1048576:.0f} MB "
            "(limits.maxMessageMB in mailwright.toml); left in the source"
        )
        row, created = store_received(
            ctx.store, account, headers, key=key, state="SKIPPED", reason=reason
        )
        if created:
            m.ReceivedEmail.update(size=len(raw)).where(m.ReceivedEmail.id == row.id).execute()
        return row, created
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


# --- step 6: handle ----------------------------------------------------------------------------


def _backoff(ctx: AppContext, attempts: int) -> float:
    """Seconds before attempt ``attempts + 1`` (the config's delays; the last repeats)."""
    delays = ctx.config.retry_delays or (0.0,)
    return delays[min(attempts, len(delays)) - 1]


def handle_email(
    ctx: AppContext,
    handler: Handler,
    email_id: int,
    now: dt.datetime,
    *,
    states: tuple[str, ...] = HANDLED_STATES,
) -> str | None:
    """Run the handler on the stored e-mail ``email_id``; return its new state
    (PROCESSED, FAILED or QUARANTINED), or None when it was not in one of ``states``
    any more (another runner handled it: nothing was done).

    One transaction holds what the script wrote, the ScriptRun row and the state change,
    guarded by ``state IN states``: two runners that both ran the script cannot both
    commit (the second's update finds no row and it rolls back). A script failure rolls
    that back and records, in a transaction of its own, the failed ScriptRun and the
    attempt. Database errors are raised. ``handler.script`` must be set."""
    assert handler.script is not None, "handle_email needs a compiled handler"
    e = m.ReceivedEmail
    thread = ctx.engine.thread(limits=ctx.limits)
    session = RunSession(ctx.store, commit=True, zone=ctx.zone, thread=thread)
    error: ScriptError | None = None
    ok = False
    started = time.perf_counter()
    session.begin()
    try:
        row = e.get_or_none(e.id == email_id)
        if row is None or row.state not in states:
            return None
        try:
            result = handler.script.run({"entity": session.wrap(row)}, thread=thread)
            session.flush()
        except ScriptError as exc:
            error = exc
        except EvalError as exc:  # raised by flush: a changed record cannot be saved
            error = ScriptRuntimeError(exc.message, filename=handler.name, hint=exc.hint)
        if error is None:
            done = (
                e.update(state="PROCESSED", nextAttempt=None, lastError=None)
                .where((e.id == email_id) & e.state.in_(states))
                .execute()
            )
            if not done:
                return None
            created, changed = session.touched()
            write_script_run(
                ctx.store,
                email_id=email_id,
                script_name=handler.name,
                source=handler.source,
                outcome="ok",
                duration_ms=(time.perf_counter() - started) * 1000,
                steps=thread.steps,
                result=json_value(result),
                created=created,
                changed=changed,
                logs=list(thread.logs),
            )
            ok = True
    finally:
        if session.is_open:
            session.end(ok)
    if ok:
        return "PROCESSED"
    assert error is not None
    return _record_failure(
        ctx, handler, email_id, error, thread.steps, list(thread.logs), now, states, started
    )


def _record_failure(
    ctx: AppContext,
    handler: Handler,
    email_id: int,
    error: ScriptError,
    steps: int,
    logs: list[str],
    now: dt.datetime,
    states: tuple[str, ...],
    started: float,
) -> str | None:
    """Count the failed attempt and write the failed ScriptRun, in one transaction."""
    e = m.ReceivedEmail
    with ctx.store.atomic():
        row = e.get_or_none(e.id == email_id)
        if row is None or row.state not in states:
            return None
        attempts = row.attempts + 1
        if attempts >= ctx.config.attempts:
            state, next_attempt = "QUARANTINED", None
        else:
            state = "FAILED"
            next_attempt = now + dt.timedelta(seconds=_backoff(ctx, attempts))
        e.update(
            state=state, attempts=attempts, nextAttempt=next_attempt, lastError=error.headline()
        ).where(e.id == email_id).execute()
        write_script_run(
            ctx.store,
            email_id=email_id,
            script_name=handler.name,
            source=handler.source,
            outcome=error.kind if error.kind in ("compile", "limit") else "runtime",
            duration_ms=(time.perf_counter() - started) * 1000,
            steps=steps,
            error=(error.message, error.line, error.column),
            logs=logs,
            committed=False,
        )
    return state


# --- step 7: after the commit --------------------------------------------------------------


def after_action(source: LocalSource, account: m.MailAccount, key: str, state: str) -> bool:
    """Carry out the account's after-processing action on the message ``key`` of the
    source when its e-mail is PROCESSED; True when there was one to do. Only called after
    the handler's commit. SourceError when the message is gone or the action is not
    possible there."""
    action = account.afterProcessing
    if state != "PROCESSED" or action == "none":
        return False
    source.after(key, action)
    return True


# --- the account and the run -----------------------------------------------------------------


@dataclass
class _Run:
    ctx: AppContext
    account: m.MailAccount
    handler: Handler
    owner: str
    clock: Clock
    progress: Progress
    report: AccountReport
    source: LocalSource | None = None
    #: when the lease was last claimed or renewed
    renewed: dt.datetime | None = None

    def note(self, text: str) -> None:
        self.report.notes.append(text)
        log.info("%s", text)
        self.progress.message(text)

    def error(self, text: str) -> None:
        self.report.errors.append(text)
        log.error("%s", text)
        self.progress.message(text)

    def handle(self, email_id: int) -> None:
        """Handle one e-mail of a local source, count the outcome, then the after-action."""
        state = handle_email(self.ctx, self.handler, email_id, self.clock())
        self.count(email_id, state)
        if state == "PROCESSED":
            self.act(email_id)

    def count(self, email_id: int, state: str | None) -> None:
        """Count a handled e-mail's new state; report a failure."""
        self.progress.advance(self.account.name)
        if state == "PROCESSED":
            self.report.processed += 1
        elif state == "FAILED":
            self.report.failed += 1
        elif state == "QUARANTINED":
            self.report.quarantined += 1
        if state is not None and state != "PROCESSED":
            row = m.ReceivedEmail.get_by_id(email_id)
            self.error(
                f"{self.account.name}: e-mail #{email_id} {state} "
                f"(attempt {row.attempts} of {self.ctx.config.attempts}): {row.lastError}"
            )

    def act(self, email_id: int, key: str | None = None, state: str = "PROCESSED") -> None:
        """The after-action of a PROCESSED e-mail (its key read when not given)."""
        if self.source is None:
            return
        if key is None:
            key = m.ReceivedEmail.get_by_id(email_id).key
            if key is None:
                return
        try:
            if after_action(self.source, self.account, key, state):
                self.report.actions += 1
        except SourceError as exc:
            self.error(f"{self.account.name}: e-mail #{email_id}: {exc}")

    def keep_lease(self) -> bool:
        """Renew the lease once a third of it has passed; False when it was lost."""
        now = self.clock()
        if self.renewed is not None and (now - self.renewed).total_seconds() < (
            self.ctx.config.lease_seconds / 3
        ):
            return True
        if _renew(self.ctx, self.account, self.owner, now):
            self.renewed = now
            return True
        self.error(
            f"{self.account.name}: another runner took over the account (its lease of "
            f"{self.ctx.config.lease_seconds:.0f} s ran out; see retry.lease); stopped"
        )
        return False


def ingest_account(
    ctx: AppContext,
    account: m.MailAccount,
    *,
    owner: str,
    clock: Clock = m.utcnow,
    dry_run: bool = False,
    progress: Progress | None = None,
    handlers: dict[Path, Handler] | None = None,
) -> AccountReport:
    """Fetch, store, handle and act for one account, under its lease; never raises for
    what goes wrong with the account or a message (it is in the report's errors)."""
    report = AccountReport(account.name)
    progress = progress or _Quiet()
    handler = load_handler(ctx, account, handlers)
    run = _Run(ctx, account, handler, owner, clock, progress, report)
    if dry_run:
        _dry_run(run)
        return report
    claimed_at = clock()
    if not claim_account(ctx, account, owner, claimed_at):
        report.busy = True
        run.note(report.summary())
        return report
    run.renewed = claimed_at
    progress.start(account.name)
    try:
        _work(run)
    except Exception as exc:  # one account's failure never stops the others
        log.exception("account %s", account.name)
        run.error(f"{account.name}: {exc}")
    finally:
        try:
            _release(ctx, account, owner)
        except Exception:  # the lease expires anyway
            log.exception("releasing the lease of %s", account.name)
    return report


def _work(run: _Run) -> None:
    ctx, account = run.ctx, run.account
    if account.sourceKind == "imap":
        _work_imap(run)
        return
    if run.handler.error is not None:
        run.error(
            f"{account.name}: {run.handler.error}\n(messages are stored but not handled, "
            "and nothing is flagged or moved, until the script is fixed)"
        )
    try:
        run.source = _open_local(ctx, account)
    except SourceError as exc:
        run.error(str(exc))
    runnable = run.handler.script is not None
    if runnable:
        for email_id in due_emails(account, run.clock()):
            if not run.keep_lease():
                return
            _guarded(run, email_id, run.handle)
    if run.source is None:
        return

    done: set[str] = set()
    if run.source.kind == "maildir" and account.afterProcessing == "seen":
        done = maildir_seen_keys(run.source.path)

    def finish(key: str, email_id: int, state: str) -> None:
        # stored and PROCESSED by a run that died before its after-action: do it now
        if state == "PROCESSED" and key not in done:
            run.act(email_id, key, state)

    for key, raw in new_messages(run.source, account, finish):
        if not run.keep_lease():
            return
        try:
            row, created = store_message(ctx, account, key, raw)
        except Exception as exc:
            log.exception("storing %s of %s", key, account.name)
            run.error(f"{account.name}: message {key}: cannot store it: {exc}")
            continue
        if not created:
            continue
        run.report.stored += 1
        if row.state == "SKIPPED":
            run.report.skipped += 1
            run.note(f"{account.name}: message {key} skipped: {row.reason}")
        elif row.state == "IGNORED":
            run.report.ignored += 1
        elif runnable:
            _guarded(run, row.id, run.handle)
            continue
        run.progress.advance(account.name)


def _guarded(run: _Run, email_id: int, action: Callable[[int], None]) -> None:
    """Run ``action(email_id)``; an unexpected error is that e-mail's, not the account's end."""
    try:
        action(email_id)
    except Exception as exc:
        log.exception("e-mail #%s of %s", email_id, run.account.name)
        run.error(f"{run.account.name}: e-mail #{email_id}: {exc}")


def _dry_run(run: _Run) -> None:
    """Count what a run would do, writing nothing."""
    account, report = run.account, run.report
    if account.sourceKind == "imap":
        run.error(f"{account.name}: a dry run of an IMAP account is not supported yet")
        return
    if run.handler.error is not None:
        run.error(f"{account.name}: {run.handler.error}")
    due = due_emails(account, run.clock())
    if due:
        run.note(f"{account.name}: {len(due)} stored e-mail(s) would be handled first")
    try:
        source = _open_local(run.ctx, account)
    except SourceError as exc:
        run.error(str(exc))
        return
    for _key, raw in new_messages(source, account, lambda key, email_id, state: None):
        report.stored += 1
        if len(raw) > run.ctx.config.max_message_bytes:
            report.skipped += 1
    run.note(f"{account.name}: {report.stored} new message(s) would be stored (dry run)")


def ingest(
    ctx: AppContext,
    *,
    account: str | None = None,
    dry_run: bool = False,
    clock: Clock = m.utcnow,
    owner: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """One ingestion run over the enabled accounts (or the one named); see the module's
    docstring for the steps. ``clock`` gives naive UTC (tests control retries with it);
    ``owner`` names the runner in leases (default: `runner_owner`). ``ValueError`` for
    an unknown account name; everything else is reported, not raised."""
    owner = owner or runner_owner()
    report = IngestReport(dry_run=dry_run)
    handlers: dict[Path, Handler] = {}
    for mail_account in select_accounts(account):
        result = ingest_account(
            ctx,
            mail_account,
            owner=owner,
            clock=clock,
            dry_run=dry_run,
            progress=progress,
            handlers=handlers,
        )
        report.accounts.append(result)
        log.info("%s", result.summary())
    return report


# --- IMAP ------------------------------------------------------------------------------------


def imap_after_action(box: ImapMailbox, account: m.MailAccount, uids: list[int], state: str) -> int:
    """Write the outcome of handled e-mails on the server, after their commit: for
    PROCESSED ones the account's action (``seen``, ``move:F``, ``delete``) and, with
    ``imapKeywords``, ``$MailwrightDone``; FAILED and QUARANTINED ones only get
    ``$MailwrightFailed`` (they stay where they are). Returns how many were acted on."""
    if not uids:
        return 0
    keywords = account.imapKeywords and box.supports_keywords()
    if state != "PROCESSED":
        if keywords:
            box.add_keywords(uids, [KEYWORD_FAILED])
        return 0
    if keywords:
        box.remove_keywords(uids, [KEYWORD_FAILED])
        box.add_keywords(uids, [KEYWORD_DONE])
    verb, _, folder = account.afterProcessing.partition(":")
    if verb == "seen":
        box.set_seen(uids)
    elif verb == "move":
        box.move(uids, folder)
    elif verb == "delete":
        box.delete(uids)
    return len(uids) if verb != "none" else 0


def _imap_rows(account: m.MailAccount, folder: str) -> Any:
    e = m.ReceivedEmail
    return e.select().where((e.mailAccount == account.id) & (e.folder == folder))


def _imap_leftovers(run: _Run, box: ImapMailbox, folder: str, uidvalidity: int) -> None:
    """Finish the after-actions a crash or a dropped connection left undone: PROCESSED
    e-mails still in the folder (move, delete) or not yet ``\\Seen`` (seen)."""
    e = m.ReceivedEmail
    verb = run.account.afterProcessing.partition(":")[0]
    if verb == "none":
        return
    processed = {
        row.uid
        for row in _imap_rows(run.account, folder)
        .select(e.uid)
        .where((e.uidvalidity == uidvalidity) & (e.state == "PROCESSED"))
    }
    if not processed:
        return
    present = set(box.new_uids(0)) & processed
    if verb == "seen":
        flags = box.flags(sorted(present))
        present = {uid for uid, f in flags.items() if "\\Seen" not in f}
    if present:
        run.report.actions += imap_after_action(box, run.account, sorted(present), "PROCESSED")


def _work_imap(run: _Run) -> None:
    """Fetch, store, handle and act for an IMAP account (see the module docstring)."""
    ctx, account = run.ctx, run.account
    credential = account.credential
    if credential is None:
        run.error(
            f"{account.name}: no credential to log in with "
            "(mailwright accounts add ... --credential NAME)"
        )
        return
    try:
        box = open_imap(
            ctx.store,
            str(account.host or ""),
            account.port,
            account.security,
            account.caFile,
            credential,
            account.address,
        )
    except (ImapError, OAuthError, SettingsError) as exc:
        run.error(f"{account.name}: {exc}")
        return
    with box:
        try:
            status = box.select(account.folder)
            _imap_session(run, box, account.folder, status.uidvalidity)
        except ImapError as exc:  # connection dropped, timeout: the next run goes on
            run.error(f"{account.name}: {exc}")


def _imap_session(run: _Run, box: ImapMailbox, folder: str, uidvalidity: int) -> None:
    ctx, account = run.ctx, run.account
    e = m.ReceivedEmail
    if run.handler.error is not None:
        run.error(
            f"{account.name}: {run.handler.error}\n(messages are stored but not handled, "
            "and nothing is flagged or moved, until the script is fixed)"
        )
    runnable = run.handler.script is not None
    if runnable:
        for email_id in due_emails(account, run.clock()):
            if not run.keep_lease():
                return
            _guarded(run, email_id, functools.partial(_imap_handle, run, box, uidvalidity))
        _imap_leftovers(run, box, folder, uidvalidity)
    # UIDVALIDITY changed (RFC 3501 2.3.1.1): the old UIDs mean nothing now. Messages are
    # matched again by SHA-256 and re-keyed, never imported twice.
    rekey: dict[str, int] = {}
    rows = _imap_rows(account, folder)
    if not rows.where(e.uidvalidity == uidvalidity).exists() and rows.exists():
        rekey = {row.sha256: row.id for row in rows.select(e.id, e.sha256)}
        run.note(
            f"{account.name}: folder {folder} has a new UIDVALIDITY ({uidvalidity}): its "
            f"{len(rekey)} stored message(s) are matched again by SHA-256, not imported again"
        )
    last = rows.select(peewee.fn.MAX(e.uid)).where(e.uidvalidity == uidvalidity).scalar() or 0
    uids = box.new_uids(int(last))
    limit = ctx.config.max_message_bytes
    for message in box.fetch(uids, batch_size=50, max_size=limit):
        if not run.keep_lease():
            return
        if rekey and message.complete:
            known = rekey.get(hashlib.sha256(message.raw).hexdigest())
            if known is not None:
                with ctx.store.atomic():
                    e.update(uidvalidity=uidvalidity, uid=message.uid).where(
                        e.id == known
                    ).execute()
                continue
        try:
            row, created = _imap_store(ctx, account, folder, uidvalidity, message)
        except Exception as exc:
            log.exception("storing UID %s of %s", message.uid, account.name)
            run.error(f"{account.name}: UID {message.uid}: cannot store it: {exc}")
            continue
        if not created:
            continue
        run.report.stored += 1
        if row.state == "SKIPPED":
            run.report.skipped += 1
            run.note(f"{account.name}: UID {message.uid} skipped: {row.reason}")
        elif row.state == "IGNORED":
            run.report.ignored += 1
        elif runnable:
            _guarded(run, row.id, functools.partial(_imap_handle, run, box, uidvalidity))
            continue
        run.progress.advance(account.name)


def _imap_store(
    ctx: AppContext, account: m.MailAccount, folder: str, uidvalidity: int, message: FetchedMessage
) -> tuple[m.ReceivedEmail, bool]:
    """Store one fetched message: SKIPPED with its headers when over the size limit."""
    if not message.complete:
        reason = (
            f"{message.size / 1048576:.1f} MB is over the limit of "
            f"{ctx.config.max_message_bytes / 1048576:.0f} MB (limits.maxMessageMB in "
            "mailwright.toml); left on the server"
        )
        row, created = store_received(
            ctx.store,
            account,
            message.raw,
            folder=folder,
            uidvalidity=uidvalidity,
            uid=message.uid,
            state="SKIPPED",
            reason=reason,
        )
        if created:
            m.ReceivedEmail.update(size=message.size).where(m.ReceivedEmail.id == row.id).execute()
        return row, created
    state = "RECEIVED"
    reason_text: str | None = None
    if account.since is not None:
        sent = _sent_date(_header_block(message.raw))
        if sent is not None and sent < account.since:
            state = "IGNORED"
            reason_text = f"sent before the account's since {account.since:%Y-%m-%d}"
    return store_received(
        ctx.store,
        account,
        message.raw,
        state=state,
        reason=reason_text,
        trusted_authserv_id=ctx.config.trusted_authserv_id,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=message.uid,
    )


def _imap_handle(run: _Run, box: ImapMailbox, uidvalidity: int, email_id: int) -> None:
    """Handle one e-mail, then write its outcome on the server (after the commit)."""
    state = handle_email(run.ctx, run.handler, email_id, run.clock())
    run.count(email_id, state)
    if state is None:
        return
    row = m.ReceivedEmail.get_by_id(email_id)
    if row.uid is not None and row.uidvalidity == uidvalidity:
        run.report.actions += imap_after_action(box, run.account, [int(row.uid)], state)


# --- reprocess --------------------------------------------------------------------------------


def reprocess(
    ctx: AppContext,
    email_ids: Iterable[int],
    *,
    clock: Clock = m.utcnow,
    owner: str | None = None,
    progress: Progress | None = None,
) -> list[AccountReport]:
    """Run the handler again on stored e-mails (after the script was fixed), whatever
    their state except SKIPPED; each account's e-mails under its lease, then the
    after-action. A failure starts counting attempts afresh. Returns one report per
    account."""
    owner = owner or runner_owner()
    progress = progress or _Quiet()
    by_account: dict[int, list[int]] = {}
    for email_id in email_ids:
        row = m.ReceivedEmail.get_or_none(m.ReceivedEmail.id == email_id)
        if row is None:
            raise ValueError(f"no e-mail #{email_id} in the store")
        by_account.setdefault(int(row.__data__["mailAccount"]), []).append(int(email_id))
    reports = []
    handlers: dict[Path, Handler] = {}
    states = ("RECEIVED", "FAILED", "QUARANTINED", "PROCESSED", "IGNORED")
    for account_id, ids in by_account.items():
        account = m.MailAccount.get_by_id(account_id)
        report = AccountReport(account.name)
        reports.append(report)
        run = _Run(
            ctx, account, load_handler(ctx, account, handlers), owner, clock, progress, report
        )
        if run.handler.script is None:
            run.error(f"{account.name}: {run.handler.error}")
            continue
        if not claim_account(ctx, account, owner, clock()):
            report.busy = True
            run.error(f"{account.name}: another runner is working on it; try again later")
            continue
        try:
            if account.sourceKind != "imap":
                try:
                    run.source = _open_local(ctx, account)
                except SourceError as exc:
                    run.note(f"{exc} (the after-action is left out)")
            for email_id in ids:
                _guarded(run, email_id, functools.partial(_reprocess_one, run, states))
        finally:
            _release(ctx, account, owner)
    return reports


def _reprocess_one(run: _Run, states: tuple[str, ...], email_id: int) -> None:
    e = m.ReceivedEmail
    with run.ctx.store.atomic():  # a fresh start: attempts count from zero again
        e.update(attempts=0, nextAttempt=None).where(e.id == email_id).execute()
    state = handle_email(run.ctx, run.handler, email_id, run.clock(), states=states)
    if state == "PROCESSED":
        run.report.processed += 1
        run.act(email_id)
    elif state is None:
        run.error(f"e-mail #{email_id} cannot be reprocessed (it was SKIPPED: too big)")
    else:
        run.report.failed += state == "FAILED"
        run.report.quarantined += state == "QUARANTINED"
        run.error(f"e-mail #{email_id} {state}: {e.get_by_id(email_id).lastError}")
