"""A private Dovecot IMAP server started from a temporary folder, for tests (TESTING.md).

`DovecotServer.start(root, ca, oauth_introspection_url=...)` writes ``dovecot.conf`` into
*root* and runs ``dovecot -F`` in its own session, listening on free ``127.0.0.1`` ports:

- ``port`` / ``starttls_port``: the IMAP listener; it accepts plain logins
  (``disable_plaintext_auth = no``) and offers STARTTLS, so the same port serves
  ``security="none"`` and ``security="starttls"``;
- ``ssl_port``: implicit TLS (993-style).

Users live in passwd-files (`add_user` makes a fresh one per test, so tests never share a
mailbox); mail is Maildir with ``LAYOUT=fs`` (dots allowed in folder names). With an
introspection URL, XOAUTH2/OAUTHBEARER logins are checked by Dovecot's oauth2 passdb against
it. Traps handled here (TESTING.md): as root, mail belongs to uid ``dovecot`` and the folder
must be 0755 (pytest's tmp_path is 0700); failed logins are not penalised (anvil); the whole
process group is stopped with ``os.killpg`` (SIGTERM to the master alone takes a second).
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imapclient import IMAPClient

from tests.servers import TestCA, free_port

__all__ = ["DovecotServer", "DovecotUser"]


@dataclass(frozen=True)
class DovecotUser:
    """A mailbox on the server: log in as `name` with `password`."""

    name: str
    password: str


_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = mailwright-test-{tag}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl_settings}
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = {mechanisms}
mail_location = maildir:{root}/mail/%u:LAYOUT=fs
mail_fsync = never
first_valid_uid = 1
{user_settings}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd.d/%u
}}
{oauth_passdb}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u allow_all_users=yes
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  {login_chroot}
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
{ssl_listener}
}}
"""

_SSL_LISTENER = """\
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}"""

_OAUTH_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf
}}
"""

_OAUTH_CONF = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
tls_ca_cert_file = {ca}
"""


