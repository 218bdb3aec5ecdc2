"""Peewee models of the built-in types: accounts, the received-mail ledger, the outbox.

Field (attribute) names are the names scripts see, in camelCase (``messageId``,
``mailAccount``); the columns are snake_case (``message_id``, ``mail_account_id``) so
the tables read naturally in SQL. Dates are naive datetimes in UTC. The models are not
bound to a database here: `bind` (called by ``Store.open``) binds them, so one process
works with one store at a time (use ``db.bind_ctx(BUILTIN_MODELS)`` to switch briefly).

Constraints carry the ingestion guarantees of ARCHITECTURE.md: a received e-mail is
unique on (account, folder, UIDVALIDITY, UID) for IMAP and on (account, key) for local
sources, and exactly one of the two identities is set; a SentEmail's Message-ID is unique;
at most one SmtpAccount is the default; states are checked by the database.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any

import peewee
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    Check,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

__all__ = [
    "BUILTIN_MODELS",
    "BUILTIN_TYPE_NAMES",
    "AttachedFile",
    "BaseModel",
    "Credential",
    "EntityField",
    "GlobalParameter",
    "InternalSecret",
    "JSONTextField",
    "MailCharField",
    "MailTextField",
    "Lease",
    "MailAccount",
    "RECEIVED_STATES",
    "ReceivedEmail",
    "ReceivedEmailAttachment",
    "SENT_STATES",
    "SchemaVersion",
    "ScriptRun",
    "SentEmail",
    "SentEmailAttachment",
    "SmtpAccount",
    "State",
    "bind",
    "snake_case",
    "utcnow",
]

#: ReceivedEmail.state: RECEIVED -> PROCESSED | FAILED (retried) -> QUARANTINED; SKIPPED
#: (over the size limit, headers kept) and IGNORED (older than the account's ``since``)
RECEIVED_STATES = ("RECEIVED", "PROCESSED", "FAILED", "QUARANTINED", "SKIPPED", "IGNORED")
#: SentEmail.state: QUEUED -> SENDING -> SENT | FAILED | BOUNCED | CANCELLED, or UNKNOWN
#: (a claim expired after ``dataStarted``: the server may have the message)
SENT_STATES = ("QUEUED", "SENDING", "SENT", "FAILED", "BOUNCED", "CANCELLED", "UNKNOWN")
#: MailAccount.afterProcessing values other than ``move:FOLDER``
AFTER_PROCESSING = ("seen", "delete", "none")
#: MailAccount.sourceKind values
SOURCE_KINDS = ("imap", "maildir", "mbox", "emlfolder")
#: Credential.kind values
CREDENTIAL_KINDS = ("password", "oauth2_client", "oauth2_delegated")


def utcnow() -> _dt.datetime:
    """Return the current time as a naive datetime in UTC (the store's convention)."""
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def snake_case(name: str) -> str:
    """Return the column name for a field name: ``attachmentNames`` -> ``attachment_names``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])", r"_\1\2", name).lower()


def _in(column: str, values: tuple[str, ...]) -> peewee.Node:
    quoted = ", ".join("'" + v + "'" for v in values)
    return Check(f"{column} IN ({quoted})")


class _SnakeColumns(peewee.ModelBase):
    """Gives fields declared without ``column_name`` a snake_case column.

    Foreign keys get ``<snake>_id`` and an ``<field>_id`` attribute for the raw id.
    """

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any], **kw: Any) -> Any:
        for key, value in attrs.items():
            if isinstance(value, peewee.Field) and not value.column_name:
                if isinstance(value, ForeignKeyField):
                    value.column_name = snake_case(key) + "_id"
                    value.object_id_name = value.object_id_name or key + "_id"
                else:
                    value.column_name = snake_case(key)
        new: Any = super().__new__  # peewee is untyped
        return new(mcs, name, bases, attrs, **kw)


class BaseModel(peewee.Model, metaclass=_SnakeColumns):
    """Base of every mailwright model: snake_case tables and columns, bound by `bind`."""

    id = peewee.AutoField()

    class Meta:
        legacy_table_names = False


class JSONTextField(TextField):
    """A TEXT column holding JSON (lists of addresses, headers); Python values both ways.

    Trap: not for filtering in SQL (business data gets real columns); only for values a
    record carries along, such as the ``references`` of an e-mail.
    """

    def db_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False)

    def python_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.loads(value)


class MailTextField(TextField):
    """TEXT taken from an e-mail: a NUL character becomes U+FFFD on the way in.

    PostgreSQL text cannot hold NUL, and a message must never fail to be stored because
    of what it contains (the raw message in the blob store keeps every byte).
    """

    def db_value(self, value: Any) -> Any:
        value = TextField.db_value(self, value)  # type: ignore[no-untyped-call,unused-ignore]
        return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class MailCharField(CharField):
    """A bounded string taken from an e-mail: NUL becomes U+FFFD, longer values are cut.

    PostgreSQL enforces the length (SQLite does not): a 5000-character Message-ID must not
    stop the message from being stored; the raw message keeps it whole.
    """

    def db_value(self, value: Any) -> Any:
        value = CharField.db_value(self, value)  # type: ignore[no-untyped-call,unused-ignore]
        if isinstance(value, str):
            value = value.replace("\x00", "\ufffd")[: self.max_length]
        return value


class SchemaVersion(BaseModel):
    """One row per applied version of the built-in schema (see `mailstore.migrate`)."""

    version = IntegerField(unique=True)
    appliedAt = DateTimeField(default=utcnow)
    description = TextField(default="")


class EntityField(BaseModel):
    """What the entity schema looked like when it was last migrated: one row per field.

    ``migrate`` compares the TOML schema with these rows to add what is new and to refuse
    changes it cannot make safely (a field whose kind changed, a removed field with data).
    """

    typeName = CharField(max_length=100)
    fieldName = CharField(max_length=100)
    kind = CharField(max_length=20)
    #: the referenced or listed type, the decimal's ``digits,places``, the string's length
    detail = CharField(max_length=200, default="")

    class Meta:
        indexes = ((("typeName", "fieldName"), True),)


class Credential(BaseModel):
    """A login: password or app password, OAuth2 client credentials, or OAuth2 delegated.

    Secrets are stored encrypted (``mailstore.secrets.SecretBox``): ``secret`` holds the
    password or client secret, ``tokenCache`` the msal token cache, both as Fernet tokens.
    """

    name = CharField(max_length=200, unique=True)
    kind = CharField(max_length=20, constraints=[_in("kind", CREDENTIAL_KINDS)])
    username = CharField(max_length=320, null=True)
    secret = TextField(null=True)
    tenant = CharField(max_length=200, null=True)
    clientId = CharField(max_length=200, null=True)
    #: the OAuth2 authority URL; null: Microsoft's (login.microsoftonline.com/<tenant>)
    authority = CharField(max_length=500, null=True)
    #: a PEM file of the CA that signs the authority's certificate (a private CA); null:
    #: the system's trust store
    caFile = TextField(null=True)
    tokenCache = TextField(null=True)
    created = DateTimeField(default=utcnow)
    updated = DateTimeField(default=utcnow)


class MailAccount(BaseModel):
    """A mailbox the runner reads: an IMAP folder or a local Maildir, mbox or .eml folder."""

    name = CharField(max_length=200, unique=True)
    address = CharField(max_length=320)
    #: enum-like, upper case: INVOICES, ROBOT, GENERAL or the user's own
    purpose = CharField(max_length=100, default="GENERAL")
    sourceKind = CharField(
        max_length=20, default="imap", constraints=[_in("source_kind", SOURCE_KINDS)]
    )
    host = CharField(max_length=255, null=True)
    port = IntegerField(null=True)
    #: ``ssl``, ``starttls`` or ``none``
    security = CharField(max_length=20, default="ssl")
    folder = CharField(max_length=500, default="INBOX")
    #: a PEM file of the CA that signs the IMAP server's certificate; null: the system's
    caFile = TextField(null=True)
    #: the Maildir, mbox file or folder of .eml files of a local source
    path = TextField(null=True)
    credential = ForeignKeyField(Credential, null=True, backref="mailAccounts")
    #: overrides the global handler script
    handlerScript = TextField(null=True)
    #: ``seen`` (default), ``move:FOLDER``, ``delete`` or ``none``
    afterProcessing = CharField(max_length=500, default="seen")
    #: messages older than this are recorded with their headers but not handled
    since = DateTimeField(null=True)
    imapKeywords = BooleanField(default=True)
    #: how long without mail is suspicious; null: never
    quietPeriodHours = IntegerField(null=True)
    enabled = BooleanField(default=True)
    created = DateTimeField(default=utcnow)
    #: when an ingestion run last worked on this account (UTC), whatever its outcome
    lastRunAt = DateTimeField(null=True)
    #: when a run last connected, fetched and handled everything it found without error
    lastSuccessAt = DateTimeField(null=True)
    #: the last run's problem (connection, login, handler, ...), null after a success
    lastError = TextField(null=True)

    class Meta:
        constraints = [
            # substr, not LIKE 'move:_%': a % in DDL confuses psycopg2's parameter syntax
            Check(
                "after_processing IN ('seen', 'delete', 'none') OR "
                "(substr(after_processing, 1, 5) = 'move:' AND length(after_processing) > 5)"
            )
        ]


class SmtpAccount(BaseModel):
    """An SMTP server for outgoing mail; the one with ``isDefault`` is the central one."""

    name = CharField(max_length=200, unique=True)
    host = CharField(max_length=255)
    port = IntegerField(default=587)
    #: ``starttls`` (default), ``ssl`` or ``none``
    security = CharField(max_length=20, default="starttls")
    username = CharField(max_length=320, null=True)
    credential = ForeignKeyField(Credential, null=True, backref="smtpAccounts")
    fromAddress = CharField(max_length=320, null=True)
    #: a PEM file of the CA that signs the server's certificate; null: the system's
    caFile = TextField(null=True)
    isDefault = BooleanField(default=False)
    enabled = BooleanField(default=True)
    created = DateTimeField(default=utcnow)


# A partial unique index: any number of non-default accounts, at most one default.
SmtpAccount.add_index(
    SmtpAccount.index(SmtpAccount.isDefault, unique=True, where=(SmtpAccount.isDefault == True))  # noqa: E712
)


class AttachedFile(BaseModel):
    """A file's name, type, size and SHA-256; the content is in the blob store, once."""

    name = MailCharField(max_length=1000)
    contentType = MailCharField(max_length=255, default="application/octet-stream")
    size = BigIntegerField()
    sha256 = CharField(max_length=64, index=True)
    created = DateTimeField(default=utcnow)


class SentEmail(BaseModel):
    """The outbox: one message to send, its delivery state and the claim of a sender."""

    messageId = CharField(max_length=998, unique=True)
    fromAddress = CharField(max_length=320, null=True)
    to = JSONTextField(default=list)
    cc = JSONTextField(default=list)
    bcc = JSONTextField(default=list)
    replyTo = CharField(max_length=320, null=True)
    subject = TextField(default="")
    body = TextField(null=True)
    bodyHtml = TextField(null=True)
    inReplyTo = CharField(max_length=998, null=True)
    references = JSONTextField(default=list)
    #: ``auto-generated`` (sendMail) or ``auto-replied`` (reply)
    autoSubmitted = CharField(max_length=30, default="auto-generated")
    #: the business record that sent it (``relatedTo`` in scripts): type name and id
    relatedType = CharField(max_length=100, null=True)
    relatedId = BigIntegerField(null=True)
    smtpAccount = ForeignKeyField(SmtpAccount, null=True, backref="sentEmails")
    state = CharField(max_length=20, default="QUEUED", constraints=[_in("state", SENT_STATES)])
    claimOwner = CharField(max_length=200, null=True)
    claimExpires = DateTimeField(null=True)
    #: written and committed just before the message data goes to the server
    dataStarted = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    nextAttempt = DateTimeField(null=True, index=True)
    lastReply = TextField(null=True)
    sentDate = DateTimeField(null=True)
    created = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("state", "nextAttempt"), False),)


