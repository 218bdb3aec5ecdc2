"""Outgoing mail end to end, over real servers: a handler queues mail while creating a record,
``deliver`` sends it to the test SMTP server (STARTTLS + AUTH), the message the server got is
checked header by header, and the answer and the bounce that come back to the robot mailbox
on Dovecot are linked to the record after ``ingest``."""

from __future__ import annotations

import datetime as dt
import email.utils
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from mailstore import models as m
from runtime.context import AppContext
from runtime.ingest import ingest
from runtime.outbox import deliver
from runtime.robot import token_sent_email
from runtime.settings import set_param
from tests.outgoing.conftest import use_server
from tests.servers.dovecot import DovecotServer, DovecotUser
from tests.servers.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
INVOICE = ROOT / "examples" / "invoices" / "invoice.eml"
ROBOT_HANDLER = ROOT / "examples" / "robot" / "handler.jexl"
DSN = ROOT / "tests" / "fixtures" / "mail" / "dsn-postfix-failed.eml"
#: what the fixture DSN reports on, replaced by the real message's
DSN_ID, DSN_RECIPIENT = b"<176423490112.4242.1539@firma.cz>", b"novak@dodavatel.cz"

#: the INVOICES handler: a document for the invoice, a mail to accounting about it with the
#: invoice attached, and an answer to the supplier
INVOICES = """
var d = createNew('SubmittedDocument');
d.note = 'faktura od ' + entity.mailFrom;
persist(d);
sendMail('Účtárna <ucetni@odberatel.cz>', 'Nová faktura: ' + entity.subject,
         'Přišla faktura, dokument ' + d.id + '.',
         {'html': '<p>Přišla faktura.</p>', 'attachments': [entity.attachments[0]],
          'relatedTo': d});
reply(entity, 'Děkujeme, fakturu jsme přijali.', {'relatedTo': d});
"""


def imap_account(
    ctx: AppContext, dovecot: DovecotServer, user: DovecotUser, purpose: str, handler: Path
) -> m.MailAccount:
    credential = m.Credential.create(name=f"login-{purpose}", kind="password",
                                     username=user.name,
                                     secret=ctx.store.secrets.encrypt(user.password))  # fmt: skip
    return m.MailAccount.create(
        name=purpose.lower(),
        address=user.name,
        purpose=purpose,
        sourceKind="imap",
        host=dovecot.host,
        port=dovecot.ssl_port,
        security="ssl",
        caFile=str(dovecot.ca.ca_file),
        credential=credential,
        handlerScript=str(handler),
    )


