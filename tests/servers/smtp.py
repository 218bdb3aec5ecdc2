"""A real SMTP server for the tests: aiosmtpd on a free loopback port, one listener per mode.

Modes (`SmtpServer.mode`):

- ``starttls``: submission-style, STARTTLS required (MAIL before it gets 530), AUTH PLAIN,
  LOGIN and XOAUTH2 offered only after STARTTLS, AUTH required;
- ``plain``: no STARTTLS offered at all, AUTH offered in clear text: the server a client
  configured for STARTTLS must refuse to talk to (`SmtpServer.logins` and `messages` stay
  empty when the client behaves);
- ``ssl``: implicit TLS (the 465 style), AUTH required;
- ``relay``: STARTTLS offered but optional, no AUTH at all (an IP-allowed relay).

Everything received is kept: `messages` (envelope, raw bytes, Message-ID, login, TLS, the
connection it came on), `count(message_id)`, `connections` (accepted connections), `logins`
and `commands`. Faults: `fail(step, reply)` answers a 4xx/5xx at ``MAIL``, ``RCPT``, ``DATA``
(the answer after the final dot, the message is then *not* kept) or ``AUTH``;
`pause(step)` holds the answer at ``MAIL``, ``RCPT`` or ``DATA`` until `release` (at
``DATA`` the message is kept *before* pausing: the server has it, the client does not know).

The server runs in a thread of the test process, so a ``mailwright`` subprocess can talk to
it while the test inspects it; certificates come from `tests.servers.TestCA`.
"""

from __future__ import annotations

import asyncio
import base64
import email.parser
import email.policy
import logging
import secrets
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers import TestCA, free_port
from tests.servers.oauth import FakeAuthority

# aiosmtpd logs a warning for every connection to the deliberately insecure modes
logging.getLogger("mail.log").setLevel(logging.ERROR)

__all__ = [
    "MODES",
    "Pause",
    "ReceivedMessage",
    "SmtpServer",
    "smtp_plain",
    "smtp_relay",
    "smtp_server",
    "smtp_ssl",
]

MODES = ("starttls", "plain", "ssl", "relay")

#: steps `SmtpServer.fail` and `SmtpServer.pause` know
STEPS = ("AUTH", "MAIL", "RCPT", "DATA")

# how long a paused answer waits for `release` before going on by itself, so a test that
# forgets to release never hangs the session
_PAUSE_LIMIT = 60.0


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the server accepted (or, under a `pause` at DATA, took in)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message_id: str | None
    #: the user name that logged in on that connection, or None (relay, no AUTH)
    login: str | None
    #: True when the connection was encrypted (STARTTLS or implicit TLS)
    tls: bool
    #: number of the connection it came on (1 for the first accepted connection)
    connection: int

    def parsed(self) -> email.message.EmailMessage:
        """Return the message parsed with the default (modern) policy."""
        message = email.parser.BytesParser(policy=email.policy.default).parsebytes(self.data)
        assert isinstance(message, email.message.EmailMessage)
        return message


@dataclass
class _Fault:
    reply: str
    times: int | None
    recipient: str | None


@dataclass
class Pause:
    """A held answer: `reached` is set when a client gets there, `release` lets it go on."""

    step: str
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def wait_reached(self, timeout: float = 30.0) -> bool:
        """Wait until a client reached the paused step; return False on timeout."""
        return self.reached.wait(timeout)

    def release(self) -> None:
        """Let the held answer go."""
        self.released.set()


class _Handler:
    """The aiosmtpd handler: records and, when told, fails or pauses."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def _hold(self, step: str) -> None:
        pause = self.owner._pauses.get(step)
        if pause is None:
            return
        pause.reached.set()
        deadline = time.monotonic() + _PAUSE_LIMIT
        # polled, not awaited on an asyncio.Event: the test thread releases it
        while not pause.released.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if self.owner.mode == "relay":
            # aiosmtpd says "AUTH" with no mechanism; a relay says nothing about AUTH
            responses = [line for line in responses if not line[4:].startswith("AUTH")]
        return responses

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.owner._note(f"MAIL FROM:<{address}>")
        await self._hold("MAIL")
        fault = self.owner._fault("MAIL", None)
        if fault:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.owner._note(f"RCPT TO:<{address}>")
        await self._hold("RCPT")
        fault = self.owner._fault("RCPT", [address])
        if fault:
            return fault
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.owner._note("DATA")
        fault = self.owner._fault("DATA", list(envelope.rcpt_tos))
        if fault:
            return fault
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        message_id = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)[
            "Message-ID"
        ]
        auth = session.auth_data
        login = auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None
        received = ReceivedMessage(
            mail_from=str(envelope.mail_from or ""),
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=raw,
            message_id=str(message_id).strip() if message_id is not None else None,
            login=login,
            tls=server.transport is not None
            and server.transport.get_extra_info("ssl_object") is not None,
            connection=getattr(server, "connection_number", 0),
        )
        with self.owner._lock:
            self.owner.messages.append(received)
        # kept first, then held: the server has the message, the client has no answer yet
        await self._hold("DATA")
        return "250 2.0.0 OK queued"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        """XOAUTH2 (``user=<u>^Aauth=Bearer <token>^A^A``), checked by the owner's
        ``oauth_validate`` (the fake authority's introspection in the fixtures)."""
        if len(args) < 2:
            # smtplib always sends the initial response; a client that does not is wrong
            return AuthResult(success=False, handled=False, message="501 5.5.2 initial response")
        try:
            text = base64.b64decode(args[1]).decode("utf-8")
            fields = dict(part.split("=", 1) for part in text.split("\x01") if part)
            user = fields["user"]
            token = fields["auth"].removeprefix("Bearer ")
        except (ValueError, KeyError, UnicodeDecodeError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 malformed XOAUTH2")
        fault = self.owner._fault("AUTH", None)
        if fault:
            return AuthResult(success=False, handled=False, message=fault)
        validate = self.owner.oauth_validate
        if validate is None or not validate(user, token):
            self.owner._note(f"AUTH XOAUTH2 {user} refused")
            return AuthResult(
                success=False, handled=False, message="535 5.7.3 Authentication unsuccessful"
            )
        with self.owner._lock:
            self.owner.logins.append(user)
        return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))


