"""The IMAP path: new messages by UIDVALIDITY and UID, fetched, stored, handled, flagged.

Flags, keywords, moves and deletes are written on the server only after the commit; a
crash or a dropped connection between the two is finished by the next run.

Speed (``bench/bench_ingest.py``): a run costs, whatever the folder's size, one UID SEARCH
for what the folder holds and one query on the ledger's (account, folder, uidvalidity,
uid) index for what is stored; the new messages are the difference, so one whose store
failed below the highest stored UID is found again. Outcomes left unwritten by a crash are
found with one more SEARCH (``UNSEEN`` / ``UNKEYWORD``), not by fetching every message's
flags. New messages are fetched in batches (`ImapMailbox.fetch`) and their outcomes written
`ACTION_BATCH` at a time, each after its e-mail's commit."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mailstore import models as m
from mailstore.imap import KEYWORD_DONE, KEYWORD_FAILED, FetchedMessage, ImapError, ImapMailbox
from mailstore.oauth import OAuthError

from ..settings import SettingsError, open_imap
from .handle import due_emails, handle_email
from .rematch import Rematch
from .store import Incoming, incoming, one_ahead

if TYPE_CHECKING:
    from .account import _Run

log = logging.getLogger("mailwright.ingest")


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


#: the outcomes of handled e-mails are written on the server this many at a time
ACTION_BATCH = 50

#: seconds a server may stay silent (connecting, or answering a command) before the run
#: gives the account up with ``check the network or the server's load``
IMAP_TIMEOUT = 30.0


#: at most this many values in one ``IN (...)`` (SQLite allows 32,766 parameters)
IN_CHUNK = 500


def _here(account: m.MailAccount, folder: str, uidvalidity: int) -> Any:
    e = m.ReceivedEmail
    return (e.mailAccount == account.id) & (e.folder == folder) & (e.uidvalidity == uidvalidity)


def stored_uids(account: m.MailAccount, folder: str, uidvalidity: int) -> set[int]:
    """The UIDs of the folder's e-mails stored under *uidvalidity*.

    One query answered from the (account, folder, uidvalidity, uid) index alone, read from
    the cursor as plain tuples: peewee's per-row conversion, or a second column from the
    table, costs several times the query for 10,000 rows."""
    e = m.ReceivedEmail
    cursor = e._meta.database.execute(e.select(e.uid).where(_here(account, folder, uidvalidity)))
    return {int(uid) for (uid,) in cursor}


def _chunked(uids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(uids))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


def _states(
    account: m.MailAccount, folder: str, uidvalidity: int, uids: Iterable[int]
) -> dict[int, str]:
    """``{uid: state}`` of the stored e-mails among *uids* (a few, usually)."""
    e = m.ReceivedEmail
    found: dict[int, str] = {}
    for part in _chunked(uids):
        query = e.select(e.uid, e.state).where(
            _here(account, folder, uidvalidity) & e.uid.in_(part)
        )
        found.update((int(uid), str(state)) for uid, state in e._meta.database.execute(query))
    return found


def _processed_among(
    account: m.MailAccount, folder: str, uidvalidity: int, candidates: list[int]
) -> list[int]:
    """Those of *candidates* whose e-mail is PROCESSED, in their order.

    A few candidates (the usual case): their states by UID. Many (a folder of old mail
    recorded IGNORED by ``--from-now`` and still unread): one pass over the folder's
    PROCESSED UIDs beats dozens of ``IN`` lists."""
    if len(candidates) <= IN_CHUNK:
        states = _states(account, folder, uidvalidity, candidates)
        return [uid for uid in candidates if states.get(uid) == "PROCESSED"]
    e = m.ReceivedEmail
    query = e.select(e.uid).where(_here(account, folder, uidvalidity) & (e.state == "PROCESSED"))
    processed = {int(uid) for (uid,) in e._meta.database.execute(query)}
    return [uid for uid in candidates if uid in processed]


def _uids_of(
    account: m.MailAccount, folder: str, uidvalidity: int, email_ids: Iterable[int]
) -> dict[int, int]:
    """``{e-mail id: uid}`` for those of *email_ids* stored in this folder and UIDVALIDITY."""
    e = m.ReceivedEmail
    found: dict[int, int] = {}
    for part in _chunked(email_ids):
        query = e.select(e.id, e.uid).where(_here(account, folder, uidvalidity) & e.id.in_(part))
        found.update((int(i), int(uid)) for i, uid in e._meta.database.execute(query))
    return found


class _Outcomes:
    """Handled e-mails whose outcome is still to be written on the server, by new state.

    Only committed outcomes are added, so flags, keywords, moves and deletes still follow
    the commit; writing them `ACTION_BATCH` at a time costs a few commands per batch
    instead of three per message. A crash before `flush` leaves PROCESSED e-mails without
    their action, which the next run's `_imap_leftovers` carries out."""

    def __init__(self, run: _Run, box: ImapMailbox) -> None:
        self.run = run
        self.box = box
        self.pending: dict[str, list[int]] = {}

    def add(self, uid: int, state: str) -> None:
        self.pending.setdefault(state, []).append(uid)

    @property
    def full(self) -> bool:
        return sum(len(uids) for uids in self.pending.values()) >= ACTION_BATCH

    def flush(self) -> None:
        """Write what is pending; `ImapError` when the connection is gone (the next run
        finishes it)."""
        pending, self.pending = self.pending, {}
        for state, uids in pending.items():
            self.run.report.actions += imap_after_action(self.box, self.run.account, uids, state)


