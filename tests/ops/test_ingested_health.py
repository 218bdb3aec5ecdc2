"""``mailwright emails`` (list, show, ``--stale``) and ``mailwright doctor`` on the
installation filled by the ingestion harness: moments in the configured zone with their
offset, as ``records`` shows them; an account whose mail stops arriving is stale for
both commands."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest

from mailstore import models as m
from tests.ops.conftest import Installation, run_cli

PRAGUE = zoneinfo.ZoneInfo("Europe/Prague")


def in_prague(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.UTC).astimezone(PRAGUE).isoformat(timespec="seconds")


def test_emails_show_moments_in_the_configured_zone(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    installation.write_config(zone="Europe/Prague")
    with installation.open():
        email = m.ReceivedEmail.select().order_by(m.ReceivedEmail.id).first()
        run = m.ScriptRun.get(m.ScriptRun.receivedEmail == email.id)
        received, sent, started = email.receivedDate, email.sentDate, run.startedAt
    status, out, err = run_cli(capsys, "emails", "--json")
    assert status == 0, err
    listed = {e["id"]: e for e in json.loads(out)}[email.id]
    assert listed["receivedDate"] == in_prague(received)
    status, out, _ = run_cli(capsys, "emails", "show", str(email.id), "--json")
    shown = json.loads(out)
    assert shown["sentDate"] == in_prague(sent)
    assert shown["runs"][0]["startedAt"] == in_prague(started)
    status, out, _ = run_cli(capsys, "emails", "show", str(email.id))
    assert f"received: {in_prague(received).replace('T', ' ')}" in out
    # records show names the same moment for the e-mail that made a record
    status, out, _ = run_cli(capsys, "records", "show", "SubmittedDocument", "1", "--json")
    assert json.loads(out)["email"]["receivedDate"] == in_prague(received)


def test_doctor_passes_on_the_ingested_installation(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, "doctor", "--json")
    report = json.loads(out)
    assert status == 0, report
    result = {r["check"]: r for r in report["checks"]}
    assert result["account invoices"]["status"] == "ok"
    assert result["database"]["status"] == "ok"
    assert result["handler"]["status"] == "ok"
    assert result["stale accounts"]["detail"] == "none of 1 enabled account(s)"
    assert [r["check"] for r in report["checks"] if r["status"] == "FAIL"] == []


def test_mail_that_stops_arriving_is_stale_for_emails_and_doctor(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "emails", "--stale")[:2] == (0, "no stale accounts\n")
    with installation.open():
        # the newest e-mail came three hours ago; the account expects one every two
        m.ReceivedEmail.update(receivedDate=m.utcnow() - dt.timedelta(hours=3)).execute()
        m.MailAccount.update(quietPeriodHours=2).execute()
    status, out, _ = run_cli(capsys, "emails", "--stale", "--json")
    assert status == 1
    [problem] = json.loads(out)
    assert problem["account"] == "invoices" and problem["kind"] == "quiet"
    assert "longer than its quiet period of 2 h" in problem["reason"]
    status, out, _ = run_cli(capsys, "doctor", "--json")
    assert status == 1
    stale = [r for r in json.loads(out)["checks"] if r["check"] == "stale invoices"]
    assert [r["status"] for r in stale] == ["FAIL"]
    assert "faktury@odberatel.cz" in stale[0]["fix"]