@dataclass
class DovecotServer:
    """A running private Dovecot; build it with `start`, end it with `stop`."""

    root: Path
    ca: TestCA
    port: int
    ssl_port: int
    process: subprocess.Popen[bytes]
    host: str = "127.0.0.1"
    users: dict[str, DovecotUser] = field(default_factory=dict)

    @property
    def starttls_port(self) -> int:
        """The port for ``security="starttls"`` (the plain listener, which offers STARTTLS)."""
        return self.port

    @property
    def config_file(self) -> Path:
        """The ``dovecot.conf`` this instance runs with (for ``doveadm -c``)."""
        return self.root / "dovecot.conf"

    @property
    def log_file(self) -> Path:
        """Dovecot's log: read it when a login fails unexpectedly."""
        return self.root / "dovecot.log"

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def start(
        cls,
        root: Path,
        ca: TestCA,
        *,
        oauth_introspection_url: str | None = None,
        tls: bool = True,
        timeout: float = 10.0,
    ) -> DovecotServer:
        """Configure and start Dovecot under *root* (created 0755); return it once it greets.

        ``tls=False`` makes a server without any TLS (no STARTTLS, no implicit-TLS port:
        ``ssl_port`` is 0), to test what a client does against such a server.

        Raises RuntimeError with the end of Dovecot's log when it does not come up.
        """
        if shutil.which("dovecot") is None:
            raise RuntimeError("dovecot is not installed (apt-get install -y dovecot-imapd)")
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        for parent in root.resolve().parents:
            # Dovecot's processes run as other users: every folder above must be traversable
            if not parent.stat().st_mode & 0o001:
                raise RuntimeError(f"{parent} is not world-traversable (make it 0755)")
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(exist_ok=True)
        (root / "passwd.d").mkdir(exist_ok=True)
        port, ssl_port = free_port(), (free_port() if tls else 0)
        if os.geteuid() == 0:
            # Dovecot refuses uid 0 for mail: the mail belongs to its own user
            mail_user = pwd.getpwnam("dovecot")
            user_settings, login_chroot = "", ""
            for sub in ("mail", "home"):
                os.chown(root / sub, mail_user.pw_uid, mail_user.pw_gid)
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            user_settings = (
                f"default_internal_user = {mail_user.pw_name}\n"
                f"default_login_user = {mail_user.pw_name}\n"
            )
            login_chroot = "chroot ="
        mechanisms = "plain login"
        oauth_passdb = ""
        if oauth_introspection_url:
            mechanisms += " xoauth2 oauthbearer"
            oauth_passdb = _OAUTH_PASSDB.format(root=root)
            (root / "oauth2.conf").write_text(
                _OAUTH_CONF.format(url=oauth_introspection_url, ca=ca.ca_file)
            )
            (root / "oauth2.conf").chmod(0o644)
        (root / "dovecot.conf").write_text(
            _CONFIG.format(
                root=root,
                tag=secrets.token_hex(4),
                ssl_settings=(
                    f"ssl = yes\nssl_cert = <{ca.cert_file}\nssl_key = <{ca.key_file}"
                    if tls
                    else "ssl = no"
                ),
                ssl_listener=(_SSL_LISTENER.format(ssl_port=ssl_port) if tls else ""),
                mechanisms=mechanisms,
                user_settings=user_settings,
                oauth_passdb=oauth_passdb,
                uid=mail_user.pw_uid,
                gid=mail_user.pw_gid,
                login_chroot=login_chroot,
                port=port,
                ssl_port=ssl_port,
            )
        )
        with open(root / "dovecot.stderr", "wb") as stderr:
            process = subprocess.Popen(
                ["dovecot", "-F", "-c", str(root / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        server = cls(root=root, ca=ca, port=port, ssl_port=ssl_port, process=process)
        server._wait_ready(timeout)
        return server

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"dovecot did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the whole process group (master, auth, imap processes) and wait for it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        """Return the last *lines* of Dovecot's log and stderr (for failure messages)."""
        text = ""
        for path in (self.root / "dovecot.stderr", self.log_file):
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    # ------------------------------------------------------------------ users and mail

    def add_user(self, name: str | None = None, password: str | None = None) -> DovecotUser:
        """Add a user (a fresh random one by default) and return it; works while running.

        Trap: Dovecot looks at a changed passwd-file at most once a second, so a user added
        to a shared file right after a login may stay unknown; each user gets a file of
        its own (``passwd.d/%u``), read fresh on the user's first login.
        """
        user = DovecotUser(
            name or f"user{secrets.token_hex(4)}@example.test",
            password or secrets.token_urlsafe(12),
        )
        self.users[user.name] = user
        path = self.root / "passwd.d" / user.name
        path.write_text(f"{user.name}:{user.password}\n")
        path.chmod(0o644)
        return user

    def client(self, user: DovecotUser) -> IMAPClient:
        """Return an imapclient connection logged in as *user* over implicit TLS."""
        context = ssl.create_default_context(cafile=str(self.ca.ca_file))
        client = IMAPClient(self.host, port=self.ssl_port, ssl=True, ssl_context=context)
        client.login(user.name, user.password)
        return client

    def append(
        self,
        user: DovecotUser,
        messages: Iterable[bytes],
        *,
        folder: str = "INBOX",
        flags: Sequence[str] = (),
    ) -> list[int]:
        """APPEND *messages* to *folder* (created if missing) over one connection; return UIDs.

        Trap: Dovecot rewrites NUL bytes and bare CRs, so do not expect them back.
        """
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            uids = []
            for raw in messages:
                answer = client.append(folder, raw, flags=list(flags))
                # "[APPENDUID <uidvalidity> <uid>] Append completed."
                uids.append(int(answer.split(b"]")[0].split()[-1]))
            return uids
        finally:
            client.logout()

    def uids(self, user: DovecotUser, folder: str = "INBOX") -> list[int]:
        """Return the UIDs in *folder*, ascending."""
        client = self.client(user)
        try:
            client.select_folder(folder, readonly=True)
            return sorted(int(u) for u in client.search("ALL"))
        finally:
            client.logout()

    def change_uidvalidity(self, user: DovecotUser, folder: str = "INBOX") -> int:
        """Give *folder* a new UIDVALIDITY on the server itself; return it.

        Uses ``doveadm mailbox update --uid-validity``, as an administrator would; the
        messages stay, under the new UIDVALIDITY.
        """
        client = self.client(user)
        try:
            old = int(client.select_folder(folder, readonly=True)[b"UIDVALIDITY"])
        finally:
            client.logout()
        new = old + 1000 + secrets.randbelow(1000)
        self.doveadm("mailbox", "update", "--uid-validity", str(new), "-u", user.name, folder)
        return new

    def kick(self, user: DovecotUser) -> None:
        """Drop every connection of *user* now (``doveadm kick``), as a server restart would.

        Returns once the user's imap processes have exited (kick only signals them), so the
        next command on a kicked connection fails for sure.
        """
        pids = [
            int(p)
            for p in re.findall(r"\((\d+(?: \d+)*)\)", self.doveadm("who", user.name))
            for p in p.split()
        ]
        self.doveadm("kick", user.name)
        deadline = time.monotonic() + 10
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if _alive(pid)]
            time.sleep(0.01)

    def doveadm(self, *args: str) -> str:
        """Run ``doveadm -c <this config> ARGS``; return its output, raise on failure."""
        done = subprocess.run(
            ["doveadm", "-c", str(self.config_file), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
