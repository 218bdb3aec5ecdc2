"""The account leases: one runner at a time works on an account (ARCHITECTURE.md, "Scale")."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from mailstore import models as m

from ..context import AppContext


def runner_owner() -> str:
    """A lease owner name unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease_name(account: m.MailAccount) -> str:
    return f"account:{account.id}"


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
