"""``mailwright doctor``: a working installation is all ok (exit 0); each broken part is named
with what to fix (exit 1), and the other checks still run.

Real parts: the suite's Dovecot (IMAP login), aiosmtpd (``smtp_server``, and ``smtp_plain``
that offers no STARTTLS), the fake OAuth2 authority, a real key file, SQLite and, with
``MAILWRIGHT_TEST_DATABASE_URL``, PostgreSQL.
"""

# ruff: noqa: F811 - pytest fixtures imported from test_settings are named as parameters
from __future__ import annotations

import datetime as dt
import json
import mailbox
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mailstore import models as m
from mailstore.config import load_config
from mailstore.secrets import generate_key
from runtime.cli import main
from runtime.doctor import run_doctor
from runtime.settings import (
    AccountSpec,
    CredentialSpec,
    add_account,
    add_credential,
    login_delegated,
    set_param,
)
from runtime.smtpaccounts import SmtpAccountSpec, add_smtp_account
from tests.runtime.test_settings import configured, db_url, open_store  # noqa: F401 - fixtures

ROBOT = "robot@example.test"
GOOD_HANDLER = 'if (entity.subject =~ "faktura.*") { log("invoice " + entity.subject); }\n'


@dataclass
class Setup:
    """A working installation: its config, key file, folder and servers."""

    config: Path
    key: Path
    folder: Path
    smtp: Any
    imap_user: Any


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``mailwright doctor --json``; return the exit status and the report."""
    status = main(["doctor", "--json", "--timeout", "5", *args])
    out = capsys.readouterr().out
    return status, json.loads(out)


def by_check(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for result in report["checks"]:
        found.setdefault(result["check"], []).append(result)
    return found


def only(report: dict[str, Any], check: str) -> dict[str, Any]:
    results = by_check(report)[check]
    assert len(results) == 1, results
    return results[0]


def statuses(report: dict[str, Any]) -> dict[str, str]:
    """check -> status of its last result."""
    return {r["check"]: r["status"] for r in report["checks"]}


def build_setup(config: Path, dovecot, imap_user, smtp, ca_file: str, *, smtp_security: str
                = "starttls") -> Setup:  # fmt: skip
    """Fill the configured store with a working installation (everything doctor checks)."""
    folder = config.parent
    (folder / "handler.jexl").write_text(GOOD_HANDLER, encoding="utf-8")
    with config.open("a", encoding="utf-8") as f:
        f.write('\n[handler]\nscript = "handler.jexl"\n')
    robot_box = folder / "robot-maildir"
    mailbox.Maildir(robot_box, create=True)
    with open_store(config) as store:
        add_credential(store, CredentialSpec("login", "password", user=imap_user.name,
                                             secret=imap_user.password))  # fmt: skip
        add_account(store, AccountSpec("faktury", "INVOICES", "imap", host="127.0.0.1",
                                       port=dovecot.ssl_port, security="ssl", credential="login",
                                       ca_file=ca_file, quiet_period_hours=24))  # fmt: skip
        add_account(store, AccountSpec("robot", "ROBOT", "maildir", path=str(robot_box),
                                       address=ROBOT))  # fmt: skip
        add_credential(store, CredentialSpec("smtp-login", "password", user=smtp.username,
                                             secret=smtp.password))  # fmt: skip
        add_smtp_account(store, SmtpAccountSpec("central", smtp.host, ROBOT, port=smtp.port,
                                                security=smtp_security, credential="smtp-login",
                                                ca_file=smtp.ca_file, default=True))  # fmt: skip
        set_param(store, "mail.robotAddress", ROBOT)
        # the runs work: ingestion recorded a success a minute ago
        m.MailAccount.update(lastSuccessAt=m.utcnow(), lastRunAt=m.utcnow()).execute()
    key = load_config(config).key_file
    assert key is not None and key.exists()
    return Setup(config, key, folder, smtp, imap_user)


@pytest.fixture
def setup(configured: Path, dovecot, imap_user, smtp_server, servers_ca) -> Setup:
    return build_setup(configured, dovecot, imap_user, smtp_server, str(servers_ca.ca_file))


# --- a working installation ----------------------------------------------------------


def test_a_working_installation_is_all_ok(setup: Setup, capsys) -> None:
    status, report = doctor(capsys)
    assert status == 0, report
    assert report["ok"] is True
    assert [r for r in report["checks"] if r["status"] != "ok"] == []
    checks = by_check(report)
    assert set(checks) == {
        "config", "database", "secret key", "account faktury", "account robot",
        "SMTP server", "robot address", "handler", "stale accounts",
    }  # fmt: skip
    assert "opens all 2 stored secret(s)" in only(report, "secret key")["detail"]
    assert "logged in, 0 message(s)" in only(report, "account faktury")["detail"]
    smtp = only(report, "SMTP server")["detail"]
    assert "STARTTLS" in smtp and "AUTH" in smtp and "no message was sent" in smtp
    assert setup.smtp.messages == []  # connect, STARTTLS, AUTH, QUIT: nothing sent
    assert setup.smtp.logins == [setup.smtp.username]
    assert only(report, "robot address")["detail"] == f"{ROBOT}: read by ROBOT account robot"
    assert (
        "compiles, `check` clean (used by global, account faktury"
        in only(report, "handler")["detail"]
    )


def test_the_text_report_has_a_line_per_check_and_a_summary(
    setup: Setup, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    status = main(["doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[0].startswith("ok    config: ") and lines[0].endswith("read and checked")
    assert all(line.startswith("ok    ") for line in lines[:-1])
    assert lines[-1] == "0 failed, 0 warning(s), 9 ok"


def test_no_secret_is_ever_shown(setup: Setup, capsys) -> None:
    key_text = setup.key.read_text(encoding="ascii").strip()
    with open_store(setup.config) as store:
        m.Credential.update(secret=store.secrets.encrypt("wrong-Heslo-123")).where(
            m.Credential.name == "login"
        ).execute()
    status = main(["doctor"])
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert status == 1
    for secret in (key_text, setup.imap_user.password, setup.smtp.password, "wrong-Heslo-123"):
        assert secret not in shown


# --- broken parts, each named with its fix -------------------------------------------


def test_a_wrong_imap_password(setup: Setup, dovecot, capsys) -> None:
    with open_store(setup.config) as store:
        m.Credential.update(secret=store.secrets.encrypt("not-the-password")).where(
            m.Credential.name == "login"
        ).execute()
    status, report = doctor(capsys)
    assert status == 1 and report["ok"] is False
    failed = only(report, "account faktury")
    assert failed["status"] == "FAIL"
    assert failed["detail"].startswith(f"127.0.0.1:{dovecot.ssl_port}: login as ")
    assert "refused" in failed["detail"]
    assert "credential login" in failed["fix"] and "accounts edit faktury" in failed["fix"]
    # the other checks ran and are still fine
    assert statuses(report) | {"account faktury": "ok"} == {
        check: "ok" for check in statuses(report)
    }


def test_a_missing_key_file(setup: Setup, capsys) -> None:
    setup.key.unlink()
    status, report = doctor(capsys)
    assert status == 1
    key = only(report, "secret key")
    assert key["status"] == "FAIL"
    assert f"key file {setup.key}: does not exist" in key["detail"]
    assert "restore" in key["fix"] and "backup" in key["fix"]
    # what needs the key is not tried (and no new, wrong key was made)
    assert not setup.key.exists()
    s = statuses(report)
    assert s["account faktury"] == "skip" and s["SMTP server"] == "skip"
    # what does not need it still ran
    assert s["account robot"] == s["handler"] == s["database"] == "ok"


def test_a_key_that_does_not_open_the_stored_secrets(setup: Setup, capsys) -> None:
    setup.key.write_text(generate_key() + "\n", encoding="ascii")  # the wrong key, still 0600
    status, report = doctor(capsys)
    assert status == 1
    problems = [r for r in by_check(report)["secret key"] if r["status"] == "FAIL"]
    assert [p["detail"].split(" cannot be decrypted")[0] for p in problems] == [
        "credential login (password): its password",
        "credential smtp-login (password): its password",
    ]
    assert all(f"with the key from key file {setup.key}" in p["detail"] for p in problems)
    assert all("restore the key" in p["fix"] for p in problems)
    assert only(report, "account faktury")["status"] == "FAIL"


def test_a_key_file_others_can_read(setup: Setup, capsys) -> None:
    os.chmod(setup.key, 0o644)
    status, report = doctor(capsys)
    assert status == 1
    failed = [r for r in by_check(report)["secret key"] if r["status"] == "FAIL"]
    assert len(failed) == 1
    assert "other users may read it (mode 644)" in failed[0]["detail"]
    assert failed[0]["fix"].startswith(f"chmod 600 {setup.key}")
    assert only(report, "account faktury")["status"] == "ok"  # the key itself still works


def test_smtp_without_starttls_is_refused_before_anything_is_sent(
    configured: Path, dovecot, imap_user, smtp_plain, servers_ca, capsys
) -> None:
    build_setup(configured, dovecot, imap_user, smtp_plain, str(servers_ca.ca_file))
    status, report = doctor(capsys)
    assert status == 1
    smtp = only(report, "SMTP server")
    assert smtp["status"] == "FAIL"
    assert "SMTP account 'central'" in smtp["detail"] and "STARTTLS failed" in smtp["detail"]
    assert "STARTTLS" in smtp["fix"]
    # the password never went over the plain connection
    assert smtp_plain.logins == [] and smtp_plain.messages == []
    assert statuses(report)["account faktury"] == "ok"


def test_a_handler_that_does_not_compile(setup: Setup, capsys) -> None:
    (setup.folder / "handler.jexl").write_text("var total = ;\n", encoding="utf-8")
    own = setup.folder / "own.jexl"
    own.write_text("var x = entity.subjekt;\n", encoding="utf-8")
    with open_store(setup.config):
        m.MailAccount.update(handlerScript=str(own)).where(m.MailAccount.name == "robot").execute()
    status, report = doctor(capsys)
    assert status == 1
    broken, warned = sorted(by_check(report)["handler"], key=lambda r: r["status"])
    assert broken["status"] == "FAIL"
    assert (
        "does not compile: handler.jexl:1:13: expected an expression, found ';'"
        in (broken["detail"])
    )
    assert "mailwright check" in broken["fix"]
    assert warned["status"] == "warn"
    assert "unknown property 'subjekt' of ReceivedEmail" in warned["detail"]


def test_a_stale_account(setup: Setup, capsys) -> None:
    with open_store(setup.config):
        m.MailAccount.update(
            lastSuccessAt=m.utcnow() - dt.timedelta(days=3), lastError="LOGIN refused"
        ).where(m.MailAccount.name == "faktury").execute()
    status, report = doctor(capsys)
    assert status == 1
    stale = only(report, "stale faktury")
    assert stale["status"] == "FAIL"
    assert "the last successful run was" in stale["detail"]
    assert "the last run reported: LOGIN refused" in stale["detail"]
    assert "mailwright ingest --account faktury" in stale["fix"]
    # the login itself works, but the last run's error is worth a warning
    assert only(report, "account faktury")["status"] == "warn"


def test_the_robot_address_needs_an_enabled_robot_mailbox(setup: Setup, capsys) -> None:
    with open_store(setup.config):
        m.MailAccount.update(enabled=False).where(m.MailAccount.name == "robot").execute()
    status, report = doctor(capsys)
    robot = only(report, "robot address")
    assert status == 1 and robot["status"] == "FAIL"
    assert "its ROBOT account robot is disabled" in robot["detail"]
    assert robot["fix"] == "`mailwright accounts enable robot`"
    with open_store(setup.config):
        m.GlobalParameter.delete().where(m.GlobalParameter.name == "mail.robotAddress").execute()
    status, report = doctor(capsys)
    robot = only(report, "robot address")
    assert robot["status"] == "FAIL"
    assert robot["detail"] == "mail.robotAddress is not set: replies to sent mail go nowhere"


# --- OAuth2 --------------------------------------------------------------------------


def approve_when_asked(authority, mailbox_name: str) -> threading.Thread:
    """Play the person who enters the device code, in a thread."""

    def approve() -> None:
        for _ in range(200):
            pending = [c.user_code for c in list(authority.device_codes.values()) if not c.mailbox]
            if pending:
                authority.approve(pending[0], mailbox_name)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    return thread


def test_a_revoked_delegated_sign_in(
    configured: Path, dovecot, imap_user, oauth_authority, servers_ca, capsys
) -> None:
    ca = str(servers_ca.ca_file)
    app = oauth_authority.add_client(imap_user.name)  # an hour-long access token
    with open_store(configured) as store:
        add_credential(store, CredentialSpec("me", "oauth2_delegated", tenant=app.tenant,
                                             client_id=app.client_id,
                                             authority=oauth_authority.url, ca_file=ca))  # fmt: skip
        approver = approve_when_asked(oauth_authority, imap_user.name)
        login_delegated(store, "me", lambda text: None)
        approver.join()
        add_account(store, AccountSpec("person", "GENERAL", "imap", host="127.0.0.1",
                                       port=dovecot.ssl_port, security="ssl", credential="me",
                                       address=imap_user.name, ca_file=ca))  # fmt: skip
    status, report = doctor(capsys)
    token = only(report, "credential me")
    assert token["status"] == "ok", token
    assert "a new token, valid 60 min (used by person)" in token["detail"]
    assert "its expiry is unknown (the authority does not tell)" in token["detail"]
    assert only(report, "account person")["status"] == "ok"

    # an administrator revokes the sessions; the cached access token would still work for
    # an hour, but doctor asks the authority, so the problem shows now
    oauth_authority.revoke_refresh_tokens()
    status, report = doctor(capsys)
    assert status == 1
    token = only(report, "credential me")
    assert token["status"] == "FAIL"
    assert "invalid_grant" in token["detail"]
    assert token["fix"] == "sign in again: `mailwright credentials login me`"


def test_a_client_secret_the_authority_refuses(
    configured: Path, oauth_authority, servers_ca, tmp_path: Path, capsys
) -> None:
    app = oauth_authority.add_client("box@example.test")
    box = tmp_path / "box"
    mailbox.Maildir(box, create=True)
    with open_store(configured) as store:
        add_credential(store, CredentialSpec("app", "oauth2_client", tenant=app.tenant,
                                             client_id=app.client_id, secret="not-it",
                                             authority=oauth_authority.url,
                                             ca_file=str(servers_ca.ca_file)))  # fmt: skip
        add_credential(store, CredentialSpec("unused", "oauth2_client", tenant=app.tenant,
                                             client_id=app.client_id, secret=app.secret))  # fmt: skip
        # an IMAP account would fail its login too; the token check alone is under test
        account = m.MailAccount.create(name="box", address="box@example.test", sourceKind="maildir",
                                       path=str(box), credential=m.Credential.get(name="app"))  # fmt: skip
        assert account.id
    status, report = doctor(capsys)
    assert status == 1
    token = only(report, "credential app")
    assert token["status"] == "FAIL" and "invalid_client" in token["detail"]
    assert "client secret" in token["fix"]
    assert only(report, "credential unused") == {
        "status": "skip",
        "check": "credential unused",
        "detail": "not checked: no enabled account uses it",
        "fix": None,
    }


# --- config and database -------------------------------------------------------------


def test_no_config(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    status, report = doctor(capsys)
    assert status == 1
    assert report["checks"][0]["status"] == "FAIL"
    assert "mailwright init DIR" in report["checks"][0]["fix"]
    assert {r["status"] for r in report["checks"][1:]} == {"skip"}


def test_a_config_with_a_bad_setting(tmp_path: Path, capsys) -> None:
    config = tmp_path / "mailwright.toml"
    config.write_text("[retry]\nattempts = 'five'\n", encoding="utf-8")
    status, report = doctor(capsys, "--config", str(config))
    assert status == 1
    first = report["checks"][0]
    assert first == {
        "status": "FAIL",
        "check": "config",
        "detail": f"{config}: retry.attempts: must be a whole number, at least 1",
        "fix": "correct the file or the setting named",
    }


def test_a_database_that_is_not_migrated(db_url: str, tmp_path: Path, capsys) -> None:
    config = tmp_path / "mailwright.toml"
    (tmp_path / "handler.jexl").write_text(GOOD_HANDLER, encoding="utf-8")
    config.write_text(f'[database]\nurl = "{db_url}"\n[handler]\nscript = "handler.jexl"\n',
                      encoding="utf-8")  # fmt: skip
    status, report = doctor(capsys, "--config", str(config))
    assert status == 1
    database = only(report, "database")
    assert database["status"] == "FAIL"
    assert "reachable, but not up to date: built-in schema version 0 -> " in database["detail"]
    assert database["fix"].startswith("run `mailwright db migrate`")
    # the handler needs no database: it is still checked
    assert only(report, "handler")["status"] == "ok"
    assert statuses(report)["stale accounts"] == "skip"


def test_a_database_that_cannot_be_reached(tmp_path: Path, capsys) -> None:
    config = tmp_path / "mailwright.toml"
    # a port nobody listens on: refused at once, never a hang
    config.write_text('[database]\nurl = "postgresql://mw:pw-Secret@127.0.0.1:9/mw"\n',
                      encoding="utf-8")  # fmt: skip
    status, report = doctor(capsys, "--config", str(config))
    assert status == 1
    database = only(report, "database")
    assert database["status"] == "FAIL"
    assert database["detail"].startswith("postgresql://mw:***@127.0.0.1:9/mw: cannot connect")
    assert "pw-Secret" not in json.dumps(report)
    assert "database.url" in database["fix"]


def test_run_doctor_is_usable_from_python(setup: Setup) -> None:
    report = run_doctor(setup.config, timeout=5)
    assert report.ok and report.count("ok") == len(report.results)


def test_a_timeout_must_be_positive(capsys) -> None:
    assert main(["doctor", "--timeout", "0"]) == 2
    assert "--timeout 0: give a number of seconds above 0" in capsys.readouterr().err


def test_the_key_may_come_from_the_environment(setup: Setup, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MAILWRIGHT_SECRET_KEY", setup.key.read_text(encoding="ascii").strip())
    setup.key.unlink()
    status, report = doctor(capsys)
    assert status == 0, report
    assert only(report, "secret key")["detail"] == (
        "environment variable MAILWRIGHT_SECRET_KEY: opens all 2 stored secret(s)"
    )


def test_a_fresh_installation_warns_but_does_not_fail(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("MAILWRIGHT_SECRET_KEY", raising=False)
    assert main(["init", str(tmp_path / "acme")]) == 0
    capsys.readouterr()
    status, report = doctor(capsys, "--config", str(tmp_path / "acme" / "mailwright.toml"))
    assert status == 0, report
    assert {r["check"]: r["status"] for r in report["checks"] if r["status"] != "ok"} == {
        "accounts": "warn",
        "SMTP server": "warn",
        "robot address": "warn",
    }
    assert "mailwright smtp add" in only(report, "SMTP server")["fix"]
    assert "mailwright params set mail.robotAddress" in only(report, "robot address")["fix"]
