"""``mailwright accounts``: add, list, show, enable, disable, remove, test — on local
sources and against the suite's real Dovecot (implicit TLS, STARTTLS, plain, XOAUTH2)."""

# ruff: noqa: F811 - pytest fixtures imported from test_settings are named as parameters
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailstore import models as m
from runtime.cli import main
from tests.runtime.test_settings import (  # noqa: F401 - fixtures
    configured,
    db_url,
    make_maildir,
    message,
    open_store,
)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def accounts(config: Path) -> list[m.MailAccount]:
    with open_store(config):
        return list(m.MailAccount.select().order_by(m.MailAccount.name))


def test_add_list_show_disable_enable_remove_a_maildir(configured: Path, tmp_path: Path, capsys):
    maildir = make_maildir(tmp_path / "md", 2)
    status, out = cli(
        capsys, "accounts", "add", "faktury", "--purpose", "INVOICES", "--maildir", str(maildir),
        "--quiet-period", "48",
    )  # fmt: skip
    assert status == 0, out
    assert out.startswith(f"added account faktury (maildir {maildir.resolve()})")
    status, out = cli(capsys, "accounts", "list")
    assert status == 0 and "faktury" in out and "INVOICES" in out and "yes" in out
    status, out = cli(capsys, "accounts", "show", "faktury")
    assert status == 0
    assert "quiet period:   48 h" in out and "stored e-mails: 0" in out
    assert "last run:       never" in out and "last error:     -" in out
    assert cli(capsys, "accounts", "disable", "faktury") == (0, "account faktury disabled\n")
    assert accounts(configured)[0].enabled is False
    assert cli(capsys, "accounts", "enable", "faktury")[0] == 0
    assert accounts(configured)[0].enabled is True
    status, out = cli(capsys, "accounts", "test", "faktury")
    assert status == 0 and "2 message(s)" in out
    assert cli(capsys, "accounts", "remove", "faktury") == (0, "removed account faktury\n")
    assert accounts(configured) == []
    status, out = cli(capsys, "accounts", "list")
    assert "no accounts" in out
    assert cli(capsys, "accounts", "list", "--json") == (0, "[]\n")


def test_list_as_json_for_monitoring(dovecot, imap_user, imap_login, servers_ca, capsys):
    # a program reads every setting and the last run's outcome; never a secret
    add_imap(capsys, "noca", dovecot.ssl_port, "--quiet-period", "24")
    assert cli(capsys, "ingest")[0] == 1  # the private CA is not trusted
    status, out = cli(capsys, "accounts", "list", "--json")
    assert status == 0, out
    [row] = json.loads(out)
    assert row["name"] == "noca" and row["source"] == "imap" and row["credential"] == "login"
    assert (row["host"], row["port"], row["security"]) == ("127.0.0.1", dovecot.ssl_port, "ssl")
    assert row["quietPeriodHours"] == 24 and row["enabled"] is True and row["path"] is None
    assert row["lastRunAt"] and row["lastSuccessAt"] is None
    assert "check --security / --ca-file" in row["lastError"]
    assert imap_user.password not in out


def test_from_now_and_since_on_the_command_line(configured: Path, tmp_path: Path, capsys):
    maildir = make_maildir(tmp_path / "md", 4)
    status, out = cli(
        capsys, "accounts", "add", "old", "--purpose", "INVOICES", "--maildir", str(maildir),
        "--from-now",
    )  # fmt: skip
    assert status == 0 and "4 message(s) already there recorded as IGNORED" in out
    status, out = cli(capsys, "accounts", "show", "old")
    assert "stored e-mails: 4" in out
    # a time without an offset is the configured zone's; this config has none: the machine's
    status, out = cli(
        capsys, "accounts", "add", "dated", "--purpose", "GENERAL", "--maildir", str(maildir),
        "--since", "2024-03-01T12:00+01:00",
    )  # fmt: skip
    assert status == 0, out
    assert "since:          2024-03-01 11:00 UTC" in cli(capsys, "accounts", "show", "dated")[1]
    status, out = cli(
        capsys, "accounts", "add", "x", "--purpose", "GENERAL", "--maildir", str(maildir),
        "--since", "2024-03-01", "--from-now",
    )  # fmt: skip
    assert status == 2 and "not allowed with argument" in out


