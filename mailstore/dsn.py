"""Delivery reports (bounces): what a DSN says about which message, read from a ParsedEmail.

A standard report (RFC 3464) is a ``multipart/report; report-type=delivery-status`` with a
``message/delivery-status`` part (a per-message block, then one block per recipient with
``Action``, ``Status``, ``Diagnostic-Code``) and the original message or its headers
(``message/rfc822`` or ``text/rfc822-headers``). Many servers send something else: a plain
"Undelivered Mail Returned to Sender" from MAILER-DAEMON with the returned message
attached, or its headers quoted in the text. `read_report` understands both, as far as
the original Message-ID can be found: a report that names no message is useless for
linking and is not reported.

Only ``Action: failed`` is a bounce (`DeliveryReport.failed`): ``delayed``, ``relayed``,
``delivered`` and ``expanded`` are news, not failures (RFC 3464 2.3.3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser

from mailstore.mime import MailPart, ParsedEmail

__all__ = ["DeliveryReport", "RecipientStatus", "read_report"]

_DELIVERY_STATUS = re.compile(r'report-type\s*=\s*"?delivery-status')
_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_ORIGINAL_TYPES = (
    "message/rfc822",
    "message/global",
    "text/rfc822-headers",
    "message/global-headers",
)
_MESSAGE_ID_LINE = re.compile(r"(?im)^[ \t>]*message-id:[ \t]*(<[^<>\s]+>)")
_DAEMON = re.compile(r"(?i)^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@")
_BOUNCE_SUBJECT = re.compile(
    r"(?i)undeliver|undelivered|returned mail|delivery (status notification|failure|has failed)"
    r"|failure notice|mail delivery (failed|failure|subsystem)|nondeliverable|non-delivery"
    r"|could not be delivered|nedoru[cč]iteln"
)
_DELAY_WORDS = re.compile(
    r"(?i)\bdelay(ed)?\b|\bwarning\b|will (retry|be retried|continue)|still trying|not yet"
)
_CODE = re.compile(r"\b[45]\.\d{1,3}\.\d{1,3}\b|\b[45]\d\d\b")
_SMTP_REPLY = re.compile(r"\b[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\b")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ENHANCED = re.compile(r"\b([45]\.\d{1,3}\.\d{1,3})\b")
#: the longest reason kept (a diagnostic can quote a whole SMTP conversation)
MAX_REASON = 1000


@dataclass(frozen=True)
class RecipientStatus:
    """What one recipient's block of a report says."""

    #: the address the report is about (Final-Recipient, else Original-Recipient), or None
    recipient: str | None
    #: ``failed``, ``delayed``, ``delivered``, ``relayed``, ``expanded`` (lower case)
    action: str
    #: the enhanced status code (``5.1.1``), or None
    status: str | None = None
    #: the server's words (``550 5.1.1 <jana@example.cz>: user unknown``), or None
    diagnostic: str | None = None

    def reason(self) -> str:
        """``jana@example.cz: 5.1.1 550 5.1.1 <...>: user unknown`` (what is known of it)."""
        words = " ".join(w for w in (self.status, self.diagnostic) if w) or self.action
        return f"{self.recipient}: {words}" if self.recipient else words


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery report about one message we (may have) sent."""

    #: the Message-ID of the message the report is about, with its angle brackets
    original_message_id: str
    recipients: list[RecipientStatus] = field(default_factory=list)
    #: True for an RFC 3464 report, False for a report read from text
    standard: bool = True

    @property
    def failed(self) -> list[RecipientStatus]:
        """The recipients whose delivery failed for good (``Action: failed``)."""
        return [r for r in self.recipients if r.action == "failed"]

    def reason(self) -> str:
        """The failures in one line (``; ``-separated), cut at `MAX_REASON` characters."""
        text = "; ".join(r.reason() for r in self.failed)
        return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _fields(text: str) -> list[dict[str, str]]:
    """The blocks of a delivery-status body: header-like fields, blocks split by blank lines
    (continuation lines joined)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, None
        elif line[0] in " \t" and last is not None:
            current[last] += " " + line.strip()
        elif ":" in line:
            name, _, value = line.partition(":")
            last = name.strip().lower()
            current.setdefault(last, value.strip())
    if current:
        blocks.append(current)
    return blocks


def _after_type(value: str | None) -> str | None:
    """``rfc822; jana@example.cz`` -> ``jana@example.cz`` (the address or diagnostic type
    before the semicolon is dropped)."""
    if not value:
        return None
    kind, sep, rest = value.partition(";")
    text = (rest if sep else kind).strip()
    return text or None


