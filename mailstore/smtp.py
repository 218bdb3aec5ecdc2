"""The SMTP client for outgoing mail: smtplib on a connection we control, with clear errors.

Usage (the outbox's view)::

    conn = connect(settings, timeout=30)            # connected, TLS as configured, logged in
    try:
        for row in rows:
            reply = send(conn, robot, recipients, raw, before_data=commit_data_started)
    finally:
        close(conn)                                 # QUIT, or just drop a broken connection

Why smtplib and not yagmail: ARCHITECTURE.md ("Dependencies"). The rules kept here:

- ``starttls``: the server must offer STARTTLS; one that does not is an `SmtpError`, never a
  plain-text fallback (nothing, not even the user name, is sent before TLS).
- Certificates are always verified (``ssl.create_default_context``, host name checked);
  ``ca_file`` adds a private CA instead of the system store.
- AUTH: XOAUTH2 when the settings carry a token source (Microsoft 365), else PLAIN/LOGIN
  with user name and password (smtplib picks among what the server offers); no AUTH at all
  for a relay (``auth=False``), which allows this machine by its IP address.
- `send` speaks MAIL, RCPT and DATA itself instead of ``sendmail``, so the caller can commit
  its ``dataStarted`` mark between the last RCPT and DATA (*before_data*), and so an error
  says whether the server may have the message (`SmtpError.maybe_delivered`).

Every failure is an `SmtpError`: ``step`` (``connect``, ``EHLO``, ``STARTTLS``, ``AUTH``,
``MAIL``, ``RCPT``, ``DATA``, ``end of data``), ``temporary`` (4xx, refused or dropped
connection, timeout: worth retrying later), the server's ``code`` and ``reply`` when it
answered, and ``str(error)`` one paragraph naming the configuration (``source``) and what to
check.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DEFAULT_PORTS",
    "ProbeStep",
    "Security",
    "SmtpError",
    "SmtpReply",
    "SmtpSettings",
    "close",
    "connect",
    "probe",
    "send",
]

Security = Literal["starttls", "ssl", "none"]

#: the usual port per security mode (RFC 8314: 465 implicit TLS, 587 submission, 25 relay)
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}

# RFC 5321 4.5.2: a line starting with "." gets one more; every line ends in CRLF
_LEADING_DOT = re.compile(rb"(?m)^\.")
_EOL = re.compile(rb"\r\n|\n|\r")


@dataclass(frozen=True)
class SmtpSettings:
    """Everything needed to reach and log in to one SMTP server.

    ``source`` says where it was configured (``"SMTP account 'central'"`` or the path of the
    legacy ``.properties`` file), so errors can name it. ``oauth_token`` is called once per
    connection for an XOAUTH2 login (``username`` is then the XOAUTH2 user); otherwise
    ``username`` / ``password`` log in with PLAIN or LOGIN when ``auth`` is true. The
    password and token source are left out of ``repr``.
    """

    source: str
    host: str
    port: int
    security: Security = "starttls"
    auth: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    oauth_token: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    #: the From address of messages sent through this server (when a message has none)
    from_address: str | None = None
    #: a PEM file of the CA that signs the server's certificate; None: the system's store
    ca_file: str | None = None
    #: the SmtpAccount row these came from; None for the legacy file
    smtp_account_id: int | None = None

    @property
    def address(self) -> str:
        """``host:port (security)``, for messages."""
        return f"{self.host}:{self.port} ({self.security})"


class SmtpError(Exception):
    """An SMTP failure: what happened, at which step, and whether a retry may succeed.

    ``temporary``: a 4xx answer, a refused, dropped or timed-out connection — try again
    later; false for a 5xx answer and for configuration errors (certificate, no STARTTLS,
    login refused). ``maybe_delivered``: the connection broke after the message data went
    out and before the server's answer, so the server may have the message.
    """

    def __init__(
        self,
        settings: SmtpSettings,
        step: str,
        message: str,
        *,
        temporary: bool,
        code: int | None = None,
        reply: str | None = None,
        maybe_delivered: bool = False,
        hint: str | None = None,
    ) -> None:
        self.source = settings.source
        self.host = settings.host
        self.port = settings.port
        self.step = step
        self.detail = message
        self.temporary = temporary
        self.code = code
        self.reply = reply
        self.maybe_delivered = maybe_delivered
        self.hint = hint
        text = f"{settings.source}: {settings.host}:{settings.port}: {step}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)

    @property
    def explained(self) -> str:
        """The detail with the hint, without the server's name: ``what (what to check)``."""
        return f"{self.detail} ({self.hint})" if self.hint else self.detail


