"""``ingest --dry-run`` of an IMAP account: what a run would fetch, changing nothing.

The folder is opened read-only (EXAMINE, RFC 3501 6.3.2: not even ``\\Recent`` changes);
only UIDs and sizes are asked for (``UID SEARCH``, ``FETCH RFC822.SIZE``), no message is
fetched, nothing is stored, flagged or moved, and no lease is taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from mailstore import models as m
from mailstore.imap import ImapError
from mailstore.oauth import OAuthError

from ..settings import SettingsError, connect_account
from .imap import stored_uids

if TYPE_CHECKING:
    from .account import _Run

__all__ = ["dry_run_imap", "size_text"]


def size_text(size: int) -> str:
    """``812 B``, ``12.3 kB``, ``4.1 MB``."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def dry_run_imap(run: _Run) -> None:
    """Log in, examine the account's folder and report in ``run.report`` the messages a
    run would fetch (``stored``, ``skipped`` for those over the size limit, ``pending``
    with each UID and size); errors like a real run's (login, folder, handler)."""
    ctx, account, report = run.ctx, run.account, run.report
    run.dry_run_preamble()
    try:
        with connect_account(ctx.store, account) as box:
            status = box.select(account.folder, readonly=True)
            last = _last_uid(account, account.folder, status.uidvalidity)
            if last is None:
                note = "none stored under it yet"
                if _stored_in(account, account.folder):
                    note = "a new UIDVALIDITY: stored ones are matched again by SHA-256"
                run.note(f"{account.name}: folder {account.folder} ({note})")
            # what the real run fetches: every UID the folder holds that the ledger has
            # not, also below the highest stored one (a store that failed earlier)
            stored = stored_uids(account, account.folder, status.uidvalidity)
            sizes = box.sizes([uid for uid in box.find_uids() if uid not in stored])
    except (ImapError, OAuthError, SettingsError) as exc:
        run.error(f"{account.name}: {exc}")
        return
    limit = ctx.config.max_message_bytes
    for uid, size in sorted(sizes.items()):
        report.stored += 1
        report.skipped += size > limit
        report.pending.append((str(uid), size))
    total = sum(sizes.values())
    over = f", {report.skipped} over the size limit" if report.skipped else ""
    run.note(
        f"{account.name}: {report.stored} new message(s) would be fetched from "
        f"{account.folder} ({size_text(total)}{over}; dry run)"
    )


def _last_uid(account: m.MailAccount, folder: str, uidvalidity: int) -> int | None:
    """The highest UID stored for *folder* under *uidvalidity*, None when there is none."""
    e = m.ReceivedEmail
    here = (e.mailAccount == account.id) & (e.folder == folder) & (e.uidvalidity == uidvalidity)
    found = e.select(peewee.fn.MAX(e.uid)).where(here).scalar()
    return None if found is None else int(found)


def _stored_in(account: m.MailAccount, folder: str) -> bool:
    e = m.ReceivedEmail
    return bool(e.select().where((e.mailAccount == account.id) & (e.folder == folder)).exists())
