"""Health signals: accounts whose mail stopped arriving (quiet period) or whose runs stopped
working (no success for a day), from `runtime.health` and ``mailwright emails --stale``.

On SQLite and, with ``MAILWRIGHT_TEST_DATABASE_URL``, on PostgreSQL.
"""

# ruff: noqa: F811 - pytest fixtures imported from test_settings are named as parameters
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.receive import store_received
from runtime.cli import main
from runtime.health import stale_accounts
from tests.runtime.test_settings import (  # noqa: F401 - fixtures
    configured,
    db_url,
    message,
    open_store,
    store,
)

NOW = dt.datetime(2026, 3, 10, 12, 0)


def account(name: str, *, created: dt.datetime, **fields: object) -> m.MailAccount:
    """A Maildir account added at *created* (the path is never read here)."""
    return m.MailAccount.create(
        name=name,
        address=f"{name}@example.test",
        sourceKind="maildir",
        path=f"/nonexistent/{name}",
        afterProcessing="seen",
        created=created,
        **fields,
    )


def receive(store: Store, acct: m.MailAccount, n: int, when: dt.datetime) -> None:
    store_received(store, acct, message(n), key=f"k{acct.name}{n}", received_date=when)


def test_mail_that_stops_arriving_is_reported_after_the_quiet_period(store: Store) -> None:
    hours = dt.timedelta(hours=1)
    quiet = account("faktury", created=NOW - 40 * 24 * hours, quietPeriodHours=24)
    receive(store, quiet, 1, NOW - 30 * 24 * hours)
    receive(store, quiet, 2, NOW - 30 * hours)  # the newest counts, not the first
    busy = account("busy", created=NOW - 40 * 24 * hours, quietPeriodHours=24)
    receive(store, busy, 3, NOW - 23 * hours)
    never = account("never", created=NOW - 72 * hours, quietPeriodHours=48)
    account("no-period", created=NOW - 400 * 24 * hours)  # silent, but nobody asked
    for a in (quiet, busy, never):
        a.lastSuccessAt = NOW - hours  # the runs work: only the quiet signal is under test
        a.save()
    m.MailAccount.update(lastSuccessAt=NOW).where(m.MailAccount.name == "no-period").execute()

    found = stale_accounts(store, NOW)

    assert [(s.account, s.kind) for s in found] == [("faktury", "quiet"), ("never", "quiet")]
    faktury, silent = found
    assert faktury.since == NOW - 30 * hours
    assert faktury.reason == (
        "no mail for 30 h, longer than its quiet period of 24 h "
        "(the newest e-mail arrived 2026-03-09 06:00 UTC)"
    )
    assert "faktury@example.test" in faktury.advice
    assert "mailwright accounts test faktury" in faktury.advice
    assert silent.since == NOW - 72 * hours
    assert "no mail for 3 days" in silent.reason
    assert "nothing since it was added 2026-03-07 12:00 UTC" in silent.reason


def test_an_account_without_a_success_for_a_day_is_reported(store: Store) -> None:
    day = dt.timedelta(days=1)
    account("broken", created=NOW - 10 * day, lastSuccessAt=NOW - 2 * day,
            lastRunAt=NOW - dt.timedelta(minutes=5),
            lastError="127.0.0.1:993: LOGIN refused (check the credential)\nmore")  # fmt: skip
    account("cron-stopped", created=NOW - 10 * day, lastSuccessAt=NOW - day - dt.timedelta(hours=1),
            lastRunAt=NOW - day - dt.timedelta(hours=1))  # fmt: skip
    account("never-worked", created=NOW - 3 * day)
    account("new", created=NOW - dt.timedelta(hours=20))  # a day to have its first success
    account("fine", created=NOW - 10 * day, lastSuccessAt=NOW - dt.timedelta(hours=23))
    account("off", created=NOW - 10 * day, enabled=False)  # disabled on purpose: never reported

    found = {s.account: s for s in stale_accounts(store, NOW)}

    assert sorted(found) == ["broken", "cron-stopped", "never-worked"]
    assert all(s.kind == "no-success" for s in found.values())
    broken = found["broken"]
    assert broken.since == NOW - 2 * day
    assert broken.reason == (
        "the last successful run was 2026-03-08 12:00 UTC, 2 days ago; the last run reported: "
        "127.0.0.1:993: LOGIN refused (check the credential)"
    )
    assert "mailwright ingest --account broken" in broken.advice
    assert "no run has worked on it since" not in found["cron-stopped"].reason
    assert found["never-worked"].reason == (
        "no successful run since it was added 2026-03-07 12:00 UTC; no run has worked on it since"
    )
    assert found["never-worked"].since == NOW - 3 * day


def test_one_account_can_be_both_quiet_and_failing(store: Store) -> None:
    account("both", created=NOW - dt.timedelta(days=5), quietPeriodHours=12)
    found = stale_accounts(store, NOW)
    assert [(s.account, s.kind) for s in found] == [("both", "quiet"), ("both", "no-success")]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_emails_stale_lists_them_and_exits_1(configured: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # a wide table: no cell is wrapped
    with open_store(configured) as s:
        old = m.utcnow() - dt.timedelta(days=3)
        quiet = account("faktury", created=old, quietPeriodHours=24, lastSuccessAt=m.utcnow())
        receive(s, quiet, 1, old)
        account("ok", created=old, lastSuccessAt=m.utcnow())

    status, out = cli(capsys, "emails", "--stale")
    assert status == 1, out
    assert "faktury" in out and "longer than its quiet period of 24 h" in out
    assert "mailwright accounts test faktury" in out
    assert "│ ok " not in out  # the healthy account is not listed

    status, out = cli(capsys, "emails", "--stale", "--json")
    assert status == 1
    rows = json.loads(out)
    assert [(r["account"], r["kind"]) for r in rows] == [("faktury", "quiet")]
    assert set(rows[0]) == {"account", "kind", "since", "reason", "advice"}
    assert rows[0]["since"] == old.strftime("%Y-%m-%d %H:%M:%S")


def test_emails_stale_without_problems_exits_0(configured: Path, capsys) -> None:
    with open_store(configured):
        account("ok", created=m.utcnow() - dt.timedelta(days=3), lastSuccessAt=m.utcnow())
    assert cli(capsys, "emails", "--stale") == (0, "no stale accounts\n")
    assert cli(capsys, "emails", "--stale", "--json") == (0, "[]\n")


def test_emails_stale_takes_no_filters(configured: Path, capsys) -> None:
    status, out = cli(capsys, "emails", "--stale", "--state", "FAILED")
    assert status == 2 and "--stale lists accounts" in out
