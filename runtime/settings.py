"""The settings kept in the database: mail accounts, credentials and global parameters.

The logic behind ``mailwright accounts``, ``credentials`` and ``params`` (and, later,
``smtp`` and ``doctor``): each function checks what it is given, says what to fix in a
`SettingsError`, and writes inside one transaction. Commands only parse and print.

Secrets (passwords, client secrets) arrive here as values read from the environment or
standard input by the command; they are encrypted with the store's `SecretBox` before they
touch the database and never appear in a message, a log line or a return value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peewee

from mailstore import models as m
from mailstore.api import Store
from mailstore.imap import DEFAULT_PORTS, ImapAuthError, ImapError, ImapMailbox, Security
from mailstore.oauth import ClientCredentials, Delegated, OAuthError, device_code_login
from mailstore.receive import store_received
from mailstore.sources import LocalSource, SourceError, open_source
from runtime.robot import robot_warnings

__all__ = [
    "AccountCheck",
    "AccountEdit",
    "AccountSpec",
    "CredentialSpec",
    "SettingsError",
    "access_token",
    "add_account",
    "add_credential",
    "check_account",
    "connect_account",
    "edit_account",
    "get_account",
    "get_credential",
    "get_param",
    "header_block",
    "list_accounts",
    "list_credentials",
    "list_params",
    "login_delegated",
    "open_imap",
    "parse_since",
    "remove_account",
    "remove_credential",
    "update_credential",
    "rename_account",
    "set_account_enabled",
    "set_param",
    "unset_param",
]

#: IMAP security modes; ``none`` sends the password in clear and needs allow_insecure
SECURITY_MODES = ("ssl", "starttls", "none")
#: what each local source can do after a message is handled (see mailstore.sources)
LOCAL_ACTIONS = {
    "maildir": ("seen", "move", "delete", "none"),
    "mbox": ("none",),
    "emlfolder": ("move", "delete", "none"),
}
#: the action an account gets when none is given: ``seen`` where the source can mark
#: messages, else ``none`` (the ledger keeps a message from being handled twice)
DEFAULT_ACTION = {"imap": "seen", "maildir": "seen", "mbox": "none", "emlfolder": "none"}
#: the parameter that names the robot's own address (ARCHITECTURE.md, outgoing mail)
ROBOT_ADDRESS = "mail.robotAddress"
#: why the messages present at ``accounts add --from-now`` are IGNORED
FROM_NOW_REASON = "in the mailbox when the account was added with --from-now"

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PURPOSE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class SettingsError(Exception):
    """Raised for a setting that cannot be made as asked; the message says what to fix."""


# --- accounts ------------------------------------------------------------------------


@dataclass
class AccountSpec:
    """What ``accounts add`` was given; `add_account` checks it and fills the defaults.

    ``source_kind`` is ``imap``, ``maildir``, ``mbox`` or ``emlfolder``; ``host`` is
    for IMAP, ``path`` for the others. ``since`` is naive UTC.
    """

    name: str
    purpose: str
    source_kind: str
    host: str | None = None
    path: str | None = None
    address: str | None = None
    port: int | None = None
    security: str = "ssl"
    folder: str = "INBOX"
    credential: str | None = None
    after: str | None = None
    handler: str | None = None
    keywords: bool = False
    quiet_period_hours: int | None = None
    since: dt.datetime | None = None
    from_now: bool = False
    allow_insecure: bool = False
    ca_file: str | None = None


@dataclass
class AccountCheck:
    """What `check_account` saw: ``ok``, and lines to show (what it did, or what failed)."""

    ok: bool
    lines: list[str] = field(default_factory=list)


def parse_since(text: str, zone: dt.tzinfo) -> dt.datetime:
    """Return ``--since`` *text* (``2024-01-31`` or ``2024-01-31T08:00``, optionally with
    an offset) as naive UTC; a value without an offset is a time in *zone* (the config's).

    Raises `SettingsError` showing the expected form.
    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise SettingsError(
            f"--since {text!r}: not a date (use 2024-01-31 or 2024-01-31T08:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _normalise_after(after: str | None, kind: str) -> str:
    action = (after or DEFAULT_ACTION[kind]).strip()
    verb, _, folder = action.partition(":")
    if verb == "move":
        if not folder.strip():
            raise SettingsError("--after move: needs a folder (move:Processed)")
        action = "move:" + folder.strip()
    elif action not in m.AFTER_PROCESSING:
        raise SettingsError(f"--after {action!r}: use seen, move:FOLDER, delete or none")
    if kind != "imap" and verb not in LOCAL_ACTIONS[kind]:
        allowed = ", ".join("move:FOLDER" if a == "move" else a for a in LOCAL_ACTIONS[kind])
        raise SettingsError(f"--after {action!r} is not possible for a {kind} (use {allowed})")
    return action


def _check_imap(spec: AccountSpec, credential: m.Credential | None) -> str:
    """Check the IMAP settings; return the account's address."""
    if spec.security not in SECURITY_MODES:
        raise SettingsError(f"--security {spec.security!r}: use ssl, starttls or none")
    if spec.security == "none" and not spec.allow_insecure:
        raise SettingsError(
            "--security none sends the password unencrypted: add --allow-insecure if "
            "that is really wanted (a server on this machine), else use ssl or starttls"
        )
    if spec.port is not None and not 0 < spec.port < 65536:
        raise SettingsError(f"--port {spec.port}: not a port number (1-65535)")
    if credential is None:
        raise SettingsError("an IMAP account needs --credential NAME (see `credentials add`)")
    if spec.address:
        return spec.address
    if credential.kind != "password":
        # XOAUTH2 logs in as the mailbox's address: nothing else can supply it
        raise SettingsError(
            f"credential {credential.name!r} is OAuth2: give --address, the mailbox to log in to"
        )
    if credential.username and _ADDRESS.match(credential.username):
        return str(credential.username)
    raise SettingsError(
        f"give --address: the login name of credential {credential.name!r} is not an address"
    )


def _check_common(store: Store, spec: AccountSpec) -> None:
    if not spec.name.strip():
        raise SettingsError("an account needs a name")
    if m.MailAccount.get_or_none(m.MailAccount.name == spec.name) is not None:
        raise SettingsError(f"an account named {spec.name!r} exists (remove it first)")
    if not _PURPOSE.match(spec.purpose):
        raise SettingsError(
            f"--purpose {spec.purpose!r}: use upper-case letters, digits and _ "
            "(INVOICES, ROBOT, GENERAL)"
        )
    if spec.address and not _ADDRESS.match(spec.address):
        raise SettingsError(f"--address {spec.address!r}: not an e-mail address")
    if spec.quiet_period_hours is not None and spec.quiet_period_hours <= 0:
        raise SettingsError("--quiet-period: give a number of hours above 0")
    if spec.since is not None and spec.from_now:
        raise SettingsError("give --since or --from-now, not both")
    for option, file in (("--ca-file", spec.ca_file), ("--handler", spec.handler)):
        if file is not None and not Path(file).is_file():
            raise SettingsError(f"{option} {file}: no such file")


def add_account(store: Store, spec: AccountSpec) -> tuple[m.MailAccount, list[str]]:
    """Check *spec*, create the account and return it with notes for the user.

    Local sources must exist and be readable (the account is not created otherwise).
    With ``from_now`` every message the mailbox holds is recorded as IGNORED with its
    headers only, in the same transaction as the account, so the first ingestion does
    not handle them: a local source is read, an IMAP folder is listed after logging in
    (read-only, nothing is flagged). Paths (``path``, ``ca_file``, ``handler``) are
    stored absolute.

    Raises `SettingsError` naming the option to fix (a failed IMAP login too: nothing is
    written then).
    """
    _check_common(store, spec)
    kind = spec.source_kind
    credential = get_credential(store, spec.credential) if spec.credential else None
    after = _normalise_after(spec.after, kind)
    source = None
    if kind == "imap":
        if not spec.host:
            raise SettingsError("an IMAP account needs --imap HOST")
        address = _check_imap(spec, credential)
        port: int | None = spec.port or DEFAULT_PORTS[spec.security]
    else:
        if credential is not None:
            raise SettingsError(f"a {kind} account reads local files: it takes no --credential")
        if spec.path is None:
            raise SettingsError(f"a {kind} account needs its path")
        address, port = spec.address or "", None
        try:
            source = open_source(kind, Path(spec.path).resolve())
        except SourceError as err:
            raise SettingsError(str(err)) from None
    # log in before anything is written: a wrong setting adds no account
    listing = None
    if spec.from_now and kind == "imap" and credential is not None:
        listing = _imap_listing(store, spec, port, credential, address)
    try:
        with store.atomic():
            account = _create_account(spec, address, port, credential, after)
            count = None
            if spec.from_now and source is not None:
                count = _record_local_headers(store, account, source)
            if listing is not None:
                try:
                    count = _record_imap_headers(store, account, listing)
                except ImapError as err:
                    raise SettingsError(f"--from-now: listing the mailbox failed: {err}") from None
    finally:
        if listing is not None:
            listing.close()
    notes = []
    if count is not None:
        notes.append(f"--from-now: {count} message(s) already there recorded as IGNORED")
    return account, notes


def _create_account(
    spec: AccountSpec, address: str, port: int | None, credential: m.Credential | None, after: str
) -> m.MailAccount:
    """Write the checked account; paths absolute, IMAP-only settings only for IMAP."""
    imap = spec.source_kind == "imap"
    # the name was checked, but another `accounts add` may have taken it since: the
    # unique index decides (the only constraint the checks leave open)
    try:
        return m.MailAccount.create(
            name=spec.name,
            address=address,
            purpose=spec.purpose,
            sourceKind=spec.source_kind,
            host=spec.host if imap else None,
            port=port,
            security=spec.security if imap else "none",
            folder=spec.folder if imap else "INBOX",
            caFile=str(Path(spec.ca_file).resolve()) if spec.ca_file else None,
            path=str(Path(spec.path).resolve()) if spec.path and not imap else None,
            credential=credential,
            handlerScript=str(Path(spec.handler).resolve()) if spec.handler else None,
            afterProcessing=after,
            since=spec.since,
            imapKeywords=spec.keywords,
            quietPeriodHours=spec.quiet_period_hours,
        )
    except peewee.IntegrityError:
        raise SettingsError(f"an account named {spec.name!r} exists") from None


def _record_local_headers(store: Store, account: m.MailAccount, source: LocalSource) -> int:
    """Record every message of a local source as IGNORED, headers only; return how many."""
    count = 0
    for key, raw in source.messages():
        store_received(
            store, account, header_block(raw), key=key, state="IGNORED", reason=FROM_NOW_REASON
        )
        count += 1
    return count


def _imap_listing(
    store: Store, spec: AccountSpec, port: int | None, credential: m.Credential, address: str
) -> ImapMailbox:
    """Log in and select the folder of the account being added; `SettingsError` if not."""
    try:
        box = open_imap(
            store, spec.host or "", port, spec.security, spec.ca_file, credential, address
        )
    except (ImapError, OAuthError) as err:
        raise SettingsError(f"--from-now needs the mailbox: {err}") from None
    try:
        box.select(spec.folder, readonly=True)
    except ImapError as err:
        box.close()
        raise SettingsError(f"--from-now needs the mailbox: {err}") from None
    return box


def _record_imap_headers(store: Store, account: m.MailAccount, box: ImapMailbox) -> int:
    """Record every message of the selected folder as IGNORED, headers only; return how many.

    ``max_size=0`` makes the fetch ask for headers only (``BODY.PEEK[HEADER]``), so years
    of mail cost a few kilobytes each and no message is marked as read.
    """
    status = box.status
    assert status is not None  # selected by _imap_listing
    count = 0
    uids = box.new_uids(0)
    for message in box.fetch(uids, max_size=0):
        store_received(
            store, account, header_block(message.raw), folder=status.name,
            uidvalidity=status.uidvalidity, uid=message.uid, state="IGNORED",
            reason=FROM_NOW_REASON,
        )  # fmt: skip
        count += 1
    return count


def open_imap(
    store: Store,
    host: str,
    port: int | None,
    security: str,
    ca_file: str | None,
    credential: m.Credential,
    address: str,
    *,
    timeout: float = 30.0,
) -> ImapMailbox:
    """Return an IMAP connection logged in with *credential* (not on a folder yet).

    A password credential logs in as its user; an OAuth2 one gets a token
    (`access_token`) and logs in with XOAUTH2 as *address*, the mailbox's address. Raises
    `mailstore.imap.ImapError` or `mailstore.oauth.OAuthError`, both naming the setting to
    look at (a refused login: ``check the credential 'NAME'``).
    """
    if security not in SECURITY_MODES:
        raise SettingsError(f"security {security!r}: use ssl, starttls or none")
    token = None if credential.kind == "password" else access_token(store, credential)
    mode: Security = (
        "ssl" if security == "ssl" else "starttls" if security == "starttls" else "none"
    )
    box = ImapMailbox.connect(host, port, security=mode, ca_file=ca_file, timeout=timeout)
    try:
        if token is not None:
            box.login_xoauth2(address, token)
        else:
            box.login(str(credential.username), store.secrets.decrypt(str(credential.secret)))
    except ImapAuthError as err:
        box.close()
        # name the credential: several accounts may share one, and its name is what to fix
        raise ImapAuthError(
            err.host, err.port, err.detail, f"check the credential {credential.name!r}"
        ) from None
    except BaseException:
        box.close()
        raise
    return box


def header_block(raw: bytes) -> bytes:
    """Return the header section of the raw message *raw*, ending with its blank line.

    A message without a blank line is all headers. Used to record IGNORED messages
    "with their headers only" (ARCHITECTURE.md): the body is never stored for them.
    """
    crlf = raw.find(b"\r\n\r\n")
    # an LF-only blank line counts only before the CRLF one: not a second scan of the body
    lf = raw.find(b"\n\n", 0, crlf + 1 if crlf >= 0 else len(raw))
    ends = [i for i in (crlf, lf) if i >= 0]
    if not ends:
        return raw
    end = min(ends)
    return raw[: end + (4 if raw.startswith(b"\r\n\r\n", end) else 2)]


@dataclass
class AccountEdit:
    """What ``accounts edit`` was given: None leaves a setting as it is.

    ``handler`` "" (``--no-handler``) drops the account's own handler (the global one
    applies again); ``keywords`` True/False; ``quiet_period_hours`` 0 removes it."""

    handler: str | None = None
    after: str | None = None
    quiet_period_hours: int | None = None
    credential: str | None = None
    folder: str | None = None
    address: str | None = None
    keywords: bool | None = None
    ca_file: str | None = None


def edit_account(store: Store, name: str, edit: AccountEdit) -> tuple[m.MailAccount, list[str]]:
    """Change settings of the account *name* with the checks of `add_account`; return it
    with one line per change (``after: seen -> move:Done``) and notes.

    Only the columns changed are written (one UPDATE), so a run working on the account
    meanwhile keeps its lease and its ledger. Paths are stored absolute. Raises
    `SettingsError` naming the option to fix, or when nothing would change.
    """
    account = get_account(store, name)
    kind = str(account.sourceKind)
    imap = kind == "imap"
    values: dict[str, object] = {}
    notes: list[str] = []
    for option, given in (
        ("--credential", edit.credential),
        ("--folder", edit.folder),
        ("--ca-file", edit.ca_file),
        ("--keywords", edit.keywords),
    ):
        if given is not None and not imap:
            raise SettingsError(f"{option} is for IMAP accounts; {name!r} is a {kind}")
    if edit.handler is not None:
        if edit.handler and not Path(edit.handler).is_file():
            raise SettingsError(f"--handler {edit.handler}: no such file")
        values["handlerScript"] = str(Path(edit.handler).resolve()) if edit.handler else None
    if edit.after is not None:
        values["afterProcessing"] = _normalise_after(edit.after, kind)
    if edit.quiet_period_hours is not None:
        if edit.quiet_period_hours < 0:
            raise SettingsError("--quiet-period: give a number of hours above 0 (0 removes it)")
        values["quietPeriodHours"] = edit.quiet_period_hours or None
    if edit.address is not None:
        if not _ADDRESS.match(edit.address):
            raise SettingsError(f"--address {edit.address!r}: not an e-mail address")
        values["address"] = edit.address
    if edit.credential is not None:
        credential = get_credential(store, edit.credential)
        values["credential"] = credential.id
        if credential.kind != "password" and edit.address is None and not account.address:
            raise SettingsError(
                f"credential {credential.name!r} is OAuth2: give --address, the mailbox to "
                "log in to"
            )
    if edit.folder is not None:
        if not edit.folder.strip():
            raise SettingsError("--folder: give the folder's name (INBOX)")
        values["folder"] = edit.folder.strip()
        notes.append(
            f"the next run fetches the messages of {values['folder']} it has not stored "
            "(all of them, the first time)"
        )
    if edit.keywords is not None:
        values["imapKeywords"] = edit.keywords
    if edit.ca_file is not None:
        if not Path(edit.ca_file).is_file():
            raise SettingsError(f"--ca-file {edit.ca_file}: no such file")
        values["caFile"] = str(Path(edit.ca_file).resolve())
    if not values:
        raise SettingsError(
            "nothing to change: give --handler, --no-handler, --after, --quiet-period, "
            "--credential, --folder, --address, --keywords, --no-keywords or --ca-file"
        )
    changes = [_change_line(account, field_name, value) for field_name, value in values.items()]
    a = m.MailAccount
    with store.atomic():
        a.update(**values).where(a.id == account.id).execute()
    return get_account(store, name), [c for c in changes if c] + notes


#: the option a MailAccount field is set with, for the lines `edit_account` returns
_EDIT_LABELS = {
    "handlerScript": "handler",
    "afterProcessing": "after",
    "quietPeriodHours": "quiet period",
    "address": "address",
    "credential": "credential",
    "folder": "folder",
    "imapKeywords": "keywords",
    "caFile": "ca file",
}


def _change_line(account: m.MailAccount, field_name: str, value: object) -> str:
    """``after: seen -> move:Done``; a credential by name (never its secret)."""
    old: object = getattr(account, field_name)
    if field_name == "credential":
        old = account.credential.name if account.credential is not None else None
        value = m.Credential.get_by_id(value).name
    if field_name == "handlerScript":
        old, value = old or "(the global one)", value or "(the global one)"
    return f"{_EDIT_LABELS[field_name]}: {_shown(old)} -> {_shown(value)}"


def _shown(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rename_account(store: Store, old: str, new: str) -> m.MailAccount:
    """Rename the account *old* to *new* and return it. Its e-mails, leases and records stay
    with it (they point at its id). `SettingsError` when *new* is empty or taken."""
    account = get_account(store, old)
    if not new.strip():
        raise SettingsError("an account needs a name")
    if new == old:
        raise SettingsError(f"the account is already named {old!r}")
    if m.MailAccount.get_or_none(m.MailAccount.name == new) is not None:
        raise SettingsError(f"an account named {new!r} exists")
    try:
        with store.atomic():
            m.MailAccount.update(name=new).where(m.MailAccount.id == account.id).execute()
    except peewee.IntegrityError:  # taken by another process since the check above
        raise SettingsError(f"an account named {new!r} exists") from None
    return get_account(store, new)


def get_account(store: Store, name: str) -> m.MailAccount:
    """Return the account *name*; `SettingsError` listing the accounts there are."""
    account = m.MailAccount.get_or_none(m.MailAccount.name == name)
    if account is None:
        names = [a.name for a in m.MailAccount.select().order_by(m.MailAccount.name)]
        known = f" (accounts: {', '.join(names)})" if names else " (there are no accounts)"
        raise SettingsError(f"no account named {name!r}{known}")
    return account


def list_accounts(store: Store) -> list[m.MailAccount]:
    """Return every account, by name."""
    return list(m.MailAccount.select().order_by(m.MailAccount.name))


def set_account_enabled(store: Store, name: str, enabled: bool) -> m.MailAccount:
    """Enable or disable the account *name* (a disabled one is not ingested); return it."""
    account = get_account(store, name)
    account.enabled = enabled
    account.save()
    return account


def remove_account(store: Store, name: str) -> None:
    """Remove the account *name*.

    Refused (`SettingsError`) while e-mails received through it are stored: they are the
    ledger that keeps messages from being handled twice, and records may point at them.
    Disable such an account instead.
    """
    account = get_account(store, name)
    stored = m.ReceivedEmail.select().where(m.ReceivedEmail.mailAccount == account).count()
    if stored:
        raise SettingsError(
            f"account {name!r} has {stored} stored e-mail(s); disable it instead "
            f"(mailwright accounts disable {name})"
        )
    with store.atomic():
        m.Lease.delete().where(m.Lease.mailAccount == account).execute()
        account.delete_instance()


def check_account(store: Store, name: str) -> AccountCheck:
    """Try the account *name*: open a local source and count its messages, or log in to
    the IMAP server and select the folder (read-only: nothing changes there).

    Never raises for what it finds: a failure is ``ok`` False with the reason and the
    setting to look at.
    """
    account = get_account(store, name)
    if account.sourceKind == "imap":
        return _check_imap_account(store, account)
    try:
        source = open_source(account.sourceKind, str(account.path))
        count = sum(1 for _ in source.messages())
    except (SourceError, OSError) as err:
        return AccountCheck(False, [f"{account.name}: {err}"])
    return AccountCheck(
        True, [f"{account.name}: {account.sourceKind} {account.path}: {count} message(s)"]
    )


def connect_account(store: Store, account: m.MailAccount, *, timeout: float = 30.0) -> ImapMailbox:
    """Return a connection to the IMAP account *account*, logged in (no folder selected).

    Raises like `open_imap`, and `SettingsError` for an account without a credential.
    """
    if account.credential is None:
        raise SettingsError(
            f"account {account.name!r} has no credential (add one with --credential)"
        )
    return open_imap(
        store, str(account.host), account.port, account.security, account.caFile,
        account.credential, account.address, timeout=timeout,
    )  # fmt: skip


def _check_imap_account(store: Store, account: m.MailAccount) -> AccountCheck:
    where = f"{account.name}: {account.host}:{account.port}"
    try:
        with connect_account(store, account) as box:
            status = box.select(account.folder, readonly=True)
    except (ImapError, OAuthError, SettingsError) as err:
        return AccountCheck(False, [f"{account.name}: {err}"])
    credential = account.credential
    user = credential.username if credential is not None and credential.kind == "password" else None
    return AccountCheck(
        True,
        [
            f"{where}: logged in as {user or account.address} ({account.security})",
            f"{account.folder}: {status.exists} message(s), UIDVALIDITY {status.uidvalidity}, "
            f"UIDNEXT {status.uidnext}",
        ],
    )


# --- credentials ---------------------------------------------------------------------


def _token_provider(store: Store, credential: m.Credential) -> ClientCredentials | Delegated:
    if credential.kind == "oauth2_client":
        return ClientCredentials.from_credential(credential, store.secrets)
    if credential.kind == "oauth2_delegated":
        return Delegated.from_credential(credential, store.secrets)
    raise SettingsError(f"credential {credential.name!r} is a password, not OAuth2")


def access_token(store: Store, credential: m.Credential) -> str:
    """Return an OAuth2 access token of *credential* for XOAUTH2, from its cache or fresh.

    The token cache is saved back (encrypted) when it changed, so the next run reuses the
    token and a rotated refresh token is kept. Raises `mailstore.oauth.OAuthError` naming
    what to do (for a delegated credential whose sign-in expired or was revoked:
    ``mailwright credentials login NAME``), `SettingsError` for a password credential.
    """
    provider = _token_provider(store, credential)
    token = provider.token()
    if provider.cache_changed:
        credential.tokenCache = provider.encrypted_cache()
        credential.updated = m.utcnow()
        # only the cache: a full save could write back a secret another process (secrets
        # rotate) re-encrypted meanwhile
        credential.save(only=[m.Credential.tokenCache, m.Credential.updated])
    return token.value


def login_delegated(store: Store, name: str, show: Callable[[str], None]) -> m.Credential:
    """Sign in the oauth2-delegated credential *name* with msal's device-code flow.

    *show* gets the instructions (a URL and a code) for the person; this then waits until
    they have signed in (minutes at most: the code expires) and saves the token cache,
    encrypted. Returns the credential. Raises `SettingsError` for another kind of
    credential, `mailstore.oauth.OAuthError` when the sign-in fails or times out.
    """
    credential = get_credential(store, name)
    if credential.kind != "oauth2_delegated":
        raise SettingsError(
            f"credential {name!r} is {credential.kind.replace('_', '-')}: only "
            "oauth2-delegated credentials sign in"
        )
    provider = Delegated.from_credential(credential, store.secrets)
    device_code_login(provider, show)
    credential.tokenCache = provider.encrypted_cache()
    credential.updated = m.utcnow()
    credential.save(only=[m.Credential.tokenCache, m.Credential.updated])
    return credential


@dataclass
class CredentialSpec:
    """What ``credentials add`` was given. ``kind`` is a `mailstore.models.CREDENTIAL_KINDS`
    value; ``secret`` the password or client secret, already read from the environment
    or standard input (never from the command line)."""

    name: str
    kind: str
    user: str | None = None
    secret: str | None = None
    tenant: str | None = None
    client_id: str | None = None
    authority: str | None = None
    ca_file: str | None = None


def add_credential(store: Store, spec: CredentialSpec) -> m.Credential:
    """Check *spec* and create the credential, its secret encrypted; return it.

    Needs for ``password``: user and secret; ``oauth2_client``: tenant, client id and
    secret; ``oauth2_delegated``: tenant and client id (the token comes from
    ``credentials login``). Raises `SettingsError` (never quoting the secret), or
    `mailstore.secrets.SecretKeyError` when there is no key to encrypt with.
    """
    if not spec.name.strip():
        raise SettingsError("a credential needs a name")
    if spec.kind not in m.CREDENTIAL_KINDS:
        raise SettingsError(
            f"--type {spec.kind!r}: use password, oauth2-client or oauth2-delegated"
        )
    if m.Credential.get_or_none(m.Credential.name == spec.name) is not None:
        raise SettingsError(f"a credential named {spec.name!r} exists (remove it first)")
    needs = {
        "password": (("--user", spec.user), ("the password", spec.secret)),
        "oauth2_client": (
            ("--tenant", spec.tenant),
            ("--client-id", spec.client_id),
            ("the client secret", spec.secret),
        ),
        "oauth2_delegated": (("--tenant", spec.tenant), ("--client-id", spec.client_id)),
    }[spec.kind]
    missing = [what for what, value in needs if not value]
    if missing:
        raise SettingsError(f"a {spec.kind} credential needs {', '.join(missing)}")
    if spec.kind != "password" and spec.user:
        raise SettingsError("--user is for passwords; OAuth2 logs in as the account's --address")
    if spec.kind == "password" and (spec.tenant or spec.client_id or spec.authority):
        raise SettingsError("--tenant, --client-id and --authority are for OAuth2 credentials")
    if spec.kind == "oauth2_delegated" and spec.secret:
        raise SettingsError("an oauth2-delegated credential has no secret: log in instead")
    if spec.authority and not spec.authority.startswith("https://"):
        raise SettingsError(f"--authority {spec.authority!r}: give an https:// URL")
    if spec.ca_file is not None and not Path(spec.ca_file).is_file():
        raise SettingsError(f"--ca-file {spec.ca_file}: no such file")
    secret = store.secrets.encrypt(spec.secret) if spec.secret else None
    try:
        with store.atomic():
            return m.Credential.create(
                name=spec.name,
                kind=spec.kind,
                username=spec.user,
                secret=secret,
                tenant=spec.tenant,
                clientId=spec.client_id,
                authority=spec.authority,
                caFile=str(Path(spec.ca_file).resolve()) if spec.ca_file else None,
            )
    except peewee.IntegrityError:  # added by another process since the check above
        raise SettingsError(f"a credential named {spec.name!r} exists") from None


def update_credential(
    store: Store,
    name: str,
    *,
    user: str | None = None,
    secret: str | None = None,
    ca_file: str | None = None,
) -> list[str]:
    """Change the credential *name* in place (the accounts using it keep it); return what
    changed, in words (``password``, ``user``, ...), never the secret.

    ``secret`` is a password's new value or an OAuth2 client's new secret: a client's
    cached token is dropped with it (the next run asks the authority with the new one).
    ``user`` is for passwords only; an oauth2-delegated credential has no secret (sign in
    again with ``credentials login``). `SettingsError` when nothing is given or a value
    does not fit the credential's kind."""
    credential = get_credential(store, name)
    kind = str(credential.kind)
    if user is None and secret is None and ca_file is None:
        raise SettingsError("say what to change: --user, a new secret or --ca-file")
    if user is not None and kind != "password":
        raise SettingsError("--user is for passwords; OAuth2 logs in as the account's --address")
    if secret is not None and kind == "oauth2_delegated":
        raise SettingsError(
            f"credential {name!r} has no secret: sign in again with "
            f"`mailwright credentials login {name}`"
        )
    if user is not None and not user.strip():
        raise SettingsError("--user: give a login name")
    if ca_file is not None and ca_file and not Path(ca_file).is_file():
        raise SettingsError(f"--ca-file {ca_file}: no such file")
    changed: list[str] = []
    updates: dict[str, Any] = {"updated": m.utcnow()}
    if user is not None:
        updates["username"] = user
        changed.append("user")
    if secret is not None:
        updates["secret"] = store.secrets.encrypt(secret)
        changed.append("password" if kind == "password" else "client secret")
        if kind == "oauth2_client":
            updates["tokenCache"] = None  # a token of the old secret: asked for again
    if ca_file is not None:
        updates["caFile"] = str(Path(ca_file).resolve()) if ca_file else None
        changed.append("CA file")
    c = m.Credential
    with store.atomic():
        c.update(**updates).where(c.id == credential.id).execute()
    return changed


def get_credential(store: Store, name: str) -> m.Credential:
    """Return the credential *name*; `SettingsError` listing the credentials there are."""
    credential = m.Credential.get_or_none(m.Credential.name == name)
    if credential is None:
        names = [c.name for c in m.Credential.select().order_by(m.Credential.name)]
        known = f" (credentials: {', '.join(names)})" if names else " (there are none)"
        raise SettingsError(f"no credential named {name!r}{known}")
    return credential


def list_credentials(store: Store) -> list[m.Credential]:
    """Return every credential, by name (the rows hold secrets encrypted: show none)."""
    return list(m.Credential.select().order_by(m.Credential.name))


def remove_credential(store: Store, name: str) -> None:
    """Remove the credential *name*; refused while an IMAP or SMTP account uses it."""
    credential = get_credential(store, name)
    users = [a.name for a in m.MailAccount.select().where(m.MailAccount.credential == credential)]
    users += [s.name for s in m.SmtpAccount.select().where(m.SmtpAccount.credential == credential)]
    if users:
        raise SettingsError(
            f"credential {name!r} is used by {', '.join(sorted(users))}; remove or change "
            "those accounts first"
        )
    credential.delete_instance()


# --- global parameters ---------------------------------------------------------------


def set_param(store: Store, name: str, value: str) -> list[str]:
    """Set the global parameter *name* to *value* (creating it); return warnings.

    ``mail.robotAddress`` warns when no enabled account of purpose ROBOT has that address:
    bounces and replies to sent mail would then go to a mailbox nobody reads.
    """
    if not name.strip():
        raise SettingsError("a parameter needs a name")
    with store.atomic():
        updated = (
            m.GlobalParameter.update(value=value).where(m.GlobalParameter.name == name).execute()
        )
        if not updated:
            m.GlobalParameter.create(name=name, value=value)
    # the same words as every deliver's warning (runtime.robot), so both read alike
    return robot_warnings(store) if name == ROBOT_ADDRESS else []


def get_param(store: Store, name: str) -> str | None:
    """Return the value of the global parameter *name*; `SettingsError` when it is unset."""
    row = m.GlobalParameter.get_or_none(m.GlobalParameter.name == name)
    if row is None:
        raise SettingsError(f"no parameter named {name!r}")
    return None if row.value is None else str(row.value)


def unset_param(store: Store, name: str) -> None:
    """Remove the global parameter *name*; `SettingsError` when it is not set."""
    if not m.GlobalParameter.delete().where(m.GlobalParameter.name == name).execute():
        raise SettingsError(f"no parameter named {name!r}")


def list_params(store: Store) -> list[tuple[str, str | None]]:
    """Return every global parameter as (name, value), by name."""
    rows = m.GlobalParameter.select().order_by(m.GlobalParameter.name)
    return [(r.name, r.value) for r in rows]
