"""A small IMAP client for ingestion, over imapclient, with errors that name what to fix.

Usage (the ingestion runner's view)::

    with ImapMailbox.connect("imap.example.com", 993, security="ssl", ca_file=None) as box:
        box.login("user@example.com", password)        # or box.login_xoauth2(user, token)
        status = box.select("INBOX")                   # FolderStatus(uidvalidity, uidnext, exists)
        uids = box.new_uids(after_uid=last_stored_uid)  # ascending, never <= after_uid
        present = box.find_uids()                      # every UID; find_uids("UNSEEN"), ...
        for message in box.fetch(uids, batch_size=50, max_size=25 * 1024 * 1024):
            ...store message.raw (headers only when message.complete is False)...
        box.set_seen(done_uids)
        box.add_keywords(done_uids, [KEYWORD_DONE])    # only if box.supports_keywords()
        box.move(done_uids, "Processed")               # creates the folder when missing

Certificates are always verified (``ssl.create_default_context``, hostname checked);
*ca_file* adds a private CA. ``security="none"`` sends the password in clear: the
command line only allows it with ``--allow-insecure``.

Every failure is an `ImapError` subclass carrying ``host``, ``port`` and ``setting`` (the
option a person should look at); ``str(error)`` is one line fit for a per-account report.
Traps handled here: ``UID SEARCH UID n:*`` always returns the last message even when its
UID is below *n* (RFC 3501 6.4.8: ``*`` is the largest UID), so `new_uids` filters;
imapclient's ``fetch("1:*")`` raises ValueError, so only explicit UIDs are fetched.

Speed: a command about many messages names at most `SET_CHUNK` of them (STORE, MOVE and
EXPUNGE as compact sequence sets, `uid_sets`: ``1:9000,9002``), so one round trip serves a
thousand messages; `fetch` asks sizes and flags once per chunk, then one ``BODY.PEEK[]``
per batch.
"""

from __future__ import annotations

import dataclasses
import queue
import re
import socket
import ssl
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TypeVar

from imapclient import IMAPClient
from imapclient import exceptions as imap_exceptions

__all__ = [
    "DEFAULT_PORTS",
    "KEYWORD_DONE",
    "KEYWORD_FAILED",
    "SET_CHUNK",
    "FetchedMessage",
    "FolderStatus",
    "ImapAuthError",
    "ImapConnectError",
    "ImapError",
    "ImapFolderError",
    "ImapMailbox",
    "ImapProtocolError",
    "ImapTimeoutError",
    "ImapUnavailableError",
    "ImapTLSError",
    "Security",
    "uid_sets",
]

Security = Literal["ssl", "starttls", "none"]

#: the usual port for each security mode (RFC 8314: 993 implicit TLS, 143 otherwise)
DEFAULT_PORTS: dict[str, int] = {"ssl": 993, "starttls": 143, "none": 143}

#: at most this many UIDs in one command (its sequence set stays well under 64 KB)
SET_CHUNK = 1000

#: keywords written for people in a mail client when an account has ``--keywords``
KEYWORD_DONE = "$MailwrightDone"
KEYWORD_FAILED = "$MailwrightFailed"


class ImapError(Exception):
    """Base of every IMAP failure: names the server and the setting to look at.

    ``str(error)`` reads ``imap.example.com:993: <what happened> (<setting>)``.
    """

    #: what to look at, overridden by each subclass
    default_setting = "check the server"

    def __init__(self, host: str, port: int, message: str, setting: str | None = None) -> None:
        self.host = host
        self.port = port
        self.detail = message
        self.setting = setting or self.default_setting
        super().__init__(f"{host}:{port}: {message} ({self.setting})")


class ImapConnectError(ImapError):
    """The server could not be reached, or the connection dropped."""

    default_setting = "check --imap / --port"


class ImapTLSError(ImapError):
    """TLS failed: certificate not trusted, wrong host name, or no STARTTLS offered."""

    default_setting = "check --security / --ca-file"


class ImapAuthError(ImapError):
    """The server refused the login (password or access token)."""

    default_setting = "check the credential"


class ImapUnavailableError(ImapError):
    """The server could not check the login now (``[UNAVAILABLE]``, RFC 5530)."""

    default_setting = "a temporary failure on the server: try again later"


class ImapTimeoutError(ImapError):
    """The server did not answer within the timeout."""

    default_setting = "check the network or the server's load"


class ImapFolderError(ImapError):
    """A folder could not be selected or created."""

    default_setting = "check --folder"


