"""Linking a received e-mail to the SentEmail it answers: headers, signed tokens, bounces.

`link_received` runs when a message is stored (``mailstore.receive.store_received``, in
the same transaction). It links (``ReceivedEmail.sentEmail``), in this order:

1. a delivery report (`mailstore.dsn`) to the message it reports on; a failure reported
   to a ROBOT account also marks that SentEmail BOUNCED with the reason in ``lastReply``;
2. a reply whose In-Reply-To or References names a SentEmail's Message-ID (In-Reply-To
   first, then References from the newest);
3. a reply sent to a signed token address, ``robot+<id>.<mac>@domain`` in To, Cc,
   Delivered-To or X-Original-To (for mail programs that drop those headers).

The token (`token_address`, `token_sent_email`) is an HMAC-SHA256 of the SentEmail's id
under a key of its own: 32 random bytes kept in `InternalSecret` ``replyTokenKey``,
encrypted with the store's secret key (``secrets rotate`` re-encrypts it; the key, so
every token given out, stays valid). 80 bits of the MAC in lower-case base 32: a token
cannot be guessed or made for another id, and survives servers that lower-case
addresses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
from typing import Any

import peewee

from mailstore import models as m
from mailstore.dsn import DeliveryReport, read_report
from mailstore.mime import ParsedEmail

__all__ = [
    "TOKEN_KEY_NAME",
    "link_received",
    "mark_bounced",
    "token_address",
    "token_key",
    "token_sent_email",
]

log = logging.getLogger(__name__)

#: the InternalSecret that holds the token key
TOKEN_KEY_NAME = "replyTokenKey"
#: the MAC's length in bytes before base 32 (10 bytes: 80 bits, 16 characters)
_MAC_BYTES = 10
_TOKEN = re.compile(r"^[^@\s]+\+(\d{1,18})\.([a-z2-7]{16})@[^@\s]+$", re.IGNORECASE)
#: headers that may carry the address a reply was sent to (besides To and Cc)
_DELIVERY_HEADERS = ("delivered-to", "x-original-to", "envelope-to")
_ADDRESS = re.compile(r"[^\s<>,;\"]+@[^\s<>,;\"]+")
#: states a bounce can end: the message left (or may have left) for the server
_BOUNCEABLE = ("SENT", "UNKNOWN")


def token_key(store: Any, *, create: bool = False) -> bytes | None:
    """Return the token key, or None when there is none yet and ``create`` is false.

    With ``create`` a missing key is made (32 random bytes, stored encrypted by
    ``store.secrets``); two processes making it at once agree on one (the unique name
    decides). Raises ``mailstore.secrets.SecretKeyError`` when the store's secret key
    cannot open it.
    """
    row = m.InternalSecret.get_or_none(m.InternalSecret.name == TOKEN_KEY_NAME)
    if row is None:
        if not create:
            return None
        value = store.secrets.encrypt(base64.b64encode(os.urandom(32)).decode("ascii"))
        try:
            with store.atomic():  # a savepoint: losing the race leaves the caller's txn usable
                m.InternalSecret.create(name=TOKEN_KEY_NAME, value=value)
        except peewee.IntegrityError:
            pass  # another process made it first: use theirs
        row = m.InternalSecret.get(m.InternalSecret.name == TOKEN_KEY_NAME)
    return base64.b64decode(store.secrets.decrypt(str(row.value)))


def _mac(key: bytes, sent_id: int) -> str:
    digest = hmac.new(key, f"SentEmail:{sent_id}".encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest[:_MAC_BYTES]).decode("ascii").lower()


def token_address(store: Any, robot_address: str, sent_id: int) -> str:
    """Return ``local+<sent_id>.<mac>@domain`` for the robot address ``local@domain``
    (the key is made on first use). ValueError when ``robot_address`` has no ``@``."""
    local, at, domain = robot_address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"'{robot_address}' is not an e-mail address")
    key = token_key(store, create=True)
    assert key is not None
    return f"{local}+{int(sent_id)}.{_mac(key, int(sent_id))}@{domain}"


def token_sent_email(store: Any, address: str) -> int | None:
    """Return the SentEmail id a token address carries when its MAC is right, else None
    (also when no key exists yet, or the store's secret key cannot open it). The MAC is
    compared in constant time; whether that SentEmail still exists is not checked."""
    match = _TOKEN.match(address.strip().strip("<>"))
    if match is None:
        return None
    try:
        key = token_key(store)
    except Exception as exc:  # noqa: BLE001 - a key we cannot read verifies nothing
        log.warning("reply tokens cannot be verified: %s", exc)
        return None
    if key is None:
        return None
    sent_id = int(match.group(1))
    if hmac.compare_digest(_mac(key, sent_id), match.group(2).lower()):
        return sent_id
    return None


def _by_message_id(wanted: list[str]) -> m.SentEmail | None:
    found = {
        str(row.messageId): row
        for row in m.SentEmail.select().where(m.SentEmail.messageId.in_(list(set(wanted))))
    }
    return next((found[i] for i in wanted if i in found), None)


def _token_candidates(parsed: ParsedEmail) -> list[str]:
    """The addresses a reply may have been sent to that could be token addresses."""
    candidates = [*parsed.mail_to, *parsed.cc]
    for name in _DELIVERY_HEADERS:
        for value in parsed.headers.get_all(name):
            candidates += _ADDRESS.findall(value)
    return [a for a in candidates if _TOKEN.match(a.strip().strip("<>"))]


def _by_token(store: Any, candidates: list[str]) -> m.SentEmail | None:
    for address in candidates:
        sent_id = token_sent_email(store, address)
        if sent_id is not None:
            row = m.SentEmail.get_or_none(m.SentEmail.id == sent_id)
            if row is not None:
                return row
    return None


def mark_bounced(sent: m.SentEmail, report: DeliveryReport) -> bool:
    """Mark ``sent`` BOUNCED with the report's reason when the report says delivery failed
    and the message had left (SENT or UNKNOWN); return True when it was marked."""
    if not report.failed or sent.state not in _BOUNCEABLE:
        return False
    changed = (
        m.SentEmail.update(state="BOUNCED", lastReply=report.reason())
        .where((m.SentEmail.id == sent.id) & (m.SentEmail.state.in_(_BOUNCEABLE)))
        .execute()
    )
    return bool(changed)


def _is_robot_account(row: m.ReceivedEmail) -> bool:
    account = m.MailAccount.get_or_none(m.MailAccount.id == row.__data__["mailAccount"])
    return account is not None and str(account.purpose).upper() == "ROBOT"


def link_received(store: Any, row: m.ReceivedEmail, parsed: ParsedEmail) -> m.SentEmail | None:
    """Link the stored ``row`` to the SentEmail it answers or reports on, and mark a
    bounced one (see the module's docstring); return that SentEmail, or None.

    Call it inside the transaction that stores ``row``. Never raises because of the
    message: a failure to link is logged and the message stays unlinked (storing it
    matters more).
    """
    try:
        # what needs no database first: most mail answers nothing, and costs no query
        report = read_report(parsed)
        wanted = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i]
        tokens = _token_candidates(parsed)
        if report is None and not wanted and not tokens:
            return None
        with store.atomic():  # a savepoint: a database error here leaves the insert intact
            sent = None
            if report is not None:
                sent = m.SentEmail.get_or_none(m.SentEmail.messageId == report.original_message_id)
            sent = sent or (_by_message_id(wanted) if wanted else None)
            sent = sent or (_by_token(store, tokens) if tokens else None)
            if sent is None:
                return None
            row.sentEmail = sent
            row.save(only=[m.ReceivedEmail.sentEmail])
            if report is not None and report.failed and _is_robot_account(row):
                mark_bounced(sent, report)
            return sent
    except Exception:  # noqa: BLE001 - the message is stored whatever happens here
        log.exception("could not link received e-mail %s to what was sent", row.id)
        return None
