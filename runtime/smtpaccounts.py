"""SMTP accounts and the central SMTP server: the logic behind ``mailwright smtp``.

The central server, through which every message leaves, is (ARCHITECTURE.md):

1. the default enabled `SmtpAccount` (``smtp add NAME ... --default`` or ``smtp default``),
2. else the legacy Java ``.properties`` file named by ``[mail] smtpProperties`` in
   ``mailwright.toml`` (`mailstore.legacyprops`),
3. else nothing: `SettingsError` naming both places.

`account_settings` turns an account into `mailstore.smtp.SmtpSettings`: no credential is a
relay (no AUTH), a password credential logs in with its user name and password (decrypted
only here, in memory), an OAuth2 credential with XOAUTH2 as the account's user (the bare
From address unless the account says otherwise) and a token from `runtime.settings.
access_token`, fetched when the connection logs in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import socket
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import peewee

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from mailstore.legacyprops import LegacyPropsError, read_smtp_properties
from mailstore.smtp import (
    DEFAULT_PORTS,
    ProbeStep,
    Security,
    SmtpError,
    SmtpSettings,
    close,
    connect,
    send,
)

from .settings import SettingsError, access_token, get_credential

__all__ = [
    "CentralServer",
    "SmtpAccountSpec",
    "account_settings",
    "add_smtp_account",
    "central_server",
    "central_settings",
    "get_smtp_account",
    "list_smtp_accounts",
    "remove_smtp_account",
    "send_test_message",
    "set_default_smtp_account",
    "smtp_ca_file",
]

SECURITY_MODES = ("starttls", "ssl", "none")


@dataclass
class SmtpAccountSpec:
    """What ``smtp add`` was given."""

    name: str
    host: str
    from_address: str
    port: int | None = None
    security: str = "starttls"
    allow_insecure: bool = False
    credential: str | None = None
    ca_file: str | None = None
    default: bool = False
    #: the login / XOAUTH2 user when it is not the credential's or the From address
    username: str | None = None


@dataclass(frozen=True)
class CentralServer:
    """The resolved central server: its settings, where they came from, and warnings."""

    settings: SmtpSettings
    #: ``"account"`` or ``"legacy file"``
    kind: str
    warnings: list[str]


def _check_address(text: str, what: str) -> str:
    value = text.strip()
    if "\r" in value or "\n" in value:
        raise SettingsError(f"{what} must not contain a line break")
    _name, bare = email.utils.parseaddr(value)
    local, _, domain = bare.rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in bare):
        raise SettingsError(f"{what} {value!r} is not an e-mail address")
    return value


def _bare(address: str) -> str:
    return email.utils.parseaddr(address)[1]


def smtp_ca_file(account: m.SmtpAccount) -> str | None:
    """The account's private CA file, or None (the system's trust store)."""
    return str(account.caFile) if account.caFile else None


def add_smtp_account(store: Store, spec: SmtpAccountSpec) -> tuple[m.SmtpAccount, list[str]]:
    """Check *spec* and create the SMTP account; return it and warnings.

    Refused (`SettingsError`): a duplicate name, ``--security none`` without
    ``allow_insecure`` (the password and every message would cross the network in clear),
    an unknown credential, a missing CA file, a bad From address. ``default`` makes it
    the central server (the previous default loses the mark in the same transaction).
    """
    name = spec.name.strip()
    if not name:
        raise SettingsError("an SMTP account needs a name")
    if spec.security not in SECURITY_MODES:
        raise SettingsError(f"--security {spec.security!r}: use starttls, ssl or none")
    if spec.security == "none" and not spec.allow_insecure:
        raise SettingsError(
            "--security none sends every message (and a password) in clear text: add "
            "--allow-insecure if this server is on a network you trust"
        )
    host = spec.host.strip()
    if not host or any(c.isspace() for c in host):
        raise SettingsError(f"--host {spec.host!r} is not a host name")
    port = spec.port or DEFAULT_PORTS[spec.security]
    if not 0 < port < 65536:
        raise SettingsError(f"--port {port} is not a port number")
    from_address = _check_address(spec.from_address, "--from")
    if m.SmtpAccount.get_or_none(m.SmtpAccount.name == name) is not None:
        raise SettingsError(f"an SMTP account named {name!r} exists (remove it first)")
    credential = get_credential(store, spec.credential) if spec.credential else None
    ca_file: str | None = None
    if spec.ca_file is not None:
        if not Path(spec.ca_file).is_file():
            raise SettingsError(f"--ca-file {spec.ca_file}: no such file")
        ca_file = str(Path(spec.ca_file).resolve())
    username = spec.username
    if username is None and credential is not None:
        username = credential.username if credential.kind == "password" else _bare(from_address)
    warnings: list[str] = []
    if credential is None:
        warnings.append(
            f"{name}: no credential: mail is relayed without logging in (the server must "
            "allow this machine by its address)"
        )
    if spec.security == "none" and credential is not None:
        warnings.append(f"{name}: the password goes to {host} in clear text (--security none)")
    try:
        with store.atomic():
            if spec.default:
                m.SmtpAccount.update(isDefault=False).where(
                    m.SmtpAccount.isDefault == True  # noqa: E712
                ).execute()
            account = m.SmtpAccount.create(
                name=name,
                host=host,
                port=port,
                security=spec.security,
                username=username,
                credential=credential,
                fromAddress=from_address,
                caFile=ca_file,
                isDefault=spec.default,
            )
    except peewee.IntegrityError:  # added by another process since the check above
        raise SettingsError(f"an SMTP account named {name!r} exists") from None
    return account, warnings


def get_smtp_account(store: Store, name: str) -> m.SmtpAccount:
    """Return the SMTP account *name*; `SettingsError` listing those there are."""
    account = m.SmtpAccount.get_or_none(m.SmtpAccount.name == name)
    if account is None:
        names = [a.name for a in m.SmtpAccount.select().order_by(m.SmtpAccount.name)]
        known = f" (SMTP accounts: {', '.join(names)})" if names else " (there are none)"
        raise SettingsError(f"no SMTP account named {name!r}{known}")
    return account


def list_smtp_accounts(store: Store) -> list[m.SmtpAccount]:
    """Return every SMTP account, by name."""
    return list(m.SmtpAccount.select().order_by(m.SmtpAccount.name))


def set_default_smtp_account(store: Store, name: str) -> m.SmtpAccount:
    """Make *name* the central server (and enable it); return it."""
    account = get_smtp_account(store, name)
    with store.atomic():
        m.SmtpAccount.update(isDefault=False).where(
            (m.SmtpAccount.isDefault == True) & (m.SmtpAccount.id != account.id)  # noqa: E712
        ).execute()
        m.SmtpAccount.update(isDefault=True, enabled=True).where(
            m.SmtpAccount.id == account.id
        ).execute()
    return get_smtp_account(store, name)


def remove_smtp_account(store: Store, name: str) -> None:
    """Remove the SMTP account *name* (sent mail keeps its history, without the link)."""
    account = get_smtp_account(store, name)
    with store.atomic():
        m.SentEmail.update(smtpAccount=None).where(m.SentEmail.smtpAccount == account).execute()
        account.delete_instance()


def account_settings(store: Store, account: m.SmtpAccount) -> SmtpSettings:
    """Return the `SmtpSettings` of *account* (see the module docstring for the login).

    The password is decrypted here; an OAuth2 token is only fetched when a connection
    logs in. Raises `mailstore.secrets.SecretKeyError` when the secret cannot be decrypted.
    """
    credential = account.credential
    security = cast(Security, str(account.security))  # the CLI only stores the three modes
    relay = SmtpSettings(
        source=f"SMTP account {account.name!r}",
        host=str(account.host),
        port=int(account.port),
        security=security,
        auth=False,
        from_address=account.fromAddress,
        ca_file=smtp_ca_file(account),
        smtp_account_id=int(account.id),
    )
    if credential is None:
        return relay
    if credential.kind == "password":
        password = store.secrets.decrypt(credential.secret) if credential.secret else None
        user = account.username or credential.username
        return dataclasses.replace(relay, auth=True, username=user, password=password)

    def token() -> str:
        return access_token(store, credential)

    user = account.username or _bare(account.fromAddress or "")
    return dataclasses.replace(relay, auth=True, username=user, oauth_token=token)


def central_server(store: Store, config: Config) -> CentralServer:
    """Resolve the central SMTP server: the default enabled account, else the legacy file.

    Raises `SettingsError` when neither is configured (naming both places) or the legacy
    file is unreadable or holds a bad value (naming the file and the key).
    """
    default = m.SmtpAccount.get_or_none(m.SmtpAccount.isDefault == True)  # noqa: E712
    warnings: list[str] = []
    if default is not None and default.enabled:
        return CentralServer(account_settings(store, default), "account", warnings)
    if default is not None:
        warnings.append(f"the default SMTP account {default.name!r} is disabled")
    if config.smtp_properties is not None:
        try:
            legacy = read_smtp_properties(config.smtp_properties)
        except LegacyPropsError as error:
            raise SettingsError(str(error)) from None
        return CentralServer(legacy.settings, "legacy file", warnings + legacy.warnings)
    where = config.path or "mailwright.toml"
    disabled = f" (the default account {default.name!r} is disabled)" if default else ""
    raise SettingsError(
        "no central SMTP server is configured: add a default SMTP account "
        "(`mailwright smtp add NAME --host HOST --from ADDRESS --default`, or `mailwright "
        f"smtp default NAME`){disabled}, or name the legacy .properties file in {where} "
        '([mail] smtpProperties = "mail.properties")'
    )


def central_settings(store: Store, config: Config) -> SmtpSettings:
    """The `SmtpSettings` of the central server (`central_server` without the warnings)."""
    return central_server(store, config).settings


def _test_message(settings: SmtpSettings, to: str, now: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    sender = settings.from_address or settings.username or f"mailwright@{socket.getfqdn()}"
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "mailwright SMTP test"
    message["Date"] = email.utils.format_datetime(now)
    domain = _bare(sender).rpartition("@")[2] or "mailwright.invalid"
    message["Message-ID"] = email.utils.make_msgid("mailwright-test", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"This is a test message from mailwright, sent through {settings.address} "
        f"as configured by {settings.source}.\n"
    )
    return message


def send_test_message(
    settings: SmtpSettings,
    to: str,
    *,
    timeout: float = 30.0,
    now: Callable[[], dt.datetime] | None = None,
) -> tuple[list[ProbeStep], str | None]:
    """Send a test message to *to* through *settings*; return every step taken (connect,
    EHLO, STARTTLS, AUTH, send, QUIT; a failed one last) and the Message-ID when the server
    accepted it. Raises `SettingsError` for a bad *to*; never `SmtpError`."""
    address = _bare(_check_address(to, "--to"))
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    steps: list[ProbeStep] = []
    message = _test_message(settings, address, clock())
    try:
        conn = connect(settings, timeout=timeout, trace=steps.append)
    except SmtpError:
        return steps, None
    message_id = str(message["Message-ID"])
    try:
        reply = send(
            conn,
            _bare(str(message["From"])),
            [address],
            message.as_bytes(),
            settings=settings,
        )
    except SmtpError as error:
        steps.append(ProbeStep(error.step, False, error.explained))
        close(conn)
        return steps, None
    steps.append(ProbeStep("send", True, f"{address}: {reply}"))
    close(conn)
    steps.append(ProbeStep("QUIT", True, "closed"))
    return steps, message_id
