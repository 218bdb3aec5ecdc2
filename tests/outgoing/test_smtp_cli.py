"""The commands of outgoing mail: ``smtp``, ``send``, ``deliver``, ``outbox``, and ``ingest``
delivering after it fetched — run through ``runtime.cli.main`` against the test servers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailstore import models as m
from runtime.cli import main
from runtime.context import AppContext
from tests.outgoing.conftest import queue, reload, use_server
from tests.servers.smtp import SmtpServer


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def add_login(
    capsys: pytest.CaptureFixture[str], server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILWRIGHT_PASSWORD", server.password)
    status, out = cli(
        capsys, "credentials", "add", "login", "--type", "password", "--user", server.username,
        "--password-env", "MAILWRIGHT_PASSWORD",
    )  # fmt: skip
    assert status == 0, out


def test_smtp_add_list_show_default_remove(
    configured: Path,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_login(capsys, smtp_server, monkeypatch)
    status, out = cli(
        capsys, "smtp", "add", "central", "--host", smtp_server.host,
        "--port", str(smtp_server.port), "--from", "Podatelna <podatelna@example.test>",
        "--credential", "login", "--ca-file", smtp_server.ca_file, "--default",
    )  # fmt: skip
    assert status == 0, out
    assert "added SMTP account central" in out and "central server" in out
    status, out = cli(capsys, "smtp", "add", "relay", "--host", "relay.example.test",
                      "--from", "robot@example.test")  # fmt: skip
    assert status == 0 and "relayed without logging in" in out
    status, out = cli(capsys, "smtp", "list")
    assert status == 0 and "central" in out and "relay" in out and "none (relay)" in out
    status, out = cli(capsys, "smtp", "list", "--json")
    listed = {a["name"]: a for a in json.loads(out)}
    assert listed["central"]["default"] and not listed["relay"]["default"]
    assert listed["central"]["caFile"] == str(Path(smtp_server.ca_file).resolve())
    assert listed["relay"]["port"] == 587
    status, out = cli(capsys, "smtp", "show", "central")
    assert status == 0 and "login (password, as sender@example.test)" in out
    assert smtp_server.password not in out
    status, out = cli(capsys, "smtp", "default", "relay")
    assert status == 0 and "relay is now the central SMTP server" in out
    status, out = cli(capsys, "smtp", "list", "--json")
    assert [a["name"] for a in json.loads(out) if a["default"]] == ["relay"]
    status, out = cli(capsys, "smtp", "remove", "relay")
    assert status == 0
    status, out = cli(capsys, "smtp", "show", "relay")
    assert status == 2 and "no SMTP account named 'relay' (SMTP accounts: central)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--security", "none"], "--allow-insecure"),
        (["--from", "not an address"], "is not an e-mail address"),
        (["--credential", "nope"], "no credential named 'nope'"),
        (["--ca-file", "/nonexistent.pem"], "no such file"),
    ],
)
def test_smtp_add_refuses_bad_settings(
    configured: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    base = ["smtp", "add", "x", "--host", "smtp.example.test", "--from", "a@example.test"]
    status, out = cli(capsys, *base, *args)
    assert status == 2 and message in out


def test_smtp_test_sends_a_message_and_reports_each_step(
    configured: Path,
    ctx: AppContext,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_server(ctx, smtp_server)
    status, out = cli(capsys, "smtp", "test", "central", "--to", "jana@example.test")
    assert status == 0, out
    for step in ("connect", "EHLO", "STARTTLS", "AUTH", "send", "QUIT"):
        assert f"ok   {step}" in out
    assert smtp_server.messages[0].rcpt_tos == ("jana@example.test",)
    assert smtp_server.messages[0].parsed()["Subject"] == "mailwright SMTP test"
    # without a name: the central server
    status, out = cli(capsys, "smtp", "test", "--to", "jana@example.test")
    assert status == 0 and "SMTP account 'central'" in out and len(smtp_server.messages) == 2


def test_smtp_test_reports_the_failing_step(
    configured: Path,
    ctx: AppContext,
    smtp_server: SmtpServer,
    smtp_plain: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_server(ctx, smtp_server, password="wrong")
    use_server(ctx, smtp_plain, name="plain")
    status, out = cli(capsys, "smtp", "test", "central", "--to", "jana@example.test")
    assert status == 1 and "FAIL AUTH" in out and "check the user name and password" in out
    status, out = cli(capsys, "smtp", "test", "plain", "--to", "jana@example.test")
    assert status == 1 and "FAIL STARTTLS" in out and "does not offer STARTTLS" in out
    assert smtp_server.messages == [] and smtp_plain.messages == []


def test_smtp_test_without_any_server_names_both_places(
    configured: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = cli(capsys, "smtp", "test", "--to", "jana@example.test")
    assert status == 2 and "smtp add" in out and "smtpProperties" in out


def test_send_queues_and_deliver_sends(
    configured: Path,
    ctx: AppContext,
    smtp_server: SmtpServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_server(ctx, smtp_server)
    body = tmp_path / "body.txt"
    body.write_text("Dobrý den,\nv příloze faktura.\n", encoding="utf-8")
    attachment = tmp_path / "faktura.pdf"
    attachment.write_bytes(b"%PDF-1.4 test")
    status, out = cli(
        capsys, "send", "--to", "Jana <jana@example.test>", "--to", "petr@example.test",
        "--cc", "ucetni@example.test", "--subject", "Faktura č. 17",
        "--body-file", str(body), "--attach", str(attachment),
    )  # fmt: skip
    assert status == 0, out
    message_id = out.strip()
    # no robot address yet: the domain of the central server's From
    assert message_id.startswith("<") and message_id.endswith("@example.test>")
    row = m.SentEmail.get(m.SentEmail.messageId == message_id)
    assert row.state == "QUEUED" and row.to == ["Jana <jana@example.test>", "petr@example.test"]
    assert smtp_server.messages == []  # send only queues
    status, out = cli(capsys, "deliver")
    assert status == 0 and "outbox: sent 1" in out
    received = smtp_server.messages[0]
    assert received.rcpt_tos == ("jana@example.test", "petr@example.test", "ucetni@example.test")
    parsed = received.parsed()
    assert parsed["Message-ID"] == message_id and parsed["Subject"] == "Faktura č. 17"
    plain = parsed.get_body(("plain",))
    assert plain is not None
    text = plain.get_content().replace("\r\n", "\n")
    assert text == "Dobrý den,\nv příloze faktura.\n"
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["faktura.pdf"]
    assert reload(row).state == "SENT"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "jana@example.test", "--subject", "a\r\nBcc: x@evil.test", "--body", "b"],
         "must not contain a line break"),
        (["--to", "jana", "--subject", "s", "--body", "b"], "is not an e-mail address"),
        (["--to", "jana@example.test\nBcc: x@evil.test", "--subject", "s", "--body", "b"],
         "line break"),
        (["--to", "jana@example.test", "--subject", "s", "--body-file", "/nonexistent"],
         "no such file"),
    ],
)  # fmt: skip
def test_send_refuses_injection_and_bad_input(
    configured: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, out = cli(capsys, "send", *args)
    assert status == 2 and message in out
    assert m.SentEmail.select().count() == 0


def test_deliver_exits_1_when_a_message_failed(
    configured: Path,
    ctx: AppContext,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_server(ctx, smtp_server)
    queue(ctx, 2)
    smtp_server.fail("DATA", "554 5.7.1 rejected")
    status, out = cli(capsys, "deliver")
    assert status == 1 and "outbox: sent 1, deferred 0, failed 1" in out


def test_deliver_without_a_server_says_what_to_configure(
    configured: Path, ctx: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    queue(ctx, 1)
    status, out = cli(capsys, "deliver")
    assert status == 1 and "no central SMTP server" in out and "sent 0" in out


def test_outbox_list_show_retry_cancel(
    configured: Path, ctx: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = queue(ctx, 2)
    m.SentEmail.update(state="UNKNOWN", dataStarted=m.utcnow(), lastReply="lost").where(
        m.SentEmail.id == second.id
    ).execute()
    status, out = cli(capsys, "outbox")
    assert status == 0 and "QUEUED" in out and "UNKNOWN" in out
    status, out = cli(capsys, "outbox", "--state", "UNKNOWN", "--json")
    listed = json.loads(out)
    assert [r["id"] for r in listed] == [second.id] and listed[0]["lastReply"] == "lost"
    status, out = cli(capsys, "outbox", "show", str(second.id))
    assert status == 0 and "the server may have this message" in out and second.messageId in out
    status, out = cli(capsys, "outbox", "show", str(first.id), "--json")
    assert json.loads(out)["body"] == "Dobrý den, zpráva 0."
    status, out = cli(capsys, "outbox", "retry", str(second.id))
    assert status == 0 and reload(second).state == "QUEUED"
    assert "warning: it was UNKNOWN" in out and "recipients may get it twice" in out
    status, out = cli(capsys, "outbox", "--limit", "0")
    assert status == 2 and "--limit must be 1 or more" in out
    status, out = cli(capsys, "outbox", "--limit", "1", "--json")
    assert [r["id"] for r in json.loads(out)] == [second.id]
    status, out = cli(capsys, "outbox", "cancel", str(first.id))
    assert status == 0 and reload(first).state == "CANCELLED"
    status, out = cli(capsys, "outbox", "cancel", str(first.id))
    assert status == 2 and "only QUEUED, FAILED or UNKNOWN" in out
    status, out = cli(capsys, "outbox", "show", "999")
    assert status == 2 and "no outgoing message with id 999" in out
    status, out = cli(capsys, "outbox", "--state", "SENT")
    assert status == 0 and "no SENT messages" in out


def test_ingest_delivers_the_outbox_but_not_under_dry_run(
    configured: Path,
    ctx: AppContext,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_server(ctx, smtp_server)
    (row,) = queue(ctx, 1)
    status, out = cli(capsys, "ingest", "--dry-run")
    assert smtp_server.messages == [] and reload(row).state == "QUEUED"
    status, out = cli(capsys, "ingest")
    assert status == 0, out
    assert "outbox: sent 1" in out and smtp_server.count(row.messageId) == 1
    smtp_server.stop()  # a queued message that cannot leave makes ingest fail
    queue(ctx, 1)
    status, out = cli(capsys, "ingest")
    assert status == 1 and "connection refused" in out
