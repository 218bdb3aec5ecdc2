"""The legacy Java ``.properties`` file of the original product's SMTP setup -> `SmtpSettings`.

The file is the user's, kept as the original product read it (``[mail] smtpProperties`` in
``mailwright.toml`` names it)::

    mail.protocol=smtp              # smtp or smtps (implicit TLS)
    mail.host=smtp.example.cz
    mail.port=587                   # default: 465 for smtps, 587 with STARTTLS, else 25
    mail.smtp.auth=true             # false: an IP-allowed relay, no login
    mail.smtp.starttls.enable=true  # smtp only
    mail.from=Podatelna <podatelna@example.cz>
    mail.username=podatelna@example.cz
    mail.password=...               # in clear text: the file must be readable by its owner only

It is read with jproperties, as ``java.util.Properties.load(InputStream)`` reads it:
ISO-8859-1, ``#`` and ``!`` comments, ``\\uXXXX`` and backslash escapes, lines continued
with a trailing backslash, ``=``, ``:`` or white space between key and value, the last of
two equal keys wins. Booleans are ``true`` or ``false`` in any case (Java takes anything
else as false; here it is an error, since a typo must not turn off TLS).

Defaults are JavaMail's: without ``mail.smtp.starttls.enable=true`` plain ``smtp`` is not
encrypted at all, without ``mail.smtp.auth=true`` nothing logs in. Both are warned about
when the file suggests otherwise (a password but no AUTH; a login over an unencrypted
connection). Certificates are checked against the system's store (``SSL_CERT_FILE`` names
another CA bundle, as Java's ``javax.net.ssl.trustStore`` did).
"""

from __future__ import annotations

import difflib
import stat
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

import jproperties

from mailstore.smtp import DEFAULT_PORTS, Security, SmtpSettings

__all__ = ["KNOWN_KEYS", "LegacyPropsError", "LegacySmtp", "read_smtp_properties"]

#: the keys the original product's file may hold
KNOWN_KEYS = (
    "mail.protocol",
    "mail.host",
    "mail.port",
    "mail.smtp.auth",
    "mail.smtp.starttls.enable",
    "mail.from",
    "mail.username",
    "mail.password",
)


#: JavaMail's own names of what this file calls otherwise: a file written for JavaMail (or
#: a typo of one) gets the file's key as its suggestion, not the nearest spelling
#: (``mail.smtp.port`` is nearest to ``mail.smtp.auth``, but means ``mail.port``)
JAVAMAIL_NAMES = {
    "mail.smtp.host": "mail.host",
    "mail.smtps.host": "mail.host",
    "mail.smtp.port": "mail.port",
    "mail.smtps.port": "mail.port",
    "mail.user": "mail.username",
    "mail.smtp.user": "mail.username",
    "mail.smtps.user": "mail.username",
    "mail.smtp.from": "mail.from",
    "mail.smtps.from": "mail.from",
    "mail.transport.protocol": "mail.protocol",
    "mail.smtps.auth": "mail.smtp.auth",
    "mail.smtp.password": "mail.password",
}


def _closest_key(key: str) -> str | None:
    """The known key *key* was most likely meant as, or None when nothing is close."""
    if key in JAVAMAIL_NAMES:
        return JAVAMAIL_NAMES[key]
    close = difflib.get_close_matches(key, [*KNOWN_KEYS, *JAVAMAIL_NAMES], n=1, cutoff=0.6)
    return JAVAMAIL_NAMES.get(close[0], close[0]) if close else None


class LegacyPropsError(Exception):
    """The legacy file cannot be read or holds a bad value; the message names file and key."""


@dataclass(frozen=True)
class LegacySmtp:
    """What `read_smtp_properties` found: the settings and the warnings for the user."""

    settings: SmtpSettings
    warnings: list[str]


def _bool(path: Path, key: str, raw: str | None) -> bool | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise LegacyPropsError(f"{path}: {key}: {raw.strip()!r} is not true or false")
    return value == "true"


def _address(path: Path, key: str, raw: str) -> str:
    """Check that *raw* is one address, bare or with a display name; return it stripped."""
    text = raw.strip()
    _name, bare = parseaddr(text)
    local, _, domain = bare.rpartition("@")
    ok = bool(local) and "." in domain and not any(c.isspace() for c in bare)
    if ok:
        try:
            Address(addr_spec=bare)
        except (ValueError, IndexError):
            ok = False
    if not ok or "\r" in text or "\n" in text:
        raise LegacyPropsError(f"{path}: {key}: {text!r} is not an e-mail address")
    return text