@dataclass(frozen=True)
class SmtpReply:
    """The server's answer to a message: ``code`` and ``text`` of the final reply, and the
    recipients it refused while accepting others (address -> ``"550 5.1.1 no such user"``)."""

    code: int
    text: str
    refused: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        line = f"{self.code} {self.text}"
        if self.refused:
            line += "; refused: " + ", ".join(f"{a}: {r}" for a, r in self.refused.items())
        return line


@dataclass(frozen=True)
class ProbeStep:
    """One step of `probe` (or of ``smtp test``): its name, whether it worked, and what the
    server said or what went wrong."""

    name: str
    ok: bool
    detail: str


Trace = Callable[[ProbeStep], None]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _context(settings: SmtpSettings) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as error:
        raise SmtpError(
            settings,
            "connect",
            f"cannot read the CA file {settings.ca_file}: {error}",
            temporary=False,
            hint="check --ca-file",
        ) from None


def _translate(settings: SmtpSettings, step: str, error: BaseException) -> BaseException:
    """Return the `SmtpError` for a low-level *error* at *step*; others pass through."""
    if isinstance(error, SmtpError) or not isinstance(error, Exception):
        return error
    if isinstance(error, ssl.SSLCertVerificationError):
        return SmtpError(
            settings,
            step,
            f"certificate not trusted: {error.verify_message}",
            temporary=False,
            hint="check the host name, or give the private CA with --ca-file",
        )
    if isinstance(error, ssl.SSLError):
        return SmtpError(
            settings,
            step,
            f"TLS failed: {error.reason or error}",
            temporary=False,
            hint="check --security and --port (465 is implicit TLS, 587 STARTTLS)",
        )
    if isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, _text(error.smtp_error)
        return SmtpError(
            settings,
            step,
            f"the server answered {code} {text}",
            temporary=400 <= code < 500,
            code=code,
            reply=f"{code} {text}",
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return SmtpError(
            settings, step, f"the server closed the connection ({error})", temporary=True
        )
    if isinstance(error, (socket.timeout, TimeoutError)):
        return SmtpError(settings, step, "no answer in time", temporary=True)
    if isinstance(error, socket.gaierror):
        return SmtpError(
            settings,
            step,
            f"unknown host: {error.strerror or error}",
            temporary=True,
            hint="check --host",
        )
    if isinstance(error, ConnectionRefusedError):
        return SmtpError(
            settings,
            step,
            "connection refused",
            temporary=True,
            hint="check --host and --port, or whether the server is running",
        )
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        return SmtpError(settings, step, f"network error: {reason}", temporary=True)
    if isinstance(error, smtplib.SMTPException):
        return SmtpError(settings, step, str(error), temporary=False)
    return error


def close(conn: smtplib.SMTP) -> None:
    """Say QUIT and close; on a broken connection just close. Never raises."""
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        try:
            conn.close()
        except OSError:
            pass


def connect(
    settings: SmtpSettings, *, timeout: float = 30.0, trace: Trace | None = None
) -> smtplib.SMTP:
    """Return an `smtplib.SMTP` connected to the server of *settings*, TLS as configured,
    logged in when ``auth`` is set: ready for `send`.

    *trace* gets a `ProbeStep` for each step taken (connect, EHLO, STARTTLS, AUTH), the
    failed one last. Raises `SmtpError` (the connection is closed then). Trap: the caller
    must `close` the connection; smtplib's own ``quit`` raises on a dead one.
    """
    note: Trace = trace or (lambda step: None)
    if settings.security not in DEFAULT_PORTS:
        raise SmtpError(
            settings,
            "connect",
            f"unknown security {settings.security!r}",
            temporary=False,
            hint="use starttls, ssl or none",
        )
    context = _context(settings) if settings.security != "none" else None
    conn: smtplib.SMTP | None = None
    step = "connect"
    try:
        if settings.security == "ssl":
            conn = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
        else:
            conn = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        note(ProbeStep("connect", True, f"{settings.address}: {settings.host} answered"))
        step = "EHLO"
        code, answer = conn.ehlo()
        if code != 250:
            raise smtplib.SMTPHeloError(code, answer)
        note(ProbeStep("EHLO", True, _features(conn)))
        if settings.security == "starttls":
            step = "STARTTLS"
            if not conn.has_extn("starttls"):
                raise SmtpError(
                    settings,
                    step,
                    "the server does not offer STARTTLS; nothing was sent in clear text",
                    temporary=False,
                    hint="use --security ssl with port 465 if it speaks implicit TLS, or "
                    "fix the server",
                )
            conn.starttls(context=context)
            code, answer = conn.ehlo()
            if code != 250:
                raise smtplib.SMTPHeloError(code, answer)
            note(ProbeStep("STARTTLS", True, f"{_tls(conn)}; {_features(conn)}"))
        if settings.auth:
            step = "AUTH"
            _login(conn, settings)
            how = "XOAUTH2" if settings.oauth_token is not None else "password"
            note(ProbeStep("AUTH", True, f"logged in as {settings.username} ({how})"))
    except BaseException as error:
        translated = _translate(settings, step, error)
        if isinstance(translated, SmtpError):
            note(ProbeStep(step, False, translated.explained))
        if conn is not None:
            close(conn)
        if translated is error:
            raise
        raise translated from None
    return conn


def _features(conn: smtplib.SMTP) -> str:
    names = sorted(name.upper() for name in conn.esmtp_features)
    return "offers " + (", ".join(names) if names else "no extensions")


def _tls(conn: smtplib.SMTP) -> str:
    sock = conn.sock
    if isinstance(sock, ssl.SSLSocket):
        return f"{sock.version()} with a verified certificate"
    return "no TLS"


def _login(conn: smtplib.SMTP, settings: SmtpSettings) -> None:
    if not conn.has_extn("auth"):
        raise SmtpError(
            settings,
            "AUTH",
            "the server offers no AUTH",
            temporary=False,
            hint="for a relay that allows this machine by its address, configure no "
            "credential (mail.smtp.auth=false in the legacy file)",
        )
    if not settings.username:
        raise SmtpError(
            settings, "AUTH", "no user name to log in with", temporary=False, hint="set one"
        )
    if settings.oauth_token is not None:
        try:
            token = settings.oauth_token()
        except Exception as error:  # an OAuthError naming what to do, or a network error
            raise SmtpError(
                settings, "AUTH", f"no access token: {error}", temporary=False
            ) from None
        user = settings.username
        # RFC-less but documented by Microsoft and Google: user=<u>^Aauth=Bearer <t>^A^A;
        # on failure the server sends a 334 challenge (JSON) that is answered empty
        initial = f"user={user}\x01auth=Bearer {token}\x01\x01"

        def xoauth2(challenge: bytes | None = None) -> str:
            return initial if challenge is None else ""

        try:
            conn.auth("XOAUTH2", xoauth2, initial_response_ok=True)
        except smtplib.SMTPAuthenticationError as error:
            raise _refused(settings, error, "the access token") from None
        return
    if settings.password is None:
        raise SmtpError(
            settings, "AUTH", "no password to log in with", temporary=False, hint="set one"
        )
    try:
        conn.login(settings.username, settings.password)
    except smtplib.SMTPAuthenticationError as error:
        raise _refused(settings, error, "the user name and password") from None


def _refused(
    settings: SmtpSettings, error: smtplib.SMTPAuthenticationError, what: str
) -> SmtpError:
    code, text = error.smtp_code, _text(error.smtp_error)
    return SmtpError(
        settings,
        "AUTH",
        f"login as {settings.username} refused: {code} {text}",
        temporary=400 <= code < 500,
        code=code,
        reply=f"{code} {text}",
        hint=f"check {what}",
    )


def probe(settings: SmtpSettings, *, timeout: float = 30.0) -> list[ProbeStep]:
    """Connect, EHLO, STARTTLS and AUTH as configured, then QUIT, sending no message;
    return every step taken, the failed one (``ok`` False) last. Never raises `SmtpError`.
    """
    steps: list[ProbeStep] = []
    try:
        conn = connect(settings, timeout=timeout, trace=steps.append)
    except SmtpError:
        return steps
    try:
        code, answer = conn.quit()
        steps.append(ProbeStep("QUIT", True, f"{code} {_text(answer)}"))
    except (smtplib.SMTPException, OSError) as error:
        steps.append(ProbeStep("QUIT", False, str(error) or type(error).__name__))
        close(conn)
    return steps


def _settings_of(conn: smtplib.SMTP) -> SmtpSettings:
    # send() only has the connection: name it by its host for errors
    host = getattr(conn, "_host", "") or "the SMTP server"
    port = 0
    sock = conn.sock
    if sock is not None:
        try:
            port = int(sock.getpeername()[1])
        except OSError:
            pass
    return SmtpSettings(source="SMTP", host=str(host), port=port)


def send(
    conn: smtplib.SMTP,
    envelope_from: str,
    recipients: Sequence[str],
    message_bytes: bytes,
    *,
    before_data: Callable[[], None] | None = None,
    settings: SmtpSettings | None = None,
) -> SmtpReply:
    """Send one message on *conn* (from `connect`); return the server's `SmtpReply`.

    MAIL FROM *envelope_from*, RCPT TO each of *recipients* (the refused ones are listed in
    the reply when others were accepted), then *before_data* is called — the outbox commits
    ``dataStarted`` there — and DATA sends *message_bytes* (line ends made CRLF, leading
    dots doubled). Raises `SmtpError`: ``maybe_delivered`` when the connection broke after
    the data went out; otherwise the server does not have the message. After an error the
    connection may be unusable (``temporary`` errors at ``connect``-level) or reset (RSET
    is sent after a refused MAIL, RCPT or DATA, so the next message can follow).
    *settings* only names the server in errors.
    """
    where = settings or _settings_of(conn)
    options: list[str] = []
    if any(not a.isascii() for a in [envelope_from, *recipients]):
        if not conn.has_extn("smtputf8"):
            raise SmtpError(
                where,
                "MAIL",
                "an address is not ASCII and the server does not offer SMTPUTF8",
                temporary=False,
            )
        options.append("SMTPUTF8")
    if not message_bytes.isascii() and conn.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    step = "MAIL"
    try:
        code, answer = conn.mail(envelope_from, options)
        if code != 250:
            _reset(conn)
            raise smtplib.SMTPSenderRefused(code, answer, envelope_from)
        step = "RCPT"
        refused: dict[str, str] = {}
        for address in recipients:
            code, answer = conn.rcpt(address)
            if code not in (250, 251):
                refused[address] = f"{code} {_text(answer)}"
        if len(refused) == len(recipients):
            _reset(conn)
            codes = [int(r.split()[0]) for r in refused.values()]
            # every recipient refused: temporary only when each refusal was (4xx)
            worst = max(codes)
            raise SmtpError(
                where,
                "RCPT",
                "every recipient refused: " + "; ".join(f"{a}: {r}" for a, r in refused.items()),
                temporary=worst < 500,
                code=worst,
                reply="; ".join(refused.values()),
            )
        if before_data is not None:
            before_data()
        step = "DATA"
        code, answer = conn.docmd("DATA")
        if code != 354:
            _reset(conn)
            raise smtplib.SMTPDataError(code, answer)
        step = "end of data"
        # line ends first, then the dots: a bare CR before a "." must not become an
        # unstuffed end-of-data line (SMTP smuggling)
        payload = _LEADING_DOT.sub(b"..", _EOL.sub(b"\r\n", message_bytes))
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        try:
            conn.send(payload + b".\r\n")
            code, answer = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise SmtpError(
                where,
                step,
                f"the connection broke before the server answered: {error}",
                temporary=True,
                maybe_delivered=True,
                hint="the server may have the message",
            ) from None
        if code != 250:
            _reset(conn)
            raise smtplib.SMTPDataError(code, answer)
        return SmtpReply(code, _text(answer), refused)
    except BaseException as error:
        translated = _translate(where, step, error)
        if translated is error:
            raise
        raise translated from None


def _reset(conn: smtplib.SMTP) -> None:
    # after a refusal the transaction is aborted with RSET so the next message can go on
    # the same connection; a dead connection shows up at the next command instead
    try:
        conn.rset()
    except (smtplib.SMTPException, OSError):
        pass
