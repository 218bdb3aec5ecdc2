"""Replies come back: linked by In-Reply-To, References or a signed token, seen by handlers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from runtime.context import AppContext, context_for
from runtime.robot import reply_to_for
from runtime.runner import RunReport, run_file
from tests.mailstore.conftest import db_url  # noqa: F401

LINK = (
    "var s = entity.sentEmail; s == null ? null : "
    "[s.messageId, s.subject, s.to, s.state, s.relatedTo.note]"
)


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:  # noqa: F811
    config = Config(path=None, database_url=db_url, blob_dir=tmp_path / "blobs",
                    key_file=tmp_path / "secret.key")  # fmt: skip
    context = context_for(config, Store.open(config, migrate=True))
    try:
        yield context
    finally:
        context.close()


def run(ctx: AppContext, source: str, **kw: object) -> RunReport:
    report = run_file("robot.jexl", source, context=ctx, purpose="ROBOT", **kw)  # type: ignore[arg-type]
    assert report.error is None, report.error.render()
    return report


def param(name: str, value: str) -> None:
    if not m.GlobalParameter.update(value=value).where(m.GlobalParameter.name == name).execute():
        m.GlobalParameter.create(name=name, value=value)


def send_one(ctx: AppContext) -> str:
    """Commit a SubmittedDocument and a mail about it; return the mail's Message-ID."""
    return str(
        run(
            ctx,
            "var d = createNew('SubmittedDocument'); d.note = 'asked'; persist(d);"
            "sendMail('jana@dodavatel.cz', 'Dotaz', 'Prosíme o opravu.', {'relatedTo': d})",
            commit=True,
        ).result
    )


def answer(*headers: str, to: str = "robot@firma.cz") -> bytes:
    lines = ["From: Jana <jana@dodavatel.cz>", f"To: {to}", "Subject: Re: Dotaz", *headers]
    return ("\r\n".join(lines) + "\r\n\r\nOpraveno.\r\n").encode()


def test_a_reply_by_in_reply_to_reaches_the_record_that_sent_it(ctx: AppContext) -> None:
    sent = send_one(ctx)
    got = run(ctx, LINK, eml=answer(f"In-Reply-To: {sent}", "Message-ID: <a1@dodavatel.cz>"))
    assert list(got.result) == [sent, "Dotaz", ["jana@dodavatel.cz"], "QUEUED", "asked"]


def test_references_link_when_in_reply_to_names_something_else(ctx: AppContext) -> None:
    sent = send_one(ctx)
    raw = answer(
        "In-Reply-To: <unknown@elsewhere.cz>",
        f"References: <root@elsewhere.cz> {sent} <unknown@elsewhere.cz>",
    )
    assert run(ctx, LINK, eml=raw).result[0] == sent


def test_the_newest_reference_we_sent_wins(ctx: AppContext) -> None:
    first, second = send_one(ctx), send_one(ctx)
    raw = answer(f"References: {first} <x@elsewhere.cz> {second}")
    assert run(ctx, LINK, eml=raw).result[0] == second


def test_mail_that_answers_nothing_we_sent_is_unlinked(ctx: AppContext) -> None:
    send_one(ctx)
    assert run(ctx, LINK, eml=answer("In-Reply-To: <nothing@elsewhere.cz>")).result is None
    assert run(ctx, LINK, eml=answer()).result is None


def test_a_token_links_a_reply_that_lost_its_headers(ctx: AppContext) -> None:
    param("mail.robotAddress", "robot@firma.cz")
    param("mail.robotTokens", "true")
    sent = send_one(ctx)
    token = reply_to_for(ctx.store, m.SentEmail.get(m.SentEmail.messageId == sent))
    assert token is not None and token.startswith("robot+")
    assert run(ctx, LINK, eml=answer(to=token)).result[0] == sent
    # the server may keep the token only in Delivered-To (the To being rewritten)
    assert run(ctx, LINK, eml=answer(f"Delivered-To: {token}", "X-Id: 2")).result[0] == sent
    assert run(ctx, LINK, eml=answer(to=f"Robot <{token.upper()}>")).result[0] == sent


def test_a_forged_token_links_nothing(ctx: AppContext) -> None:
    param("mail.robotAddress", "robot@firma.cz")
    param("mail.robotTokens", "true")
    sent = send_one(ctx)
    row = m.SentEmail.get(m.SentEmail.messageId == sent)
    token = reply_to_for(ctx.store, row) or ""
    # the same signature on another id, and a made-up one on this id
    other_id = token.replace(f"+{row.id}.", f"+{row.id + 1}.")
    made_up = f"robot+{row.id}.abcdefghijklmnop@firma.cz"
    for address in (other_id, made_up):
        assert run(ctx, LINK, eml=answer(to=address)).result is None


