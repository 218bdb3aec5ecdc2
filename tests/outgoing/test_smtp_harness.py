"""The test SMTP server itself: what it offers in each mode, what it keeps, faults and pauses.

Other tests trust `tests.servers.smtp` to tell what a client really did; these tests check
it with plain smtplib, so a broken harness is seen here first.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
import threading

import pytest

from tests.servers.oauth import FakeAuthority
from tests.servers.smtp import SmtpServer

MESSAGE = b"From: a@example.test\r\nTo: b@example.test\r\nMessage-ID: <h1@example.test>\r\n"
MESSAGE += b"Subject: hello\r\n\r\nbody\r\n"


def _context(server: SmtpServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.ca_file)


def _submission(server: SmtpServer) -> smtplib.SMTP:
    client = smtplib.SMTP(server.host, server.port, timeout=10)
    client.starttls(context=_context(server))
    client.login(server.username, server.password)
    return client


def test_starttls_server_requires_tls_before_auth_and_keeps_the_message(
    smtp_server: SmtpServer,
) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")  # only after STARTTLS
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.test", ["b@example.test"], MESSAGE)
        assert refused.value.smtp_code == 530
    client = _submission(smtp_server)
    client.sendmail("a@example.test", ["b@example.test"], MESSAGE)
    client.quit()
    assert smtp_server.count("<h1@example.test>") == 1
    received = smtp_server.messages[0]
    assert received.tls and received.login == smtp_server.username
    assert received.rcpt_tos == ("b@example.test",)
    assert received.parsed()["Subject"] == "hello"
    assert smtp_server.connections == 2


def test_plain_server_offers_no_starttls(smtp_plain: SmtpServer) -> None:
    with smtplib.SMTP(smtp_plain.host, smtp_plain.port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.has_extn("auth")


def test_ssl_server_is_implicit_tls_with_auth(smtp_ssl: SmtpServer) -> None:
    with smtplib.SMTP_SSL(
        smtp_ssl.host, smtp_ssl.port, context=_context(smtp_ssl), timeout=10
    ) as client:
        client.login(smtp_ssl.username, smtp_ssl.password)
        client.sendmail("a@example.test", ["b@example.test"], MESSAGE)
    assert smtp_ssl.messages[0].tls
    with pytest.raises(ssl.SSLError):
        # a client that does not trust the test CA is refused by the handshake
        smtplib.SMTP_SSL(
            smtp_ssl.host, smtp_ssl.port, context=ssl.create_default_context(), timeout=10
        )


def test_relay_needs_no_auth_and_advertises_none(smtp_relay: SmtpServer) -> None:
    with smtplib.SMTP(smtp_relay.host, smtp_relay.port, timeout=10) as client:
        client.starttls(context=_context(smtp_relay))
        client.ehlo()
        assert not client.has_extn("auth")
        client.sendmail("a@example.test", ["b@example.test"], MESSAGE)
    assert smtp_relay.messages[0].login is None


def test_wrong_password_is_refused(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.starttls(context=_context(smtp_server))
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login(smtp_server.username, "wrong")
    assert smtp_server.logins == []


def test_xoauth2_checks_the_token_with_the_authority(
    smtp_server: SmtpServer, oauth_authority: FakeAuthority
) -> None:
    import msal  # the way mailwright gets tokens
    import requests

    client_app = oauth_authority.add_client("robot@example.test")
    session = requests.Session()
    session.trust_env = False
    session.verify = str(smtp_server.ca_file)
    app = msal.ConfidentialClientApplication(
        client_app.client_id,
        client_credential=client_app.secret,
        authority=oauth_authority.authority(client_app.tenant),
        instance_discovery=False,
        http_client=session,
    )
    token = app.acquire_token_for_client(scopes=["https://outlook.office365.com/.default"])
    access = token["access_token"]

    def xoauth2(user: str, bearer: str) -> str:
        raw = f"user={user}\x01auth=Bearer {bearer}\x01\x01".encode()
        return base64.b64encode(raw).decode()

    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.starttls(context=_context(smtp_server))
        client.ehlo()
        code, _ = client.docmd("AUTH", "XOAUTH2 " + xoauth2("robot@example.test", "forged"))
        assert code == 535
        code, _ = client.docmd("AUTH", "XOAUTH2 " + xoauth2("other@example.test", access))
        assert code == 535  # a live token for another mailbox
        code, _ = client.docmd("AUTH", "XOAUTH2 " + xoauth2("robot@example.test", access))
        assert code == 235
        client.sendmail("robot@example.test", ["b@example.test"], MESSAGE)
    assert smtp_server.messages[0].login == "robot@example.test"


def test_faults_answer_once_per_step_and_recipient(smtp_server: SmtpServer) -> None:
    smtp_server.fail("RCPT", "451 4.3.0 try later", recipient="c@example.test")
    smtp_server.fail("DATA", "554 5.6.0 rejected")
    client = _submission(smtp_server)
    with pytest.raises(smtplib.SMTPDataError) as rejected:
        client.sendmail("a@example.test", ["b@example.test", "c@example.test"], MESSAGE)
    assert rejected.value.smtp_code == 554
    assert smtp_server.messages == []  # the DATA fault kept nothing
    refused = client.sendmail("a@example.test", ["b@example.test", "c@example.test"], MESSAGE)
    assert refused == {}  # each fault answered once
    client.quit()
    assert smtp_server.count("<h1@example.test>") == 1
    assert smtp_server.messages[0].rcpt_tos == ("b@example.test", "c@example.test")


def test_pause_at_data_keeps_the_message_before_answering(smtp_server: SmtpServer) -> None:
    pause = smtp_server.pause("DATA")
    client = _submission(smtp_server)
    result: list[object] = []
    sender = threading.Thread(
        target=lambda: result.append(client.sendmail("a@example.test", ["b@example.test"], MESSAGE))
    )
    sender.start()
    assert pause.wait_reached(10)
    assert smtp_server.count("<h1@example.test>") == 1  # the server has it ...
    assert result == []  # ... the client does not know yet
    pause.release()
    sender.join(10)
    assert result == [{}]
    client.quit()
