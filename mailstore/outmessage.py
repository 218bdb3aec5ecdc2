"""The outgoing message of a SentEmail row: headers, bodies and attachments, ready to send.

ARCHITECTURE.md ("Outgoing mail guarantees") says what every message carries: its own
Message-ID, Date, From, Reply-To (the robot address), ``Auto-Submitted`` and, for a
reply, In-Reply-To and References. Bcc recipients are envelope recipients only, never a
header. Messages are `email.message.EmailMessage` objects under ``policy.SMTP`` (CRLF line
ends, RFC 2047 encoded words for UTF-8 subjects and names, RFC 2231 for UTF-8 file names).

No header can be injected through a value: `header_text` refuses CR, LF and NUL in
anything that becomes a header, and addresses are parsed into `Address` objects, never
pasted into header text.

Example::

    msg = build_message(row, [("faktura.pdf", "application/pdf", data)],
                        from_address="Firma <robot@firma.cz>", reply_to="robot@firma.cz")
    smtp.send_message(msg, from_addr="robot@firma.cz", to_addrs=envelope_recipients(row))
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import functools
import re
from collections.abc import Iterable
from email import errors, policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.policy import Compat32
from typing import Any

__all__ = [
    "MAX_REFERENCES",
    "build_message",
    "envelope_recipients",
    "header_text",
    "new_message_id",
    "parse_addresses",
]

#: References keeps the thread's first Message-ID and the latest ones, at most this many in
#: all: a long thread must not grow a header without bound (RFC 5322 3.6.4 allows dropping
#: the middle ones)
MAX_REFERENCES = 20
#: what ends a line somewhere on the way (CR, LF, and the others str.splitlines and the
#: header folder split at: VT, FF, FS, GS, RS, NEL, LS, PS), and NUL
_BREAKS = frozenset("\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def header_text(value: str, what: str) -> str:
    """Return ``value`` when it may go into a header; ValueError naming ``what`` when it
    holds a CR, an LF or a NUL (each would end the header line and start a new one: header
    injection).

    >>> header_text("Faktura 17", "the subject")
    'Faktura 17'
    """
    if not _BREAKS.isdisjoint(value):
        raise ValueError(f"{what} must not contain a line break (CR or LF) or a NUL character")
    return value


def new_message_id(domain: str) -> str:
    """Return a new, globally unique Message-ID ``<random.time.pid@domain>``; an empty or
    unusable ``domain`` gives ``mailwright.invalid`` (RFC 2606: never a real domain)."""
    domain = domain.strip().strip("[]")
    if not domain or any(c in domain for c in "<>@ \t\r\n\x00"):
        domain = "mailwright.invalid"
    return email.utils.make_msgid(domain=domain)


def parse_addresses(value: str, what: str) -> list[Address]:
    """Return the addresses of one string (``jana@firma.cz``, ``Jana <jana@firma.cz>``, or
    several separated by commas) as `Address` objects; ValueError naming ``what`` when a
    line break is in it or it is not a list of complete addresses.

    A domain in Unicode is converted to its ASCII (IDNA) form, which every server accepts;
    a non-ASCII local part is refused, since it needs SMTPUTF8, which few servers offer.
    """
    header_text(value, what)
    try:
        header: Any = policy.SMTP.header_factory("to", value)
        addresses = list(header.addresses)
    except (errors.HeaderParseError, IndexError, ValueError):  # the parser's own failures
        raise ValueError(f"{what}: '{value.strip()}' is not an e-mail address") from None
    # an obsolete but readable form (a dot in a display name: "Firma s.r.o.") is fine;
    # anything the parser had to guess at is not
    invalid = [d for d in header.defects if not isinstance(d, errors.ObsoleteHeaderDefect)]
    if invalid or not addresses:
        raise ValueError(f"{what}: '{value.strip()}' is not an e-mail address")
    out: list[Address] = []
    for address in addresses:
        local, domain = address.username, address.domain
        if not local or not domain or "." not in domain.strip("."):
            raise ValueError(f"{what}: '{value.strip()}' is not an e-mail address")
        if not local.isascii():
            raise ValueError(
                f"{what}: '{address.addr_spec}': a non-ASCII name before the @ is not supported"
            )
        if not domain.isascii():
            try:
                domain = domain.encode("idna").decode("ascii")
            except UnicodeError:
                raise ValueError(f"{what}: '{address.domain}' is not a valid domain") from None
        out.append(Address(display_name=address.display_name, username=local, domain=domain))
    return out


def _addresses(values: Iterable[str], what: str) -> list[Address]:
    out: list[Address] = []
    for value in values:
        out.extend(parse_addresses(str(value), what))
    return out


def envelope_recipients(row: Any) -> list[str]:
    """Return the bare addresses of a SentEmail's To, Cc and Bcc, in that order, each once
    (compared without regard to case): the RCPT TO list. ValueError when one is not an
    address."""
    seen: set[str] = set()
    out: list[str] = []
    for what in ("to", "cc", "bcc"):
        for address in _addresses(getattr(row, what) or [], what):
            if address.addr_spec.lower() not in seen:
                seen.add(address.addr_spec.lower())
                out.append(address.addr_spec)
    return out


def _references(ids: Iterable[str]) -> list[str]:
    refs = [i for i in ids if i]
    if len(refs) > MAX_REFERENCES:
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1) :]
    return refs


def _date(now: dt.datetime | None) -> str:
    moment = now or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:  # the store's convention: naive means UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(moment)


#: how the message is written: the classic generator (``compat32``) with CRLF line ends.
#: ``policy.SMTP``'s header registry parses and refolds every header again, which made
#: building a message cost ~4 ms (more than sending it, measured with bench/bench_deliver.py);
#: every header here is made (and encoded) by this module, so nothing needs reparsing
class _Wire(Compat32):
    """``compat32`` with a short cut for the common header: a short ASCII value on one line
    is written as is, which is what `email.header.Header`'s folding gives it anyway
    (tests/outgoing/test_outmessage.py compares the two), at a tenth of the cost."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            type(value) is str
            and value.isascii()
            and len(name) + len(value) <= 76  # "Name: value" within 78 characters
            and "\r" not in value
            and "\n" not in value
            and value.strip() == value
            and "  " not in value
            and value.isprintable()
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