def test_the_link_is_kept_with_the_email(ctx: AppContext) -> None:
    sent = send_one(ctx)
    report = run(ctx, "entity.id", eml=answer(f"In-Reply-To: {sent}"), commit=True)
    row = m.ReceivedEmail.get_by_id(int(report.result))
    assert row.sentEmail is not None and row.sentEmail.messageId == sent
    replies = m.ReceivedEmail.select().where(m.ReceivedEmail.sentEmail == row.sentEmail)
    assert [r.id for r in replies] == [row.id]


# --- the ROBOT example handler on a store that sent what the answers answer ------------------

ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "tests" / "fixtures" / "mail"
ROBOT = ROOT / "examples" / "robot"
#: the Message-ID the fixtures answer or report on
ASKED = "<176423490112.4242.1539@firma.cz>"


def handle(ctx: AppContext, raw: bytes) -> RunReport:
    source = (ROBOT / "handler.jexl").read_text(encoding="utf-8")
    report = run_file("handler.jexl", source, context=ctx, purpose="ROBOT", eml=raw)
    assert report.error is None, report.error.render()
    return report


def asked(ctx: AppContext, state: str = "QUEUED") -> m.SentEmail:
    sent = send_one(ctx)
    m.SentEmail.update(messageId=ASKED, state=state).where(m.SentEmail.messageId == sent).execute()
    return m.SentEmail.get(m.SentEmail.messageId == ASKED)


def note(report: RunReport) -> str:
    [changed] = report.changed
    assert changed["type"] == "SubmittedDocument"
    return str(changed["fields"]["note"])


def test_the_robot_example_notes_a_reply_on_the_record(ctx: AppContext) -> None:
    asked(ctx, "SENT")
    report = handle(ctx, (MAIL / "reply-thunderbird.eml").read_bytes())
    assert report.result == "reply"
    assert note(report).startswith("reply from jana.novakova@dodavatel.cz on ")
    assert note(report).endswith(": Opravenou fakturu posíláme zítra.")


def test_the_robot_example_links_an_outlook_reply_by_its_token(ctx: AppContext) -> None:
    param("mail.robotAddress", "robot@firma.cz")
    param("mail.robotTokens", "true")
    token = reply_to_for(ctx.store, asked(ctx, "SENT")) or ""
    raw = (MAIL / "reply-outlook-no-threading.eml").read_bytes()
    raw = raw.replace(b'"robot@firma.cz" <robot@firma.cz>', f"<{token}>".encode())
    report = handle(ctx, raw)
    assert report.result == "reply"
    assert note(report).endswith(": Faktura je opravená, posíláme ji v příloze zvlášť.")
    # without the token the same reply has nothing to link it
    assert handle(ctx, (MAIL / "reply-outlook-no-threading.eml").read_bytes()).result is None


def test_the_robot_example_notes_a_bounce_and_logs_an_out_of_office(ctx: AppContext) -> None:
    asked(ctx, "SENT")
    report = handle(ctx, (ROBOT / "out-of-office.eml").read_bytes())
    assert report.result == "automatic" and report.changed == []
    assert report.logs == ['automatic answer (auto-replied) to "Dotaz": '
                           "Automatic reply: Dotaz k fakture 2026-17"]  # fmt: skip
    report = handle(ctx, (ROBOT / "bounce.eml").read_bytes())
    assert report.result == "bounced"
    assert note(report) == (
        'e-mail "Dotaz" not delivered: novak@dodavatel.cz: 5.1.1 550 5.1.1 '
        "<novak@dodavatel.cz>: Recipient address rejected: User unknown in virtual mailbox table"
    )


def _guide_example() -> str:
    """The ROBOT handler example of docs/functions.md (the block reading entity.sentEmail)."""
    text = (ROOT / "docs" / "functions.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```jexl-store\n(.*?)```", text, re.S)
    [code] = [b for b in blocks if "entity.sentEmail" in b]
    return str(code)


def test_the_guide_robot_example_notes_the_answer_on_the_record(ctx: AppContext) -> None:
    code = _guide_example()
    sent = send_one(ctx)
    report = run(ctx, code, eml=answer(f"In-Reply-To: {sent}"))
    assert report.result == "answered"
    assert note(report) == 'answer from jana@dodavatel.cz to "Dotaz"'
    unlinked = run(ctx, code, eml=answer("In-Reply-To: <nothing@elsewhere.cz>"))
    assert unlinked.result == "not an answer to our mail" and unlinked.changed == []