class SentEmailAttachment(BaseModel):
    """A file attached to an outgoing message, in order."""

    sentEmail = ForeignKeyField(SentEmail, backref="attachments", on_delete="CASCADE")
    attachedFile = ForeignKeyField(AttachedFile, backref="+")
    position = IntegerField(default=0)


class ReceivedEmail(BaseModel):
    """The ledger and the message: one row per message of one account, ever.

    Identity: IMAP messages by (account, folder, uidvalidity, uid); local sources by
    (account, key), where key is the Maildir file's unique part or the SHA-256 of the raw
    message. ``sha256`` is always the raw message's, whose bytes are in the blob store.
    """

    mailAccount = ForeignKeyField(MailAccount, backref="receivedEmails")
    folder = MailCharField(max_length=500, null=True)
    uidvalidity = BigIntegerField(null=True)
    uid = BigIntegerField(null=True)
    key = MailCharField(max_length=500, null=True)
    sha256 = CharField(max_length=64, index=True)
    size = BigIntegerField(default=0)
    # 500 characters: even in UTF-8 a value stays under PostgreSQL's index entry limit
    messageId = MailCharField(max_length=500, null=True, index=True)
    inReplyTo = MailCharField(max_length=500, null=True)
    references = JSONTextField(default=list)
    mailFrom = MailCharField(max_length=320, null=True)
    mailFromName = MailCharField(max_length=500, null=True)
    mailTo = JSONTextField(default=list)
    cc = JSONTextField(default=list)
    replyTo = JSONTextField(default=list)
    subject = MailTextField(null=True)
    body = MailTextField(null=True)
    bodyHtml = MailTextField(null=True)
    #: UTC; ``sentDateOffset`` keeps the Date header's offset in minutes
    sentDate = DateTimeField(null=True)
    sentDateOffset = IntegerField(null=True)
    receivedDate = DateTimeField(default=utcnow)
    #: [[name, value], ...] in the message's order, decoded
    headers = JSONTextField(default=list)
    signed = BooleanField(default=False)
    #: {"spf": ..., "dkim": ..., "dmarc": ...} from a trusted Authentication-Results, or null
    authResults = JSONTextField(null=True)
    #: why the message could not be parsed (fully), or null
    parseError = MailTextField(null=True)
    #: the SentEmail this one replies to
    sentEmail = ForeignKeyField(SentEmail, null=True, backref="replies", on_delete="SET NULL")
    state = CharField(
        max_length=20, default="RECEIVED", constraints=[_in("state", RECEIVED_STATES)]
    )
    attempts = IntegerField(default=0)
    nextAttempt = DateTimeField(null=True)
    lastError = MailTextField(null=True)
    #: why SKIPPED or IGNORED
    reason = MailTextField(null=True)
    note = MailTextField(null=True)
    created = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("mailAccount", "folder", "uidvalidity", "uid"), True),
            (("mailAccount", "key"), True),
            (("state", "nextAttempt"), False),
        )
        constraints = [
            # exactly one identity: IMAP (folder, uidvalidity, uid) or a local key. NULLs
            # are distinct in unique indexes, so without this check a row missing part of
            # its identity would dodge the unique constraints above.
            Check(
                "(uid IS NOT NULL AND uidvalidity IS NOT NULL AND folder IS NOT NULL"
                " AND key IS NULL) OR (key IS NOT NULL AND uid IS NULL AND uidvalidity IS NULL)"
            )
        ]


