"""The loop guards and the rate limit of automatic replies: a stopped reply is not queued,
``reply`` gives null, and the run's log and warnings say why."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from runtime.bindings import reply_subject
from runtime.context import AppContext, context_for
from runtime.runner import RunReport, run_file
from tests.mailstore.conftest import db_url  # noqa: F401


@pytest.fixture
def config(db_url: str, tmp_path: Path) -> Config:  # noqa: F811
    return Config(path=None, database_url=db_url, blob_dir=tmp_path / "blobs",
                  key_file=tmp_path / "secret.key")  # fmt: skip


def _open(config: Config) -> AppContext:
    return context_for(config, Store.open(config, migrate=True))


@pytest.fixture
def ctx(config: Config) -> Iterator[AppContext]:
    context = _open(config)
    try:
        yield context
    finally:
        context.close()


def mail(*headers: str, sender: str = "Jana <jana@dodavatel.cz>") -> bytes:
    lines = [f"From: {sender}", "To: robot@firma.cz", "Subject: Dotaz",
             "Message-ID: <q1@dodavatel.cz>", *headers]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\nDobrý den.\r\n").encode()


def run(ctx: AppContext, source: str, raw: bytes, **kw: object) -> RunReport:
    report = run_file("auto.jexl", source, context=ctx, eml=raw, purpose="ROBOT", **kw)  # type: ignore[arg-type]
    assert report.error is None, report.error.render()
    return report


REPLY = "log('before');\nreply(entity, 'Děkujeme, vyřídíme to.')"


@pytest.mark.parametrize(
    ("headers", "sender", "why"),
    [
        (["Auto-Submitted: auto-replied"], None, "marked Auto-Submitted: auto-replied"),
        (["Auto-Submitted: auto-generated; owner=x"], None, "Auto-Submitted: auto-generated"),
        (["Precedence: bulk"], None, "Precedence: bulk"),
        (["Precedence: List"], None, "Precedence: list"),
        (["Precedence: junk"], None, "Precedence: junk"),
        (["List-Id: Dodavatele <dodavatele.lists.example.cz>"], None, "mailing list"),
        ([], "MAILER-DAEMON@mx.dodavatel.cz", "a mail system address"),
        ([], "Postmaster <postmaster@dodavatel.cz>", "a mail system address"),
        (["Reply-To: mailer-daemon@dodavatel.cz"], None, "would go to mailer-daemon@"),
        ([], "Robot <robot@firma.cz>", "our own robot address"),
        (["Reply-To: robot+7.abcdefghijklmnop@firma.cz"], None, "our own robot address"),
    ],
)
def test_a_reply_the_guards_stop_is_skipped_with_a_warning(
    ctx: AppContext, headers: list[str], sender: str | None, why: str
) -> None:
    m.GlobalParameter.create(name="mail.robotAddress", value="robot@firma.cz")
    raw = mail(*headers, sender=sender or "Jana <jana@dodavatel.cz>")
    report = run(ctx, REPLY, raw, commit=True)
    assert report.result is None and report.queued == []
    assert m.SentEmail.select().count() == 0
    [warning] = report.warnings
    assert warning.startswith("auto.jexl:2:") and "reply not sent: " in warning and why in warning
    assert report.logs[0] == "before" and why in report.logs[1]
    # the log is kept with the run, for `emails show`
    run_row = m.ScriptRun.get_by_id(report.script_run_id)
    assert why in run_row.logLines[1]


def test_an_ordinary_mail_and_auto_submitted_no_are_answered(ctx: AppContext) -> None:
    m.GlobalParameter.create(name="mail.robotAddress", value="robot@firma.cz")
    for raw in (mail(), mail("Auto-Submitted: no", "Precedence: first-class")):
        report = run(ctx, REPLY, raw)
        assert report.warnings == [] and report.result == report.queued[0]["messageId"]


def test_sendmail_is_not_an_automatic_reply(ctx: AppContext) -> None:
    raw = mail("Auto-Submitted: auto-replied", "List-Id: <x.example.cz>")
    report = run(ctx, "sendMail('postmaster@firma.cz', 'Hlášení', 'Přišla pošta.')", raw)
    assert len(report.queued) == 1 and report.warnings == []


def test_at_most_ten_automatic_replies_per_recipient_per_hour(ctx: AppContext) -> None:
    source = "var ids = [...]; for (var i : 1..12) { ids.add(reply(entity, 'x')) } ids"
    report = run(ctx, source, mail(), commit=True)
    ids = list(report.result)
    assert all(ids[:10]) and ids[10:] == [None, None]
    assert len(report.queued) == 10
    # one warning for the same stop at the same place, however often the loop met it
    [warning] = report.warnings
    assert "jana@dodavatel.cz already got 10 automatic replies in the last hour" in warning
    assert len([line for line in report.logs if "reply not sent" in line]) == 1
    # the limit is per recipient: another sender is answered
    other = run(ctx, REPLY, mail(sender="petr@dodavatel.cz"))
    assert other.result is not None
    # a later run counts what the earlier ones queued
    assert run(ctx, REPLY, mail()).result is None


def test_replies_older_than_an_hour_do_not_count(ctx: AppContext) -> None:
    old = m.utcnow() - dt.timedelta(minutes=61)
    for n in range(10):
        m.SentEmail.create(messageId=f"<old{n}@firma.cz>", to=["Jana <JANA@dodavatel.cz>"],
                           autoSubmitted="auto-replied", created=old)  # fmt: skip
    assert run(ctx, REPLY, mail()).result is not None
    recent = m.utcnow() - dt.timedelta(minutes=59)
    m.SentEmail.update(created=recent).where(m.SentEmail.messageId.startswith("<old")).execute()
    report = run(ctx, REPLY, mail())
    assert report.result is None and "already got 10 automatic replies" in report.warnings[0]
    # sendMail to the same person is not an automatic reply and does not count
    m.SentEmail.update(created=old).execute()
    for n in range(10):
        m.SentEmail.create(messageId=f"<gen{n}@firma.cz>", to=["jana@dodavatel.cz"])
    assert run(ctx, REPLY, mail()).result is not None


def test_the_limit_comes_from_the_configuration(config: Config) -> None:
    context = _open(dataclasses.replace(config, auto_replies_per_hour=2))
    try:
        report = run(context, "[reply(entity, 'a'), reply(entity, 'b'), reply(entity, 'c')]",
                     mail())  # fmt: skip
        assert list(report.result)[2] is None and len(report.queued) == 2
        assert "(at most 2: [mail] autoRepliesPerHour)" in report.warnings[0]
    finally:
        context.close()


@pytest.mark.parametrize(
    ("original", "subject"),
    [
        ("Dotaz", "Re: Dotaz"),
        ("Re: Dotaz", "Re: Dotaz"),
        ("RE: Re: re:Dotaz", "Re: Dotaz"),
        ("Re[2]: Dotaz", "Re: Dotaz"),
        ("Re(3): Dotaz", "Re: Dotaz"),
        ("AW: Aw: Anfrage", "Re: Anfrage"),
        ("Odp: Dotaz", "Re: Dotaz"),
        ("Fwd: Dotaz", "Re: Fwd: Dotaz"),
        ("Re: Fwd: Dotaz", "Re: Fwd: Dotaz"),
        ("Reklamace", "Re: Reklamace"),
        ("Area: 51", "Re: Area: 51"),
        ("", "Re:"),
        (None, "Re:"),
    ],
)
def test_reply_subjects_do_not_pile_up_prefixes(original: str | None, subject: str) -> None:
    assert reply_subject(original) == subject