def _recipients(part: MailPart) -> list[RecipientStatus]:
    out: list[RecipientStatus] = []
    for block in _fields(part.content.decode("utf-8", errors="replace")):
        action = block.get("action", "").split("(")[0].strip().lower()
        if not action:
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        recipient = _after_type(block.get("final-recipient")) or _after_type(
            block.get("original-recipient")
        )
        out.append(
            RecipientStatus(
                recipient=recipient.strip("<>") if recipient else None,
                action=action,
                status=(block.get("status") or "").split()[0] if block.get("status") else None,
                diagnostic=_after_type(block.get("diagnostic-code")),
            )
        )
    return out


def _original_id(parsed: ParsedEmail) -> str | None:
    """The Message-ID of the returned message: its attached copy or headers first, then a
    ``Message-ID:`` line quoted in the text."""
    for part in parsed.attachments:
        if part.content_type in _ORIGINAL_TYPES:
            headers = BytesHeaderParser(policy=policy.compat32).parsebytes(part.content)
            found = re.search(r"<[^<>\s]+>", str(headers.get("message-id") or ""))
            if found:
                return found.group(0)
            match = _MESSAGE_ID_LINE.search(part.content.decode("utf-8", errors="replace"))
            if match:
                return match.group(1)
    for part in parsed.attachments:
        text = part.text()
        if text and part.content_type not in _STATUS_TYPES:
            match = _MESSAGE_ID_LINE.search(text)
            if match:
                return match.group(1)
    match = _MESSAGE_ID_LINE.search(parsed.body or "")
    return match.group(1) if match else None


def _looks_like_bounce(parsed: ParsedEmail) -> bool:
    sender = parsed.mail_from or ""
    return bool(_DAEMON.match(sender)) or bool(_BOUNCE_SUBJECT.search(parsed.subject or ""))


def _text_failure(parsed: ParsedEmail) -> RecipientStatus:
    """The failure a non-standard report describes in words: its first line with an SMTP
    code, and the address on it (or the first address in the text)."""
    subject = parsed.subject or ""
    if _DELAY_WORDS.search(subject):
        return RecipientStatus(None, "delayed")
    body = parsed.body or ""
    copy = _MESSAGE_ID_LINE.search(body)  # the returned message's headers start near there
    text = body[: copy.start()] if copy else body
    lines = [ln.strip() for ln in text.splitlines()]
    # the server's own words ("550 5.1.1 ...") are the best reason; any line with a code next
    line = next((ln for ln in lines if _SMTP_REPLY.search(ln)), None) or next(
        (ln for ln in lines if _CODE.search(ln)), None
    )
    address = _ADDRESS.search(line or "") or _ADDRESS.search(text)
    status = _ENHANCED.search(line or "")
    return RecipientStatus(
        recipient=address.group(0) if address else None,
        action="failed",
        status=status.group(1) if status else None,
        diagnostic=line[:MAX_REASON] if line else (subject or "returned as undeliverable"),
    )


def read_report(parsed: ParsedEmail) -> DeliveryReport | None:
    """Return the delivery report in ``parsed``, or None when it is not one or does not
    say which message it is about.

    Never raises on odd input. A standard report gives every recipient block; a
    non-standard one (from MAILER-DAEMON or postmaster, or with a subject such as
    "Undelivered Mail Returned to Sender") one recipient read from the text, ``delayed``
    when the subject says so.
    """
    content_type = (parsed.headers.get("content-type") or "").lower()
    is_report = content_type.lstrip().startswith("multipart/report")
    status_parts = [p for p in parsed.attachments if p.content_type in _STATUS_TYPES]
    # the common case first, and cheap: no report part, no report type, no bounce sender
    if not status_parts and not is_report and not _looks_like_bounce(parsed):
        return None
    standard = bool(status_parts) and (is_report or _looks_like_bounce(parsed))
    if not standard and not (is_report and _DELIVERY_STATUS.search(content_type)):
        if not _looks_like_bounce(parsed):
            return None
    original = _original_id(parsed)
    if original is None or original == parsed.message_id:
        return None
    if standard:
        recipients = [r for p in status_parts for r in _recipients(p)]
        if recipients:
            return DeliveryReport(original, recipients, standard=True)
    return DeliveryReport(original, [_text_failure(parsed)], standard=False)