def test_usage_errors_exit_2_and_add_nothing(configured: Path, tmp_path: Path, capsys):
    mbox_file = tmp_path / "box.mbox"
    mbox_file.write_bytes(b"")
    status, out = cli(
        capsys, "accounts", "add", "mb", "--purpose", "GENERAL", "--mbox", str(mbox_file),
        "--after", "delete",
    )  # fmt: skip
    assert status == 2
    assert "mailwright accounts: --after 'delete' is not possible for a mbox (use none)" in out
    status, out = cli(capsys, "accounts", "add", "x", "--purpose", "GENERAL")
    assert status == 2 and "one of the arguments --imap --maildir --mbox --eml-dir" in out
    status, out = cli(capsys, "accounts", "show", "nope")
    assert status == 2 and "no account named 'nope' (there are no accounts)" in out
    status, out = cli(capsys, "accounts")
    assert status == 2 and "say what to do" in out
    assert accounts(configured) == []


def test_remove_refuses_an_account_with_stored_mail(configured: Path, tmp_path: Path, capsys):
    maildir = make_maildir(tmp_path / "md", 1)
    cli(capsys, "accounts", "add", "md", "--purpose", "GENERAL", "--maildir", str(maildir),
        "--from-now")  # fmt: skip
    status, out = cli(capsys, "accounts", "remove", "md")
    assert status == 2 and "disable it instead (mailwright accounts disable md)" in out
    assert len(accounts(configured)) == 1


def test_without_a_config_it_says_how_to_make_one(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    status, out = cli(capsys, "accounts", "list")
    assert status == 2 and "mailwright init DIR" in out


# --- against the real Dovecot --------------------------------------------------------


@pytest.fixture
def imap_login(dovecot, imap_user, configured: Path, capsys, monkeypatch) -> str:
    """A password credential named ``login`` for the test's Dovecot user."""
    monkeypatch.setenv("IMAP_PW", imap_user.password)
    status, out = cli(capsys, "credentials", "add", "login", "--type", "password", "--user",
                      imap_user.name, "--password-env", "IMAP_PW")  # fmt: skip
    assert status == 0, out
    return "login"


def add_imap(capsys, name: str, port: int, *extra: str) -> tuple[int, str]:
    return cli(capsys, "accounts", "add", name, "--purpose", "INVOICES", "--imap", "127.0.0.1",
               "--port", str(port), "--credential", "login", *extra)  # fmt: skip


def test_test_logs_in_over_tls_and_starttls(dovecot, imap_user, imap_login, servers_ca, capsys):
    dovecot.append(imap_user, [message(1), message(2), message(3)])
    ca = str(servers_ca.ca_file)
    assert add_imap(capsys, "tls", dovecot.ssl_port, "--ca-file", ca)[0] == 0
    status, out = cli(capsys, "accounts", "test", "tls")
    assert status == 0, out
    assert f"logged in as {imap_user.name} (ssl)" in out
    assert "INBOX: 3 message(s), UIDVALIDITY" in out
    assert add_imap(capsys, "st", dovecot.starttls_port, "--security", "starttls",
                    "--ca-file", ca)[0] == 0  # fmt: skip
    status, out = cli(capsys, "accounts", "test", "st")
    assert status == 0 and "(starttls)" in out
    # testing changes nothing on the server: nothing is marked as read
    client = dovecot.client(imap_user)
    try:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["SEEN"]) == []
    finally:
        client.logout()


