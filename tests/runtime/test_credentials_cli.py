"""``mailwright credentials``: add (password, oauth2-client, oauth2-delegated), list,
remove, login; a secret is read from the environment or stdin and found nowhere in clear."""

# ruff: noqa: F811 - pytest fixtures imported from test_settings are named as parameters
from __future__ import annotations

import io
import logging
import sys
import threading
import time
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.db import is_sqlite
from runtime.cli import main
from tests.runtime.test_settings import configured, db_url, open_store  # noqa: F401

PASSWORD = "Zlatá-Rybka-7731"  # non-ASCII on purpose: it must survive stdin and encryption
CLIENT_SECRET = "cs~Q8v.Zp2_client-secret"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def stored_text(config: Path) -> bytes:
    """Every byte the store keeps: the SQLite files and the blobs, or on PostgreSQL every
    row of every table as text; plus whatever else the test wrote (a log file)."""
    # the test's whole tmp_path: the SQLite file (and its journal) sits next to the setup
    chunks = [p.read_bytes() for p in config.parent.parent.rglob("*") if p.is_file()]
    with open_store(config) as store:
        if not is_sqlite(store.db):
            for table in store.db.get_tables():
                rows = store.db.execute_sql(f'SELECT CAST(t AS text) FROM "{table}" t').fetchall()
                chunks.extend(str(r[0]).encode("utf-8") for r in rows)
    return b"\n".join(chunks)


def test_secrets_are_nowhere_in_clear(configured: Path, capsys, caplog, monkeypatch) -> None:
    caplog.set_level(logging.DEBUG)
    seen = ""
    monkeypatch.setenv("MW_PW", PASSWORD)
    status, out = cli(capsys, "credentials", "add", "pw", "--type", "password", "--user",
                      "faktury@example.com", "--password-env", "MW_PW")  # fmt: skip
    assert (status, out) == (0, "added credential pw\n")
    seen += out
    monkeypatch.setattr(sys, "stdin", io.StringIO(CLIENT_SECRET + "\n"))
    status, out = cli(capsys, "credentials", "add", "app", "--type", "oauth2-client", "--tenant",
                      "contoso", "--client-id", "cid-1", "--secret-stdin", "--debug")  # fmt: skip
    assert status == 0, out
    seen += out
    for args in (
        ("credentials", "list"),
        ("accounts", "add", "a", "--purpose", "INVOICES", "--imap", "h", "--credential", "pw"),
        ("accounts", "show", "a"),
        ("accounts", "list"),
        ("credentials", "remove", "pw", "--debug"),  # refused: a is using it
        (
            "credentials",
            "add",
            "pw",
            "--type",
            "password",
            "--user",
            "u",
            "--password-env",
            "MW_PW",
        ),  # fmt: skip - refused: exists
    ):
        seen += cli(capsys, *args)[1]
    seen += caplog.text
    assert "stored" in seen and "faktury@example.com" in seen  # the output did come
    store_bytes = stored_text(configured)
    assert b"faktury@example.com" in store_bytes  # the scan does see the credential rows
    for secret in (PASSWORD, CLIENT_SECRET):
        assert secret not in seen
        assert secret.encode("utf-8") not in store_bytes
    with open_store(configured) as store:  # yet both are there, encrypted
        rows = {c.name: c for c in m.Credential.select()}
        assert store.secrets.decrypt(rows["pw"].secret) == PASSWORD
        assert store.secrets.decrypt(rows["app"].secret) == CLIENT_SECRET


def test_a_secret_cannot_be_given_on_the_command_line(configured: Path, capsys) -> None:
    # no option takes the secret itself (argparse may echo what it did not recognise: the
    # user typed it there, but nothing is stored)
    for option in ("--password", "--secret", "--password-value"):
        status, _ = cli(capsys, "credentials", "add", "pw", "--type", "password", "--user", "u",
                        option, PASSWORD)  # fmt: skip
        assert status == 2
    with open_store(configured):
        assert m.Credential.select().count() == 0
    status, out = cli(capsys, "credentials", "add", "pw", "--type", "password", "--user", "u")
    assert status == 2 and "give --password-env VAR or --password-stdin" in out


