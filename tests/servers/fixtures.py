"""Pytest fixtures for the real servers; ``tests/conftest.py`` imports them for every test.

- ``servers_ca``: the session's `TestCA` (its ``ca_file`` is what clients must trust);
- ``oauth_authority``: a running `FakeAuthority` (HTTPS on loopback);
- ``dovecot``: a running `DovecotServer` whose oauth2 passdb asks ``oauth_authority``;
- ``imap_user``: a fresh `DovecotUser` per test, so tests never see each other's mail.

The servers are session-scoped (one per xdist worker) and started only when a test asks
for them; without Dovecot installed, the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import TestCA
from tests.servers.dovecot import DovecotServer, DovecotUser
from tests.servers.oauth import FakeAuthority

__all__ = ["dovecot", "imap_user", "oauth_authority", "servers_ca", "servers_root"]


@pytest.fixture(scope="session")
def servers_root() -> Iterator[Path]:
    """Yield a 0755 temporary folder for the servers (tmp_path is 0700: Dovecot's users
    could not enter it); removed at the end of the session."""
    root = Path(tempfile.mkdtemp(prefix="mailwright-servers-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def servers_ca(servers_root: Path) -> TestCA:
    """Return the self-signed CA (and server certificate) the test servers use."""
    return TestCA.create(servers_root / "ca")


@pytest.fixture(scope="session")
def oauth_authority(servers_ca: TestCA) -> Iterator[FakeAuthority]:
    """Yield a running fake OAuth2 authority on https://127.0.0.1:<port>."""
    authority = FakeAuthority(servers_ca).start()
    yield authority
    authority.stop()


@pytest.fixture(scope="session")
def dovecot(
    servers_root: Path, servers_ca: TestCA, oauth_authority: FakeAuthority
) -> Iterator[DovecotServer]:
    """Yield a running private Dovecot (plain+STARTTLS port, implicit TLS port, XOAUTH2)."""
    if shutil.which("dovecot") is None:
        # ./scripts/test installs it: under CI a missing server is a failure, not a skip
        missing = "dovecot is not installed (./scripts/test installs dovecot-imapd)"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    server = DovecotServer.start(
        servers_root / "dovecot",
        servers_ca,
        oauth_introspection_url=oauth_authority.introspection_url,
    )
    yield server
    server.stop()


@pytest.fixture
def imap_user(dovecot: DovecotServer) -> DovecotUser:
    """Return a fresh user with an empty INBOX on the session's Dovecot."""
    return dovecot.add_user()