def test_test_reports_what_to_check(dovecot, imap_user, imap_login, servers_ca, capsys):
    # no --ca-file: the private CA is not trusted, and verification is never turned off
    add_imap(capsys, "noca", dovecot.ssl_port)
    status, out = cli(capsys, "accounts", "test", "noca")
    assert status == 1 and "check --security / --ca-file" in out
    add_imap(capsys, "nofolder", dovecot.ssl_port, "--ca-file", str(servers_ca.ca_file),
             "--folder", "Archiv")  # fmt: skip
    status, out = cli(capsys, "accounts", "test", "nofolder")
    assert status == 1 and "check --folder" in out
    add_imap(capsys, "plain", dovecot.port, "--security", "none", "--allow-insecure")
    status, out = cli(capsys, "accounts", "test", "plain")
    assert status == 0 and "(none)" in out


def test_a_wrong_password_says_check_the_credential(
    dovecot, imap_user, configured: Path, servers_ca, capsys, monkeypatch
):
    monkeypatch.setenv("IMAP_PW", "not-" + imap_user.password)
    cli(capsys, "credentials", "add", "login", "--type", "password", "--user", imap_user.name,
        "--password-env", "IMAP_PW")  # fmt: skip
    add_imap(capsys, "a", dovecot.ssl_port, "--ca-file", str(servers_ca.ca_file))
    status, out = cli(capsys, "accounts", "test", "a")
    assert status == 1 and "check the credential" in out
    assert imap_user.password not in out


def test_from_now_lists_the_imap_folder_headers_only(
    dovecot, imap_user, imap_login, servers_ca, configured: Path, capsys
):
    uids = dovecot.append(imap_user, [message(n, "BODY-NEVER-STORED") for n in range(3)])
    status, out = add_imap(capsys, "a", dovecot.ssl_port, "--ca-file", str(servers_ca.ca_file),
                           "--from-now")  # fmt: skip
    assert status == 0, out
    assert "--from-now: 3 message(s) already there recorded as IGNORED" in out
    with open_store(configured) as store:
        rows = list(m.ReceivedEmail.select().order_by(m.ReceivedEmail.uid))
        assert [r.uid for r in rows] == uids
        assert {(r.state, r.folder) for r in rows} == {("IGNORED", "INBOX")}
        assert all(r.uidvalidity for r in rows)
        assert [r.subject for r in rows] == ["faktura 0", "faktura 1", "faktura 2"]
        assert all(b"BODY-NEVER-STORED" not in store.file(r.sha256) for r in rows)
    client = dovecot.client(imap_user)
    try:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["SEEN"]) == []  # headers were peeked, nothing marked read
    finally:
        client.logout()
    # the first run handles only what came after: the old mail stays IGNORED and unread
    [new_uid] = dovecot.append(imap_user, [message(3)])
    script = configured.parent / "handler.jexl"
    script.write_text("log('handled ' + entity.subject)", encoding="utf-8")
    assert cli(capsys, "accounts", "edit", "a", "--handler", str(script))[0] == 0
    status, out = cli(capsys, "ingest")
    assert status == 0, out
    assert "a: 1 stored, 1 processed" in out
    with open_store(configured):
        e = m.ReceivedEmail
        assert [r.uid for r in e.select().where(e.state == "PROCESSED")] == [new_uid]
        assert e.select().where(e.state == "IGNORED").count() == 3
    client = dovecot.client(imap_user)
    try:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["SEEN"]) == [new_uid]
    finally:
        client.logout()


def test_from_now_with_a_failing_login_adds_nothing(
    dovecot, imap_user, imap_login, configured: Path, capsys
):
    status, out = add_imap(capsys, "a", dovecot.ssl_port, "--from-now")  # CA not trusted
    assert status == 2 and "--from-now needs the mailbox" in out and "--ca-file" in out
    assert accounts(configured) == []


