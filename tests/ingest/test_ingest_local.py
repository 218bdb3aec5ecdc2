"""Ingestion from Maildir, mbox and a folder of .eml files through the one runner:
exactly once over repeated runs, after-actions only after the commit, a handler that does
not compile, retries with backoff up to quarantine, reprocessing after a fix."""

from __future__ import annotations

import datetime as dt
import mailbox
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from runtime.context import AppContext, context_for
from runtime.ingest import ingest, reprocess

# the store fixtures of tests/mailstore (SQLite always, PostgreSQL when configured)
from tests.mailstore.conftest import db_url  # noqa: F401

#: a handler that makes one SubmittedDocument per e-mail, naming it after the subject
GOOD = """
var sd = createNew('SubmittedDocument');
sd.note = entity.subject;
persist(sd);
log('handled', entity.subject);
"""
#: a handler that fails at run time on every e-mail
FAILING = "throw 'no invoice number';"
#: a handler that does not compile
BROKEN = "var = ;"


def message(number: int, *, date: str = "Mon, 02 Nov 2026 10:00:00 +0100") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice <alice@example.com>"
    msg["To"] = "invoices@example.com"
    msg["Subject"] = f"message {number}"
    msg["Date"] = date
    msg["Message-ID"] = f"<m{number}@example.com>"
    msg.set_content(f"body {number}\n")
    return msg.as_bytes()


def make_maildir(path: Path, count: int, start: int = 0) -> Path:
    box = mailbox.Maildir(path, create=True)
    for n in range(start, start + count):
        box.add(mailbox.MaildirMessage(message(n)))
    return path


def make_mbox(path: Path, count: int) -> Path:
    box = mailbox.mbox(path, create=True)
    for n in range(count):
        box.add(mailbox.mboxMessage(message(n)))
    box.close()
    return path


