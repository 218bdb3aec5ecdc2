"""mailstore.smtp against the real test servers: TLS as configured and never less, verified
certificates, AUTH PLAIN/LOGIN and XOAUTH2, relays, and what each failure says."""

from __future__ import annotations

import dataclasses
import ssl

import msal
import pytest
import requests

from mailstore.smtp import SmtpError, SmtpSettings, close, connect, probe, send
from tests.servers.oauth import FakeAuthority
from tests.servers.smtp import SmtpServer

RAW = (
    b"From: podatelna@example.test\r\nTo: jana@example.test\r\n"
    b"Message-ID: <t1@example.test>\r\nSubject: test\r\n\r\n"
    b".a line starting with a dot\r\nbody\r\n"
)


def settings_for(server: SmtpServer, **changes: object) -> SmtpSettings:
    security = {"ssl": "ssl"}.get(server.mode, "starttls")
    base = SmtpSettings(
        source="SMTP account 'test'",
        host=server.host,
        port=server.port,
        security=security,  # type: ignore[arg-type]
        auth=server.mode != "relay",
        username=server.username,
        password=server.password,
        ca_file=server.ca_file,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def send_one(settings: SmtpSettings, raw: bytes = RAW) -> str:
    conn = connect(settings, timeout=10)
    try:
        return str(send(conn, "robot@example.test", ["jana@example.test"], raw))
    finally:
        close(conn)


def test_starttls_with_auth_sends_the_message_as_given(smtp_server: SmtpServer) -> None:
    reply = send_one(settings_for(smtp_server))
    assert reply.startswith("250")
    received = smtp_server.messages[0]
    assert received.tls and received.login == smtp_server.username
    assert received.mail_from == "robot@example.test"
    assert received.rcpt_tos == ("jana@example.test",)
    # the leading dot was doubled on the wire and undone by the server: the bytes survive
    assert received.data == RAW


def test_a_server_without_starttls_is_refused_and_nothing_is_sent(smtp_plain: SmtpServer) -> None:
    with pytest.raises(SmtpError) as refused:
        send_one(settings_for(smtp_plain))
    error = refused.value
    assert error.step == "STARTTLS" and not error.temporary
    assert "does not offer STARTTLS" in str(error)
    assert "SMTP account 'test'" in str(error)
    # no login, no envelope, no message crossed the network in clear text
    assert smtp_plain.logins == [] and smtp_plain.commands == [] and smtp_plain.messages == []


def test_implicit_tls(smtp_ssl: SmtpServer) -> None:
    send_one(settings_for(smtp_ssl, security="ssl"))
    assert smtp_ssl.messages[0].tls and smtp_ssl.logins == [smtp_ssl.username]


def test_relay_without_auth(smtp_relay: SmtpServer) -> None:
    send_one(settings_for(smtp_relay, auth=False, username=None, password=None))
    assert smtp_relay.messages[0].login is None and smtp_relay.messages[0].tls


def test_login_configured_but_no_auth_offered_is_a_clear_error(smtp_relay: SmtpServer) -> None:
    with pytest.raises(SmtpError) as refused:
        connect(settings_for(smtp_relay, auth=True), timeout=10)
    assert refused.value.step == "AUTH"
    assert "offers no AUTH" in str(refused.value) and "relay" in str(refused.value)


def test_wrong_password_names_the_login_and_the_server_reply(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpError) as refused:
        connect(settings_for(smtp_server, password="wrong"), timeout=10)
    error = refused.value
    assert error.step == "AUTH" and not error.temporary and error.code == 535
    assert f"login as {smtp_server.username} refused" in str(error)
    assert "wrong" not in str(error)  # the password is never in a message
    assert smtp_server.messages == []


def test_untrusted_certificate_is_an_error_unless_the_ca_is_given(
    smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the system store must not know the test CA, whatever the environment says
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(SmtpError) as refused:
        connect(settings_for(smtp_server, ca_file=None), timeout=10)
    assert refused.value.step == "STARTTLS"
    assert "certificate not trusted" in str(refused.value)
    assert "--ca-file" in str(refused.value)
    assert smtp_server.logins == []
    send_one(settings_for(smtp_server))  # with the CA file it works


def test_connection_refused_is_temporary(smtp_server: SmtpServer) -> None:
    port = smtp_server.port
    smtp_server.stop()
    with pytest.raises(SmtpError) as refused:
        connect(settings_for(smtp_server, port=port), timeout=5)
    assert refused.value.step == "connect" and refused.value.temporary
    assert "connection refused" in str(refused.value)


def test_xoauth2_login_with_an_msal_token(
    smtp_server: SmtpServer, oauth_authority: FakeAuthority
) -> None:
    client = oauth_authority.add_client("robot@example.test")
    session = requests.Session()
    session.trust_env = False
    session.verify = smtp_server.ca_file
    app = msal.ConfidentialClientApplication(
        client.client_id,
        client_credential=client.secret,
        authority=oauth_authority.authority(client.tenant),
        instance_discovery=False,
        http_client=session,
    )

    def token() -> str:
        result = app.acquire_token_for_client(scopes=["https://outlook.office365.com/.default"])
        return str(result["access_token"])

    xoauth = settings_for(smtp_server, username="robot@example.test", oauth_token=token)
    send_one(xoauth)
    assert smtp_server.messages[0].login == "robot@example.test"
    with pytest.raises(SmtpError) as refused:
        connect(dataclasses.replace(xoauth, oauth_token=lambda: "forged"), timeout=10)
    assert refused.value.step == "AUTH" and "check the access token" in str(refused.value)


def test_probe_reports_each_step_and_sends_nothing(
    smtp_server: SmtpServer, smtp_plain: SmtpServer
) -> None:
    steps = probe(settings_for(smtp_server), timeout=10)
    assert [s.name for s in steps] == ["connect", "EHLO", "STARTTLS", "AUTH", "QUIT"]
    assert all(s.ok for s in steps)
    assert "verified certificate" in steps[2].detail
    assert smtp_server.messages == [] and smtp_server.commands == []
    failed = probe(settings_for(smtp_plain), timeout=10)
    assert [(s.name, s.ok) for s in failed] == [
        ("connect", True),
        ("EHLO", True),
        ("STARTTLS", False),
    ]


def test_temporary_and_permanent_answers(smtp_server: SmtpServer) -> None:
    conn = connect(settings_for(smtp_server), timeout=10)
    try:
        smtp_server.fail("MAIL", "451 4.3.0 try again later")
        with pytest.raises(SmtpError) as deferred:
            send(conn, "robot@example.test", ["jana@example.test"], RAW)
        assert deferred.value.temporary and deferred.value.code == 451
        assert deferred.value.step == "MAIL" and not deferred.value.maybe_delivered

        smtp_server.fail("DATA", "554 5.7.1 message refused")
        started: list[bool] = []
        with pytest.raises(SmtpError) as refused:
            send(
                conn, "robot@example.test", ["jana@example.test"], RAW,
                before_data=lambda: started.append(True),
            )  # fmt: skip
        assert started == [True]
        assert not refused.value.temporary and refused.value.reply == "554 5.7.1 message refused"
        assert refused.value.step == "end of data" and not refused.value.maybe_delivered

        # one refused recipient among others: sent to the rest, the refusal in the reply
        smtp_server.fail("RCPT", "550 5.1.1 no such user", recipient="nobody@example.test")
        reply = send(conn, "robot@example.test", ["jana@example.test", "nobody@example.test"], RAW)
        assert reply.refused == {"nobody@example.test": "550 5.1.1 no such user"}
        assert "refused: nobody@example.test" in str(reply)
    finally:
        close(conn)
    # the same connection went on after each refusal
    assert smtp_server.connections == 1
    assert smtp_server.messages[0].rcpt_tos == ("jana@example.test",)


def test_no_tls_at_all_when_security_is_none(smtp_plain: SmtpServer) -> None:
    send_one(settings_for(smtp_plain, security="none"))
    assert not smtp_plain.messages[0].tls


def test_a_private_ca_file_that_cannot_be_read(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpError) as refused:
        connect(settings_for(smtp_server, ca_file="/nonexistent/ca.pem"), timeout=5)
    assert "cannot read the CA file /nonexistent/ca.pem" in str(refused.value)


def test_settings_repr_hides_the_password() -> None:
    settings = SmtpSettings(source="x", host="h", port=1, password="s3cret")
    assert "s3cret" not in repr(settings)


def test_ssl_context_is_verifying_by_default() -> None:
    # the guarantee the rest relies on: a default context checks host names
    assert ssl.create_default_context().check_hostname


def test_a_bare_cr_before_a_dot_cannot_end_the_data_early(smtp_server: SmtpServer) -> None:
    # SMTP smuggling: "\r.\r\n" must not reach the server as an end-of-data line followed
    # by commands of the sender's choosing; the whole text arrives as one message
    raw = RAW + b"line\r.\r\nRSET\r\nMAIL FROM:<evil@example.test>\r\n"
    assert send_one(settings_for(smtp_server), raw).startswith("250")
    assert len(smtp_server.messages) == 1
    data = smtp_server.messages[0].data
    assert b"MAIL FROM:<evil@example.test>" in data and b"line\r\n.\r\nRSET" in data