class ImapProtocolError(ImapError):
    """The server answered NO/BAD to a command after login."""

    default_setting = "check the server's log"


@dataclass(frozen=True)
class FolderStatus:
    """What SELECT reported; *uidnext* is 0 when the server did not say (it must, RFC 3501)."""

    name: str
    uidvalidity: int
    uidnext: int
    exists: int
    #: True when PERMANENTFLAGS holds ``\\*``: new keywords can be stored
    keywords_allowed: bool
    read_only: bool


@dataclass(frozen=True)
class FetchedMessage:
    """One fetched message: *raw* is the whole message, or its header only when over the limit.

    *complete* is False when *size* exceeded ``max_size``: *raw* then holds the header
    section only (``BODY.PEEK[HEADER]``), which is what a SKIPPED e-mail keeps.
    """

    uid: int
    size: int
    raw: bytes
    complete: bool
    flags: tuple[str, ...]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    text = str(value)
    # imapclient words some refusals as str(bytes): "b'[AUTHENTICATIONFAILED] ...'"
    match = re.fullmatch(r"b(['\"])(.*)\1", text, re.DOTALL)
    return match.group(2) if match else text


class ImapMailbox:
    """One IMAP connection, logged in and (after `select`) on one folder.

    Build it with `connect`; use it as a context manager so the connection is closed
    (LOGOUT, then shutdown if LOGOUT fails). Methods that take *uids* accept any
    iterable of ints and do nothing for an empty one.
    """

    def __init__(self, client: IMAPClient, host: str, port: int) -> None:
        """Wrap an already connected *client*; prefer `connect`."""
        self._client = client
        self.host = host
        self.port = port
        self._status: FolderStatus | None = None
        self._user: str | None = None
        # one command at a time: `fetch(ahead=True)` fetches from another thread while
        # the caller flags and moves on this connection
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- connection

    @classmethod
    def connect(
        cls,
        host: str,
        port: int | None = None,
        *,
        security: Security = "ssl",
        ca_file: str | None = None,
        timeout: float = 30.0,
    ) -> ImapMailbox:
        """Return a mailbox connected to *host* (not logged in yet).

        *port* defaults from *security* (`DEFAULT_PORTS`). Raises `ImapTLSError` when the
        certificate is not trusted (verification is never turned off) or the server offers
        no STARTTLS, `ImapConnectError` when it cannot be reached, `ImapTimeoutError`.
        """
        if security not in DEFAULT_PORTS:
            raise ValueError(f"security must be ssl, starttls or none, not {security!r}")
        port = port or DEFAULT_PORTS[security]
        context: ssl.SSLContext | None = None
        if security != "none":
            try:
                context = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as error:
                raise ImapTLSError(
                    host, port, f"cannot read the CA file {ca_file}: {error}", "check --ca-file"
                ) from None
        client: IMAPClient | None = None
        try:
            client = IMAPClient(
                host,
                port=port,
                use_uid=True,
                ssl=security == "ssl",
                ssl_context=context,
                timeout=timeout,
            )
            if security == "starttls":
                if b"STARTTLS" not in client.capabilities():
                    raise ImapTLSError(host, port, "the server does not offer STARTTLS")
                client.starttls(context)
        except BaseException as error:
            if client is not None:
                _close_quietly(client)
            if isinstance(error, ImapError):
                raise
            raise _translate(error, host, port, "connect") from error
        return cls(client, host, port)

    def login(self, user: str, password: str) -> None:
        """Log in with a password; raises `ImapAuthError` when refused, `ImapUnavailableError`
        when the server cannot check logins right now."""
        try:
            self._client.login(user, password)
        except imap_exceptions.LoginError as error:
            raise self._refused_login(f"login as {user}", error) from None
        except BaseException as error:
            raise _translate(error, self.host, self.port, "login") from error
        self._user = user

    def login_xoauth2(self, user: str, access_token: str) -> None:
        """Log in with SASL XOAUTH2 (Microsoft 365, Gmail); raises `ImapAuthError` when refused.

        Trap: the token is only checked by the server, an expired one reads as a refused
        login; the caller should get a fresh token (`mailstore.oauth`) and say so.
        """
        try:
            self._client.oauth2_login(user, access_token)
        except (imap_exceptions.LoginError, imap_exceptions.IMAPClientError) as error:
            if isinstance(error, imap_exceptions.IMAPClientAbortError):
                raise _translate(error, self.host, self.port, "login") from error
            raise self._refused_login(f"XOAUTH2 login as {user}", error) from None
        except BaseException as error:
            raise _translate(error, self.host, self.port, "login") from error
        self._user = user

    def _refused_login(self, what: str, error: Exception) -> ImapError:
        text = _text(error.args[0] if error.args else error)
        if "[UNAVAILABLE]" in text.upper():
            # RFC 5530: the server could not check the login now (its password database
            # or token introspection is down): the credential is not to blame
            return ImapUnavailableError(self.host, self.port, f"{what} not checked: {text}")
        return ImapAuthError(self.host, self.port, f"{what} refused: {text}")

    def capabilities(self) -> frozenset[str]:
        """Return the server's capabilities (upper case, e.g. ``MOVE``, ``UIDPLUS``)."""
        return frozenset(
            _text(c).upper() for c in self._call("capability", self._client.capabilities)
        )

    def close(self) -> None:
        """Log out and close the connection; never raises."""
        with self._lock:
            _close_quietly(self._client)

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- folders

    def select(self, folder: str, *, readonly: bool = False) -> FolderStatus:
        """Select *folder* and return its `FolderStatus`; raises `ImapFolderError` if missing."""
        try:
            with self._lock:
                answer = self._client.select_folder(folder, readonly=readonly)
        except imap_exceptions.IMAPClientError as error:
            if isinstance(error, imap_exceptions.IMAPClientAbortError):
                raise _translate(error, self.host, self.port, "select") from error
            raise ImapFolderError(
                self.host, self.port, f"cannot select folder {folder}: {_text(error)}"
            ) from None
        except BaseException as error:
            raise _translate(error, self.host, self.port, "select") from error
        permanent = [_text(f) for f in answer.get(b"PERMANENTFLAGS", ())]
        self._status = FolderStatus(
            name=folder,
            uidvalidity=int(answer.get(b"UIDVALIDITY", 0)),
            uidnext=int(answer.get(b"UIDNEXT", 0)),
            exists=int(answer.get(b"EXISTS", 0)),
            keywords_allowed="\\*" in permanent,
            read_only=bool(answer.get(b"READ-ONLY", readonly)),
        )
        return self._status

    @property
    def status(self) -> FolderStatus | None:
        """The `FolderStatus` of the last `select`, or None before any."""
        return self._status

    def folder_exists(self, folder: str) -> bool:
        """Return True when *folder* exists on the server."""
        return bool(self._call("list", self._client.folder_exists, folder))

    def create_folder(self, folder: str) -> bool:
        """Create *folder* unless it exists; return True when it was created.

        Raises `ImapFolderError` (setting ``check --after move:FOLDER``) when refused.
        """
        if self.folder_exists(folder):
            return False
        try:
            with self._lock:  # a flush's move may create it while the fetch thread reads
                self._client.create_folder(folder)
        except imap_exceptions.IMAPClientError as error:
            if isinstance(error, imap_exceptions.IMAPClientAbortError):
                raise _translate(error, self.host, self.port, "create") from error
            # another runner may have created it in between: that is success for us
            if self.folder_exists(folder):
                return False
            raise ImapFolderError(
                self.host,
                self.port,
                f"cannot create folder {folder}: {_text(error)}",
                "check --after move:FOLDER",
            ) from None
        except BaseException as error:
            raise _translate(error, self.host, self.port, "create") from error
        return True

    # ----------------------------------------------------------------- messages

    def new_uids(self, after_uid: int) -> list[int]:
        """Return the UIDs above *after_uid* in the selected folder, ascending.

        It first calls `refresh`: Dovecot does not look for new mail on SEARCH, so a
        message delivered since SELECT would stay invisible on a long-lived connection.
        Trap: ``UID SEARCH UID n:*`` always matches the last message, even when its UID
        is below n (``*`` is the highest UID in use), so results <= *after_uid* are dropped.
        """
        self.refresh()
        found = self._call("search", self._client.search, ["UID", f"{after_uid + 1}:*"])
        return sorted(uid for uid in (int(u) for u in found) if uid > after_uid)

    def refresh(self) -> int:
        """Send NOOP so the server reports mail delivered or expunged since SELECT (RFC 3501
        6.1.2); return the number of messages in the folder now.

        Until then, FETCH and STORE silently ignore UIDs the session has not been told of.
        """
        status = self._require_selected()
        answer = self._call("noop", self._client.noop)
        exists = status.exists
        for item in answer[1] if isinstance(answer, tuple) and len(answer) > 1 else ():
            if isinstance(item, tuple) and len(item) == 2 and item[1] == b"EXISTS":
                exists = int(item[0])
            elif isinstance(item, tuple) and len(item) == 2 and item[1] == b"EXPUNGE":
                exists -= 1  # an EXPUNGE is not always followed by a new EXISTS
        self._status = dataclasses.replace(status, exists=exists)
        return exists

    def find_uids(self, *criteria: str) -> list[int]:
        """Return the UIDs of the selected folder matching *criteria*, ascending.

        *criteria* are IMAP SEARCH keys, e.g. ``find_uids()`` (every message),
        ``find_uids("UNSEEN")`` or ``find_uids("UNKEYWORD", KEYWORD_DONE)``. One round trip
        whatever the folder's size; nothing is fetched. It does not `refresh` first (call it
        when mail may have come in since SELECT on a long-lived connection).
        """
        self._require_selected()
        found = self._call("search", self._client.search, list(criteria) or ["ALL"])
        return sorted(int(u) for u in found)

    def sizes(self, uids: Iterable[int]) -> dict[int, int]:
        """Return ``{uid: RFC822.SIZE}`` for the UIDs that still exist (expunged ones vanish)."""
        return {uid: int(data[b"RFC822.SIZE"]) for uid, data in self._meta(uids).items()}

    def fetch(
        self,
        uids: Sequence[int],
        *,
        batch_size: int = 50,
        max_size: int | None = None,
        batch_bytes: int = 16 * 1024 * 1024,
        ahead: bool = False,
    ) -> Generator[FetchedMessage, None, None]:
        """Yield the messages *uids* in that order, fetched *batch_size* at a time.

        RFC822.SIZE and FLAGS come first, for up to `SET_CHUNK` UIDs in one command; then
        each batch is one ``BODY.PEEK[]`` command for the messages within *max_size* (and
        one ``BODY.PEEK[HEADER]`` for the others, ``complete=False``). A batch also ends
        once it holds *batch_bytes*, so big messages are not all held in memory at once.
        PEEK leaves ``\\Seen`` alone: the runner flags only after its commit. A UID expunged
        meanwhile is skipped silently. Fetching lazily: the caller may act on the same
        connection (flag, move) between two messages.

        ``ahead``: the next batch is fetched by a thread while the caller works on this
        one, so the server's time to answer is not waited for (besides the caller's
        batch, one waits and one is being fetched). Commands on the connection still run one at a time. Trap: close the
        generator (or exhaust it) before logging out; an `ImapError` of the fetching thread
        is raised here, at the message it stopped before.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._require_selected()
        batches = self._batches(list(uids), batch_size, max_size, batch_bytes)
        if ahead:
            # whole batches through a queue of one: besides the batch being worked on, at
            # most one waits and one is being fetched (each within *batch_bytes*)
            batches = read_ahead(batches, 1)
        try:
            for batch in batches:
                yield from batch
        finally:
            batches.close()

    def _batches(
        self, ordered: list[int], batch_size: int, max_size: int | None, batch_bytes: int
    ) -> Generator[list[FetchedMessage], None, None]:
        for start in range(0, len(ordered), SET_CHUNK):
            chunk = ordered[start : start + SET_CHUNK]
            meta = self._meta(chunk)
            batch: list[int] = []
            held = 0
            for uid in chunk:
                if uid not in meta:
                    continue  # expunged meanwhile
                batch.append(uid)
                held += _size(meta[uid]) if _fits(meta[uid], max_size) else 0
                if len(batch) >= batch_size or held >= batch_bytes:
                    yield self._fetch_batch(batch, meta, max_size)
                    batch, held = [], 0
            if batch:
                yield self._fetch_batch(batch, meta, max_size)

    def _meta(self, uids: Iterable[int]) -> dict[int, dict[bytes, Any]]:
        """``{uid: {RFC822.SIZE, FLAGS}}`` for the UIDs that still exist, in few commands."""
        found: dict[int, dict[bytes, Any]] = {}
        for part in _chunks(uids):
            answer = self._call("fetch", self._client.fetch, part, ["RFC822.SIZE", "FLAGS"])
            # unsolicited FETCH answers (flags changed by another session) carry no size
            found.update((int(u), d) for u, d in answer.items() if b"RFC822.SIZE" in d)
        return found

    def _fetch_batch(
        self, batch: list[int], meta: dict[int, dict[bytes, Any]], max_size: int | None
    ) -> list[FetchedMessage]:
        whole = [u for u in batch if _fits(meta[u], max_size)]
        heads = [u for u in batch if not _fits(meta[u], max_size)]
        bodies: dict[int, bytes] = {}
        for wanted, item, key in (
            (whole, "BODY.PEEK[]", b"BODY[]"),
            (heads, "BODY.PEEK[HEADER]", b"BODY[HEADER]"),
        ):
            for part in _chunks(wanted):
                got = self._call("fetch", self._client.fetch, part, [item])
                # an unsolicited FETCH (another session changed flags) may carry no body
                bodies.update({int(u): bytes(d[key]) for u, d in got.items() if key in d})
        heads_set = set(heads)
        return [
            FetchedMessage(
                uid=uid,
                size=_size(meta[uid]),
                raw=bodies[uid],
                complete=uid not in heads_set,
                flags=_flags(meta[uid].get(b"FLAGS", ())),
            )
            for uid in batch
            if uid in bodies
        ]

    def flags(self, uids: Iterable[int]) -> dict[int, tuple[str, ...]]:
        """Return ``{uid: flags}`` (system flags like ``\\Seen`` and keywords) for *uids*."""
        found: dict[int, tuple[str, ...]] = {}
        for part in _chunks(uids):
            answer = self._call("fetch", self._client.fetch, part, ["FLAGS"])
            found.update((int(u), _flags(d[b"FLAGS"])) for u, d in answer.items() if b"FLAGS" in d)
        return found

    def set_seen(self, uids: Iterable[int]) -> None:
        """Add ``\\Seen`` to *uids*."""
        self._store(uids, ["\\Seen"], add=True)

    def supports_keywords(self) -> bool:
        """Return True when the selected folder accepts new keywords (PERMANENTFLAGS ``\\*``)."""
        return self._require_selected().keywords_allowed

    def add_keywords(self, uids: Iterable[int], keywords: Sequence[str]) -> bool:
        """Add *keywords* to *uids*; return False (doing nothing) when the folder refuses them."""
        if not self.supports_keywords():
            return False
        self._store(uids, keywords, add=True)
        return True

    def remove_keywords(self, uids: Iterable[int], keywords: Sequence[str]) -> bool:
        """Remove *keywords* from *uids*; return False when the folder has no keywords."""
        if not self.supports_keywords():
            return False
        self._store(uids, keywords, add=False)
        return True

    def move(self, uids: Iterable[int], folder: str, *, create: bool = True) -> None:
        """Move *uids* to *folder*, creating it first when *create* (the default).

        Uses MOVE (RFC 6851) when offered, else COPY + ``\\Deleted`` + UID EXPUNGE (RFC 4315);
        without UIDPLUS it falls back to a plain EXPUNGE, which also removes other messages
        already marked ``\\Deleted`` in the folder (nothing else can be done on such servers).
        """
        wanted = list(uids)
        if not wanted:
            return
        self._require_selected()
        if create:
            self.create_folder(folder)
        capabilities = self.capabilities()
        for uid_set in uid_sets(wanted):
            if "MOVE" in capabilities:
                self._call("move", self._client.move, uid_set, folder)
            else:
                self._call("copy", self._client.copy, uid_set, folder)
        if "MOVE" not in capabilities:
            self._expunge(wanted, capabilities)

    def delete(self, uids: Iterable[int]) -> None:
        """Mark *uids* ``\\Deleted`` and expunge them (UID EXPUNGE when UIDPLUS is offered)."""
        wanted = list(uids)
        if not wanted:
            return
        self._require_selected()
        self._expunge(wanted, self.capabilities())

    # ----------------------------------------------------------------- internals

    def _expunge(self, uids: list[int], capabilities: frozenset[str]) -> None:
        self._store(uids, ["\\Deleted"], add=True)
        if "UIDPLUS" in capabilities:
            for uid_set in uid_sets(uids):
                self._call("expunge", self._client.uid_expunge, uid_set)
        else:
            self._call("expunge", self._client.expunge)

    def _store(self, uids: Iterable[int], flags: Sequence[str], *, add: bool) -> None:
        wanted = list(uids)
        if not wanted or not flags:
            return
        self._require_selected()
        method = self._client.add_flags if add else self._client.remove_flags
        for uid_set in uid_sets(wanted):
            self._call("store", method, uid_set, list(flags), silent=True)

    def _require_selected(self) -> FolderStatus:
        if self._status is None:
            raise RuntimeError("select a folder first")
        return self._status

    def _call(self, what: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                return method(*args, **kwargs)
            except BaseException as error:
                raise _translate(error, self.host, self.port, what) from error


T = TypeVar("T")


def read_ahead(source: Iterator[T], limit: int) -> Generator[T, None, None]:
    """Yield what *source* yields, produced by a thread at most *limit* items ahead.

    Why: fetching waits mostly for the server and for TLS reads (which release the GIL),
    time the caller can spend storing and handling. The thread stops when the generator
    is closed or collected (``close`` waits for it: at most the command in flight); an
    exception of *source* is raised here, after the items produced before it."""
    items: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=max(1, limit))
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                items.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        try:
            for item in source:
                if not put((False, item)):
                    return
            put((True, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((True, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=pump, name="mailwright-imap-fetch", daemon=True)
    thread.start()
    try:
        while True:
            done, value = items.get()
            if done:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        thread.join()


def _flags(raw: Iterable[Any]) -> tuple[str, ...]:
    # \Recent belongs to one session and is gone from IMAP4rev2: never report it
    return tuple(f for f in (_text(f) for f in raw) if f.lower() != "\\recent")


def _size(data: dict[bytes, Any]) -> int:
    return int(data[b"RFC822.SIZE"])


def _fits(data: dict[bytes, Any], max_size: int | None) -> bool:
    return max_size is None or _size(data) <= max_size


def _chunks(uids: Iterable[int]) -> Iterator[list[int]]:
    """*uids* (distinct, ascending) in lists of at most `SET_CHUNK`, for FETCH.

    Trap: imapclient's ``fetch`` takes only a list of ints (it filters its answer with
    ``int()`` of each id, so a ``"1:9"`` set raises ValueError); 1,000 UIDs of up to ten
    digits stay under Dovecot's 64 KB line limit.
    """
    ordered = sorted(set(uids))
    for start in range(0, len(ordered), SET_CHUNK):
        yield ordered[start : start + SET_CHUNK]


def uid_sets(uids: Iterable[int], chunk: int | None = None) -> Iterator[str]:
    """Yield IMAP sequence sets (``"3:7,9,12:40"``) covering exactly *uids*, each for at most
    *chunk* (default `SET_CHUNK`) UIDs; nothing for no UIDs.

    Runs of consecutive UIDs become ranges, so a command about thousands of messages stays
    short (Dovecot refuses lines over 64 KB, ``imap_max_line_length``). A range covers only
    UIDs that were asked: never ``*``, never a UID between two that were not consecutive.
    For STORE, MOVE, COPY and UID EXPUNGE; imapclient's ``fetch`` wants lists of ints
    (`_chunks`).
    """
    ordered = sorted(set(uids))
    size = chunk or SET_CHUNK
    for start in range(0, len(ordered), size):
        part = ordered[start : start + size]
        ranges: list[str] = []
        first = last = part[0]
        for uid in part[1:]:
            if uid == last + 1:
                last = uid
                continue
            ranges.append(f"{first}:{last}" if last > first else str(first))
            first = last = uid
        ranges.append(f"{first}:{last}" if last > first else str(first))
        yield ",".join(ranges)


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - closing must never raise; fall back to shutdown
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


def _translate(error: BaseException, host: str, port: int, what: str) -> BaseException:
    """Return the `ImapError` for a low-level *error* during *what*; others pass through.

    KeyboardInterrupt and friends are returned unchanged so they propagate as they are.
    """
    if isinstance(error, ImapError) or not isinstance(error, Exception):
        return error
    if isinstance(error, ssl.SSLCertVerificationError):
        return ImapTLSError(host, port, f"certificate not trusted: {error.verify_message}")
    if isinstance(error, ssl.SSLError):
        return ImapTLSError(host, port, f"TLS failed during {what}: {error.reason or error}")
    if isinstance(error, (socket.timeout, TimeoutError)):
        return ImapTimeoutError(host, port, f"no answer during {what}")
    if isinstance(error, imap_exceptions.IMAPClientAbortError):
        return ImapConnectError(host, port, f"connection lost during {what}: {_text(error)}")
    if isinstance(error, imap_exceptions.LoginError):
        return ImapAuthError(host, port, f"login refused: {_text(error)}")
    if isinstance(error, imap_exceptions.IMAPClientError):
        return ImapProtocolError(host, port, f"{what} refused: {_text(error)}")
    if isinstance(error, socket.gaierror):
        return ImapConnectError(host, port, f"unknown host: {error.strerror or error}")
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        return ImapConnectError(host, port, f"cannot connect during {what}: {reason}")
    return error
