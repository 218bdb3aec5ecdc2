"""The robot mailbox: the address replies and bounces come back to, and its signed tokens.

ARCHITECTURE.md ("Outgoing mail guarantees"): every message carries ``Reply-To`` the robot
address, the global parameter ``mail.robotAddress``, which needs an enabled MailAccount of
purpose ROBOT with that address (`robot_warnings` says when it has none). With the
parameter ``mail.robotTokens`` on, the Reply-To is a signed token address instead,
``robot+<id>.<mac>@domain``, so a reply links to its SentEmail even when the mail program
drops In-Reply-To and References (the token itself is `mailstore.replylink`'s).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from email.utils import getaddresses
from typing import Any

from mailstore import models as m
from mailstore import replylink

__all__ = [
    "AUTO_REPLY_WINDOW",
    "ROBOT_ADDRESS_PARAM",
    "ROBOT_TOKENS_PARAM",
    "is_robot_address",
    "loop_guard",
    "rate_limit",
    "reply_to_for",
    "robot_address",
    "robot_warnings",
    "token_sent_email",
    "tokens_enabled",
]

ROBOT_ADDRESS_PARAM = "mail.robotAddress"
ROBOT_TOKENS_PARAM = "mail.robotTokens"
_TRUE = ("true", "1", "yes", "on")
#: the window of the per-recipient limit on automatic replies (``[mail] autoRepliesPerHour``)
AUTO_REPLY_WINDOW = dt.timedelta(hours=1)
_DAEMON = re.compile(r"(?i)^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)$")


def _param(name: str) -> str | None:
    row = m.GlobalParameter.get_or_none(m.GlobalParameter.name == name)
    value = None if row is None or row.value is None else str(row.value).strip()
    return value or None


def robot_address(store: Any) -> str | None:
    """Return the parameter ``mail.robotAddress`` (stripped), or None when it is unset or
    empty. ``store`` is the open `mailstore.api.Store` (its models are bound)."""
    return _param(ROBOT_ADDRESS_PARAM)


def tokens_enabled(store: Any) -> bool:
    """True when the parameter ``mail.robotTokens`` is ``true``, ``1``, ``yes`` or ``on``."""
    return (_param(ROBOT_TOKENS_PARAM) or "").lower() in _TRUE


def robot_warnings(store: Any) -> list[str]:
    """Return what is wrong with the robot address, one sentence each (``[]`` when
    nothing): unset (no Reply-To is set, so replies and bounces do not come back), or no
    enabled MailAccount of purpose ROBOT with that address (replies are not read)."""
    address = robot_address(store)
    if address is None:
        return [
            f"the parameter {ROBOT_ADDRESS_PARAM} is not set: messages go out without a "
            "Reply-To and replies and bounces do not come back to mailwright (set it with "
            f"`mailwright params set {ROBOT_ADDRESS_PARAM} robot@your.domain`)"
        ]
    accounts = m.MailAccount.select().where(
        (m.MailAccount.purpose == "ROBOT") & (m.MailAccount.enabled == True)  # noqa: E712
    )
    if not any(str(a.address).strip().lower() == address.lower() for a in accounts):
        return [
            f"{ROBOT_ADDRESS_PARAM} is {address}, but no enabled mail account of purpose "
            "ROBOT has that address: replies and bounces sent there are not read (add one "
            "with `mailwright accounts add ... --purpose ROBOT`)"
        ]
    return []


def is_robot_address(store: Any, address: str) -> bool:
    """True when ``address`` (bare) is the robot address or one of its token addresses
    (``robot+...@domain``), compared without regard to case."""
    robot = robot_address(store)
    if robot is None:
        return False
    local, _, domain = robot.lower().rpartition("@")
    their_local, _, their_domain = address.strip().lower().rpartition("@")
    return their_domain == domain and (their_local == local or their_local.startswith(local + "+"))


def reply_to_for(store: Any, row: Any) -> str | None:
    """Return the Reply-To of SentEmail ``row``: the row's own ``replyTo`` when it has one,
    else the robot address, as a signed token address of the row's id when
    ``mail.robotTokens`` is on (the token key is made on first use), else None when
    ``mail.robotAddress`` is unset."""
    if getattr(row, "replyTo", None):
        return str(row.replyTo)
    address = robot_address(store)
    if address is None:
        return None
    if tokens_enabled(store) and getattr(row, "id", None) is not None:
        return replylink.token_address(store, address, int(row.id))
    return address


def token_sent_email(store: Any, address: str) -> int | None:
    """Return the SentEmail id carried by a token address whose signature is right, else
    None (verified in constant time; see `mailstore.replylink.token_sent_email`)."""
    return replylink.token_sent_email(store, address)


def _bare(address: str) -> str:
    found = getaddresses([address])
    return (found[0][1] if found and found[0][1] else address).strip().lower()


def _is_daemon(address: str | None) -> bool:
    return bool(address) and bool(_DAEMON.match(_bare(str(address)).rpartition("@")[0]))


def loop_guard(store: Any, received: Any, recipients: Iterable[str]) -> str | None:
    """Return why an automatic reply to ReceivedEmail ``received`` must not go, or None.

    The loop guards of ARCHITECTURE.md ("Outgoing mail guarantees"): the e-mail is marked
    ``Auto-Submitted`` (anything but ``no``: an auto-reply, a bounce, a notification),
    ``Precedence: bulk``, ``list`` or ``junk``, or has a ``List-Id`` (a mailing list);
    or it came from, or the reply would go to, a mailer-daemon or postmaster address, or
    our own robot address (which would answer itself for ever).
    """
    headers = [(str(k).lower(), str(v)) for k, v in (received.headers or [])]

    def first(name: str) -> str | None:
        return next((v for k, v in headers if k == name), None)

    auto = first("auto-submitted")
    if auto is not None and auto.split(";")[0].strip().lower() != "no":
        return f"the e-mail is marked Auto-Submitted: {auto.strip()}"
    precedence = (first("precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        return f"the e-mail is marked Precedence: {precedence}"
    list_id = first("list-id")
    if list_id is not None:
        return f"the e-mail came from a mailing list (List-Id: {list_id.strip()})"
    if _is_daemon(received.mailFrom):
        return f"the e-mail came from {received.mailFrom}, a mail system address"
    if received.mailFrom and is_robot_address(store, str(received.mailFrom)):
        return f"the e-mail came from our own robot address {received.mailFrom}"
    for recipient in recipients:
        if _is_daemon(recipient):
            return f"it would go to {_bare(recipient)}, a mail system address"
        if is_robot_address(store, _bare(recipient)):
            return f"it would go to our own robot address {_bare(recipient)}"
    return None


def rate_limit(
    recipients: Iterable[str], per_hour: int, now: dt.datetime | None = None
) -> str | None:
    """Return why an automatic reply to ``recipients`` would exceed ``per_hour`` automatic
    replies to one of them within the last hour, or None.

    Counts the SentEmail rows of ``autoSubmitted`` ``auto-replied`` created since an hour
    before ``now`` (naive UTC; default the current time) whose To, Cc or Bcc holds the
    address, whatever their state: a queued or failed reply was an attempt to answer. Rows
    written in the caller's open transaction count too.
    """
    wanted = {_bare(r) for r in recipients}
    since = (now or m.utcnow()) - AUTO_REPLY_WINDOW
    counts = dict.fromkeys(wanted, 0)
    rows = m.SentEmail.select(m.SentEmail.to, m.SentEmail.cc, m.SentEmail.bcc).where(
        (m.SentEmail.autoSubmitted == "auto-replied") & (m.SentEmail.created >= since)
    )
    for row in rows:
        sent_to = {_bare(a) for a in [*(row.to or []), *(row.cc or []), *(row.bcc or [])]}
        for address in wanted & sent_to:
            counts[address] += 1
    for address, count in counts.items():
        if count >= per_hour:
            return (
                f"{address} already got {count} automatic replies in the last hour "
                f"(at most {per_hour}: [mail] autoRepliesPerHour)"
            )
    return None