class ReceivedEmailAttachment(BaseModel):
    """A part of a received e-mail kept as a file: an attachment or an inline part.

    ``inlinePart`` true: an image referenced from the HTML (``inlineParts`` in scripts);
    false: one of the real ``attachments``. ``inline`` is the Content-Disposition.
    """

    receivedEmail = ForeignKeyField(ReceivedEmail, backref="parts", on_delete="CASCADE")
    attachedFile = ForeignKeyField(AttachedFile, backref="+")
    inlinePart = BooleanField(default=False)
    inline = BooleanField(default=False)
    contentId = MailCharField(max_length=998, null=True)
    position = IntegerField(default=0)


class State(BaseModel):
    """A state of an entity type: ``code`` (``NEW``) and a display ``name``."""

    typeName = CharField(max_length=100)
    code = CharField(max_length=100)
    name = CharField(max_length=200)
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("typeName", "code"), True),)


class GlobalParameter(BaseModel):
    """A named setting scripts read with ``param(name)`` (``mail.robotAddress``, ...)."""

    name = CharField(max_length=200, unique=True)
    value = TextField(null=True)
    description = TextField(null=True)


class InternalSecret(BaseModel):
    """A key mailwright keeps for itself (the reply-token HMAC key), never shown to scripts.

    ``value`` is a Fernet token of the installation's secret key: ``secrets rotate``
    re-encrypts it, so the key itself, and every token made with it, stays valid.
    """

    name = CharField(max_length=200, unique=True)
    value = TextField()
    created = DateTimeField(default=utcnow)


