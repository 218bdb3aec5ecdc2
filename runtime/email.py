"""``entity``: the received e-mail as a handler script sees it, with its Java face.

ARCHITECTURE.md ("What a handler script sees") lists the members. Each built-in row a
script can reach has a face here: `EmailRecord` (ReceivedEmail), `AccountRecord`
(MailAccount, with the enum-like `Purpose`), `AttachmentRecord` (ReceivedEmailAttachment),
`FileRecord` (AttachedFile: ``text()``, ``base64()``), `SentEmailRecord`, plus the values
`Headers` (``get``/``getAll``, case-insensitive) and `AuthResults`.

Every face is strict (an unknown member is an error naming the closest) and read-only but
for ``entity.note``, which a handler may annotate.
"""

from __future__ import annotations

import base64
from typing import Any

from mailstore import models as m
from mailstore.db import is_postgresql
from scriptengine.errors import EvalError
from scriptengine.host import HostObject, MethodInfo, PropertyInfo, TypeInfo
from scriptengine.values import Long, java_class_name

from .dates import wrap_date
from .records import DATETIME_TYPE, Record, RecordHost, article, column_list, row_from_db

#: the largest file ``text()`` or ``base64()`` reads (a script must not exhaust memory)
MAX_FILE_READ = 50 * 1024 * 1024


def _p(name: str, type_name: str | None, doc: str, writable: bool = False) -> PropertyInfo:
    return PropertyInfo(name, type_name, writable=writable, doc=doc)


class Purpose(HostObject):
    """``mailAccount.purpose``: enum-like, as a Java enum is in JEXL (``== 'INVOICES'`` is
    true, ``name()`` gives ``'INVOICES'``, ``=~ ['INVOICES']`` is false)."""

    jexl_type = TypeInfo(
        "Purpose",
        methods={"name": MethodInfo("name", 0, 0, "String", "the purpose's name")},
        enum_like=True,
        doc="the purpose of a mail account (INVOICES, ROBOT, GENERAL, ...)",
    )

    def __init__(self, code: str) -> None:
        self.code = code

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        return self.code

    def jexl_string(self) -> str:
        return self.code

    def to_json(self) -> str:
        """Enums are strings in JSON."""
        return self.code


class AccountRecord(Record):
    """A MailAccount: ``name``, ``address``, ``purpose``."""

    type_name = "MailAccount"
    jexl_type = TypeInfo(
        "MailAccount",
        {
            "id": _p("id", "Long", "the account's id"),
            "name": _p("name", "String", "the account's name"),
            "address": _p("address", "String", "the mailbox's e-mail address"),
            "purpose": _p("purpose", "Purpose", "INVOICES, ROBOT, GENERAL or the user's own"),
        },
        strict=True,
        doc="a mail account",
    )

    def jexl_get(self, name: str) -> Any:
        if name == "id":
            return Long(int(self.row.id))
        if name == "purpose":
            return Purpose(str(self.row.purpose))
        return getattr(self.row, name)