def test_secret_sources_are_checked(configured: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("MW_NOPE", raising=False)
    status, out = cli(capsys, "credentials", "add", "pw", "--type", "password", "--user", "u",
                      "--password-env", "MW_NOPE")  # fmt: skip
    assert status == 2 and "MW_NOPE is not set or empty" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    status, out = cli(capsys, "credentials", "add", "pw", "--type", "password", "--user", "u",
                      "--password-stdin")  # fmt: skip
    assert status == 2 and "empty secret" in out
    monkeypatch.setenv("MW_PW", PASSWORD)
    status, out = cli(capsys, "credentials", "add", "pw", "--type", "password", "--user", "u",
                      "--secret-env", "MW_PW")  # fmt: skip
    assert status == 2 and "takes --password-env or --password-stdin" in out
    with open_store(configured):
        assert m.Credential.select().count() == 0


def test_password_from_stdin_keeps_everything_but_the_line_end(
    configured: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(" mezera na konci \r\nignored\n"))
    status, _ = cli(capsys, "credentials", "add", "pw", "--type", "password", "--user", "u",
                    "--password-stdin")  # fmt: skip
    assert status == 0
    with open_store(configured) as store:
        row = m.Credential.get(m.Credential.name == "pw")
        assert store.secrets.decrypt(row.secret) == " mezera na konci "


def test_list_and_remove(configured: Path, capsys, monkeypatch) -> None:
    status, out = cli(capsys, "credentials", "list")
    assert status == 0 and "no credentials" in out
    cli(capsys, "credentials", "add", "me", "--type", "oauth2-delegated", "--tenant", "contoso",
        "--client-id", "cid-2")  # fmt: skip
    status, out = cli(capsys, "credentials", "list")
    assert status == 0
    assert "oauth2-delegated" in out and "contoso / cid-2" in out and "none" in out
    assert cli(capsys, "credentials", "remove", "me") == (0, "removed credential me\n")
    status, out = cli(capsys, "credentials", "remove", "me")
    assert status == 2 and "no credential named 'me' (there are none)" in out


def test_login_is_only_for_delegated_credentials(configured: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MW_PW", PASSWORD)
    cli(capsys, "credentials", "add", "pw", "--type", "password", "--user", "u",
        "--password-env", "MW_PW")  # fmt: skip
    status, out = cli(capsys, "credentials", "login", "pw")
    assert status == 2 and "only oauth2-delegated credentials sign in" in out


def approve_when_asked(authority, mailbox: str) -> threading.Thread:
    """Play the person who enters the code shown by `credentials login`, in a thread."""

    def approve() -> None:
        for _ in range(200):
            pending = [c.user_code for c in list(authority.device_codes.values()) if not c.mailbox]
            if pending:
                authority.approve(pending[0], mailbox)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    return thread


def test_delegated_sign_in_then_xoauth2_then_revoked(
    dovecot, imap_user, oauth_authority, servers_ca, configured: Path, capsys
) -> None:
    # a short-lived access token, so the next use needs the refresh token
    app = oauth_authority.add_client(imap_user.name, expires_in=60)
    ca = str(servers_ca.ca_file)
    status, out = cli(
        capsys, "credentials", "add", "me", "--type", "oauth2-delegated", "--tenant", app.tenant,
        "--client-id", app.client_id, "--authority", oauth_authority.url, "--ca-file", ca,
    )  # fmt: skip
    assert status == 0, out
    approver = approve_when_asked(oauth_authority, imap_user.name)
    status, out = cli(capsys, "credentials", "login", "me")
    approver.join()
    assert status == 0, out
    assert "To sign in, open" in out and "signed in: credential me is ready" in out
    status, out = cli(
        capsys, "accounts", "add", "person", "--purpose", "GENERAL", "--imap", "127.0.0.1",
        "--port", str(dovecot.ssl_port), "--ca-file", ca, "--credential", "me",
        "--address", imap_user.name,
    )  # fmt: skip
    assert status == 0, out
    status, out = cli(capsys, "accounts", "test", "person")
    assert status == 0, out
    assert f"logged in as {imap_user.name}" in out
    oauth_authority.revoke_refresh_tokens()
    status, out = cli(capsys, "accounts", "test", "person")
    assert status == 1
    assert "run `mailwright credentials login me`" in out
    # the cron run says the same, for that account
    status, out = cli(capsys, "ingest")
    assert status == 1
    assert "person: " in out and "run `mailwright credentials login me`" in out
    assert "person: failed (1 error)" in out


def test_a_delegated_credential_nobody_signed_in_to(
    oauth_authority, servers_ca, configured: Path, capsys
) -> None:
    app = oauth_authority.add_client("nobody@example.test")
    cli(capsys, "credentials", "add", "me", "--type", "oauth2-delegated", "--tenant", app.tenant,
        "--client-id", app.client_id, "--authority", oauth_authority.url,
        "--ca-file", str(servers_ca.ca_file))  # fmt: skip
    cli(capsys, "accounts", "add", "person", "--purpose", "GENERAL", "--imap", "127.0.0.1",
        "--credential", "me", "--address", "nobody@example.test")  # fmt: skip
    status, out = cli(capsys, "accounts", "test", "person")
    assert status == 1 and "nobody has signed in yet" in out and "credentials login me" in out
