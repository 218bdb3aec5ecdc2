"""Raw e-mail bytes as a ParsedEmail: decoded headers, bodies, attachments; never raises.

Parsing uses the standard library's ``email`` package with ``policy.default``; this
module adds what real mail needs on top of it: undeclared and wrongly declared
charsets (charset-normalizer), broken RFC 2047 encoded-words, 8-bit headers, file
names for parts that have none, the split between attachments and inline images,
S/MIME signatures, ``winmail.dat`` (TNEF) and attached e-mails kept as ``.eml``.
Every problem met on the way is explained in ``ParsedEmail.parse_errors``.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import hashlib
import io
import mimetypes
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy as email_policy
from email import utils as email_utils
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.parser import BytesFeedParser, BytesParser
from typing import Any, BinaryIO, cast
from urllib.parse import unquote

from mailstore import htmltext, mimefast, tnef

__all__ = [
    "Address",
    "AuthResults",
    "Headers",
    "MailPart",
    "ParsedEmail",
    "decode_header_value",
    "decode_text",
    "parse_email",
]

#: Size of the pieces fed to the parser and read from a file: the parser then never
#: holds more than one piece of not yet split lines.
CHUNK = 1 << 16
#: Parts larger than this are decoded from base64 without an intermediate copy.
_LARGE_PART = 1 << 20
#: Content types of detached signatures (RFC 8551 S/MIME, RFC 3156 OpenPGP).
SIGNATURE_TYPES = frozenset(
    {
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-signature",
    }
)
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
#: Extensions for parts without a name; mimetypes is asked for the others.
_EXTENSIONS = {
    "application/octet-stream": ".bin",
    "application/pdf": ".pdf",
    "application/xml": ".xml",
    "application/zip": ".zip",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/xml": ".xml",
    "text/rfc822-headers": ".txt",
}
#: Text shorter than this (in bytes) is not given to charset-normalizer.
_SHORT_TEXT = 64
#: The charset of short undeclared text that is not UTF-8: Czech mail (windows-1250 is
#: also right for the letters Western languages share with it: á é í ó ú ý ä ö ü ß).
FALLBACK_CHARSET = "cp1250"
#: Single-byte charsets that a UTF-8 text is often mislabelled as.
_SINGLE_BYTE = re.compile(r"^(iso8859_\d+|cp125\d|latin_1|cp437|cp850|cp852|koi8_[ru])$")
#: ISO 8859 labels used for text in their Windows supersets: bytes 0x80-0x9F are C1
#: controls in ISO 8859 and never appear in real text, but are letters and quotes in
#: the Windows code pages (the WHATWG encoding standard does the same for Latin-1).
#: Content types outside text/* whose parts are text (MailPart.text reads them).
_TEXT_TYPES = frozenset(
    {
        "application/xml",
        "application/json",
        "application/x-isdoc",
        "application/isdoc",
        "application/csv",
        "application/javascript",
    }
)
_TEXT_SUFFIXES = ("+xml", "+json")
_WINDOWS_SUPERSET = {"iso8859_1": "cp1252", "latin_1": "cp1252", "iso8859_2": "cp1250"}
#: Charset labels that declare nothing.
_NO_CHARSET = frozenset({"", "unknown", "unknown-8bit", "x-unknown", "us-ascii", "ascii"})
_ENCODED_WORD = re.compile(
    r"=\?(?P<charset>[^?*\s]+)(?:\*[^?\s]*)?\?(?P<encoding>[bBqQ])\?(?P<text>[^?]*?)\?="
)
_BETWEEN_WORDS = re.compile(r"^[ \t\r\n]+$")
_MESSAGE_ID = re.compile(r"<[^<>\s]*>")
_LOOSE_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_COMMENT_NAME = re.compile(r"^\s*[^\s<>()\",]+@[^\s<>()\",]+\s*\((.+)\)\s*$", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Address:
    """One mailbox of an address header."""

    #: ``jana@example.cz`` (never empty: what holds no address is left out).
    address: str
    #: The display name, decoded, or None.
    name: str | None = None


@dataclass(frozen=True)
class AuthResults:
    """SPF, DKIM and DMARC results of a trusted Authentication-Results header (RFC 8601)."""

    authserv_id: str
    #: Each is the result word in lower case (``pass``, ``fail``, ``none``, ...) or None.
    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None


@dataclass
class MailPart:
    """An attachment or an inline part, with its content in memory."""

    filename: str
    #: Lower-case ``type/subtype`` without parameters.
    content_type: str
    content: bytes
    #: Content-Disposition ``inline`` (also true for an inline image without one).
    inline: bool = False
    #: The Content-ID without angle brackets, or None.
    content_id: str | None = None
    #: The declared charset of a text part (None for other parts).
    charset: str | None = None
    size: int = field(init=False)
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.size = len(self.content)
        self.sha256 = hashlib.sha256(self.content).hexdigest()

    def open(self) -> BinaryIO:
        """Return a binary file object reading the content (for streaming to a store)."""
        return io.BytesIO(self.content)

    def text(self) -> str | None:
        """Return the decoded text of a text part (charset detected if need be), else None.

        Text parts: ``text/*``, XML, JSON and ISDOC (``+xml``/``+json`` too), the same
        types whose ``attachedFile.text()`` a handler can read (an ISDOC invoice is XML).
        """
        base = self.content_type
        if not (base.startswith("text/") or base in _TEXT_TYPES or base.endswith(_TEXT_SUFFIXES)):
            return None
        return decode_text(self.content, self.charset)


class Headers:
    """Decoded header fields in their order, looked up without regard to case.

    ``get(name)`` returns the first value (or ``default``), ``get_all(name)`` all of them.
    Values are unfolded and RFC 2047 decoded; 8-bit bytes are decoded too.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = list(items)
        self._index: dict[str, list[str]] = {}
        for name, value in self._items:
            self._index.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of the field ``name``, or ``default`` when absent."""
        values = self._index.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        """Return every value of the field ``name`` in message order (``[]`` when absent)."""
        return list(self._index.get(name.lower(), ()))

    def items(self) -> list[tuple[str, str]]:
        """Return (name, value) pairs in message order, names spelled as in the message."""
        return list(self._items)

    def keys(self) -> list[str]:
        """Return the distinct field names, lower case, in order of first appearance."""
        return list(self._index)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass
class ParsedEmail:
    """What parsing a received message gives; see ARCHITECTURE.md "What a handler script sees"."""

    raw_size: int
    #: Hex SHA-256 of the raw message: the dedup key of mbox and .eml sources.
    raw_sha256: str
    message_id: str | None = None
    #: The first Message-ID of In-Reply-To, with its angle brackets.
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    #: The sender's address (``jana@example.cz``), from From, else Sender, else None.
    mail_from: str | None = None
    mail_from_name: str | None = None
    mail_to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    subject: str | None = None
    #: The text/plain body, else the HTML body as text, else ``''``.
    body: str = ""
    body_html: str | None = None
    #: The Date header in UTC (aware), or None when missing or unreadable.
    sent_date: datetime | None = None
    #: The Date header's offset from UTC in minutes (``+0200`` → 120); None when unknown.
    sent_date_offset: int | None = None
    headers: Headers = field(default_factory=Headers)
    attachments: list[MailPart] = field(default_factory=list)
    inline_parts: list[MailPart] = field(default_factory=list)
    signed: bool = False
    auth_results: AuthResults | None = None
    #: Plain-words explanations of what was wrong with the message; ``[]`` when nothing.
    parse_errors: list[str] = field(default_factory=list)


# -- charsets -----------------------------------------------------------------------------


def _codec_name(charset: str | None) -> str | None:
    """Return Python's codec name for a declared charset, or None when it declares nothing."""
    if charset is None:
        return None
    label = charset.strip().strip("\"'").lower()
    if label in _NO_CHARSET:
        return None
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        # Labels seen in real mail that Python does not know under that spelling.
        fixed = re.sub(r"^(windows|win|cp|x-cp)[-_ ]?", "cp", label)
        try:
            return codecs.lookup(fixed).name.replace("-", "_")
        except LookupError:
            return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_european(text: str) -> bool:
    """Return True when every non-ASCII character is a European letter, punctuation or emoji.

    Latin-1 Supplement and Latin Extended-A (U+00A0-U+017F), general punctuation and
    currency (U+2000-U+20FF), emoji (U+1F000 and up). Not Cyrillic: windows-1250 "ÓŠ"
    is valid UTF-8 for a Cyrillic letter.
    """
    return all(
        c < "\x80" or "\xa0" <= c <= "\u017f" or "\u2000" <= c <= "\u20ff" or c >= "\U0001f000"
        for c in text
    )


def _has_c1(data: bytes) -> bool:
    return any(0x80 <= byte <= 0x9F for byte in data)


def _detect(data: bytes, hint: str | None) -> tuple[str, str]:
    """Return (text, charset used) for bytes whose charset is unknown; never raises."""
    if _is_utf8(data):
        return data.decode("utf-8"), "utf-8"
    hint_codec = _codec_name(hint)
    if hint_codec is not None:
        # As for a declared charset: an ISO-8859-1/-2 hint on bytes 0x80-0x9F (control
        # characters there) is the Windows superset the sender really wrote.
        superset = _WINDOWS_SUPERSET.get(hint_codec) if _has_c1(data) else None
        for codec in (superset, hint_codec):
            if codec is None:
                continue
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                pass
    if len(data) < _SHORT_TEXT:
        # Too short for statistics (a header, a file name): the detector's guesses are
        # noise there, so the product's own region's charset is taken.
        return data.decode(FALLBACK_CHARSET, errors="replace"), FALLBACK_CHARSET
    import charset_normalizer  # only for text of no known charset: ~17 ms at import

    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding:
        used = _codec_name(best.encoding) or best.encoding
        # windows-1250 and ISO-8859-2 differ where Czech is written (š ž ť Š Ž Ť):
        # windows-1250 puts them in 0x80-0x9F, ISO-8859-2 never uses that range.
        # The detector often takes ISO-8859-2 text for windows-1250; the bytes decide.
        if used == "cp1250" and not _has_c1(data):
            return data.decode("iso8859_2"), "iso8859_2"
        if used == "iso8859_2" and _has_c1(data):
            try:
                return data.decode("cp1250"), "cp1250"
            except UnicodeDecodeError:
                pass
        return str(best), used
    return data.decode("cp1252", errors="replace"), "cp1252"


def _decode_text_noted(
    data: bytes, charset: str | None, hint: str | None = None
) -> tuple[str, str | None]:
    """Return (text, explanation or None): ``decode_text`` that says when it had to guess."""
    declared = charset.strip().strip("\"'") if charset else None
    codec = _codec_name(declared)
    if codec is None:
        if data.isascii():
            return data.decode("ascii"), None
        text, used = _detect(data, hint)
        what = f"declared as {declared}" if declared else "without a declared charset"
        return text, f"text {what} was read as {used}"
    if (
        data.isascii()
        and codec not in ("utf_16", "utf_32", "utf_7")
        and not codec.startswith(("utf_16", "utf_32", "iso2022", "hz"))
    ):
        return data.decode("ascii"), None
    if _SINGLE_BYTE.match(codec) and _is_utf8(data) and _is_european(data.decode("utf-8")):
        # UTF-8 labelled as a single-byte charset (common) decodes to European letters;
        # single-byte text that happens to be valid UTF-8 (the rare "ČŠ") does not.
        return data.decode("utf-8"), f"text declared as {declared} was read as utf-8"
    superset = _WINDOWS_SUPERSET.get(codec)
    if superset and _has_c1(data):
        try:
            return data.decode(superset), None
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(codec), None
    except UnicodeDecodeError:
        pass
    text, used = _detect(data, None)
    return text, f"text declared as {declared} is not valid {declared}; it was read as {used}"


def decode_text(data: bytes, charset: str | None, hint: str | None = None) -> str:
    """Return ``data`` as text, trusting the declared ``charset`` only as far as it fits.

    Undeclared, unknown or ``us-ascii``-declared 8-bit text is read as UTF-8 when it
    is valid UTF-8, else in ``hint`` (another charset of the same message) when given,
    else as charset-normalizer detects. A single-byte charset label on valid UTF-8
    gives UTF-8; ISO-8859-1/-2 labels on text with bytes 0x80-0x9F give windows-1252/
    windows-1250. Never raises.
    """
    return _decode_text_noted(data, charset, hint)[0]


# -- headers ------------------------------------------------------------------------------


def _unescape_header(value: str, hint: str | None) -> str:
    """Return a header value whose 8-bit bytes (kept by the parser as surrogates) are decoded."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    raw = value.encode("utf-8", errors="surrogateescape")
    text, _ = _detect(raw, hint)
    return text


def _decode_word(encoding: str, text: str) -> bytes | None:
    """Return the bytes of an encoded-word's text, or None when it is not valid base64."""
    if encoding in "qQ":
        return binascii.a2b_qp(text.encode("ascii", errors="replace"), header=True)
    cleaned = re.sub(r"[\s=]", "", text)
    if re.search(r"[^A-Za-z0-9+/]", cleaned):
        return None
    # Wrong padding is common; a lone sixth bit group (length 1 mod 4) carries no byte.
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
    except binascii.Error:
        return None


def decode_header_value(value: str, hint: str | None = None) -> str:
    """Return an unstructured header value unfolded and with RFC 2047 encoded-words decoded.

    Lenient where real mail is broken: encoded-words inside other text, with spaces in
    them, in quoted strings, with wrong base64 padding, split in the middle of a
    multi-byte character (adjacent words of one charset are joined before decoding),
    with unknown charsets (detected); raw 8-bit bytes are decoded as UTF-8, ``hint``
    or detected. Never raises.

    >>> decode_header_value("=?utf-8?Q?faktura_=C4=8D.?= 1")
    'faktura č. 1'
    """
    value = _unescape_header(value, hint)
    value = re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", "")
    pieces: list[str] = []
    pending: list[tuple[str, bytes]] = []  # consecutive encoded-words: (charset, bytes)
    last_end = 0

    def flush() -> None:
        # Join the bytes of adjacent words that share a charset, so a character split
        # across two words (common with UTF-8 and long subjects) comes out whole.
        groups: list[tuple[str, bytearray]] = []
        for charset, data in pending:
            if groups and groups[-1][0] == charset:
                groups[-1][1].extend(data)
            else:
                groups.append((charset, bytearray(data)))
        for charset, joined in groups:
            pieces.append(decode_text(bytes(joined), charset, hint))
        pending.clear()

    for match in _ENCODED_WORD.finditer(value):
        between = value[last_end : match.start()]
        # Whitespace between two encoded-words is not part of the text (RFC 2047 6.2).
        if pending and not _BETWEEN_WORDS.match(between):
            flush()
            pieces.append(between)
        elif not pending:
            pieces.append(between)
        decoded = _decode_word(match.group("encoding"), match.group("text"))
        if decoded is None:
            # Not an encoded-word after all: kept as written.
            flush()
            pieces.append(match.group(0))
        else:
            pending.append((match.group("charset").lower(), decoded))
        last_end = match.end()
    flush()
    pieces.append(value[last_end:])
    return "".join(pieces).strip()


#: RFC 5322 atext, ASCII only: what the header parser takes as an atom without remark.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
#: One mailbox in its plain forms: ``addr@domain``, ``<addr@domain>`` and ``Words Only
#: <addr@domain>`` (atoms and blanks: no quotes, comments, dots or encoded-words).
_SIMPLE_MAILBOX = re.compile(
    rf"[ \t]*(?:(?P<bare>{_DOT_ATOM}@{_DOT_ATOM})"
    rf"|(?P<name>{_ATEXT}+(?:[ \t]+{_ATEXT}+)*)?[ \t]*<(?P<angle>{_DOT_ATOM}@{_DOT_ATOM})>)"
    r"[ \t]*"
)


def _simple_addresses(value: str) -> list[Address] | None:
    """Return the mailboxes of a plain address list as the header registry reads them.

    Returns None (ask the registry) unless every comma-separated item is a `_SIMPLE_MAILBOX`
    and the value is unfolded ASCII without ``=?``. For those, the registry's answer is
    known: the addr-spec as written, the display name's atoms joined by single spaces.
    """
    if not value.isascii() or "=?" in value or "\r" in value or "\n" in value:
        return None
    found = []
    for item in value.split(","):
        match = _SIMPLE_MAILBOX.fullmatch(item)
        if match is None:
            return None
        name = match.group("name")
        address = match.group("bare") or match.group("angle")
        found.append(Address(address, " ".join(name.split()) if name else None))
    return found


def _mailboxes(name: str, value: str, hint: str | None) -> tuple[Address, ...]:
    """Return the mailboxes of an address header as email's header registry reads them."""
    found: list[Address] = []
    try:
        header = email_policy.default.header_factory(name, value)
        for mailbox in cast(Any, header).addresses:
            display = mailbox.display_name or None
            if display and "=?" in display:
                display = decode_header_value(display, hint)
            found.append(Address(mailbox.addr_spec if mailbox.username else "", display))
    except Exception:  # noqa: BLE001 - the header parser has raised on odd input before
        for display, address in email_utils.getaddresses([value]):
            found.append(Address(address, decode_header_value(display, hint) or None))
    return tuple(found)


#: `_mailboxes` is a pure function of its arguments (Address is frozen) and the same few
#: senders and recipients come back message after message (a supplier's From, the
#: mailbox's own To): the registry's parse of an encoded-word name costs some 100 us.
_cached_mailboxes = functools.lru_cache(maxsize=1024)(_mailboxes)
#: Longer values are not cached: a message's huge header must not outlive the message.
_CACHED_VALUE = 500


def _addresses(value: str | None, hint: str | None, notes: list[str], name: str) -> list[Address]:
    """Return the mailboxes of an address header; what cannot be read is noted."""
    if not value:
        return []
    value = _unescape_header(value, hint)
    if _FAST_BUILDER:
        simple = _simple_addresses(value)
        if simple is not None:
            found = simple
        elif len(value) <= _CACHED_VALUE:
            found = list(_cached_mailboxes(name, value, hint))
        else:
            found = list(_mailboxes(name, value, hint))
    else:
        found = list(_mailboxes(name, value, hint))
    # A quoted or spaced "address" is a phrase the parser took for a local part.
    usable = [a for a in found if a.address and not re.search(r'[\s"<>]', a.address)]
    if len(usable) < len(found):
        notes.append(f"the {name} header holds something that is not an address: {value!r}")
        if not usable:
            # Salvage what looks like an address from the wreck.
            usable = [Address(m) for m in _LOOSE_ADDRESS.findall(value)]
    old_style = _COMMENT_NAME.match(value)
    if len(usable) == 1 and usable[0].name is None and old_style:
        # "jana@example.cz (Jana Nováková)": the RFC 822 way of giving a name, still sent
        # by some mail programs; the comment is the name (as JavaMail's getPersonal has it).
        usable = [Address(usable[0].address, decode_header_value(old_style.group(1), hint))]
    return usable


def _message_ids(value: str | None) -> list[str]:
    """Return the Message-IDs of a header, with angle brackets; bare tokens if there are none."""
    if not value:
        return []
    found = _MESSAGE_ID.findall(value)
    if found:
        return [m for m in found if m != "<>"]
    return [token for token in re.split(r"[\s,]+", value) if token]


def _parse_date(value: str | None, notes: list[str]) -> tuple[datetime | None, int | None]:
    """Return (UTC datetime, offset in minutes) of a Date header; (None, None) if unreadable."""
    if not value:
        return None, None
    try:
        parsed = email_utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        notes.append(f"the Date header cannot be read: {value!r}")
        return None, None
    if parsed.tzinfo is None:
        # RFC 5322 3.3: -0000 means the time is UTC with no local offset known.
        return parsed.replace(tzinfo=UTC), None
    offset = parsed.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else None
    return parsed.astimezone(UTC), minutes


def _strip_comments(value: str) -> str:
    """Return a header value without its (possibly nested) parenthesised comments."""
    out: list[str] = []
    depth = 0
    for char in value:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(char)
    return "".join(out)


def _auth_results(values: list[str], trusted: str | None) -> AuthResults | None:
    """Return the results of the first Authentication-Results header added by ``trusted``.

    Only a header whose authserv-id (RFC 8601 2.2) is the trusted one counts: anyone
    can write the header, and only the receiving server's own is believed. Among several
    DKIM results, a pass wins (one valid signature is enough for RFC 6376).
    """
    if not trusted:
        return None
    for value in values:
        parts = _strip_comments(value).split(";")
        words = parts[0].split()
        if not words or words[0].lower() != trusted.lower():
            continue
        results: dict[str, str] = {}
        for resinfo in parts[1:]:
            match = re.match(
                r"\s*([A-Za-z0-9_-]+)\s*(?:/\s*[0-9]+)?\s*=\s*([A-Za-z0-9_-]+)", resinfo
            )
            if not match:
                continue
            method, result = match.group(1).lower(), match.group(2).lower()
            if method not in results or (method == "dkim" and result == "pass"):
                results[method] = result
        return AuthResults(words[0], results.get("spf"), results.get("dkim"), results.get("dmarc"))
    return None


# -- parts --------------------------------------------------------------------------------


def _payload_bytes(view: _Part) -> bytes:
    """Return a leaf part's content with its transfer encoding undone."""
    part = view.msg
    # The stored payload, not get_payload(): that one replaces undecodable bytes with
    # U+FFFD in a fresh copy, and the raw bytes are what the caller needs.
    payload = getattr(part, "_payload", None)
    if isinstance(payload, str) and view.get_content_maintype() == "multipart":
        # A multipart has no transfer encoding of its own (RFC 2045 6.4): its text as is.
        return payload.encode("ascii", errors="surrogateescape")
    cte = view.cte()
    if cte == "base64" and isinstance(payload, str) and len(payload) > _LARGE_PART:
        # a2b_base64 reads an ASCII str directly, skipping line breaks: no second
        # copy of a large payload (get_payload(decode=True) makes two).
        try:
            return binascii.a2b_base64(payload)
        except (binascii.Error, ValueError):
            pass
    if isinstance(payload, str) and view.plain_base64():
        clean = _clean_base64(payload)
        if clean is not None:
            return clean
    data = part.get_payload(decode=True)
    if (
        cte == "base64"
        and isinstance(payload, str)
        and any(isinstance(d, email_errors.InvalidBase64LengthDefect) for d in part.defects)
    ):
        # A part cut short (a lone last character): email gives the base64 text itself;
        # the bytes before the cut are the content, as far as it goes.
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned = cleaned[: len(cleaned) - 1] if len(cleaned) % 4 == 1 else cleaned
        try:
            return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            pass
    if isinstance(data, bytes):
        return data
    if isinstance(payload, str):
        return payload.encode("ascii", errors="surrogateescape")
    return b""


def _clean_base64(payload: str) -> bytes | None:
    """Return what ``get_payload(decode=True)`` gives for clean base64 text, else None.

    email decodes the payload's lines joined, strictly, when their length is a multiple
    of 4 (``email._encoded_words.decode_b``), and notes no defect then. The same here
    without encoding the text and splitting it into a list of lines first; anything else
    (8-bit bytes, characters outside base64, bad padding) is None: email's own way,
    with its defects, is taken for those.
    """
    if not payload.isascii():
        return None
    # bytes.splitlines splits at \r, \n and \r\n only: joining its lines drops exactly those
    joined = payload.replace("\r", "").replace("\n", "")
    if len(joined) % 4:
        return None
    try:
        return binascii.a2b_base64(joined, strict_mode=True)
    except binascii.Error:
        return None


def _undo_transfer_encoding(data: bytes, cte: str) -> bytes:
    """Return base64 or quoted-printable ``data`` decoded (as far as it goes)."""
    try:
        if cte == "base64":
            return binascii.a2b_base64(re.sub(rb"[^A-Za-z0-9+/=]", b"", data))
        return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return data


def _serialize(message: Message) -> bytes:
    """Return a message as bytes with its headers as they came (for attached e-mails)."""
    out = io.BytesIO()
    keep = email_policy.default.clone(refold_source="none", linesep="\r\n")
    BytesGenerator(out, mangle_from_=False, policy=keep).flatten(cast(Any, message))
    return out.getvalue()


def _body_of_message_part(part: Message) -> bytes:
    """Return the content of a message/* part other than rfc822 (a delivery report, ...)."""
    data = _serialize(part)
    head, sep, body = data.partition(b"\r\n\r\n")
    return body if sep else data


def _raw_field(part: Message, name: str, hint: str | None) -> str | None:
    """Return the first field ``name`` of a part with its 8-bit bytes decoded, or None.

    email's own header objects turn undecodable bytes into U+FFFD for good; the raw
    value still has them, so they can be decoded as the message's charset.
    """
    for field_name, value in part.raw_items():
        if field_name.lower() == name:
            return _unescape_header(str(value), hint)
    return None


_QUOTED_PARAM = {
    param: re.compile(rf'(?i)(?:^|;)\s*{param}\s*=\s*"((?:[^"\\]|\\.)*)"')
    for param in ("filename", "name")
}


def _windows_path_name(part: _Part, hint: str | None) -> str | None:
    """Return a quoted name written as a Windows path with single backslashes, or None.

    Old Outlook and Internet Explorer send ``filename="C:\\Users\\x\\a.pdf"`` unescaped;
    as an RFC 5322 quoted-string that reads ``C:Usersxa.pdf`` (a backslash escapes the
    next character). A backslash before anything but a quote or a backslash is no escape,
    so the value is taken as written; `_clean_filename` then keeps its last part.
    """
    # the field get_filename took the name from: the disposition's filename, else the type's
    if part.get_param("filename", header="content-disposition") is not None:
        field_name, param = "content-disposition", "filename"
    else:
        field_name, param = "content-type", "name"
    value = _raw_field(part.msg, field_name, hint)
    if value is not None and "\\" in value:
        match = _QUOTED_PARAM[param].search(value)
        if match and any(c not in '"\\' for c in re.findall(r"\\(.)", match.group(1))):
            return match.group(1)
    return None


def _filename(part: _Part, hint: str | None) -> str | None:
    """Return the part's file name (RFC 2231 and 8-bit names decoded), or None."""
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - a broken parameter is no name
        return None
    if name:
        name = _windows_path_name(part, hint) or name
    if name and "\ufffd" in name:
        for field_name, param in (("content-disposition", "filename"), ("content-type", "name")):
            value = _raw_field(part.msg, field_name, hint)
            if value is None:
                continue
            try:
                params = cast(Any, email_policy.default.header_factory(field_name, value)).params
            except Exception:  # noqa: BLE001 - keep the name email gave
                break
            if params.get(param):
                return str(params[param])
    return name


def _content_id(part: Message) -> str | None:
    value = _raw_field(part, "content-id", None)
    if value is None:
        return None
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    return text.strip() or None


def _clean_filename(name: str | None, hint: str | None) -> str | None:
    """Return a file name safe to show and store: decoded, no folders, no control chars."""
    if not name:
        return None
    name = _unescape_header(name, hint)
    if "=?" in name:
        name = decode_header_value(name, hint)
    # A name is never a path: "../../etc/passwd" and "C:\x\y.pdf" keep only their last part.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip()
    return None if name in ("", ".", "..") else name


def _extension(content_type: str) -> str:
    if content_type.startswith("text/") and content_type not in _EXTENSIONS:
        guessed = mimetypes.guess_extension(content_type, strict=False)
        return guessed or ".txt"
    return (
        _EXTENSIONS.get(content_type)
        or mimetypes.guess_extension(content_type, strict=False)
        or ".bin"
    )


def _cids_in(html: str | None) -> set[str]:
    """Return the Content-IDs an HTML body refers to with ``cid:`` URLs (lower case)."""
    if not html:
        return set()
    return {unquote(m).strip("<>").lower() for m in re.findall(r"cid:([^\"'\s)>]+)", html, re.I)}


#: The builder's speed-ups (`_Part`'s memos and own body search, `_simple_addresses`); the
#: tests switch them off to compare with the ``email`` package's own answers.
_FAST_BUILDER = True
#: "Not read yet" in `_Part`'s memos (None is an answer there).
_UNSET: Any = object()


class _Fallback(Exception):
    """Raised by `_find_body` on a tree its copy of ``get_body`` does not cover."""


#: A Content-Disposition value as the header registry writes it back: one token, then
#: ``; name="value"`` pairs with nothing to undo in the quotes (no ``\\`` escapes, no
#: ``=`` hence no encoded-word; ``attachment; filename="a.pdf"``). For such a value
#: ``str(header) == value`` and ``content_disposition`` is the token in lower case, so
#: the registry need not run (test_mime_builder_fast checks both on generated values).
_CANONICAL_DISPOSITION = re.compile(
    r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]+(?:; [A-Za-z0-9-]+=\"[ !#-<>-\[\]-~]+\")*"
)


_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`{|}~-]+")


class _Part:
    """One part of the tree with the answers the builder asks for, each worked out once.

    ``policy.default`` answers ``get_content_type``, ``get_param``, ``get_filename`` and
    ``is_attachment`` by fetching the header again (some 50 fetches for an invoice with
    two attachments). The methods here give exactly what the ``Message`` methods of the
    same name give: the header fields do not change while a ParsedEmail is built (only
    payloads are freed, by `_Builder._add`). `_PlainPart` asks the message every time.
    """

    __slots__ = (
        "msg",
        "_type",
        "_canonical",
        "_disposition",
        "_attachment",
        "_params",
        "_cte",
        "_filename",
    )

    def __init__(self, msg: Message) -> None:
        self.msg = msg
        self._type: str | None = None
        self._canonical: str | None = _UNSET
        self._disposition: str | None = _UNSET
        self._attachment: bool | None = None
        self._params: dict[str, Any] = {}
        self._cte: str | None = None
        self._filename: Any = _UNSET

    def _canonical_disposition(self) -> str | None:
        """Return the Content-Disposition ``get`` would give if it is canonical, else None."""
        if self._canonical is _UNSET:
            # the first field, as Message.get takes it
            value = self._first_raw("content-disposition")
            if value is not None and _CANONICAL_DISPOSITION.fullmatch(value):
                self._canonical = value
            else:
                self._canonical = None
        return self._canonical

    def get_content_type(self) -> str:
        """Return ``Message.get_content_type()``: always one ``/``, lower case."""
        if self._type is None:
            self._type = self.msg.get_content_type()
        return self._type

    def get_content_maintype(self) -> str:
        # Message.get_content_maintype is get_content_type().split("/")[0]
        return self.get_content_type().partition("/")[0]

    def get_content_subtype(self) -> str:
        return self.get_content_type().partition("/")[2]

    def get_content_disposition(self) -> str | None:
        if self._disposition is _UNSET:
            canonical = self._canonical_disposition()
            if canonical is None:
                self._disposition = self.msg.get_content_disposition()
            else:
                # what get_content_disposition does with str(header), that is the value
                self._disposition = canonical.partition(";")[0].lower()
        return self._disposition

    def is_attachment(self) -> bool:
        # EmailMessage.is_attachment reads the header object's own parse of the value,
        # which differs from get_content_disposition on comments and odd values; on a
        # canonical value both are the token in lower case.
        if self._attachment is None:
            if self._canonical_disposition() is None:
                self._attachment = cast(EmailMessage, self.msg).is_attachment()
            else:
                self._attachment = self.get_content_disposition() == "attachment"
        return self._attachment

    def get_param(self, param: str, failobj: Any = None, header: str = "content-type") -> Any:
        """Return ``Message.get_param(param, failobj, header)`` from one parse of the field.

        ``get_params`` gives the same (name, unquoted value) pairs ``get_param`` searches,
        or None when the field is missing.
        """
        params = self._params.get(header, _UNSET)
        if params is _UNSET:
            source = self.msg
            canonical = self._canonical_disposition() if header == "content-disposition" else None
            if canonical is not None:
                # get_params reads str(header), the canonical value itself: a compat32
                # message holding just that string gives the same pairs, unparsed.
                source = Message(policy=email_policy.compat32)
                source["Content-Disposition"] = canonical
            params = self._params[header] = source.get_params(header=header)
        if params is None:
            return failobj
        wanted = param.lower()
        for name, value in params:
            if name.lower() == wanted:
                return value
        return failobj

    def get_filename(self) -> str | None:
        """Return ``Message.get_filename()`` (the same steps, on the memoized parameters).

        Raises what it raises (a broken RFC 2231 value), every time it is asked.
        """
        if self._filename is _UNSET:
            try:
                self._filename = self._read_filename()
            except Exception as exc:  # noqa: BLE001 - kept and raised again on each call
                self._filename = exc
        if isinstance(self._filename, Exception):
            raise self._filename
        return cast(str | None, self._filename)

    def _read_filename(self) -> str | None:
        filename = self.get_param("filename", _UNSET, "content-disposition")
        if filename is _UNSET:
            filename = self.get_param("name", _UNSET, "content-type")
        if filename is _UNSET:
            return None
        return email_utils.collapse_rfc2231_value(filename).strip()

    def cte(self) -> str:
        """Return the Content-Transfer-Encoding, stripped and lower case (``''`` if none)."""
        if self._cte is None:
            raw = self._first_raw("content-transfer-encoding")
            if raw is None:
                self._cte = ""
            elif _TOKEN.fullmatch(raw):
                # str(header) of a bare token is the token: no need for the registry
                self._cte = raw.lower()
            else:
                self._cte = str(self.msg.get("content-transfer-encoding", "")).strip().lower()
        return self._cte

    def plain_base64(self) -> bool:
        """True when Content-Transfer-Encoding is the bare token ``base64`` in any case.

        ``get_payload(decode=True)`` reads ``str(header).lower()`` unstripped: then, and
        only then, it decodes base64 the way `_clean_base64` repeats.
        """
        raw = self._first_raw("content-transfer-encoding")
        return raw is not None and raw.lower() == "base64"

    def _first_raw(self, name: str) -> str | None:
        """Return the first field ``name`` as stored (folded, 8-bit as surrogates), or None."""
        for field_name, value in self.msg.raw_items():
            if field_name.lower() == name:
                return value if isinstance(value, str) else None
        return None


class _PlainPart(_Part):
    """A `_Part` that asks the ``email`` package every time (`_FAST_BUILDER` off)."""

    __slots__ = ()

    def get_content_type(self) -> str:
        return self.msg.get_content_type()

    def get_content_maintype(self) -> str:
        return self.msg.get_content_maintype()

    def get_content_subtype(self) -> str:
        return self.msg.get_content_subtype()

    def get_content_disposition(self) -> str | None:
        return self.msg.get_content_disposition()

    def is_attachment(self) -> bool:
        return cast(EmailMessage, self.msg).is_attachment()

    def get_param(self, param: str, failobj: Any = None, header: str = "content-type") -> Any:
        return self.msg.get_param(param, failobj, header)

    def get_filename(self) -> str | None:
        return self.msg.get_filename()

    def cte(self) -> str:
        return str(self.msg.get("content-transfer-encoding", "")).strip().lower()

    def plain_base64(self) -> bool:
        return False


def _has_filename(part: _Part) -> bool:
    try:
        return bool(part.get_filename())
    except Exception:  # noqa: BLE001 - a broken parameter is no name
        return False


def _defect_text(defect: Exception) -> str:
    """Return an e-mail package defect in plain words (its message, else its doc line)."""
    text = str(defect).strip()
    if not text:
        text = (type(defect).__doc__ or type(defect).__name__).strip().splitlines()[0]
    text = text.rstrip(".")
    return text[:1].lower() + text[1:]


class _Builder:
    """Fills one ParsedEmail from a parsed message tree."""

    def __init__(self, msg: EmailMessage, result: ParsedEmail, trusted: str | None) -> None:
        self.msg = msg
        self.result = result
        self.trusted = trusted
        self.notes = result.parse_errors
        self.hint: str | None = None
        self.generated: dict[str, int] = {}
        # One _Part per part, so its memos last the whole build and ``is`` compares parts.
        # Keyed by id(): every part stays alive in self.msg's tree while this runs.
        self.views: dict[int, _Part] = {}
        self.names: dict[int, str | None] = {}
        self.root = self._part(msg)

    def _part(self, msg: Message) -> _Part:
        view = self.views.get(id(msg))
        if view is None:
            view = self.views[id(msg)] = (_Part if _FAST_BUILDER else _PlainPart)(msg)
        return view

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def build(self) -> None:
        self.hint = self._first_charset()
        self._headers()
        plain, html = self._bodies()
        self._parts(plain, html)
        self._defects()

    def _walk(self) -> Iterator[_Part]:
        """Yield every part as ``Message.walk`` does (attached e-mails' parts included)."""
        for msg in self.msg.walk():
            yield self._part(msg)

    def _first_charset(self) -> str | None:
        for part in self._walk():
            charset = part.get_param("charset")
            if isinstance(charset, str) and _codec_name(charset):
                return charset
        return None

    def _filename(self, part: _Part) -> str | None:
        """Return `_filename` of a part, worked out once (``self.hint`` is set by then)."""
        key = id(part.msg)
        if key not in self.names or not _FAST_BUILDER:
            self.names[key] = _filename(part, self.hint)
        return self.names[key]

    def _headers(self) -> None:
        msg, result, hint = self.msg, self.result, self.hint
        # Undecodable bytes stay surrogates in email's strings; none may leave this module
        # (a database cannot store them), so every raw value is decoded first.
        raw = [
            (_unescape_header(name, hint), _unescape_header(str(value), hint))
            for name, value in msg.raw_items()
        ]
        result.headers = Headers((name, decode_header_value(value, hint)) for name, value in raw)
        first_raw: dict[str, str] = {}
        for name, value in raw:
            first_raw.setdefault(name.lower(), value)
        ids = _message_ids(first_raw.get("message-id"))
        result.message_id = ids[0] if ids else None
        replies = _message_ids(first_raw.get("in-reply-to"))
        result.in_reply_to = replies[0] if replies else None
        result.references = _message_ids(first_raw.get("references"))
        senders = _addresses(first_raw.get("from"), hint, self.notes, "From")
        if not senders:
            senders = _addresses(first_raw.get("sender"), hint, self.notes, "Sender")
        if senders:
            result.mail_from, result.mail_from_name = senders[0].address, senders[0].name
        for attr, header in (("mail_to", "to"), ("cc", "cc"), ("reply_to", "reply-to")):
            values = [v for n, v in raw if n.lower() == header]
            found = [
                a.address for v in values for a in _addresses(v, hint, self.notes, header.title())
            ]
            setattr(result, attr, found)
        result.subject = result.headers.get("subject")
        result.sent_date, result.sent_date_offset = _parse_date(first_raw.get("date"), self.notes)
        result.auth_results = _auth_results(
            result.headers.get_all("authentication-results"), self.trusted
        )
        if not raw:
            self._note("the message has no header fields")

    def _text_of(self, part: _Part) -> str:
        charset = part.get_param("charset")
        declared = charset if isinstance(charset, str) else None
        text, note = _decode_text_noted(_payload_bytes(part), declared, self.hint)
        if note:
            self._note(f"{note} ({part.get_content_type()} part)")
        # Line ends as a script expects them: "\n" only, whatever the message used.
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def _get_body(self, preferencelist: tuple[str, ...]) -> _Part | None:
        """Return ``self.msg.get_body(preferencelist)`` as a `_Part`; raises what it raises.

        Its search is done here on the memoized answers; on anything unusual (a part that
        raises, a multipart/related whose payload is no list) ``get_body`` itself answers.
        """
        if _FAST_BUILDER:
            try:
                best_prio, body = len(preferencelist), None
                for prio, part in self._find_body(self.root, preferencelist):
                    if prio < best_prio:
                        best_prio, body = prio, part
                        if prio == 0:
                            break
                return body
            except Exception:  # noqa: BLE001, S110 - get_body below gives the real answer
                pass
        found = self.msg.get_body(preferencelist)
        return None if found is None else self._part(found)

    def _find_body(
        self, part: _Part, preferencelist: tuple[str, ...]
    ) -> Iterator[tuple[int, _Part]]:
        """``EmailMessage._find_body`` (CPython 3.11) on `_Part` objects, step for step."""
        if part.is_attachment():
            return
        maintype, subtype = part.get_content_type().split("/")
        if maintype == "text":
            if subtype in preferencelist:
                yield preferencelist.index(subtype), part
            return
        # (sic) get_body asks whether the message it was called on is a multipart
        if maintype != "multipart" or not self.msg.is_multipart():
            return
        if subtype != "related":
            for sub in cast(EmailMessage, part.msg).iter_parts():
                yield from self._find_body(self._part(sub), preferencelist)
            return
        if "related" in preferencelist:
            yield preferencelist.index("related"), part
        candidate: Message | None = None
        start = part.get_param("start")
        if start:
            for sub in cast(EmailMessage, part.msg).iter_parts():
                if sub["content-id"] == start:
                    candidate = cast(Message, sub)
                    break
        if candidate is None:
            subparts = part.msg.get_payload()
            if not isinstance(subparts, list):
                raise _Fallback("a multipart/related without parts")
            candidate = cast(Message, subparts[0]) if subparts else None
        if candidate is not None:
            yield from self._find_body(self._part(candidate), preferencelist)

    def _leaves(self, part: _Part, in_related: bool = False) -> Iterator[tuple[_Part, bool]]:
        """Yield (leaf part, inside a multipart/related) in order; message/* parts are leaves."""
        if part.get_content_maintype() == "multipart" and part.msg.is_multipart():
            related = in_related or part.get_content_subtype() == "related"
            for sub in cast(list[Message], part.msg.get_payload()):
                yield from self._leaves(self._part(sub), related)
        else:
            yield part, in_related

    def _bodies(self) -> tuple[_Part | None, _Part | None]:
        msg, result = self.msg, self.result
        try:
            plain = self._get_body(("plain",))
            html = self._get_body(("html",))
        except Exception as exc:  # noqa: BLE001 - a broken tree must still give what it can
            self._note(f"the message body cannot be found: {exc}")
            plain = html = None
        # get_body takes a named text part shown inline (a .txt file Apple Mail attached)
        # for the body when there is no other; a part with a file name is an attachment
        # (ARCHITECTURE.md), unless it comes first (some mailers name the body itself).
        first = next(self._leaves(self.root))[0]
        if plain is not None and plain is not first and _has_filename(plain):
            plain = None
        if html is not None and html is not first and _has_filename(html):
            html = None
        if (
            plain is None
            and html is None
            and self.root.get_content_maintype() == "multipart"
            and not msg.is_multipart()
        ):
            # A multipart whose boundary never appears: its text is all there is.
            plain = self.root
        if html is not None:
            result.body_html = self._text_of(html)
        if plain is not None:
            result.body = self._text_of(plain)
        elif result.body_html is not None:
            result.body = htmltext.html_to_text(result.body_html)
        return plain, html

    def _name_for(self, part: _Part, content_type: str, content: bytes) -> str:
        cleaned = _clean_filename(self._filename(part), self.hint)
        if cleaned:
            return cleaned
        stem = "attachment"
        if content_type == "message/rfc822":
            # An attached e-mail is named after its subject, as mail programs save it.
            fields = BytesParser(policy=email_policy.default).parsebytes(content, headersonly=True)
            subject = next((v for n, v in fields.raw_items() if n.lower() == "subject"), "")
            subject = decode_header_value(str(subject), self.hint)
            stem = _clean_filename(_CONTROL.sub("", subject)[:100], self.hint) or "message"
        elif content_type.startswith("image/"):
            stem = "image"
        return self._numbered(stem, _extension(content_type))

    def _numbered(self, stem: str, extension: str) -> str:
        """Return ``stem + extension``, numbered from the second time it is generated."""
        key = stem + extension
        count = self.generated.get(key, 0) + 1
        self.generated[key] = count
        return f"{stem}{'' if count == 1 else f'-{count}'}{extension}"

    def _parts(self, plain: _Part | None, html: _Part | None) -> None:
        result = self.result
        cids = _cids_in(result.body_html)
        for part, in_related in self._leaves(self.root):
            if part is plain or part is html:
                continue
            content_type = part.get_content_type()
            disposition = part.get_content_disposition()
            if content_type in SIGNATURE_TYPES:
                result.signed = True
                continue
            if content_type in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
                smime_type = str(part.get_param("smime-type") or "").lower()
                if smime_type == "signed-data":
                    result.signed = True
                    self._note(
                        "the message is S/MIME signed-data: "
                        "its content is kept unread as an attachment"
                    )
            if part.get_content_maintype() == "multipart":
                # A multipart whose parts could not be found: the whole message is already
                # the body; a nested one is kept as a text file unless there is nothing in it.
                if part is not self.root and _payload_bytes(part).strip():
                    self._add(part, "text/plain", None, False)
                continue
            filename_given = part.get_param(
                "filename", header="content-disposition"
            ) or part.get_param("name")
            if (
                content_type in ("text/plain", "text/html")
                and not filename_given
                and disposition != "attachment"
            ):
                continue  # an alternative or additional text, not a file
            cid = _content_id(part.msg)
            is_inline = content_type.startswith("image/") and (
                (cid is not None and cid.lower() in cids)
                or (in_related and disposition != "attachment")
            )
            if content_type in _TNEF_TYPES or (self._filename(part) or "").lower() == "winmail.dat":
                if self._tnef(part):
                    continue
            self._add(part, content_type, cid, is_inline)

    def _add(self, view: _Part, content_type: str, cid: str | None, is_inline: bool) -> None:
        part = view.msg
        if content_type == "message/rfc822" and part.is_multipart():
            content = _serialize(cast(Message, part.get_payload(0)))
            cte = view.cte()
            if cte in ("base64", "quoted-printable"):
                # RFC 2046 5.2.1 forbids encoding a message/rfc822, some mail programs do
                # it anyway; email then parses the encoded text as the message.
                content = _undo_transfer_encoding(content, cte)
        elif view.get_content_maintype() == "message" and part.is_multipart():
            content = _body_of_message_part(part)
        else:
            content = _payload_bytes(view)
        charset = view.get_param("charset") if content_type.startswith("text/") else None
        disposition = view.get_content_disposition()
        item = MailPart(
            filename=self._name_for(view, content_type, content),
            content_type=content_type,
            content=content,
            inline=disposition == "inline" or (is_inline and disposition is None),
            content_id=cid,
            charset=charset if isinstance(charset, str) else None,
        )
        (self.result.inline_parts if is_inline else self.result.attachments).append(item)
        if item.size > _LARGE_PART and not part.is_multipart():
            # The encoded payload is no longer needed: free it before the next part.
            part.set_payload("")

    def _tnef(self, part: _Part) -> bool:
        """Add the files inside a winmail.dat; return False (keep the file) if unreadable."""
        data = _payload_bytes(part)
        try:
            files = tnef.read_attachments(data)
        except tnef.TnefError as exc:
            self._note(f"winmail.dat cannot be read ({exc}); it is kept as it is")
            return False
        for inner in files:
            content_type = (inner.content_type or "").lower()
            if "/" not in content_type:
                guessed = mimetypes.guess_type(inner.filename or "", strict=False)[0]
                content_type = guessed or "application/octet-stream"
            name = _clean_filename(inner.filename, self.hint)
            if not name:
                name = self._numbered("attachment", _extension(content_type))
            self.result.attachments.append(MailPart(name, content_type, inner.data))
        return True

    def _defects(self) -> None:
        for part in self._walk():
            for defect in part.msg.defects:
                self._note(f"{part.get_content_type()} part: {_defect_text(defect)}")


class _HeaderCache:
    """A ``header_factory`` that parses each distinct (name, value) once, for one message.

    ``policy.default`` parses a header again on every access (``get_content_type``,
    ``get_param``, ``get_filename``, ``get_body`` all read Content-Type and
    Content-Disposition), some 70 parses for an e-mail with two attachments. The header
    objects are immutable, so handing out the same one for the same input gives exactly
    what parsing again would. One cache per parsed message: it dies with the message, so
    a message with huge headers is not kept alive by the next one.
    """

    __slots__ = ("_registry", "_parsed")

    def __init__(self, registry: Any) -> None:
        self._registry = registry
        self._parsed: dict[tuple[str, str], Any] = {}

    def __call__(self, name: str, value: str) -> Any:
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            header = self._parsed[key] = self._registry(name, value)
        return header

    def __getitem__(self, name: str) -> Any:
        # the header class of a name (``policy.header_max_count`` asks for it)
        return self._registry[name]


def _parsing_policy() -> email_policy.EmailPolicy[EmailMessage]:
    """Return ``policy.default`` with a fresh `_HeaderCache` (one per parsed message)."""
    return email_policy.default.clone(
        header_factory=_HeaderCache(email_policy.default.header_factory)
    )


def _digest_and_feed(
    source: bytes | BinaryIO, parser: BytesFeedParser[Any]
) -> tuple[int, str, Exception | None]:
    """Feed ``source`` to ``parser`` in pieces; return (size, hex SHA-256, parser failure).

    When the parser fails (the ``email`` package recurses once per nesting level, so a
    message nested a few thousand multiparts deep exhausts the stack), the rest is still
    read and hashed: size and SHA-256 always describe the whole message.
    """
    digest = hashlib.sha256()
    size = 0
    failure: Exception | None = None
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        pieces: Iterator[bytes] = (
            bytes(view[start : start + CHUNK]) for start in range(0, len(view), CHUNK)
        )
    else:
        pieces = iter(lambda: source.read(CHUNK), b"")
    for piece in pieces:
        size += len(piece)
        digest.update(piece)
        if failure is None:
            try:
                parser.feed(piece)
            except Exception as exc:  # noqa: BLE001 - RecursionError, or a parser bug
                failure = exc
    return size, digest.hexdigest(), failure


def _headers_only(source: bytes | BinaryIO) -> EmailMessage | None:
    """Return the message parsed without its MIME structure, or None if it cannot be re-read."""
    parser = BytesParser(_class=EmailMessage, policy=_parsing_policy())
    if isinstance(source, bytes | bytearray | memoryview):
        return parser.parsebytes(bytes(source), headersonly=True)
    try:
        source.seek(0)
    except (AttributeError, OSError, ValueError):
        return None
    return parser.parse(source, headersonly=True)


def parse_email(source: bytes | BinaryIO, *, trusted_authserv_id: str | None = None) -> ParsedEmail:
    """Return the ParsedEmail of a raw message given as bytes or a binary file object.

    Never raises on bad input: problems are explained in ``parse_errors``, and a
    message that cannot be parsed at all still gives its size, SHA-256 and one
    explanation. A message whose MIME structure defeats the parser is read again as
    header fields and one text body. A file object is read in pieces (the raw message
    is never held whole by this function; a seekable one is read twice in that case).
    ``trusted_authserv_id`` is the setting ``mail.trustedAuthservId``: without it
    ``auth_results`` is always None.

    A message given as ``bytes`` or ``bytearray`` is parsed with its runs of base64
    lines folded (`mailstore.mimefast`: the same result, with a few dozen lines instead
    of thousands for the feedparser to read in an e-mail with base64 attachments); a file
    object or a memoryview is parsed line by line, as before.

    >>> parse_email(b"From: Jana <jana@example.cz>\\r\\nSubject: Ahoj\\r\\n\\r\\nText").mail_from
    'jana@example.cz'
    """
    return _parse_email(source, trusted_authserv_id, fast=True)


def _new_parser() -> BytesFeedParser[EmailMessage]:
    return BytesFeedParser(_factory=EmailMessage, policy=_parsing_policy())


def _parse_email(
    source: bytes | BinaryIO, trusted_authserv_id: str | None, *, fast: bool
) -> ParsedEmail:
    """Return `parse_email`'s result; ``fast=False`` never folds (the tests' reference)."""
    msg: EmailMessage | None = None
    failure: Exception | None = None
    raw = source if fast and isinstance(source, bytes | bytearray) else None
    if raw is not None:
        msg = cast(EmailMessage | None, mimefast.parse_folded(raw, _new_parser))
    if msg is not None and raw is not None:
        # Size and SHA-256 of the original bytes, never of the folded ones.
        result = ParsedEmail(len(raw), hashlib.sha256(raw).hexdigest())
    else:
        parser = _new_parser()
        try:
            size, sha, failure = _digest_and_feed(source, parser)
        except OSError as exc:
            return ParsedEmail(
                0,
                hashlib.sha256().hexdigest(),
                parse_errors=[f"the message cannot be read: {exc}"],
            )
        result = ParsedEmail(size, sha)
        if size == 0:
            result.parse_errors.append("the message is empty")
            return result
        if failure is None:
            try:
                msg = parser.close()
            except Exception as exc:  # noqa: BLE001 - as in _digest_and_feed
                failure = exc
    try:
        if failure is not None:
            reason = "it is nested too deeply" if isinstance(failure, RecursionError) else failure
            result.parse_errors.append(
                f"the MIME structure of the message cannot be parsed ({reason}): "
                "its text is kept as the body"
            )
            msg = _headers_only(source)
        if msg is not None:
            _Builder(msg, result, trusted_authserv_id).build()
    except Exception as exc:  # noqa: BLE001 - the contract: never raise, explain instead
        reason = "it is nested too deeply" if isinstance(exc, RecursionError) else exc
        result.parse_errors.append(f"the message cannot be parsed completely: {reason}")
    return result