class _CountingSMTP(SMTP):
    """aiosmtpd's protocol, numbering its connections so a test can count them."""

    owner: SmtpServer
    connection_number = 0

    def connection_made(self, transport: Any) -> None:
        # aiosmtpd calls this again after STARTTLS, on the same connection: count once
        if self._original_transport is None:
            with self.owner._lock:
                self.owner.connections += 1
                self.connection_number = self.owner.connections
        super().connection_made(transport)


class _Controller(Controller):
    def __init__(self, owner: SmtpServer, handler: _Handler, **kwargs: Any) -> None:
        self.owner = owner
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        owner = self.owner

        class Bound(_CountingSMTP):
            pass

        Bound.owner = owner
        with warnings.catch_warnings():
            # "Requiring AUTH while not requiring TLS": deliberate in the plain and ssl modes
            warnings.simplefilter("ignore")
            return Bound(self.handler, **self.SMTP_kwargs)


@dataclass
class SmtpServer:
    """A running aiosmtpd listener (see the module docstring for `mode`).

    `username` / `password` are the one account PLAIN and LOGIN accept; ``oauth_validate(user,
    token) -> bool`` decides XOAUTH2 logins (None: every XOAUTH2 login fails). `ca_file` is
    what clients must trust. Use `start` and `stop`, or the pytest fixtures.
    """

    mode: str
    ca: TestCA
    host: str = "127.0.0.1"
    port: int = 0
    username: str = "sender@example.test"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    oauth_validate: Callable[[str, str], bool] | None = None
    messages: list[ReceivedMessage] = field(default_factory=list)
    connections: int = 0
    logins: list[str] = field(default_factory=list)
    #: MAIL/RCPT/DATA lines and refused logins in arrival order (for failure messages)
    commands: list[str] = field(default_factory=list)
    _faults: dict[str, list[_Fault]] = field(default_factory=dict)
    _pauses: dict[str, Pause] = field(default_factory=dict)
    _controller: _Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ca_file(self) -> str:
        """The PEM file of the CA that signed the server's certificate."""
        return str(self.ca.ca_file)

    # -- life cycle

    def start(self) -> SmtpServer:
        """Start listening on a free port of 127.0.0.1; return self."""
        if self.mode not in MODES:
            raise ValueError(f"unknown SMTP server mode {self.mode!r}; known: {MODES}")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca.cert_file, self.ca.key_file)
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "server_hostname": "localhost",
            "ident": "mailwright test SMTP",
            "data_size_limit": None,
            "timeout": 120,
        }
        if self.mode == "starttls":
            kwargs.update(
                tls_context=context,
                require_starttls=True,
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=True,
            )
        elif self.mode == "plain":
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        elif self.mode == "ssl":
            # aiosmtpd never offers AUTH on an implicit-TLS listener with auth_require_tls
            # (its issues #274/#281): the connection is encrypted, so turn the check off
            kwargs.update(
                ssl_context=context,
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=False,
            )
        else:  # relay: no mechanism at all, so no AUTH line in the EHLO answer
            kwargs.update(
                tls_context=context,
                require_starttls=False,
                auth_exclude_mechanism=["LOGIN", "PLAIN", "XOAUTH2"],
            )
        handler = _Handler(self)
        for _attempt in range(5):
            port = free_port(self.host)
            controller = _Controller(self, handler, port=port, **kwargs)
            try:
                with warnings.catch_warnings():
                    # "Requiring AUTH while not requiring TLS": deliberate in plain and ssl
                    warnings.simplefilter("ignore")
                    controller.start()
            except RuntimeError:  # the port was taken between free_port and bind
                continue
            self._controller = controller
            self.port = port
            break
        else:
            raise RuntimeError("could not start the test SMTP server on a free port")
        self.reset()  # forget the controller's own readiness connection
        return self

    def stop(self) -> None:
        """Release held answers and stop the listener."""
        for pause in list(self._pauses.values()):
            pause.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        """Forget messages, connections, logins, faults and pauses (between tests)."""
        with self._lock:
            for pause in self._pauses.values():
                pause.release()
            self.messages.clear()
            self.connections = 0
            self.logins.clear()
            self.commands.clear()
            self._faults.clear()
            self._pauses.clear()

    # -- what a test asks

    def count(self, message_id: str) -> int:
        """How many times a message with this Message-ID (``<...>``) was received."""
        with self._lock:
            return sum(1 for m in self.messages if m.message_id == message_id)

    def by_message_id(self) -> dict[str, int]:
        """Received count per Message-ID."""
        counts: dict[str, int] = {}
        with self._lock:
            for m in self.messages:
                key = m.message_id or ""
                counts[key] = counts.get(key, 0) + 1
        return counts

    def fail(
        self, step: str, reply: str, *, times: int | None = 1, recipient: str | None = None
    ) -> None:
        """Answer *reply* (``"451 4.3.0 try later"``) at *step* (AUTH, MAIL, RCPT or DATA)
        *times* times (None: always), for any message or only one with *recipient*
        (RCPT: that recipient; DATA: a message to it). A DATA fault keeps nothing."""
        step = step.upper()
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; known: {STEPS}")
        with self._lock:
            self._faults.setdefault(step, []).append(_Fault(reply, times, recipient))

    def pause(self, step: str) -> Pause:
        """Hold the answer at *step* (MAIL, RCPT or DATA) until the returned `Pause` is
        released (or 60 s pass); return it. Every connection reaching *step* is held."""
        step = step.upper()
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; known: {STEPS}")
        pause = Pause(step)
        with self._lock:
            self._pauses[step] = pause
        return pause

    def release_all(self) -> None:
        """Release every pause and forget them."""
        with self._lock:
            for pause in self._pauses.values():
                pause.release()
            self._pauses.clear()

    # -- called from the server's thread

    def _note(self, line: str) -> None:
        with self._lock:
            self.commands.append(line)

    def _fault(self, step: str, recipients: list[str] | None) -> str | None:
        with self._lock:
            for fault in self._faults.get(step, []):
                if fault.times is not None and fault.times <= 0:
                    continue
                if fault.recipient is not None and fault.recipient not in (recipients or []):
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault.reply
        return None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        fault = self._fault("AUTH", None)
        if fault:
            return AuthResult(success=False, handled=False, message=fault)
        user = data.login.decode("utf-8", "replace")
        ok = secrets.compare_digest(user, self.username) and secrets.compare_digest(
            data.password, self.password.encode()
        )
        if not ok:
            self._note(f"AUTH {mechanism} {user} refused")
            return AuthResult(success=False, handled=False)
        with self._lock:
            self.logins.append(user)
        return AuthResult(success=True, auth_data=data)


