"""The local sources' path: Maildir, mbox and folders of ``.eml`` files.

New messages are found by key in the ledger; a message PROCESSED by a run that died before
its after-action gets it from the next run."""

from __future__ import annotations

import logging
import mailbox
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mailstore import models as m
from mailstore.sources import LocalSource, SourceError, open_source

from ..context import AppContext
from ..settings import LOCAL_ACTIONS
from .handle import _resolve, due_emails
from .store import Incoming, incoming, one_ahead

if TYPE_CHECKING:
    from .account import _Run

log = logging.getLogger("mailwright.ingest")


def _open_local(ctx: AppContext, account: m.MailAccount) -> LocalSource:
    """The account's local source, its after action checked; SourceError naming the
    setting to change."""
    if not account.path:
        raise SourceError(f"{account.name}: no path of its {account.sourceKind}")
    verb = account.afterProcessing.partition(":")[0].strip().lower()
    allowed = LOCAL_ACTIONS.get(account.sourceKind, ())
    if verb not in allowed:
        listed = ", ".join("move:FOLDER" if a == "move" else a for a in allowed)
        raise SourceError(
            f"{account.name}: after-processing {account.afterProcessing!r} is not "
            f"possible for a {account.sourceKind} (choose {listed} with --after)"
        )
    try:
        return open_source(account.sourceKind, _resolve(ctx, account.path))
    except SourceError as exc:  # named per account: one of several may be the broken one
        where = f"see `mailwright accounts show {account.name}`"
        raise SourceError(f"{account.name}: {exc} ({where})") from None


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


def work_local(run: _Run) -> None:
    """Store, handle and act for a Maildir, mbox or folder of ``.eml`` files."""
    ctx, account = run.ctx, run.account
    if run.handler.error is not None:
        run.error(
            f"{account.name}: {run.handler.error}\n(messages are stored but not handled, "
            "and nothing is flagged or moved, until the script is fixed)"
        )
    try:
        run.source = _open_local(ctx, account)
    except SourceError as exc:
        run.error(str(exc))
    if run.handler.script is not None:
        for email_id in due_emails(account, run.clock()):
            if not run.keep_lease():
                return
            run.guarded(email_id, run.handle)
    if run.source is None:
        return

    done: set[str] = set()
    if run.source.kind == "maildir" and account.afterProcessing == "seen":
        done = maildir_seen_keys(run.source.path)

    def finish(key: str, email_id: int, state: str) -> None:
        # stored and PROCESSED by a run that died before its after-action: do it now
        if state == "PROCESSED" and key not in done:
            run.act(email_id, key, state)

    def prepare(message: tuple[str, bytes]) -> Incoming:
        key, raw = message
        return incoming(ctx, account, f"message {key}", raw, {"key": key})

    # each message parsed (its blobs written) while the one before it commits and is
    # handled; each still commits on its own before its handler runs (store.one_ahead)
    items = one_ahead(prepare, new_messages(run.source, account, finish))
    try:
        run.store_each(items, lambda item, row: run.guarded(row.id, run.handle))
    finally:
        items.close()  # what was parsed ahead and not stored: its blob writes end here


def dry_run_local(run: _Run) -> None:
    """Count what a run of a local source would do, writing nothing."""
    account, report = run.account, run.report
    run.dry_run_preamble()
    try:
        source = _open_local(run.ctx, account)
    except SourceError as exc:
        run.error(str(exc))
        return
    for key, raw in new_messages(source, account, lambda key, email_id, state: None):
        report.stored += 1
        report.pending.append((key, len(raw)))
        if len(raw) > run.ctx.config.max_message_bytes:
            report.skipped += 1
    run.note(f"{account.name}: {report.stored} new message(s) would be stored (dry run)")
