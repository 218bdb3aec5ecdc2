"""runtime.outbox.deliver against the real test SMTP server, on SQLite and PostgreSQL: states,
the claim protocol, backoff, one connection per batch, and what the server received."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from mailstore import models as m
from runtime.context import AppContext, open_context
from runtime.outbox import OutboxError, cancel, deliver, retry
from runtime.settings import CredentialSpec, add_credential, set_param
from runtime.smtpaccounts import SmtpAccountSpec, add_smtp_account
from tests.outgoing.conftest import ATTEMPTS, DELAYS, queue, reload, use_server
from tests.servers.oauth import FakeAuthority
from tests.servers.smtp import SmtpServer

T0 = dt.datetime(2026, 3, 2, 8, 0, 0)


def test_a_batch_goes_out_on_one_connection(ctx: AppContext, smtp_server: SmtpServer) -> None:
    account = use_server(ctx, smtp_server)
    rows = queue(ctx, 5)
    report = deliver(ctx, now=T0)
    assert report.ok and sorted(report.sent) == [r.id for r in rows]
    assert smtp_server.connections == 1 and report.connections == 1
    for row in rows:
        assert smtp_server.count(row.messageId) == 1
        now = reload(row)
        assert now.state == "SENT" and now.sentDate is not None and now.sentDate >= T0
        assert str(now.lastReply).startswith("250") and now.attempts == 1
        assert now.smtpAccount is not None and now.smtpAccount.id == account.id
        assert now.claimOwner is None and now.dataStarted is not None
    assert deliver(ctx, now=T0).sent == []  # nothing twice


def test_envelope_sender_and_reply_to_are_the_robot_address(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    set_param(ctx.store, "mail.robotAddress", "robot@example.test")
    (row,) = queue(ctx, 1, cc=["petr@example.test"], bcc=["archiv@example.test"])
    deliver(ctx, now=T0)
    received = smtp_server.messages[0]
    assert received.mail_from == "robot@example.test"
    assert received.rcpt_tos == ("jana@example.test", "petr@example.test", "archiv@example.test")
    message = received.parsed()
    assert message["Message-ID"] == row.messageId
    assert message["Reply-To"] == "robot@example.test"
    assert message["From"] == "Podatelna <podatelna@example.test>"
    assert message["Subject"] == "Potvrzení 0"
    assert message["Bcc"] is None
    assert message["Auto-Submitted"] == "auto-generated"


def test_without_a_robot_address_the_from_address_is_the_sender_and_it_warns(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    queue(ctx, 1)
    report = deliver(ctx, now=T0)
    assert smtp_server.messages[0].mail_from == "podatelna@example.test"
    assert smtp_server.messages[0].parsed()["Reply-To"] is None
    assert any("mail.robotAddress is not set" in w for w in report.warnings)


def test_every_deliver_warns_while_no_enabled_robot_account_has_the_address(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    set_param(ctx.store, "mail.robotAddress", "robot@example.test")
    missing = "no enabled mail account of purpose ROBOT has that address"
    queue(ctx, 1)
    assert any(missing in w for w in deliver(ctx, now=T0).warnings)
    queue(ctx, 1)
    assert any(missing in w for w in deliver(ctx, now=T0).warnings)  # again, every time
    robot = m.MailAccount.create(name="robot", address="Robot@Example.test", purpose="ROBOT",
                                 host="imap.example.test")  # fmt: skip
    queue(ctx, 1)
    assert deliver(ctx, now=T0).warnings == []
    m.MailAccount.update(enabled=False).where(m.MailAccount.id == robot.id).execute()
    queue(ctx, 1)
    assert any(missing in w for w in deliver(ctx, now=T0).warnings)


def test_attachments_are_sent_in_order(ctx: AppContext, smtp_server: SmtpServer) -> None:
    use_server(ctx, smtp_server)
    (row,) = queue(ctx, 1)
    for position, (name, data) in enumerate([("faktura.pdf", b"%PDF-1.4"), ("ň.txt", b"x")]):
        attached = ctx.store.add_file(name, data, "application/pdf")
        m.SentEmailAttachment.create(sentEmail=row, attachedFile=attached, position=position)
    deliver(ctx, now=T0)
    parts = list(smtp_server.messages[0].parsed().iter_attachments())
    assert [p.get_filename() for p in parts] == ["faktura.pdf", "ň.txt"]
    assert parts[0].get_content() == b"%PDF-1.4"


def test_a_temporary_refusal_is_retried_later_with_backoff(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    first, second = queue(ctx, 2, to=["petr@example.test"])
    smtp_server.fail("RCPT", "451 4.7.1 greylisted, try later")
    report = deliver(ctx, now=T0)
    assert report.deferred == [first.id] and report.sent == [second.id]
    assert report.ok  # a deferred message is not a failure
    row = reload(first)
    assert row.state == "QUEUED" and row.attempts == 1
    assert row.dataStarted is None and "451 4.7.1 greylisted" in str(row.lastReply)
    assert row.nextAttempt is not None
    assert row.nextAttempt - T0 >= dt.timedelta(seconds=DELAYS[0])
    # not due yet: nothing happens; once due it goes out, once
    assert deliver(ctx, now=T0 + dt.timedelta(seconds=30)).sent == []
    later = deliver(ctx, now=T0 + dt.timedelta(seconds=DELAYS[0] + 5))
    assert later.sent == [first.id]
    assert smtp_server.count(first.messageId) == 1 and reload(first).state == "SENT"
    assert smtp_server.connections == 2  # one per batch that had something to send


def test_temporary_failures_end_in_failed_after_the_last_attempt(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    (row,) = queue(ctx, 1)
    smtp_server.fail("MAIL", "452 4.3.1 insufficient storage", times=None)
    now = T0
    for attempt in range(1, ATTEMPTS + 1):
        report = deliver(ctx, now=now)
        state = reload(row)
        assert state.attempts == attempt
        if attempt < ATTEMPTS:
            assert state.state == "QUEUED" and report.deferred == [row.id]
            assert state.nextAttempt is not None
            now = state.nextAttempt + dt.timedelta(seconds=1)
    assert state.state == "FAILED" and report.failed == [row.id] and not report.ok
    assert "452 4.3.1" in str(state.lastReply) and "gave up after 3 attempts" in str(
        state.lastReply
    )
    assert smtp_server.messages == []


def test_a_permanent_refusal_is_failed_with_the_reply_and_the_batch_goes_on(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    bad, good = queue(ctx, 1, to=["nobody@example.test"]) + queue(ctx, 1)
    smtp_server.fail("DATA", "554 5.7.1 message content rejected", recipient="nobody@example.test")
    report = deliver(ctx, now=T0)
    assert report.failed == [bad.id] and report.sent == [good.id] and not report.ok
    row = reload(bad)
    assert row.state == "FAILED" and row.attempts == 1
    assert "554 5.7.1 message content rejected" in str(row.lastReply)
    assert smtp_server.connections == 1


def test_connection_refused_counts_an_attempt_with_backoff(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    rows = queue(ctx, 2)
    smtp_server.stop()
    report = deliver(ctx, now=T0)
    assert not report.ok and report.error is not None and "connection refused" in report.error
    assert sorted(report.deferred) == [r.id for r in rows]
    for row in rows:
        now = reload(row)
        assert now.state == "QUEUED" and now.attempts == 1
        assert now.nextAttempt is not None and now.nextAttempt > T0


def test_a_configuration_error_gives_the_messages_back_untouched(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server, password="wrong")
    (row,) = queue(ctx, 1)
    report = deliver(ctx, now=T0)
    assert report.error is not None and "refused" in report.error and "central" in report.error
    now = reload(row)
    assert now.state == "QUEUED" and now.attempts == 0 and now.claimOwner is None
    assert now.nextAttempt is None


def test_a_connection_lost_after_the_data_makes_the_message_unknown(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    (row,) = queue(ctx, 1)
    pause = smtp_server.pause("DATA")
    try:
        report = deliver(ctx, now=T0, timeout=1.0)  # the answer never comes in time
    finally:
        pause.release()
    assert report.unknown == [row.id] and not report.ok
    now = reload(row)
    assert now.state == "UNKNOWN" and now.dataStarted is not None
    assert smtp_server.count(row.messageId) == 1
    # never resent by itself
    deliver(ctx, now=T0 + dt.timedelta(days=1))
    assert smtp_server.count(row.messageId) == 1 and reload(row).state == "UNKNOWN"
    # the operator's decision
    retry(ctx, row.id)
    assert reload(row).state == "QUEUED"
    deliver(ctx, now=T0 + dt.timedelta(days=1))
    assert smtp_server.count(row.messageId) == 2 and reload(row).state == "SENT"


def test_expired_claims_are_taken_back(ctx: AppContext, smtp_server: SmtpServer) -> None:
    use_server(ctx, smtp_server)
    before_data, after_data, alive = queue(ctx, 3)
    expired = T0 - dt.timedelta(minutes=1)
    m.SentEmail.update(state="SENDING", claimOwner="dead:1", claimExpires=expired).where(
        m.SentEmail.id.in_([before_data.id, after_data.id])
    ).execute()
    m.SentEmail.update(dataStarted=expired).where(m.SentEmail.id == after_data.id).execute()
    m.SentEmail.update(
        state="SENDING", claimOwner="alive:2", claimExpires=T0 + dt.timedelta(minutes=4)
    ).where(m.SentEmail.id == alive.id).execute()
    report = deliver(ctx, now=T0)
    assert report.requeued == [before_data.id] and report.sent == [before_data.id]
    assert report.unknown == [after_data.id] and not report.ok
    assert reload(before_data).state == "SENT" and smtp_server.count(before_data.messageId) == 1
    unknown = reload(after_data)
    assert unknown.state == "UNKNOWN" and "may have it" in str(unknown.lastReply)
    assert smtp_server.count(after_data.messageId) == 0
    # a live claim of another deliverer is left alone
    assert reload(alive).state == "SENDING" and smtp_server.count(alive.messageId) == 0


def test_two_deliverers_at_once_send_each_message_once(
    configured: Path, ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    rows = queue(ctx, 30)
    reports = []

    def work() -> None:
        with open_context(str(configured)) as own:
            reports.append(deliver(own, now=T0))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(reports) == 2
    sent = sorted(reports[0].sent + reports[1].sent)
    assert sent == sorted(r.id for r in rows)
    assert all(smtp_server.count(r.messageId) == 1 for r in rows)
    assert len(smtp_server.messages) == 30


def test_limit_sends_the_oldest_first(ctx: AppContext, smtp_server: SmtpServer) -> None:
    use_server(ctx, smtp_server)
    rows = queue(ctx, 3)
    assert deliver(ctx, now=T0, limit=2).sent == [rows[0].id, rows[1].id]
    assert reload(rows[2]).state == "QUEUED"


def test_without_a_central_server_nothing_moves_and_both_places_are_named(
    ctx: AppContext,
) -> None:
    (row,) = queue(ctx, 1)
    report = deliver(ctx, now=T0)
    assert report.error is not None and not report.ok
    assert "smtp add" in report.error and "smtpProperties" in report.error
    assert reload(row).state == "QUEUED" and reload(row).attempts == 0


def test_nothing_queued_needs_no_server(ctx: AppContext) -> None:
    report = deliver(ctx, now=T0)
    assert report.ok and report.error is None and report.connections == 0


def test_the_legacy_file_is_used_when_there_is_no_default_account(
    tmp_path: Path, db_url: str, smtp_relay: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.outgoing.conftest import write_config

    legacy = tmp_path / "mail.properties"
    legacy.write_text(
        f"mail.protocol=smtp\nmail.host={smtp_relay.host}\nmail.port={smtp_relay.port}\n"
        "mail.smtp.starttls.enable=true\nmail.smtp.auth=false\n"
        "mail.from=Podatelna <legacy@example.test>\n",
        encoding="iso-8859-1",
    )
    legacy.chmod(0o600)
    config = write_config(
        tmp_path / "cfg", db_url, extra=f'\n[mail]\nsmtpProperties = "{legacy}"\n'
    )
    # the legacy file has no CA setting: OpenSSL's SSL_CERT_FILE names the CA, as Java's
    # trust store did
    monkeypatch.setenv("SSL_CERT_FILE", smtp_relay.ca_file)
    with open_context(str(config)) as own:
        (row,) = queue(own, 1)
        report = deliver(own, now=T0)
        assert report.sent == [row.id], report.error
        assert smtp_relay.messages[0].parsed()["From"] == "Podatelna <legacy@example.test>"
        assert reload(row).smtpAccount is None
        # a default account wins over the file
        other = queue(own, 1)[0]
        use_server(own, smtp_relay, name="relay", login=False, from_address="acct@example.test")
        deliver(own, now=T0)
        assert smtp_relay.count(other.messageId) == 1
        assert smtp_relay.messages[-1].parsed()["From"] == "acct@example.test"


def test_retry_and_cancel(ctx: AppContext) -> None:
    queued, failed, sent, sending = queue(ctx, 4)
    m.SentEmail.update(state="FAILED", attempts=3, lastReply="554").where(
        m.SentEmail.id == failed.id
    ).execute()
    m.SentEmail.update(state="SENT").where(m.SentEmail.id == sent.id).execute()
    m.SentEmail.update(state="SENDING", claimOwner="h:1").where(
        m.SentEmail.id == sending.id
    ).execute()
    again = retry(ctx, failed.id)
    assert again.state == "QUEUED" and again.attempts == 0 and again.nextAttempt is None
    with pytest.raises(OutboxError, match="was sent"):
        retry(ctx, sent.id)
    with pytest.raises(OutboxError, match="being sent now"):
        retry(ctx, sending.id)
    assert cancel(ctx, queued.id).state == "CANCELLED"
    with pytest.raises(OutboxError, match="only QUEUED, FAILED or UNKNOWN"):
        cancel(ctx, sent.id)
    with pytest.raises(OutboxError, match="no outgoing message with id 999"):
        cancel(ctx, 999)
    # a cancelled message is never sent; retry brings it back
    assert retry(ctx, queued.id).state == "QUEUED"


def test_a_row_that_cannot_become_a_message_fails_alone(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    # written by other means than the script functions: a line break in the subject
    broken = queue(ctx, 1, subject="Faktura\r\nBcc: everyone@example.test")[0]
    good = queue(ctx, 1)[0]
    report = deliver(ctx, now=T0)
    assert report.failed == [broken.id] and report.sent == [good.id]
    assert "cannot build the message" in str(reload(broken).lastReply)
    assert "line break" in str(reload(broken).lastReply)
    assert [msg.rcpt_tos for msg in smtp_server.messages] == [("jana@example.test",)]


def test_an_oauth2_account_logs_in_with_xoauth2(
    ctx: AppContext, smtp_server: SmtpServer, oauth_authority: FakeAuthority
) -> None:
    client = oauth_authority.add_client("podatelna@example.test")
    add_credential(
        ctx.store,
        CredentialSpec(
            name="m365",
            kind="oauth2_client",
            tenant=client.tenant,
            client_id=client.client_id,
            secret=client.secret,
            authority=oauth_authority.url,
            ca_file=smtp_server.ca_file,
        ),
    )
    add_smtp_account(
        ctx.store,
        SmtpAccountSpec(
            name="m365", host=smtp_server.host, port=smtp_server.port, credential="m365",
            ca_file=smtp_server.ca_file, default=True,
            from_address="Podatelna <podatelna@example.test>",
        ),
    )  # fmt: skip
    rows = queue(ctx, 2)
    assert sorted(deliver(ctx, now=T0).sent) == [r.id for r in rows]
    # the XOAUTH2 user is the bare From address; one login for the batch
    assert smtp_server.logins == ["podatelna@example.test"]
    assert oauth_authority.token_requests[client.client_id] == 1
    # the token was cached (encrypted): the next batch asks the authority for none
    queue(ctx, 1)
    deliver(ctx, now=T0)
    assert oauth_authority.token_requests[client.client_id] == 1
    assert smtp_server.logins == ["podatelna@example.test"] * 2


def test_an_attachment_whose_content_is_gone_fails_its_message_alone(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    # a blob folder restored from an older backup: that message cannot be built, and it
    # must not hold up the queue behind it run after run
    use_server(ctx, smtp_server)
    broken, good = queue(ctx, 2)
    attached = ctx.store.add_file("faktura.pdf", b"%PDF-1.4 gone", "application/pdf")
    m.SentEmailAttachment.create(sentEmail=broken, attachedFile=attached, position=0)
    assert ctx.store.blobs.delete(attached.sha256)
    report = deliver(ctx, now=T0)
    assert report.failed == [broken.id] and report.sent == [good.id]
    assert "an attachment's content is missing" in str(reload(broken).lastReply)


def test_a_reply_token_key_that_cannot_be_read_stops_the_batch_and_gives_the_rows_back(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    set_param(ctx.store, "mail.robotAddress", "robot@example.test")
    set_param(ctx.store, "mail.robotTokens", "true")
    m.InternalSecret.create(name="replyTokenKey", value="not a Fernet token")
    (row,) = queue(ctx, 1)
    report = deliver(ctx, now=T0)
    assert report.error is not None and not report.ok
    assert reload(row).state == "QUEUED" and reload(row).attempts == 0
    assert smtp_server.messages == []


def test_a_recipient_refused_while_others_accept_is_reported(
    ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    (row,) = queue(ctx, 1, cc=["petr@example.test"])
    smtp_server.fail("RCPT", "451 4.7.1 greylisted, try later", recipient="petr@example.test")
    report = deliver(ctx, now=T0)
    assert report.sent == [row.id] and report.partly_refused == [row.id] and not report.ok
    assert any("petr@example.test" in w and "451" in w for w in report.warnings)
    assert "partly refused 1" in report.summary()
    assert [msg.rcpt_tos for msg in smtp_server.messages] == [("jana@example.test",)]