def test_xoauth2_logs_in_as_the_address(
    dovecot, imap_user, oauth_authority, servers_ca, configured: Path, capsys, monkeypatch
):
    app = oauth_authority.add_client(imap_user.name)
    monkeypatch.setenv("APP_SECRET", app.secret)
    ca = str(servers_ca.ca_file)
    status, out = cli(
        capsys, "credentials", "add", "app", "--type", "oauth2-client", "--tenant", app.tenant,
        "--client-id", app.client_id, "--secret-env", "APP_SECRET",
        "--authority", oauth_authority.url, "--ca-file", ca,
    )  # fmt: skip
    assert status == 0, out
    status, out = cli(
        capsys, "accounts", "add", "m365", "--purpose", "INVOICES", "--imap", "127.0.0.1",
        "--port", str(dovecot.ssl_port), "--ca-file", ca, "--credential", "app",
    )  # fmt: skip
    assert status == 2 and "OAuth2: give --address" in out
    status, out = cli(
        capsys, "accounts", "add", "m365", "--purpose", "INVOICES", "--imap", "127.0.0.1",
        "--port", str(dovecot.ssl_port), "--ca-file", ca, "--credential", "app",
        "--address", imap_user.name,
    )  # fmt: skip
    assert status == 0, out
    status, out = cli(capsys, "accounts", "test", "m365")
    assert status == 0, out
    assert f"logged in as {imap_user.name}" in out
    with open_store(configured):
        cached = m.Credential.get(m.Credential.name == "app").tokenCache
    assert cached and app.secret not in cached  # the token cache is kept, encrypted
    assert app.secret not in out


def test_a_move_target_folder_is_kept_as_given(
    dovecot, imap_user, imap_login, servers_ca, configured: Path, capsys
):
    status, _ = add_imap(capsys, "a", dovecot.ssl_port, "--ca-file", str(servers_ca.ca_file),
                         "--after", "move:Zpracováno", "--keywords")  # fmt: skip
    assert status == 0
    (account,) = accounts(configured)
    assert account.afterProcessing == "move:Zpracováno" and account.imapKeywords is True


# --- edit and rename -----------------------------------------------------------------------


def test_edit_fixes_an_imap_account_that_failed_its_test(
    dovecot, imap_user, imap_login, servers_ca, tmp_path: Path, capsys
):
    add_imap(capsys, "a", dovecot.ssl_port, "--folder", "Archiv")
    assert cli(capsys, "accounts", "test", "a")[0] == 1  # the private CA is not trusted
    status, out = cli(capsys, "accounts", "edit", "a", "--ca-file", str(servers_ca.ca_file),
                      "--folder", "INBOX", "--keywords", "--after", "move:Done")  # fmt: skip
    assert status == 0, out
    assert out.startswith("account a changed\n")
    assert "after: seen -> move:Done" in out and "keywords: no -> yes" in out
    assert "folder: Archiv -> INBOX" in out
    status, out = cli(capsys, "accounts", "test", "a")
    assert status == 0 and "INBOX: 0 message(s)" in out, out
    status, out = cli(capsys, "accounts", "show", "a")
    assert "after:          move:Done" in out and "keywords:       yes" in out
    assert f"ca file:        {servers_ca.ca_file.resolve()}" in out
    status, out = cli(capsys, "accounts", "edit", "a", "--no-keywords")
    assert status == 0 and "keywords: yes -> no" in out


def test_edit_and_rename_on_the_command_line(configured: Path, tmp_path: Path, capsys):
    maildir = make_maildir(tmp_path / "md", 1)
    cli(capsys, "accounts", "add", "box", "--purpose", "INVOICES", "--maildir", str(maildir))
    script = tmp_path / "own.jexl"
    script.write_text("1", encoding="utf-8")
    status, out = cli(capsys, "accounts", "edit", "box", "--handler", str(script),
                      "--quiet-period", "12")  # fmt: skip
    assert status == 0, out
    assert f"handler: (the global one) -> {script.resolve()}" in out
    assert "quiet period: - -> 12" in out
    status, out = cli(capsys, "accounts", "edit", "box", "--no-handler")
    assert status == 0 and f"handler: {script.resolve()} -> (the global one)" in out
    assert accounts(configured)[0].handlerScript is None
    # refusals are usage errors naming the option; nothing changes
    for args, expected in [
        ((), "nothing to change"),
        (("--after", "delete:x"), "use seen, move:FOLDER, delete or none"),
        (("--folder", "INBOX"), "--folder is for IMAP accounts"),
        (("--handler", "x.jexl", "--no-handler"), "not allowed with argument"),
    ]:
        status, out = cli(capsys, "accounts", "edit", "box", *args)
        assert status == 2 and expected in out, out
    status, out = cli(capsys, "accounts", "edit", "nope", "--quiet-period", "1")
    assert status == 2 and "no account named 'nope' (accounts: box)" in out
    assert cli(capsys, "accounts", "rename", "box", "faktury") == (
        0,
        "account box is now faktury\n",
    )
    assert [a.name for a in accounts(configured)] == ["faktury"]
    cli(capsys, "accounts", "add", "b2", "--purpose", "GENERAL", "--maildir", str(maildir))
    status, out = cli(capsys, "accounts", "rename", "b2", "faktury")
    assert status == 2 and "an account named 'faktury' exists" in out