def read_smtp_properties(path: str | Path) -> LegacySmtp:
    """Read the legacy file at *path*; return its `SmtpSettings` (``source`` is the path)
    and warnings (unknown keys with the closest known one, a file readable by others,
    settings that JavaMail's defaults make surprising).

    Raises `LegacyPropsError` naming the file and, for a bad value, the key.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
        mode = file.stat().st_mode
    except OSError as error:
        raise LegacyPropsError(
            f"{file}: cannot read the SMTP properties file ({error.strerror or error}); "
            "check [mail] smtpProperties in mailwright.toml"
        ) from None
    props = jproperties.Properties()
    try:
        # java.util.Properties.load(InputStream) reads ISO-8859-1; non-Latin-1 text
        # is written as \uXXXX escapes, which jproperties decodes
        props.load(data, "iso-8859-1")
    except Exception as error:  # jproperties raises its own ParseError and ValueErrors
        raise LegacyPropsError(f"{file}: not a readable .properties file: {error}") from None
    values: dict[str, str] = {str(k): str(v.data) for k, v in props.items()}
    warnings: list[str] = []
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.append(
            f"{file}: readable by other users of this machine, and it holds the SMTP "
            f"password in clear text (chmod 600 {file})"
        )
    for key in sorted(values):
        if key not in KNOWN_KEYS:
            close = _closest_key(key)
            hint = f" (did you mean {close!r}?)" if close else ""
            warnings.append(f"{file}: unknown key {key!r} ignored{hint}")

    def get(key: str) -> str | None:
        raw = values.get(key)
        return None if raw is None or not raw.strip() else raw

    protocol = (get("mail.protocol") or "smtp").strip().lower()
    if protocol not in ("smtp", "smtps"):
        raise LegacyPropsError(
            f"{file}: mail.protocol: {protocol!r} is neither smtp nor smtps (implicit TLS)"
        )
    host = (get("mail.host") or "").strip()
    if not host:
        raise LegacyPropsError(f"{file}: mail.host: missing (the SMTP server's host name)")
    if any(c.isspace() for c in host):
        raise LegacyPropsError(f"{file}: mail.host: {host!r} is not a host name")
    starttls = _bool(file, "mail.smtp.starttls.enable", get("mail.smtp.starttls.enable"))
    auth = _bool(file, "mail.smtp.auth", get("mail.smtp.auth"))
    security: Security
    if protocol == "smtps":
        security = "ssl"
        if starttls:
            warnings.append(
                f"{file}: mail.smtp.starttls.enable is ignored with mail.protocol=smtps "
                "(the connection is TLS from the start)"
            )
    else:
        security = "starttls" if starttls else "none"
    port_raw = get("mail.port")
    if port_raw is None:
        port = DEFAULT_PORTS[security]
    else:
        try:
            port = int(port_raw.strip())
        except ValueError:
            port = 0
        if not 0 < port < 65536:
            raise LegacyPropsError(f"{file}: mail.port: {port_raw.strip()!r} is not a port number")
    from_raw = get("mail.from")
    from_address = _address(file, "mail.from", from_raw) if from_raw is not None else None
    username = get("mail.username")
    password = values.get("mail.password")  # a password may be spaces; kept as written
    if auth:
        if username is None:
            raise LegacyPropsError(f"{file}: mail.username: missing, and mail.smtp.auth is true")
        if not password:
            raise LegacyPropsError(f"{file}: mail.password: missing, and mail.smtp.auth is true")
        if security == "none":
            warnings.append(
                f"{file}: the password goes to {host} in clear text: set "
                "mail.smtp.starttls.enable=true or mail.protocol=smtps"
            )
    elif username is not None or password:
        warnings.append(
            f"{file}: mail.username/mail.password are set but mail.smtp.auth is not true: "
            "no login is made, as in the original product (a relay that allows this "
            "machine by its address)"
        )
    return LegacySmtp(
        SmtpSettings(
            source=str(file),
            host=host,
            port=port,
            security=security,
            auth=bool(auth),
            username=username.strip() if username is not None else None,
            password=password if auth else None,
            from_address=from_address,
            # None: the system's store, which OpenSSL reads from SSL_CERT_FILE when set
            ca_file=None,
        ),
        warnings,
    )