class FileRecord(Record):
    """An AttachedFile: ``name``, ``contentType``, ``size``, ``sha256``; ``text()`` and
    ``base64()`` read the content from the blob store."""

    type_name = "AttachedFile"
    jexl_type = TypeInfo(
        "AttachedFile",
        {
            "id": _p("id", "Long", "the file's id"),
            "name": _p("name", "String", "the file name"),
            "contentType": _p("contentType", "String", "application/pdf"),
            "size": _p("size", "Long", "bytes"),
            "sha256": _p("sha256", "String", "hex SHA-256 of the content"),
        },
        {
            "text": MethodInfo("text", 0, 0, "String", "decoded text of a text file, else null"),
            "base64": MethodInfo("base64", 0, 0, "String", "the content in Base64"),
        },
        strict=True,
        doc="a stored file",
    )

    def jexl_get(self, name: str) -> Any:
        if name == "id":
            return Long(int(self.row.id))
        if name == "size":
            return Long(int(self.row.size))
        return getattr(self.row, name)

    def to_json(self) -> dict[str, Any]:
        """Files in ``run --json``: ``{"name", "contentType", "size", "sha256"}``."""
        return {
            "name": self.row.name,
            "contentType": self.row.contentType,
            "size": int(self.row.size),
            "sha256": self.row.sha256,
        }

    def content(self) -> bytes:
        """The file's bytes; ``EvalError`` when it is too big or missing from the blob store."""
        if int(self.row.size) > MAX_FILE_READ:
            raise EvalError(
                f"file '{self.row.name}' is too big to read in a script "
                f"({int(self.row.size)} bytes, at most {MAX_FILE_READ})"
            )
        reader = getattr(self.host, "read_file", None)
        if reader is None:  # pragma: no cover - every RunSession reads files
            raise EvalError("files cannot be read here")
        data: bytes = reader(self.row.sha256)
        return data

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        charge = getattr(self.host, "charge", None)
        if name == "base64":
            data = self.content()
            if charge is not None:
                charge(len(data) // 1024 + 1, len(data) * 4 // 3 + 4)
            return base64.b64encode(data).decode("ascii")
        if name == "text":
            if not is_text_type(str(self.row.contentType)):
                return None
            data = self.content()
            if charge is not None:
                charge(len(data) // 1024 + 1, len(data))
            return decode_text(data, str(self.row.contentType))
        raise EvalError(f"unknown method '{name}' of AttachedFile")  # pragma: no cover


_TEXT_TYPES = (
    "application/xml",
    "application/json",
    "application/x-isdoc",
    "application/isdoc",
    "application/csv",
    "application/javascript",
)


def is_text_type(content_type: str) -> bool:
    """True for ``text/*``, XML, JSON and ISDOC content types (``+xml``/``+json`` too)."""
    base = content_type.split(";", 1)[0].strip().lower()
    return base.startswith("text/") or base in _TEXT_TYPES or base.endswith(("+xml", "+json"))


def decode_text(data: bytes, content_type: str) -> str:
    """The text of ``data``: the declared charset, else UTF-8 (a BOM is dropped), else the
    charset charset-normalizer finds; undecodable bytes become U+FFFD, never an error."""
    charset = None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for text of no known charset: ~17 ms

    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("utf-8", errors="replace")


class AttachmentRecord(Record):
    """A part of a received e-mail: ``attachedFile``, ``inline``, ``contentId``."""

    type_name = "ReceivedEmailAttachment"
    jexl_type = TypeInfo(
        "ReceivedEmailAttachment",
        {
            "id": _p("id", "Long", "the part's id"),
            "attachedFile": _p("attachedFile", "AttachedFile", "the file"),
            "inline": _p("inline", "Boolean", "Content-Disposition: inline"),
            "contentId": _p("contentId", "String", "the Content-ID, or null"),
        },
        strict=True,
        doc="an attachment or inline part of a received e-mail",
    )

    def jexl_get(self, name: str) -> Any:
        if name == "id":
            return Long(int(self.row.id))
        if name == "attachedFile":
            return self.host.load("AttachedFile", int(self.row.__data__["attachedFile"]))
        if name == "inline":
            return bool(self.row.inline)
        return self.row.contentId


class Headers(HostObject):
    """The e-mail's headers: ``get(name)`` the first value (null if none), ``getAll(name)``
    every value; names are case-insensitive."""

    jexl_type = TypeInfo(
        "Headers",
        methods={
            "get": MethodInfo("get", 1, 1, "String", "the first value of a header, or null"),
            "getAll": MethodInfo("getAll", 1, 1, "List", "every value of a header"),
            "containsKey": MethodInfo("containsKey", 1, 1, "Boolean", "is the header present"),
            "names": MethodInfo("names", 0, 0, "List", "the header names, in order"),
            "size": MethodInfo("size", 0, 0, "Integer", "how many header lines"),
            "isEmpty": MethodInfo("isEmpty", 0, 0, "Boolean", "no header at all"),
        },
        strict=True,
        doc="the headers of an e-mail",
    )

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def _values(self, name: Any) -> list[str]:
        if not isinstance(name, str):
            raise EvalError(f"a header name is a String, not {java_class_name(name)}")
        key = name.lower()
        return [v for k, v in self.pairs if k.lower() == key]

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        if name == "get":
            found = self._values(args[0])
            return found[0] if found else None
        if name == "getAll":
            return self._values(args[0])
        if name == "containsKey":
            return bool(self._values(args[0]))
        if name == "names":
            seen: dict[str, None] = {}
            for k, _ in self.pairs:
                seen.setdefault(k, None)
            return list(seen)
        if name == "size":
            return len(self.pairs)
        return not self.pairs  # isEmpty

    def jexl_string(self) -> str:
        return "{" + ", ".join(f"{k}={v}" for k, v in self.pairs) + "}"

    def to_json(self) -> list[list[str]]:
        """``[[name, value], ...]`` in the message's order."""
        return [[k, v] for k, v in self.pairs]


class AuthResults(HostObject):
    """SPF, DKIM and DMARC verdicts from a trusted Authentication-Results header."""

    jexl_type = TypeInfo(
        "AuthResults",
        {
            "spf": _p("spf", "String", "pass, fail, softfail, none, ..."),
            "dkim": _p("dkim", "String", "pass, fail, none, ..."),
            "dmarc": _p("dmarc", "String", "pass, fail, none, ..."),
        },
        strict=True,
        doc="SPF/DKIM/DMARC results",
    )

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def jexl_get(self, name: str) -> Any:
        return self.values.get(name)

    def jexl_string(self) -> str:
        return f"spf={self.values.get('spf')} dkim={self.values.get('dkim')} dmarc={self.values.get('dmarc')}"

    def to_json(self) -> dict[str, Any]:
        """``{"spf": ..., "dkim": ..., "dmarc": ...}``."""
        return {k: self.values.get(k) for k in ("spf", "dkim", "dmarc")}


class SentEmailRecord(Record):
    """A SentEmail: ``messageId``, ``to``, ``cc``, ``subject``, ``sentDate``, ``state``,
    ``lastReply`` (the server's answer; a bounce's reason), ``relatedTo`` (the record that
    sent it, or null: a record of a type the schema no longer has reads as null)."""

    type_name = "SentEmail"
    jexl_type = TypeInfo(
        "SentEmail",
        {
            "id": _p("id", "Long", "the message's id"),
            "messageId": _p("messageId", "String", "its Message-ID"),
            "to": _p("to", "List", "the addressees"),
            "cc": _p("cc", "List", "the copies"),
            "subject": _p("subject", "String", "the subject"),
            "sentDate": _p("sentDate", DATETIME_TYPE, "when it was sent, or null"),
            "state": _p("state", "String", "QUEUED, SENDING, SENT, FAILED, BOUNCED, ..."),
            "lastReply": _p(
                "lastReply", "String", "the server's last answer, or why it bounced, or null"
            ),
            "relatedTo": _p("relatedTo", None, "the record that sent it, or null"),
        },
        strict=True,
        doc="an outgoing e-mail",
    )

    def jexl_get(self, name: str) -> Any:
        row = self.row
        if name == "id":
            return Long(int(row.id))
        if name in ("to", "cc"):
            return list(getattr(row, name) or [])
        if name == "sentDate":
            return wrap_date(row.sentDate, self.host.zone)
        if name == "relatedTo":
            if row.relatedType is None or row.relatedId is None:
                return None
            try:
                return self.host.load(str(row.relatedType), int(row.relatedId))
            except EvalError:
                return None  # a type the schema no longer has
        return getattr(row, name)


_EMAIL_PROPS: dict[str, tuple[str | None, str]] = {
    "id": ("Long", "the e-mail's id"),
    "mailAccount": ("MailAccount", "the account it came to"),
    "folder": ("String", "the IMAP folder, or null"),
    "messageId": ("String", "its Message-ID"),
    "inReplyTo": ("String", "the In-Reply-To Message-ID, or null"),
    "references": ("List", "the References Message-IDs"),
    "mailFrom": ("String", "the sender's address"),
    "mailFromName": ("String", "the sender's display name, or null"),
    "mailTo": ("List", "the To addresses"),
    "cc": ("List", "the Cc addresses"),
    "replyTo": ("List", "the Reply-To addresses"),
    "subject": ("String", "the subject"),
    "body": ("String", "the plain text (from the HTML when there is no text part)"),
    "bodyHtml": ("String", "the HTML body, or null"),
    "sentDate": (DATETIME_TYPE, "the Date header, or null"),
    "receivedDate": (DATETIME_TYPE, "when it was stored"),
    "headers": ("Headers", "headers.get(name), headers.getAll(name)"),
    "attachments": ("List", "the real attachments (ReceivedEmailAttachment)"),
    "inlineParts": ("List", "images referenced from the HTML"),
    "signed": ("Boolean", "S/MIME or PGP signed"),
    "sentEmail": ("SentEmail", "the SentEmail it replies to, or null"),
    "authResults": ("AuthResults", "SPF/DKIM/DMARC, or null"),
    "state": ("String", "RECEIVED, PROCESSED, FAILED, ..."),
    "note": ("String", "a note a handler may write"),
}


#: the SELECT text of `part_rows`, by PostgreSQL or not
_PARTS_SQL: dict[bool, str] = {}


def part_rows(email_id: int) -> list[tuple[m.ReceivedEmailAttachment, m.AttachedFile | None]]:
    """The e-mail's parts (attachments and inline parts) by position then id, each with its
    AttachedFile (None when the row is missing), as the queries ``select().where(
    receivedEmail == id).order_by(position, id)`` and ``AttachedFile.get_or_none`` give
    them, in one query whose SQL text is built once per database kind."""
    a, f = m.ReceivedEmailAttachment, m.AttachedFile
    db: Any = a._meta.database  # peewee's execute_sql is untyped
    pg = is_postgresql(db)
    sql = _PARTS_SQL.get(pg)
    if sql is None:
        p = "%s" if pg else "?"
        sql = (
            f"SELECT {column_list(a, 'a')}, {column_list(f, 'f')} "
            f'FROM "{a._meta.table_name}" AS "a" LEFT JOIN "{f._meta.table_name}" AS "f" '
            f'ON "f"."{f.id.column_name}" = "a"."{a.attachedFile.column_name}" '
            f'WHERE "a"."{a.receivedEmail.column_name}" = {p} '
            f'ORDER BY "a"."{a.position.column_name}", "a"."{a.id.column_name}"'
        )
        _PARTS_SQL[pg] = sql
    a_fields, f_fields = a._meta.sorted_fields, f._meta.sorted_fields
    n = len(a_fields)
    out: list[tuple[m.ReceivedEmailAttachment, m.AttachedFile | None]] = []
    for values in db.execute_sql(sql, [email_id]).fetchall():
        part = row_from_db(a, a_fields, values[:n])
        file = None if values[n] is None else row_from_db(f, f_fields, values[n:])
        out.append((part, file))
    return out


class EmailRecord(Record):
    """A ReceivedEmail: what ``entity`` is. Only ``note`` is writable."""

    type_name = "ReceivedEmail"
    jexl_type = TypeInfo(
        "ReceivedEmail",
        {
            name: _p(name, t, doc, writable=name == "note")
            for name, (t, doc) in _EMAIL_PROPS.items()
        },
        strict=True,
        doc="a received e-mail (entity)",
    )

    def __init__(self, host: RecordHost, row: Any) -> None:
        super().__init__(host, row)
        self._parts: list[Any] | None = None

    def _load_parts(self) -> list[Any]:
        if self._parts is None:
            parts = []
            for part, file in part_rows(int(self.row.id)):
                if file is not None:
                    # read with the part (one query): ``item.attachedFile`` is then the
                    # identity map's, as ``load`` would have made it, and costs no query
                    self.host.wrap(file)
                parts.append(self.host.wrap(part))
            self._parts = parts
        return self._parts

    def jexl_get(self, name: str) -> Any:
        row = self.row
        if name == "id":
            return Long(int(row.id))
        if name == "mailAccount":
            return self.host.load("MailAccount", int(row.__data__["mailAccount"]))
        if name in ("references", "mailTo", "cc", "replyTo"):
            return list(getattr(row, name) or [])
        if name in ("sentDate", "receivedDate"):
            return wrap_date(getattr(row, name), self.host.zone)
        if name == "headers":
            return Headers([(str(k), str(v)) for k, v in (row.headers or [])])
        if name == "attachments":
            return [p for p in self._load_parts() if not p.row.inlinePart]
        if name == "inlineParts":
            return [p for p in self._load_parts() if p.row.inlinePart]
        if name == "signed":
            return bool(row.signed)
        if name == "sentEmail":
            ref = row.__data__.get("sentEmail")
            return None if ref is None else self.host.load("SentEmail", int(ref))
        if name == "authResults":
            return None if row.authResults is None else AuthResults(dict(row.authResults))
        return getattr(row, name)

    def jexl_set(self, name: str, value: Any) -> None:
        # only ``note`` is declared writable, so only it arrives here
        if value is not None and not isinstance(value, str):
            raise EvalError(
                "field 'note' of ReceivedEmail holds a String: cannot assign "
                + article(java_class_name(value))
            )
        row = self.row
        row.note = None if value is None else str(value)


#: the faces of built-in rows, by model
FACES: dict[type[Any], type[Record]] = {
    m.ReceivedEmail: EmailRecord,
    m.MailAccount: AccountRecord,
    m.ReceivedEmailAttachment: AttachmentRecord,
    m.AttachedFile: FileRecord,
    m.SentEmail: SentEmailRecord,
}


def face_type_infos() -> dict[str, TypeInfo]:
    """The TypeInfo of every face and value type here, by name (for ``register_type``)."""
    infos = [
        EmailRecord.jexl_type,
        AccountRecord.jexl_type,
        AttachmentRecord.jexl_type,
        FileRecord.jexl_type,
        SentEmailRecord.jexl_type,
        Purpose.jexl_type,
        Headers.jexl_type,
        AuthResults.jexl_type,
    ]
    return {info.name: info for info in infos}