class ScriptRun(BaseModel):
    """One run of a handler script: what it ran on, how long, what it did, how it ended."""

    receivedEmail = ForeignKeyField(ReceivedEmail, null=True, backref="runs", on_delete="SET NULL")
    scriptName = TextField(null=True)
    scriptSha256 = CharField(max_length=64)
    startedAt = DateTimeField(default=utcnow, index=True)
    durationMs = FloatField(default=0.0)
    steps = BigIntegerField(default=0)
    #: ``ok``, ``compile``, ``runtime``, ``limit``, or ``internal`` (a bug of mailwright's own
    #: code while handling: counted as an attempt like a script's failure)
    outcome = CharField(max_length=20, default="ok")
    result = JSONTextField(null=True)
    errorMessage = TextField(null=True)
    errorLine = IntegerField(null=True)
    errorColumn = IntegerField(null=True)
    #: [{"type": ..., "id": ...}, ...]
    created = JSONTextField(default=list)
    changed = JSONTextField(default=list)
    logLines = JSONTextField(default=list)
    committed = BooleanField(default=True)


class Lease(BaseModel):
    """Who works on what until when (``account:3``, ``outbox``); expired leases are taken over.

    `claim`, `renew` and `release` are single statements whose WHERE clause decides, so
    two runners racing for one lease cannot both win: PostgreSQL re-checks the condition
    after waiting for the row lock, SQLite runs writers one at a time. They work inside
    or outside a transaction; commit promptly, since the row stays locked until then.
    """

    name = CharField(max_length=200, unique=True)
    mailAccount = ForeignKeyField(MailAccount, null=True, backref="+", on_delete="CASCADE")
    owner = CharField(max_length=200)
    expires = DateTimeField(index=True)
    acquired = DateTimeField(default=utcnow)

    @classmethod
    def claim(
        cls,
        name: str,
        owner: str,
        seconds: float,
        *,
        account: MailAccount | int | None = None,
        now: _dt.datetime | None = None,
    ) -> bool:
        """Take lease *name* for *owner* for *seconds*; return True when *owner* holds it now.

        Succeeds when the lease is new, expired, or already *owner*'s (then it is
        extended). *now* (naive UTC) is for tests.
        """
        now = now or utcnow()
        expires = now + _dt.timedelta(seconds=seconds)
        inserted = (
            cls.insert(name=name, owner=owner, expires=expires, acquired=now, mailAccount=account)
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if inserted:
            return True
        taken = (
            cls.update(owner=owner, expires=expires, acquired=now)
            .where((cls.name == name) & ((cls.expires <= now) | (cls.owner == owner)))
            .execute()
        )
        return bool(taken)

    @classmethod
    def renew(
        cls, name: str, owner: str, seconds: float, *, now: _dt.datetime | None = None
    ) -> bool:
        """Extend *owner*'s lease by *seconds* from now; False when another owner took it."""
        now = now or utcnow()
        expires = now + _dt.timedelta(seconds=seconds)
        query = cls.update(expires=expires).where((cls.name == name) & (cls.owner == owner))
        return bool(query.execute())

    @classmethod
    def release(cls, name: str, owner: str) -> bool:
        """Give up *owner*'s lease; False when it was not (any longer) *owner*'s."""
        return bool(cls.delete().where((cls.name == name) & (cls.owner == owner)).execute())


#: every built-in model, in an order that creates referenced tables first
BUILTIN_MODELS: tuple[type[BaseModel], ...] = (
    SchemaVersion,
    EntityField,
    Credential,
    MailAccount,
    SmtpAccount,
    AttachedFile,
    SentEmail,
    SentEmailAttachment,
    ReceivedEmail,
    ReceivedEmailAttachment,
    State,
    GlobalParameter,
    InternalSecret,
    ScriptRun,
    Lease,
)
#: names an entity schema may not use for its own types
BUILTIN_TYPE_NAMES = frozenset(m.__name__ for m in BUILTIN_MODELS)


def bind(db: peewee.Database) -> None:
    """Bind every built-in model to *db* (``Store.open`` does this)."""
    db.bind(BUILTIN_MODELS, bind_refs=False, bind_backrefs=False)