# -- pytest fixtures (tests/conftest.py imports them for every test)


def _introspecting(authority: FakeAuthority) -> Callable[[str, str], bool]:
    """XOAUTH2 check against the fake authority: the token is live and opens *user*."""

    def validate(user: str, token: str) -> bool:
        answer = authority._introspect({"token": token})
        return bool(answer.get("active")) and answer.get("username") == user

    return validate


def _serve(mode: str, ca: TestCA, authority: FakeAuthority) -> Iterator[SmtpServer]:
    server = SmtpServer(mode, ca, oauth_validate=_introspecting(authority)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server(servers_ca: TestCA, oauth_authority: FakeAuthority) -> Iterator[SmtpServer]:
    """Yield a fresh STARTTLS-required server with AUTH PLAIN/LOGIN/XOAUTH2 (submission)."""
    yield from _serve("starttls", servers_ca, oauth_authority)


@pytest.fixture
def smtp_plain(servers_ca: TestCA, oauth_authority: FakeAuthority) -> Iterator[SmtpServer]:
    """Yield a fresh server that does not offer STARTTLS (and offers AUTH in clear text)."""
    yield from _serve("plain", servers_ca, oauth_authority)


@pytest.fixture
def smtp_ssl(servers_ca: TestCA, oauth_authority: FakeAuthority) -> Iterator[SmtpServer]:
    """Yield a fresh implicit-TLS (smtps) server with AUTH PLAIN/LOGIN/XOAUTH2."""
    yield from _serve("ssl", servers_ca, oauth_authority)


@pytest.fixture
def smtp_relay(servers_ca: TestCA, oauth_authority: FakeAuthority) -> Iterator[SmtpServer]:
    """Yield a fresh relay: STARTTLS offered but optional, no AUTH."""
    yield from _serve("relay", servers_ca, oauth_authority)