def test_a_changed_password_is_updated_in_place(
    dovecot, imap_user, configured: Path, servers_ca, capsys, monkeypatch
):
    """The mailbox's password changed: `credentials update` puts the new one in, the
    accounts using the credential keep it, and the secret is never printed."""
    monkeypatch.setenv("IMAP_PW", "old-" + imap_user.password)
    cli(capsys, "credentials", "add", "login", "--type", "password", "--user", imap_user.name,
        "--password-env", "IMAP_PW")  # fmt: skip
    add_imap(capsys, "a", dovecot.ssl_port, "--ca-file", str(servers_ca.ca_file))
    assert cli(capsys, "accounts", "test", "a")[0] == 1
    monkeypatch.setenv("IMAP_NEW", imap_user.password)
    status, out = cli(capsys, "credentials", "update", "login", "--password-env", "IMAP_NEW")
    assert (status, out) == (0, "credential login: password changed\n")
    status, out = cli(capsys, "accounts", "test", "a")
    assert status == 0, out
    assert imap_user.password not in out
    with open_store(configured) as store:
        credential = m.Credential.get(m.Credential.name == "login")
        assert store.secrets.decrypt(credential.secret) == imap_user.password
        assert [a.name for a in m.MailAccount.select()] == ["a"]  # still attached


def test_update_refuses_what_the_kind_does_not_have(configured: Path, capsys, monkeypatch):
    monkeypatch.setenv("SECRET", "s3cret-value")
    cli(capsys, "credentials", "add", "person", "--type", "oauth2-delegated", "--tenant", "t",
        "--client-id", "c")  # fmt: skip
    status, out = cli(capsys, "credentials", "update", "person", "--secret-env", "SECRET")
    assert status == 2 and "credentials login person" in out and "s3cret" not in out
    status, out = cli(capsys, "credentials", "update", "person", "--user", "x@example.com")
    assert status == 2 and "--user is for passwords" in out
    status, out = cli(capsys, "credentials", "update", "person")
    assert status == 2 and "say what to change" in out
    status, out = cli(capsys, "credentials", "update", "nobody", "--secret-env", "SECRET")
    assert status == 2 and "no credential named 'nobody'" in out


def test_a_new_client_secret_drops_the_cached_token(configured: Path, capsys, monkeypatch):
    monkeypatch.setenv("SECRET", "first-secret")
    cli(capsys, "credentials", "add", "app", "--type", "oauth2-client", "--tenant", "t",
        "--client-id", "c", "--secret-env", "SECRET")  # fmt: skip
    with open_store(configured) as store:
        token = store.secrets.encrypt('{"AccessToken": {}}')
        m.Credential.update(tokenCache=token).execute()
    monkeypatch.setenv("SECRET", "second-secret")
    status, out = cli(capsys, "credentials", "update", "app", "--secret-env", "SECRET")
    assert (status, out) == (0, "credential app: client secret changed\n")
    with open_store(configured) as store:
        credential = m.Credential.get(m.Credential.name == "app")
        assert store.secrets.decrypt(credential.secret) == "second-secret"
        assert credential.tokenCache is None  # a token of the old secret is asked again
