"""What a run leaves behind when things go wrong: an exception of mailwright's own code
while handling an e-mail counts an attempt like a script error (never a lost e-mail), and
each account remembers its last run, last success and last error (``doctor`` and
``emails --stale`` read them). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

import runtime.session
from mailstore import models as m
from runtime.ingest import ingest
from tests.ingest.test_ingest_local import (  # noqa: F401 - fixtures
    FAILING,
    GOOD,
    Clock,
    add_account,
    ctx,
    documents,
    handler,
    make_emlfolder,
    make_mbox,
)
from tests.mailstore.conftest import db_url  # noqa: F401


def _explode(*args: object, **kw: object) -> object:
    raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")


def test_an_internal_error_counts_an_attempt_and_the_email_is_retried(
    ctx,  # noqa: F811
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    account = add_account("box", "emlfolder", make_emlfolder(tmp_path / "in", 1))
    # a bug of ours after the script ran and wrote its record: the host code raises
    monkeypatch.setattr(runtime.session.RunSession, "touched", _explode)
    report = ingest(ctx, clock=clock)
    assert report.accounts[0].failed == 1 and not report.ok
    row = m.ReceivedEmail.get()
    assert (row.state, row.attempts) == ("FAILED", 1)
    assert row.nextAttempt == clock.now + dt.timedelta(minutes=1)
    assert row.lastError.startswith("handler.jexl: internal error (a bug in mailwright")
    assert "TypeError: unsupported operand" in row.lastError
    run = m.ScriptRun.get()
    assert (run.outcome, run.committed, run.receivedEmail_id) == ("internal", False, row.id)
    assert "TypeError" in run.errorMessage
    assert documents(ctx) == []  # what the script wrote was rolled back with it
    assert "internal error" in report.accounts[0].errors[0]
    # fixed (monkeypatch undone): the retry, once due, handles it
    monkeypatch.undo()
    clock.advance(minutes=1)
    again = ingest(ctx, clock=clock)
    assert again.ok and again.accounts[0].processed == 1
    assert m.ReceivedEmail.get().state == "PROCESSED"
    assert documents(ctx) == ["message 0"]
    assert [r.outcome for r in m.ScriptRun.select().order_by(m.ScriptRun.id)] == [
        "internal",
        "ok",
    ]
    assert account.name == "box"


def test_internal_errors_end_in_quarantine_like_script_errors(
    ctx,  # noqa: F811
    tmp_path,
    monkeypatch,
) -> None:
    clock = Clock()
    add_account("box", "mbox", make_mbox(tmp_path / "a.mbox", 1))
    monkeypatch.setattr(runtime.session.RunSession, "touched", _explode)
    for _ in range(5):
        ingest(ctx, clock=clock)
        clock.advance(hours=7)
    row = m.ReceivedEmail.get()
    assert (row.state, row.attempts) == ("QUARANTINED", 5)
    assert m.ScriptRun.select().where(m.ScriptRun.outcome == "internal").count() == 5


# --- lastRunAt, lastSuccessAt, lastError -------------------------------------------------------


def _health(name: str) -> tuple[dt.datetime | None, dt.datetime | None, str | None]:
    a = m.MailAccount.get(m.MailAccount.name == name)
    return a.lastRunAt, a.lastSuccessAt, a.lastError


def test_a_good_run_records_its_time_and_clears_the_last_error(ctx, tmp_path) -> None:  # noqa: F811
    clock = Clock()
    add_account("box", "emlfolder", make_emlfolder(tmp_path / "in", 2))
    m.MailAccount.update(lastError="old trouble").execute()
    assert _health("box") == (None, None, "old trouble")
    assert ingest(ctx, clock=clock).ok
    assert _health("box") == (clock.now, clock.now, None)
    # nothing new is a success too: the account was reached and all is handled
    clock.advance(hours=1)
    assert ingest(ctx, clock=clock).ok
    assert _health("box") == (clock.now, clock.now, None)


def test_a_failing_run_records_its_time_and_problem_but_not_a_success(
    ctx,  # noqa: F811
    tmp_path,
    handler,  # noqa: F811
) -> None:
    clock = Clock()
    add_account("box", "emlfolder", make_emlfolder(tmp_path / "in", 2))
    assert ingest(ctx, clock=clock).ok
    good = clock.now
    handler.write_text(FAILING, encoding="utf-8")
    make_emlfolder(tmp_path / "in", 3)  # a third message arrives
    clock.advance(hours=2)
    assert not ingest(ctx, clock=clock).ok
    ran, succeeded, error = _health("box")
    assert (ran, succeeded) == (clock.now, good)
    assert error is not None and "\n" not in error
    assert error.startswith("box: e-mail #3 FAILED (attempt 1 of 5)")
    assert "no invoice number" in error


def test_a_source_that_cannot_be_read_is_the_last_error(ctx, tmp_path) -> None:  # noqa: F811
    clock = Clock()
    add_account("box", "emlfolder", tmp_path / "missing")
    assert not ingest(ctx, clock=clock).ok
    ran, succeeded, error = _health("box")
    assert (ran, succeeded) == (clock.now, None)
    assert error is not None and "missing" in error


def test_the_first_of_several_problems_says_how_many_more(
    ctx,  # noqa: F811
    tmp_path,
    handler,  # noqa: F811
) -> None:
    handler.write_text(FAILING, encoding="utf-8")
    add_account("box", "emlfolder", make_emlfolder(tmp_path / "in", 3))
    ingest(ctx)
    error = _health("box")[2]
    assert error is not None and error.endswith("(and 2 more)")


def test_a_busy_account_and_a_dry_run_record_nothing(ctx, tmp_path) -> None:  # noqa: F811
    clock = Clock()
    account = add_account("box", "emlfolder", make_emlfolder(tmp_path / "in", 1))
    assert ingest(ctx, dry_run=True).accounts[0].stored == 1
    assert _health("box") == (None, None, None)
    m.Lease.claim(f"account:{account.id}", "other-runner", 300, account=account, now=clock.now)
    assert ingest(ctx, clock=clock).accounts[0].busy
    assert _health("box") == (None, None, None)
    assert GOOD  # the fixture's handler


def test_a_bug_of_the_compiler_is_reported_and_fetching_goes_on(
    ctx,  # noqa: F811
    tmp_path,
    monkeypatch,
) -> None:
    add_account("box", "emlfolder", make_emlfolder(tmp_path / "in", 2))

    def crash(*args: object, **kw: object) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(ctx.engine, "compile", crash)
    report = ingest(ctx)  # before: the exception ended the whole run, every account
    [box] = report.accounts
    assert (box.stored, box.processed) == (2, 0) and not box.ok
    assert "internal error while compiling it" in box.errors[0]
    assert "RecursionError" in box.errors[0]
    # as for a script that does not compile: stored, not handled, no attempt counted
    rows = list(m.ReceivedEmail.select())
    assert {(r.state, r.attempts) for r in rows} == {("RECEIVED", 0)}
