"""A folder whose UIDVALIDITY changed: its stored e-mails matched again by SHA-256.

RFC 3501 2.3.1.1: when a folder's UIDVALIDITY changes, the UIDs the store knows mean
nothing any more. The messages the server lists are then matched against the e-mails
stored under an older UIDVALIDITY by the SHA-256 of their content and re-keyed (new
UIDVALIDITY and UID), never imported or handled again (ARCHITECTURE.md, "Exactly once").

Every state counts, SKIPPED and IGNORED too. Those rows keep only the message's headers
(too big, or there at ``accounts add --from-now``), so their hash is the hash of the header
block; a fetched message is therefore tried by the hash of its whole content, then by the
hash of its header block. Identical messages (the same content delivered twice) are
matched one stored e-mail each.

The index covers every stored e-mail of the folder under another UIDVALIDITY, not only
on the first run after the change: a run killed half-way through the re-keying leaves
some e-mails re-keyed and some not, and the next run must still match the rest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from mailstore import models as m
from mailstore.imap import FetchedMessage

from ..context import AppContext
from ..settings import header_block

__all__ = ["Rematch"]


@dataclass
class Rematch:
    """The stored e-mails of a folder under older UIDVALIDITYs, by content hash."""

    #: sha256 -> ids of the e-mails stored with that content (oldest first)
    by_hash: dict[str, list[int]] = field(default_factory=dict)
    #: True on the first run that sees the new UIDVALIDITY (nothing stored under it yet)
    first: bool = False
    #: how many e-mails were re-keyed, by state
    matched: dict[str, int] = field(default_factory=dict)
    #: state of each indexed e-mail
    states: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, account: m.MailAccount, folder: str, uidvalidity: int) -> Rematch | None:
        """The index of *folder*'s e-mails stored under another UIDVALIDITY than
        *uidvalidity*, or None when there are none (the usual case: one query)."""
        e = m.ReceivedEmail
        here = (e.mailAccount == account.id) & (e.folder == folder)
        old = list(
            e.select(e.id, e.sha256, e.state)
            .where(here & (e.uidvalidity != uidvalidity))
            .order_by(e.id)
        )
        if not old:
            return None
        index = cls(first=not e.select().where(here & (e.uidvalidity == uidvalidity)).exists())
        for row in old:
            index.by_hash.setdefault(str(row.sha256), []).append(int(row.id))
            index.states[int(row.id)] = str(row.state)
        return index

    def claim(self, message: FetchedMessage) -> int | None:
        """The id of a stored e-mail with *message*'s content (taken out of the index),
        or None: a new message."""
        hashes = [hashlib.sha256(message.raw).hexdigest()] if message.complete else []
        # headers-only rows (SKIPPED, IGNORED by --from-now); a message fetched without
        # its body (over the size limit) has only its header block to compare
        hashes.append(hashlib.sha256(header_block(message.raw)).hexdigest())
        for digest in hashes:
            ids = self.by_hash.get(digest)
            if ids:
                email_id = ids.pop(0)
                state = self.states.get(email_id, "?")
                self.matched[state] = self.matched.get(state, 0) + 1
                return email_id
        return None

    def take(self, ctx: AppContext, message: FetchedMessage, uidvalidity: int) -> bool:
        """Re-key the stored e-mail with *message*'s content to (*uidvalidity*, its UID)
        and commit; True when there was one (the message is not new), False otherwise."""
        email_id = self.claim(message)
        if email_id is None:
            return False
        e = m.ReceivedEmail
        with ctx.store.atomic():
            e.update(uidvalidity=uidvalidity, uid=message.uid).where(e.id == email_id).execute()
        return True

    def summary(self) -> str:
        """``3 (2 PROCESSED, 1 SKIPPED)``: how many were matched again, by state."""
        total = sum(self.matched.values())
        parts = ", ".join(f"{n} {state}" for state, n in sorted(self.matched.items()))
        return f"{total} ({parts})" if parts else "0"
