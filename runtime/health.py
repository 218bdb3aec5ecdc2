"""Health signals of the mail accounts: mail that stopped arriving, runs that stopped working.

Two signals, both computed from what the store records (nothing is contacted):

- *quiet*: an enabled account with a quiet period (``accounts add --quiet-period HOURS``,
  `MailAccount.quietPeriodHours`) has received nothing for longer than that period. "Nothing"
  is measured from its newest stored e-mail (`ReceivedEmail.receivedDate`), or from when the
  account was added when it has none. Mail that stops arriving is a failure too: a broken
  forwarding rule or a sender who changed address looks exactly like a quiet week.
- *no success*: an enabled account whose last successful ingestion run
  (`MailAccount.lastSuccessAt`) is more than a day old, or that never had one although it
  was added more than a day ago (cron stopped, a login broke, the handler fails).

``mailwright emails --stale`` lists them and ``mailwright doctor`` reports each as a failure.

Example::

    for s in stale_accounts(store, m.utcnow()):
        print(s.account, s.reason, s.advice)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import peewee

from mailstore import models as m
from mailstore.api import Store

__all__ = ["SUCCESS_MAX_AGE", "StaleAccount", "stale_accounts"]

#: an enabled account whose last successful run is older than this is reported
SUCCESS_MAX_AGE = dt.timedelta(days=1)


@dataclass(frozen=True)
class StaleAccount:
    """One health problem of one account; an account can have both kinds.

    ``kind`` is ``quiet`` (nothing received for longer than the quiet period) or
    ``no-success`` (no successful run for more than a day). ``since`` (naive UTC) is the
    moment the silence started: the newest e-mail, the last success, or the account's
    creation. ``reason`` says what is wrong, ``advice`` what to do; neither holds a secret.
    """

    account: str
    kind: str
    since: dt.datetime | None
    reason: str
    advice: str

    def to_json(self) -> dict[str, Any]:
        """The problem as a JSON object (``since`` as ``YYYY-MM-DD HH:MM:SS`` UTC, or null)."""
        return {
            "account": self.account,
            "kind": self.kind,
            "since": None if self.since is None else self.since.strftime("%Y-%m-%d %H:%M:%S"),
            "reason": self.reason,
            "advice": self.advice,
        }


def _hours(delta: dt.timedelta) -> str:
    """``5 h`` below two days, ``3 days`` above: how long a silence has lasted."""
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def _when(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _newest_received(account: m.MailAccount) -> dt.datetime | None:
    e = m.ReceivedEmail
    # the (account, ...) unique index makes this a range scan of one account's rows
    value = e.select(peewee.fn.MAX(e.receivedDate)).where(e.mailAccount == account.id).scalar()
    if isinstance(value, str):  # SQLite returns an aggregate of a DATETIME column as text
        value = dt.datetime.fromisoformat(value)
    return value if isinstance(value, dt.datetime) else None


def _quiet(account: m.MailAccount, now: dt.datetime) -> StaleAccount | None:
    hours = account.quietPeriodHours
    if not hours:
        return None
    newest = _newest_received(account)
    start = newest or account.created
    silence = now - start
    if silence <= dt.timedelta(hours=hours):
        return None
    seen = (
        f"the newest e-mail arrived {_when(newest)}"
        if newest is not None
        else f"nothing since it was added {_when(account.created)}"
    )
    return StaleAccount(
        account=account.name,
        kind="quiet",
        since=start,
        reason=f"no mail for {_hours(silence)}, longer than its quiet period of {hours} h ({seen})",
        advice=f"check that mail still reaches {account.address or 'the mailbox'} (the "
        f"senders, forwarding rules, the mail server) and that `mailwright ingest` runs; "
        f"`mailwright accounts test {account.name}` tries the mailbox",
    )


def _no_success(account: m.MailAccount, now: dt.datetime) -> StaleAccount | None:
    last = account.lastSuccessAt
    if last is None:
        if now - account.created <= SUCCESS_MAX_AGE:
            return None  # just added: the first cron run may not have come yet
        since = account.created
        reason = f"no successful run since it was added {_when(account.created)}"
    else:
        if now - last <= SUCCESS_MAX_AGE:
            return None
        since = last
        reason = f"the last successful run was {_when(last)}, {_hours(now - last)} ago"
    if account.lastError:
        # the stored error names a server, a folder or a script line, never a secret
        first = str(account.lastError).strip().splitlines()[0]
        reason += f"; the last run reported: {first}"
    elif account.lastRunAt is None or account.lastRunAt < since:
        reason += "; no run has worked on it since"
    return StaleAccount(
        account=account.name,
        kind="no-success",
        since=since,
        reason=reason,
        advice=f"run `mailwright ingest --account {account.name}` to see the problem, and "
        "check that cron runs `mailwright ingest`",
    )


def stale_accounts(store: Store, now: dt.datetime | None = None) -> list[StaleAccount]:
    """Return the health problems of the enabled accounts, by account name, quiet first.

    *now* is naive UTC (default: now). Disabled accounts are never reported (they are not
    ingested on purpose). An account without a quiet period is never *quiet*; a newly
    added account gets a day before its missing first success counts. *store* must be
    open (the built-in models are bound to it).
    """
    now = now or m.utcnow()
    found: list[StaleAccount] = []
    accounts = (
        m.MailAccount.select()
        .where(m.MailAccount.enabled == True)  # noqa: E712 - peewee builds SQL from ==
        .order_by(m.MailAccount.name)
    )
    for account in accounts:
        for problem in (_quiet(account, now), _no_success(account, now)):
            if problem is not None:
                found.append(problem)
    return found
