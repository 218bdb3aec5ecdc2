"""What an ingestion run reports: per-account counts, errors and notes, and its progress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

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
    #: dry run only: (IMAP UID or local key, size in bytes) of each message a run would fetch
    pending: list[tuple[str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing went wrong with the account (handler failures of messages
        count: a FAILED or QUARANTINED e-mail needs someone to look)."""
        return not self.errors and not self.failed and not self.quarantined

    def summary(self, *, dry_run: bool = False) -> str:
        """One line: ``invoices: 3 stored, 2 processed, 1 failed``; ``invoices: failed (1
        error)`` when the account could not be worked on (a login refused: the errors say
        why), never "nothing new" then. A dry run's count is ``3 new``: nothing was stored."""
        if self.busy:
            return f"{self.name}: another runner is working on it, left alone this time"
        counts = [
            (self.stored, "new" if dry_run else "stored"),
            (self.processed, "processed"),
            (self.failed, "failed"),
            (self.quarantined, "quarantined"),
            (self.skipped, "skipped"),
            (self.ignored, "ignored"),
        ]
        parts = [f"{n} {word}" for n, word in counts if n]
        done = ", ".join(parts) if parts else "failed" if self.errors else "nothing new"
        text = f"{self.name}: {done}"
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