WIRE = _Wire(linesep="\r\n")
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def _mailboxes(values: Iterable[str], what: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of address strings, checked as `parse_addresses`
    checks them but with the fast RFC 5322 reader of ``email.utils``."""
    out: list[tuple[str, str]] = []
    for value in values:
        out.extend(_mailbox(str(value), what))
    return out


@functools.lru_cache(maxsize=4096)
def _mailbox(value: str, what: str) -> tuple[tuple[str, str], ...]:
    # cached: a batch repeats the same From and Reply-To (and often To) in every message,
    # and reading an address costs more than the rest of the headers together
    out: list[tuple[str, str]] = []
    text = header_text(value, what)
    found = [(n, a) for n, a in email.utils.getaddresses([text]) if n or a]
    if not found:
        raise ValueError(f"{what}: '{text.strip()}' is not an e-mail address")
    for name, addr in found:
        local, at, domain = addr.rpartition("@")
        if not at or not local or "." not in domain.strip(".") or " " in addr:
            raise ValueError(f"{what}: '{text.strip()}' is not an e-mail address")
        if not local.isascii():
            raise ValueError(f"{what}: '{addr}': a non-ASCII name before the @ is not supported")
        if not domain.isascii():
            try:
                domain = domain.encode("idna").decode("ascii")
            except UnicodeError:
                raise ValueError(f"{what}: '{domain}' is not a valid domain") from None
        out.append((name, f"{local}@{domain}"))
    return tuple(out)


def _address_header(pairs: list[tuple[str, str]]) -> str:
    # formataddr quotes a name with specials and encodes a non-ASCII one (RFC 2047)
    return ", ".join(email.utils.formataddr(pair, charset="utf-8") for pair in pairs)


def _text_part(text: str, subtype: str) -> Message:
    part = Message(policy=WIRE)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    text = text.replace("\r\n", "\n")
    if text and not text.endswith("\n"):
        text += "\n"  # a body ends with a line break, as set_content makes it
    if text.isascii() and all(len(line) <= 998 for line in text.split("\n")):
        part["Content-Transfer-Encoding"] = "7bit"
        part.set_payload(text)
    else:
        # 8-bit bodies need the server's 8BITMIME; quoted-printable goes through any server
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii"))
    return part


def _attachment(name: str, content_type: str, data: bytes) -> Message:
    maintype, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    filename = header_text(name, "an attachment's name")
    part = Message(policy=WIRE)
    if (maintype, subtype) == ("message", "rfc822") and data.isascii():
        # RFC 2046 5.2.1: an attached e-mail is never base64: it goes as it is (7-bit)
        part["Content-Type"] = "message/rfc822"
        part["Content-Transfer-Encoding"] = "7bit"
        text = data.decode("ascii").replace("\r\n", "\n").replace("\r", "\n")
        part.set_payload(text.replace("\n", "\r\n"))
    else:
        if not maintype or not subtype or maintype in ("message", "multipart"):
            # an 8-bit e-mail or a bare multipart cannot be a part as it is: send the bytes
            maintype, subtype = "application", "octet-stream"
        part["Content-Type"] = f"{maintype}/{subtype}"
        part["Content-Transfer-Encoding"] = "base64"
        part.set_payload(base64.encodebytes(data).decode("ascii"))
    # a UTF-8 name as RFC 2231 (filename*=utf-8''...), an ASCII one quoted
    value: Any = filename if filename.isascii() else ("utf-8", "", filename)
    part.add_header("Content-Disposition", "attachment", filename=value)
    return part


def _multipart(subtype: str, parts: list[Message]) -> Message:
    container = Message(policy=WIRE)
    container["Content-Type"] = f"multipart/{subtype}"
    for part in parts:
        container.attach(part)
    return container


def build_message(
    row: Any,
    attachments: list[tuple[str, str, bytes]],
    *,
    from_address: str,
    reply_to: str | None,
    now: dt.datetime | None = None,
) -> EmailMessage:
    """Return the message of SentEmail ``row``: ``bytes(msg)`` is what goes on the wire (CRLF
    line ends, 7-bit: RFC 2047 encoded words for UTF-8 subjects and names, RFC 2231 for
    UTF-8 file names, quoted-printable or base64 bodies).

    Headers: Message-ID (``row.messageId``), Date (``now``, default the current time; naive
    means UTC), From (``from_address``), To and Cc (never Bcc), Reply-To (``reply_to``
    when given), Subject, In-Reply-To and References (for a reply; References capped at
    `MAX_REFERENCES`), ``Auto-Submitted`` (``row.autoSubmitted``). Body: the text, with the
    HTML as an alternative when the row has one, then ``attachments`` (name, content type,
    data) in order. ValueError names the field when a header value holds a line break or an
    address is not one (a row written by other means than the script functions).

    Trap: the message uses the classic ``compat32`` policy (`WIRE`), for speed: a header
    read back from it may be an ``email.header.Header``; parse ``bytes(msg)`` to inspect it.
    """
    to = _mailboxes(row.to or [], "to")
    cc = _mailboxes(row.cc or [], "cc")
    if not to and not cc and not (row.bcc or []):
        raise ValueError("the message has no recipient")
    text = _text_part(str(row.body or ""), "plain")
    body = text
    if row.bodyHtml:
        body = _multipart("alternative", [text, _text_part(str(row.bodyHtml), "html")])
    if attachments:
        files = [_attachment(n, t, d) for n, t, d in attachments]
        body = _multipart("mixed", [body, *files])
    msg = EmailMessage(policy=WIRE)
    msg["Message-ID"] = header_text(str(row.messageId), "the Message-ID")
    msg["Date"] = _date(now)
    msg["From"] = _address_header(_mailboxes([from_address], "from"))
    if to:
        msg["To"] = _address_header(to)
    if cc:
        msg["Cc"] = _address_header(cc)
    if reply_to:
        msg["Reply-To"] = _address_header(_mailboxes([reply_to], "reply-to"))
    subject = header_text(str(row.subject or ""), "the subject")
    msg["Subject"] = (
        subject if subject.isascii() else Header(subject, "utf-8", header_name="Subject")
    )
    if row.inReplyTo:
        msg["In-Reply-To"] = header_text(str(row.inReplyTo), "In-Reply-To")
    refs = _references(header_text(str(r), "References") for r in (row.references or []))
    if refs:
        msg["References"] = " ".join(refs)
    msg["Auto-Submitted"] = header_text(
        str(row.autoSubmitted or "auto-generated"), "Auto-Submitted"
    )
    msg["MIME-Version"] = "1.0"
    for name, value in body.items():
        msg[name] = value
    msg.set_payload(body.get_payload())
    return msg