def _imap_leftovers(
    run: _Run, box: ImapMailbox, folder: str, uidvalidity: int, present: list[int], stored: set[int]
) -> None:
    """Finish the outcomes a crash or a dropped connection left unwritten on the server:
    PROCESSED e-mails still in the folder (move, delete), not yet ``\\Seen`` (seen) or
    without ``$MailwrightDone`` (keywords); FAILED and QUARANTINED ones without
    ``$MailwrightFailed`` (keywords).

    *present* is what the folder holds (UID SEARCH ALL), *stored* what the ledger has
    (`stored_uids`). The server is asked which messages are not done yet with one SEARCH
    (``UNSEEN``, ``UNKEYWORD``), never for the flags of every message, and the database
    only for the states of those."""
    account = run.account
    verb = account.afterProcessing.partition(":")[0]
    keywords = bool(account.imapKeywords) and box.supports_keywords()
    if verb != "none" or keywords:
        if verb in ("move", "delete"):
            candidates = [uid for uid in present if uid in stored]  # not moved or deleted
        else:
            criteria = ["UNSEEN"] if verb == "seen" else []
            if keywords:
                done_missing = ["UNKEYWORD", KEYWORD_DONE]
                criteria = ["OR", *criteria, *done_missing] if criteria else done_missing
            candidates = [uid for uid in box.find_uids(*criteria) if uid in stored]
        todo = _processed_among(account, folder, uidvalidity, candidates)
        if todo:
            run.report.actions += imap_after_action(box, account, todo, "PROCESSED")
    if keywords:
        e = m.ReceivedEmail
        query = e.select(e.uid).where(
            _here(account, folder, uidvalidity) & e.state.in_(("FAILED", "QUARANTINED"))
        )
        on_server = set(present)
        failed = [int(uid) for (uid,) in e._meta.database.execute(query) if uid in on_server]
        flags = box.flags(failed)  # usually a few: one FETCH, nothing when there are none
        missing = [uid for uid in failed if KEYWORD_FAILED not in flags.get(uid, (KEYWORD_FAILED,))]
        if missing:
            imap_after_action(box, account, missing, "FAILED")


