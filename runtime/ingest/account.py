"""One account's run: its handler, lease, source and report, shared by the steps."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mailstore import models as m
from mailstore.sources import LocalSource, SourceError

from ..context import AppContext
from .handle import Handler, due_emails, handle_email
from .lease import _renew
from .local import after_action
from .report import AccountReport, Clock, Progress
from .store import Incoming, commit

log = logging.getLogger("mailwright.ingest")


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

    def counted(self, row: m.ReceivedEmail, what: str) -> bool:
        """Count the e-mail just stored (*what* names it: ``UID 7``, ``message KEY``);
        True when it is to be handled now (RECEIVED, and the handler compiles). Otherwise
        the progress advances here: SKIPPED ones get a note with the reason."""
        self.report.stored += 1
        if row.state == "SKIPPED":
            self.report.skipped += 1
            self.note(f"{self.account.name}: {what} skipped: {row.reason}")
        elif row.state == "IGNORED":
            self.report.ignored += 1
        elif self.handler.script is not None:
            return True
        self.progress.advance(self.account.name)
        return False

    def store_failed(self, what: str, exc: Exception) -> None:
        """Report a message that could not be stored (the next run tries it again)."""
        log.exception("storing %s of %s", what, self.account.name)
        self.error(f"{self.account.name}: {what}: cannot store it: {exc}")

    def store_each(
        self, items: Iterator[Incoming], handle: Callable[[Incoming, m.ReceivedEmail], None]
    ) -> None:
        """Store each of *items* (`store.one_ahead`'s) in its own transaction, then give
        the ones to handle now to ``handle(item, row)``. Stops when the lease is lost; a
        message that cannot be stored is reported and left for the next run."""
        for item in items:
            if not self.keep_lease():
                return
            try:
                # no transaction around it: commit makes its own, once the blobs are on
                # disk; a race ends in the winner's row
                row, created = commit(self.ctx, self.account, item)
            except Exception as exc:
                self.store_failed(item.what, exc)
                continue
            if created and self.counted(row, item.what):
                handle(item, row)

    def dry_run_preamble(self) -> None:
        """What a dry run says before looking at the source: a handler that cannot run,
        and how many stored e-mails a real run would handle first."""
        if self.handler.error is not None:
            self.error(f"{self.account.name}: {self.handler.error}")
        due = due_emails(self.account, self.clock())
        if due:
            self.note(f"{self.account.name}: {len(due)} stored e-mail(s) would be handled first")

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

    def guarded(self, email_id: int, action: Callable[[int], None]) -> None:
        """Run ``action(email_id)``; an unexpected error is that e-mail's, not the
        account's end."""
        try:
            action(email_id)
        except Exception as exc:
            log.exception("e-mail #%s of %s", email_id, self.account.name)
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
