"""The test servers themselves: Dovecot's listeners, users, APPEND, doveadm; the authority."""

from __future__ import annotations

import json
import socket
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.servers import TestCA
from tests.servers.dovecot import DovecotServer, DovecotUser
from tests.servers.oauth import FakeAuthority


def greeting(port: int, context: ssl.SSLContext | None = None) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        if context is None:
            return raw.recv(200)
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.recv(200)


def test_both_listeners_greet_and_tls_verifies_with_the_ca(dovecot: DovecotServer) -> None:
    assert greeting(dovecot.port).startswith(b"* OK")
    context = ssl.create_default_context(cafile=str(dovecot.ca.ca_file))
    assert greeting(dovecot.ssl_port, context).startswith(b"* OK")


def test_implicit_tls_is_refused_without_the_ca(dovecot: DovecotServer) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        greeting(dovecot.ssl_port, ssl.create_default_context())


def test_plain_listener_offers_starttls_and_xoauth2(dovecot: DovecotServer) -> None:
    client = IMAPClient(dovecot.host, port=dovecot.starttls_port, ssl=False, timeout=5)
    try:
        capabilities = client.capabilities()
        assert b"STARTTLS" in capabilities
        client.starttls(ssl.create_default_context(cafile=str(dovecot.ca.ca_file)))
        assert b"AUTH=XOAUTH2" in client.capabilities()
    finally:
        client.shutdown()


def test_users_are_isolated_and_append_returns_uids(dovecot: DovecotServer) -> None:
    alice, bob = dovecot.add_user(), dovecot.add_user()
    assert alice.name != bob.name
    uids = dovecot.append(alice, [b"Subject: 1\r\n\r\na\r\n", b"Subject: 2\r\n\r\nb\r\n"])
    assert dovecot.uids(alice) == uids
    assert dovecot.uids(bob) == []


def test_append_creates_the_folder_and_sets_flags(
    dovecot: DovecotServer, imap_user: DovecotUser
) -> None:
    (uid,) = dovecot.append(imap_user, [b"Subject: x\r\n\r\nx\r\n"], folder="Old", flags=["\\Seen"])
    client = dovecot.client(imap_user)
    try:
        client.select_folder("Old", readonly=True)
        assert b"\\Seen" in client.get_flags([uid])[uid]
    finally:
        client.logout()


def test_named_user_with_password(dovecot: DovecotServer) -> None:
    user = dovecot.add_user("named@example.test", "s3cret")
    client = dovecot.client(user)
    client.logout()
    with pytest.raises(Exception, match="AUTHENTICATIONFAILED"):
        dovecot.client(DovecotUser(user.name, "wrong"))


def test_change_uidvalidity_keeps_the_messages(
    dovecot: DovecotServer, imap_user: DovecotUser
) -> None:
    uids = dovecot.append(imap_user, [b"Subject: x\r\n\r\nx\r\n"])
    client = dovecot.client(imap_user)
    old = client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]
    client.logout()
    new = dovecot.change_uidvalidity(imap_user)
    assert new != old
    client = dovecot.client(imap_user)
    try:
        assert client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"] == new
    finally:
        client.logout()
    assert dovecot.uids(imap_user) == uids


def test_kick_drops_open_connections(dovecot: DovecotServer, imap_user: DovecotUser) -> None:
    client = dovecot.client(imap_user)
    dovecot.kick(imap_user)
    with pytest.raises((IMAPClient.AbortError, OSError)):
        client.noop()


def test_a_second_server_starts_and_stops_cleanly(servers_ca: TestCA, servers_root: Path) -> None:
    server = DovecotServer.start(Path(tempfile.mkdtemp(dir=servers_root)), servers_ca)
    port = server.port
    server.stop()
    assert server.process.returncode is not None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_start_refuses_a_folder_dovecot_cannot_enter(servers_ca: TestCA, tmp_path: Path) -> None:
    tmp_path.chmod(0o700)  # as pytest makes it: Dovecot's users could not enter it
    with pytest.raises(RuntimeError, match="not world-traversable"):
        DovecotServer.start(tmp_path / "dovecot", servers_ca)


# ------------------------------------------------------------------ the fake authority


def post(url: str, form: dict[str, str], ca: TestCA) -> tuple[int, dict[str, object]]:
    data = urllib.parse.urlencode(form).encode()
    context = ssl.create_default_context(cafile=str(ca.ca_file))
    try:
        with urllib.request.urlopen(url, data=data, context=context, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_authority_discovery_document(oauth_authority: FakeAuthority) -> None:
    url = f"{oauth_authority.authority('t1')}/v2.0/.well-known/openid-configuration"
    context = ssl.create_default_context(cafile=str(oauth_authority.ca.ca_file))
    with urllib.request.urlopen(url, context=context, timeout=5) as answer:
        document = json.loads(answer.read())
    assert document["token_endpoint"] == f"{oauth_authority.url}/t1/oauth2/v2.0/token"


def test_token_then_introspection(oauth_authority: FakeAuthority) -> None:
    client = oauth_authority.add_client("box@example.test")
    token_url = f"{oauth_authority.authority(client.tenant)}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": client.client_id,
        "client_secret": client.secret,
        "scope": "https://outlook.office365.com/.default",
    }
    status, answer = post(token_url, form, oauth_authority.ca)
    assert status == 200
    token = str(answer["access_token"])
    status, answer = post(oauth_authority.introspection_url, {"token": token}, oauth_authority.ca)
    assert answer["active"] is True
    assert answer["username"] == "box@example.test"
    status, answer = post(oauth_authority.introspection_url, {"token": "x"}, oauth_authority.ca)
    assert answer == {"active": False}
    status, answer = post(token_url, {**form, "client_secret": "bad"}, oauth_authority.ca)
    assert (status, answer["error"]) == (401, "invalid_client")


def test_revoked_tokens_introspect_inactive(oauth_authority: FakeAuthority) -> None:
    client = oauth_authority.add_client("box@example.test")
    token_url = f"{oauth_authority.authority(client.tenant)}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": client.client_id,
        "client_secret": client.secret,
    }
    token = str(post(token_url, form, oauth_authority.ca)[1]["access_token"])
    oauth_authority.revoke(token)
    answer = post(oauth_authority.introspection_url, {"token": token}, oauth_authority.ca)[1]
    assert answer == {"active": False}