def work_imap(run: _Run) -> None:
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
            timeout=IMAP_TIMEOUT,
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
    account = run.account
    if run.handler.error is not None:
        run.error(
            f"{account.name}: {run.handler.error}\n(messages are stored but not handled, "
            "and nothing is flagged or moved, until the script is fixed)"
        )
    runnable = run.handler.script is not None
    outcomes = _Outcomes(run, box)
    if runnable:
        due = due_emails(account, run.clock())
        uid_of = _uids_of(account, folder, uidvalidity, due)
        for email_id in due:
            if not run.keep_lease():
                outcomes.flush()  # committed before the lease was lost: theirs to write
                return
            handle = functools.partial(_imap_handle, run, outcomes, uid_of.get(email_id))
            run.guarded(email_id, handle)
            if outcomes.full:
                outcomes.flush()
        outcomes.flush()
    # one SEARCH for what the folder holds, one query (on an index alone) for what the
    # ledger has: a run with nothing new costs these, a NOOP, the lease and the due query,
    # whatever the folder's size
    box.refresh()  # mail delivered since SELECT, or while the due e-mails were handled
    present = box.find_uids()
    stored = stored_uids(account, folder, uidvalidity)
    if runnable:
        _imap_leftovers(run, box, folder, uidvalidity, present, stored)
    # UIDVALIDITY changed (RFC 3501 2.3.1.1): stored e-mails are matched again by SHA-256
    # and re-keyed, never imported twice (rematch.py)
    rematch = Rematch.load(account, folder, uidvalidity)
    if rematch is not None and rematch.first:
        run.note(
            f"{account.name}: folder {folder} has a new UIDVALIDITY ({uidvalidity}): its "
            "stored messages are matched again by SHA-256, not imported again"
        )
    # every message the ledger does not have, also below its highest UID: one whose store
    # failed (or was interrupted) in an earlier run is fetched again, not lost
    uids = [uid for uid in present if uid not in stored]
    try:
        _imap_new(run, box, folder, uidvalidity, uids, rematch, outcomes)
    except ImapError:
        _flush_quietly(outcomes)
        raise
    outcomes.flush()
    if rematch is not None and rematch.matched:
        run.note(f"{account.name}: {rematch.summary()} stored message(s) matched again by SHA-256")


def _flush_quietly(outcomes: _Outcomes) -> None:
    """Write what is pending on a connection that may be gone: the next run finishes it."""
    try:
        outcomes.flush()
    except ImapError:
        log.info("the outcomes of %s are written by the next run", outcomes.run.account.name)


def _imap_new(
    run: _Run,
    box: ImapMailbox,
    folder: str,
    uidvalidity: int,
    uids: list[int],
    rematch: Rematch | None,
    outcomes: _Outcomes,
) -> None:
    """Fetch, store and handle the new messages *uids*; their outcomes go to *outcomes*.

    Each message is parsed (and its blobs written) while the one before it commits and
    is handled (`one_ahead`); each still commits on its own, before its handler runs."""
    ctx, account = run.ctx, run.account
    limit = ctx.config.max_message_bytes

    def prepare(message: FetchedMessage) -> Incoming | None:
        # the lease before each message, re-keyed ones too: after a UIDVALIDITY change a
        # whole folder may be re-keyed here without a single message given to the loop
        if not run.keep_lease():
            raise _LeaseLost
        if rematch is not None and rematch.take(ctx, message, uidvalidity):
            return None
        identity = {"folder": folder, "uidvalidity": uidvalidity, "uid": message.uid}
        return incoming(
            ctx,
            account,
            f"UID {message.uid}",
            message.raw,
            identity,
            complete=message.complete,
            size=message.size,
            left="left on the server",
        )

    # the next batch is fetched by a thread while this one is stored and handled
    fetched = box.fetch(uids, batch_size=ACTION_BATCH, max_size=limit, ahead=True)

    def handle(item: Incoming, row: m.ReceivedEmail) -> None:
        uid = int(item.identity["uid"])
        run.guarded(row.id, functools.partial(_imap_handle, run, outcomes, uid, row=row))
        if outcomes.full:
            outcomes.flush()

    items = one_ahead(prepare, fetched)
    try:
        run.store_each(items, handle)
    except _LeaseLost:
        return  # keep_lease reported it; what was prepared is discarded below
    finally:
        items.close()  # what was parsed ahead and not stored: its blob writes end here
        fetched.close()  # and the fetching thread stops before the connection is used on


class _LeaseLost(Exception):
    """Raised by `_imap_new`'s prepare step when another runner took the account over."""


def _imap_handle(
    run: _Run,
    outcomes: _Outcomes,
    uid: int | None,
    email_id: int,
    row: m.ReceivedEmail | None = None,
) -> None:
    """Handle one e-mail; its outcome (after the commit) waits in *outcomes* for the
    server. *uid* is its UID in the selected folder, None when it is not there (stored
    under another folder or UIDVALIDITY): nothing to write then. *row*: the e-mail's row
    when it was just stored (not read again)."""
    state = handle_email(run.ctx, run.handler, email_id, run.clock(), row=row)
    run.count(email_id, state)
    if state is not None and uid is not None:
        outcomes.add(uid, state)