def make_emlfolder(path: Path, count: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (path / f"{n:03}.eml").write_bytes(message(n))
    return path


class Clock:
    """A controllable clock (naive UTC) for retries and leases."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 27, 12, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def handler(tmp_path: Path) -> Path:
    path = tmp_path / "handler.jexl"
    path.write_text(GOOD, encoding="utf-8")
    return path


def open_ctx(db_url: str, tmp_path: Path, handler: Path, **settings: object) -> AppContext:  # noqa: F811
    config = Config(
        path=None,
        database_url=db_url,
        blob_dir=tmp_path / "blobs",
        handler_script=handler,
        **settings,  # type: ignore[arg-type]
    )
    return context_for(config, Store.open(config, migrate=True))


@pytest.fixture
def ctx(db_url: str, tmp_path: Path, handler: Path) -> Iterator[AppContext]:  # noqa: F811
    context = open_ctx(db_url, tmp_path, handler)
    try:
        yield context
    finally:
        context.close()


def add_account(
    name: str, kind: str, path: Path, after: str = "none", **kw: object
) -> m.MailAccount:
    return m.MailAccount.create(
        name=name,
        address=f"{name}@example.com",
        sourceKind=kind,
        path=str(path),
        afterProcessing=after,
        **kw,
    )


def states(account: m.MailAccount) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in m.ReceivedEmail.select().where(m.ReceivedEmail.mailAccount == account.id):
        out[row.state] = out.get(row.state, 0) + 1
    return out


def documents(ctx: AppContext) -> list[str]:
    model = ctx.store.model("SubmittedDocument")
    return sorted(row.note for row in model.select())


# --- exactly once over repeated runs, for each kind of source ---------------------------------


@pytest.mark.parametrize(
    "kind,maker,after",
    [
        ("maildir", make_maildir, "seen"),
        ("mbox", make_mbox, "none"),
        ("emlfolder", make_emlfolder, "none"),
    ],
)
def test_each_message_is_stored_and_handled_once(ctx, tmp_path, kind, maker, after) -> None:
    account = add_account("box", kind, maker(tmp_path / "box", 5), after)
    first = ingest(ctx)
    assert first.ok, [a.errors for a in first.accounts]
    assert (first.accounts[0].stored, first.accounts[0].processed) == (5, 5)
    second = ingest(ctx)
    assert second.ok
    assert (second.accounts[0].stored, second.accounts[0].processed) == (0, 0)
    assert states(account) == {"PROCESSED": 5}
    assert documents(ctx) == [f"message {n}" for n in range(5)]
    runs = list(m.ScriptRun.select())
    assert len(runs) == 5 and all(r.outcome == "ok" and r.committed for r in runs)
    for run in runs:  # each run's log is its own e-mail's
        assert run.logLines == [f"handled {run.receivedEmail.subject}"]


def test_new_mail_is_picked_up_by_the_next_run(ctx, tmp_path) -> None:
    path = make_maildir(tmp_path / "box", 2)
    add_account("box", "maildir", path, "seen")
    ingest(ctx)
    make_maildir(path, 3, start=10)
    report = ingest(ctx)
    assert report.accounts[0].stored == 3
    assert len(documents(ctx)) == 5


def test_maildir_seen_flags_every_handled_message(ctx, tmp_path) -> None:
    path = make_maildir(tmp_path / "box", 3)
    add_account("box", "maildir", path, "seen")
    assert ingest(ctx).ok
    box = mailbox.Maildir(path, create=False)
    assert sorted(msg.get_flags() for msg in box) == ["S", "S", "S"]


def test_emlfolder_move_takes_handled_files_away(ctx, tmp_path) -> None:
    path = make_emlfolder(tmp_path / "in", 3)
    add_account("box", "emlfolder", path, "move:done")
    assert ingest(ctx).ok
    assert sorted(p.name for p in path.glob("*.eml")) == []
    assert sorted(p.name for p in (path / "done").glob("*.eml")) == [
        "000.eml",
        "001.eml",
        "002.eml",
    ]
    assert ingest(ctx).accounts[0].stored == 0


def test_maildir_delete_after_the_commit(ctx, tmp_path) -> None:
    path = make_maildir(tmp_path / "box", 2)
    account = add_account("box", "maildir", path, "delete")
    assert ingest(ctx).ok
    assert list(mailbox.Maildir(path, create=False).keys()) == []
    assert states(account) == {"PROCESSED": 2}


def test_an_action_the_source_cannot_do_fails_the_account_only(ctx, tmp_path) -> None:
    add_account("a-mbox", "mbox", make_mbox(tmp_path / "a.mbox", 2), "seen")
    good = add_account("b-maildir", "maildir", make_maildir(tmp_path / "b", 2), "seen")
    report = ingest(ctx)
    assert not report.ok
    bad, fine = report.accounts
    assert "after-processing 'seen' is not possible for a mbox" in bad.errors[0]
    assert fine.ok and states(good) == {"PROCESSED": 2}


# --- after-actions only after the commit --------------------------------------------------------


def test_a_crash_before_the_action_is_finished_by_the_next_run(ctx, tmp_path, monkeypatch) -> None:
    path = make_emlfolder(tmp_path / "in", 2)
    account = add_account("box", "emlfolder", path, "delete")
    import runtime.ingest.account as ingest_module  # where the run calls after_action

    def crash(*args: object) -> bool:
        raise KeyboardInterrupt  # the process dies between the commit and the action

    monkeypatch.setattr(ingest_module, "after_action", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest(ctx)
    # the first e-mail committed as PROCESSED; its file is still there
    assert states(account) == {"PROCESSED": 1}
    assert len(list(path.glob("*.eml"))) == 2
    monkeypatch.undo()
    m.Lease.delete().execute()  # the dead runner's lease (it would expire)
    report = ingest(ctx)
    assert report.ok
    assert list(path.glob("*.eml")) == []
    assert states(account) == {"PROCESSED": 2}
    assert len(documents(ctx)) == 2  # handled once, not again


def test_nothing_is_acted_on_when_the_handler_fails(ctx, tmp_path, handler) -> None:
    handler.write_text(FAILING, encoding="utf-8")
    path = make_emlfolder(tmp_path / "in", 2)
    add_account("box", "emlfolder", path, "delete")
    report = ingest(ctx)
    assert not report.ok and report.accounts[0].failed == 2
    assert len(list(path.glob("*.eml"))) == 2


# --- a handler that does not compile ---------------------------------------------------------------


def test_a_handler_that_does_not_compile_stores_but_does_not_run(ctx, tmp_path, handler) -> None:
    handler.write_text(BROKEN, encoding="utf-8")
    path = make_maildir(tmp_path / "box", 3)
    account = add_account("box", "maildir", path, "seen")
    report = ingest(ctx)
    assert not report.ok
    assert "does not compile" in report.accounts[0].errors[0]
    assert report.accounts[0].stored == 3
    assert states(account) == {"RECEIVED": 3}
    rows = list(m.ReceivedEmail.select())
    assert all(r.attempts == 0 for r in rows)
    assert m.ScriptRun.select().count() == 0
    # nothing flagged in the source
    assert all(msg.get_flags() == "" for msg in mailbox.Maildir(path, create=False))
    # fixed: the next run handles the stored e-mails first, then flags them
    handler.write_text(GOOD, encoding="utf-8")
    again = ingest(ctx)
    assert again.ok and again.accounts[0].processed == 3 and again.accounts[0].stored == 0
    assert states(account) == {"PROCESSED": 3}
    assert all(msg.get_flags() == "S" for msg in mailbox.Maildir(path, create=False))


def test_no_handler_at_all_is_reported(db_url, tmp_path) -> None:  # noqa: F811
    config = Config(path=None, database_url=db_url, blob_dir=tmp_path / "blobs")
    with context_for(config, Store.open(config, migrate=True)) as context:
        account = add_account("box", "mbox", make_mbox(tmp_path / "a.mbox", 1))
        report = ingest(context)
        assert "no handler script" in report.accounts[0].errors[0]
        assert states(account) == {"RECEIVED": 1}


# --- runtime failures: retries with backoff, then quarantine --------------------------------------


def test_failures_back_off_and_end_in_quarantine(ctx, tmp_path, handler) -> None:
    handler.write_text(FAILING, encoding="utf-8")
    clock = Clock()
    account = add_account("box", "mbox", make_mbox(tmp_path / "a.mbox", 1))
    ingest(ctx, clock=clock)
    row = m.ReceivedEmail.get()
    assert (row.state, row.attempts) == ("FAILED", 1)
    assert row.nextAttempt == clock.now + dt.timedelta(minutes=1)
    assert "no invoice number" in row.lastError
    # not due yet: not retried
    clock.advance(seconds=59)
    assert ingest(ctx, clock=clock).accounts[0].failed == 0
    assert m.ReceivedEmail.get().attempts == 1
    # the default delays 1 min, 10 min, 1 h, 6 h; the 5th failure quarantines
    for attempts, delay in [(2, 600), (3, 3600), (4, 21600)]:
        clock.now = row.nextAttempt  # due exactly now
        ingest(ctx, clock=clock)
        row = m.ReceivedEmail.get()
        assert (row.state, row.attempts) == ("FAILED", attempts)
        assert row.nextAttempt == clock.now + dt.timedelta(seconds=delay)
    clock.advance(hours=6)
    report = ingest(ctx, clock=clock)
    assert report.accounts[0].quarantined == 1 and not report.ok
    row = m.ReceivedEmail.get()
    assert (row.state, row.attempts, row.nextAttempt) == ("QUARANTINED", 5, None)
    clock.advance(days=30)
    ingest(ctx, clock=clock)
    assert m.ReceivedEmail.get().attempts == 5  # never retried again
    runs = list(m.ScriptRun.select().order_by(m.ScriptRun.id))
    assert len(runs) == 5 and all(r.outcome == "runtime" and not r.committed for r in runs)
    assert states(account) == {"QUARANTINED": 1}


def test_a_failed_run_keeps_nothing_it_wrote(ctx, tmp_path, handler) -> None:
    handler.write_text(GOOD + "\nthrow 'after persisting';", encoding="utf-8")
    add_account("box", "mbox", make_mbox(tmp_path / "a.mbox", 1))
    ingest(ctx)
    assert documents(ctx) == []
    assert m.ReceivedEmail.get().state == "FAILED"


def test_reprocess_after_fixing_the_script(ctx, tmp_path, handler) -> None:
    handler.write_text(FAILING, encoding="utf-8")
    path = make_emlfolder(tmp_path / "in", 2)
    account = add_account("box", "emlfolder", path, "move:done")
    clock = Clock()
    for _ in range(5):
        ingest(ctx, clock=clock)
        clock.advance(hours=7)
    assert states(account) == {"QUARANTINED": 2}
    handler.write_text(GOOD, encoding="utf-8")
    ids = [r.id for r in m.ReceivedEmail.select()]
    reports = reprocess(ctx, ids, clock=clock)
    assert reports[0].ok and reports[0].processed == 2
    assert states(account) == {"PROCESSED": 2}
    assert documents(ctx) == ["message 0", "message 1"]
    assert list(path.glob("*.eml")) == [] and len(list((path / "done").glob("*.eml"))) == 2


def test_one_bad_message_does_not_stop_the_others(ctx, tmp_path, handler) -> None:
    handler.write_text(
        "if (entity.subject == 'message 1') { throw 'bad'; }\n" + GOOD,
        encoding="utf-8",
    )
    account = add_account("box", "maildir", make_maildir(tmp_path / "box", 3), "seen")
    report = ingest(ctx)
    assert (report.accounts[0].processed, report.accounts[0].failed) == (2, 1)
    assert not report.ok
    assert states(account) == {"PROCESSED": 2, "FAILED": 1}


# --- size limit, since, dry run, leases ----------------------------------------------------------


def test_an_oversize_message_is_skipped_with_its_headers(db_url, tmp_path, handler) -> None:  # noqa: F811
    with open_ctx(db_url, tmp_path, handler, max_message_bytes=2000) as context:
        path = make_emlfolder(tmp_path / "in", 1)
        big = EmailMessage()
        big["Subject"] = "big one"
        big["From"] = "a@example.com"
        big.set_content("x" * 5000)
        (path / "big.eml").write_bytes(big.as_bytes())
        account = add_account("box", "emlfolder", path, "delete")
        report = ingest(context)
        assert report.accounts[0].skipped == 1
        assert states(account) == {"PROCESSED": 1, "SKIPPED": 1}
        row = m.ReceivedEmail.get(m.ReceivedEmail.state == "SKIPPED")
        assert row.subject == "big one" and row.body in (None, "")
        assert row.size > 5000 and "maxMessageMB" in row.reason
        assert (path / "big.eml").exists()  # left in the source
        assert ingest(context).accounts[0].skipped == 0  # and stored once


def test_messages_before_since_are_ignored(ctx, tmp_path) -> None:
    path = make_emlfolder(tmp_path / "in", 0)
    (path / "old.eml").write_bytes(message(1, date="Mon, 02 Jan 2023 10:00:00 +0000"))
    (path / "new.eml").write_bytes(message(2))
    account = add_account("box", "emlfolder", path, since=dt.datetime(2026, 1, 1))
    report = ingest(ctx)
    assert report.accounts[0].ignored == 1 and report.ok
    assert states(account) == {"PROCESSED": 1, "IGNORED": 1}
    assert documents(ctx) == ["message 2"]


def test_dry_run_stores_nothing(ctx, tmp_path) -> None:
    add_account("box", "maildir", make_maildir(tmp_path / "box", 4), "seen")
    report = ingest(ctx, dry_run=True)
    assert report.accounts[0].stored == 4
    assert m.ReceivedEmail.select().count() == 0 and m.Lease.select().count() == 0
    assert all(msg.get_flags() == "" for msg in mailbox.Maildir(tmp_path / "box", create=False))


def test_an_account_leased_by_another_runner_is_left_alone(ctx, tmp_path) -> None:
    clock = Clock()
    account = add_account("box", "maildir", make_maildir(tmp_path / "box", 2), "seen")
    m.Lease.claim(f"account:{account.id}", "other-runner", 300, account=account, now=clock.now)
    report = ingest(ctx, clock=clock)
    assert report.accounts[0].busy and report.ok
    assert m.ReceivedEmail.select().count() == 0
    clock.advance(seconds=301)  # the other runner died: its lease expires and is taken over
    report = ingest(ctx, clock=clock)
    assert report.accounts[0].processed == 2
    assert m.Lease.select().count() == 0  # released at the end


def test_disabled_accounts_are_not_fetched_unless_named(ctx, tmp_path) -> None:
    add_account("box", "maildir", make_maildir(tmp_path / "box", 1), "seen", enabled=False)
    assert ingest(ctx).accounts == []
    assert ingest(ctx, account="box").accounts[0].processed == 1
    with pytest.raises(ValueError, match="no mail account named 'nope'"):
        ingest(ctx, account="nope")