def answer_to(message: Any, *, threading: bool) -> bytes:
    """Jana's answer to ``message`` as her mail program writes it: to its Reply-To, and with
    In-Reply-To and References unless ``threading`` is off (some programs drop them)."""
    lines = [
        "From: =?utf-8?q?Jana_Nov=C3=A1kov=C3=A1?= <jana@dodavatel.cz>",
        f"To: {message['Reply-To']}",
        f"Subject: Re: {message['Subject']}".replace("\n", " "),
        f"Date: {email.utils.format_datetime(dt.datetime.now(dt.UTC))}",
        "Message-ID: <answer-1@dodavatel.cz>",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if threading:
        lines += [f"In-Reply-To: {message['Message-ID']}", f"References: {message['Message-ID']}"]
    body = "Dobrý den, fakturu jsme opravili.\r\n\r\n> Přišla faktura."
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def script_results(email_ids: list[int]) -> list[Any]:
    runs = m.ScriptRun.select().where(m.ScriptRun.receivedEmail.in_(email_ids))
    return [r.result for r in runs.order_by(m.ScriptRun.receivedEmail)]


@pytest.mark.parametrize("tokens", [False, True], ids=["headers", "tokens"])
def test_sent_answered_and_bounced_mail_finds_its_record(
    ctx: AppContext,
    smtp_server: SmtpServer,
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    tmp_path: Path,
    tokens: bool,
) -> None:
    robot_user = dovecot.add_user()
    robot = robot_user.name
    use_server(ctx, smtp_server, from_address="Odběratel s.r.o. <podatelna@odberatel.cz>")
    invoices = tmp_path / "invoices.jexl"
    invoices.write_text(INVOICES, encoding="utf-8")
    imap_account(ctx, dovecot, imap_user, "INVOICES", invoices)
    imap_account(ctx, dovecot, robot_user, "ROBOT", ROBOT_HANDLER)
    assert set_param(ctx.store, "mail.robotAddress", robot) == []  # a ROBOT account has it
    set_param(ctx.store, "mail.robotTokens", "true" if tokens else "false")

    # 1. the invoice arrives; its handler makes a document and queues two messages
    dovecot.append(imap_user, [INVOICE.read_bytes()])
    assert ingest(ctx).ok
    doc_model = ctx.store.model("SubmittedDocument")
    [doc] = list(doc_model.select())
    notice, thanks = m.SentEmail.select().order_by(m.SentEmail.id)
    assert (notice.state, thanks.state) == ("QUEUED", "QUEUED")
    assert smtp_server.messages == []  # queued only: nothing leaves inside the handler run

    # 2. deliver sends both over one connection, with STARTTLS and a login
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    report = deliver(ctx)
    assert report.ok and report.warnings == [] and sorted(report.sent) == [notice.id, thanks.id]
    assert smtp_server.connections == 1
    got = {r.message_id: r for r in smtp_server.messages}
    assert set(got) == {notice.messageId, thanks.messageId}
    for received in got.values():
        assert received.tls and received.login == smtp_server.username
        assert received.mail_from == robot  # bounces come back to the robot mailbox
    raw = got[notice.messageId].data
    head = raw.split(b"\r\n\r\n", 1)[0]
    sent = message_from_bytes(raw, policy=policy.default)
    assert got[notice.messageId].rcpt_tos == ("ucetni@odberatel.cz",)
    assert sent["Message-ID"] == notice.messageId and notice.messageId.endswith(
        "@" + robot.partition("@")[2] + ">"
    )
    sent_at = email.utils.parsedate_to_datetime(sent["Date"])
    assert started - dt.timedelta(seconds=1) <= sent_at <= dt.datetime.now(dt.UTC)
    assert sent["From"].addresses[0].addr_spec == "podatelna@odberatel.cz"
    assert sent["From"].addresses[0].display_name == "Odběratel s.r.o."
    assert sent["To"].addresses[0].addr_spec == "ucetni@odberatel.cz"
    assert sent["To"].addresses[0].display_name == "Účtárna"
    reply_to = sent["Reply-To"].addresses[0].addr_spec
    if tokens:
        assert reply_to.startswith(robot.partition("@")[0] + "+")
        assert token_sent_email(ctx.store, reply_to) == notice.id
    else:
        assert reply_to == robot
    assert sent["Auto-Submitted"] == "auto-generated"
    assert sent["In-Reply-To"] is None
    assert sent["Subject"] == "Nová faktura: Faktura č. 1"
    assert b"Subject: =?utf-8?" in head and head.isascii()  # RFC 2047 on the wire
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_filename() == "faktura č. 1.pdf"
    assert b"filename*=utf-8''faktura%20%C4%8D.%201.pdf" in raw  # RFC 2231 on the wire
    assert attachment.get_content() == ctx.store.file(
        m.AttachedFile.get(m.AttachedFile.name == "faktura č. 1.pdf").sha256
    )
    html = sent.get_body(("html",))
    assert html is not None and html.get_content().strip() == "<p>Přišla faktura.</p>"
    # the answer to the supplier threads under the invoice
    answer = got[thanks.messageId].parsed()
    assert got[thanks.messageId].rcpt_tos == ("jana@dodavatel.cz",)
    assert answer["In-Reply-To"] == "<faktura-1@dodavatel.cz>"
    assert answer["References"] == "<faktura-1@dodavatel.cz>"
    assert answer["Subject"] == "Re: Faktura č. 1"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert m.SentEmail.get_by_id(notice.id).state == "SENT"

    # 3. Jana answers the notice, and the supplier's server bounces the thanks; both reach
    # the robot mailbox on Dovecot
    dsn = DSN.read_bytes().replace(DSN_ID, thanks.messageId.encode())
    dsn = dsn.replace(DSN_RECIPIENT, b"jana@dodavatel.cz")
    dovecot.append(robot_user, [answer_to(sent, threading=not tokens), dsn])
    assert ingest(ctx).ok
    reply_row, bounce_row = (
        m.ReceivedEmail.select()
        .where(m.ReceivedEmail.mailAccount == m.MailAccount.get(m.MailAccount.purpose == "ROBOT"))
        .order_by(m.ReceivedEmail.id)
    )
    assert reply_row.__data__["sentEmail"] == notice.id
    assert bounce_row.__data__["sentEmail"] == thanks.id
    bounced = m.SentEmail.get_by_id(thanks.id)
    assert bounced.state == "BOUNCED"
    assert str(bounced.lastReply).startswith("jana@dodavatel.cz: 5.1.1 550 5.1.1")
    assert m.SentEmail.get_by_id(notice.id).state == "SENT"
    # the ROBOT handler reached the document through entity.sentEmail.relatedTo
    assert script_results([reply_row.id, bounce_row.id]) == ["reply", "bounced"]
    [run] = m.ScriptRun.select().where(m.ScriptRun.receivedEmail == reply_row.id)
    assert run.logLines == [f"reply from jana@dodavatel.cz noted on SubmittedDocument#{doc.id}"]
    note = doc_model.get_by_id(doc.id).__data__["note"]  # a schema model: fields untyped
    assert str(note).startswith('e-mail "Re: Faktura č. 1" not delivered: jana@dodavatel.cz:')
    assert {e.state for e in m.ReceivedEmail.select()} == {"PROCESSED"}
