"""Ingestion from IMAP against the real Dovecot of ``tests/servers``: new messages by
UIDVALIDITY and UID, exactly once over repeated runs, server flags and moves only after
the commit, keywords, the size limit, a changed UIDVALIDITY, a bad login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from runtime.context import AppContext, context_for
from runtime.ingest import ingest
from tests.ingest.test_ingest_local import FAILING, GOOD, message
from tests.servers.dovecot import DovecotServer, DovecotUser


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    handler = tmp_path / "handler.jexl"
    handler.write_text(GOOD, encoding="utf-8")
    config = Config(
        path=None,
        database_url=f"sqlite:///{tmp_path / 'mw.db'}",
        blob_dir=tmp_path / "blobs",
        handler_script=handler,
        key_file=tmp_path / "secret.key",
        max_message_bytes=20_000,
    )
    context = context_for(config, Store.open(config, migrate=True))
    try:
        yield context
    finally:
        context.close()


def add_imap_account(
    ctx: AppContext, dovecot: DovecotServer, user: DovecotUser, *, after: str = "seen", **kw: object
) -> m.MailAccount:
    credential = m.Credential.create(
        name=f"cred-{user.name}",
        kind="password",
        username=user.name,
        secret=ctx.store.secrets.encrypt(user.password),
    )
    return m.MailAccount.create(
        name="imap",
        address=user.name,
        sourceKind="imap",
        host=dovecot.host,
        port=dovecot.ssl_port,
        security="ssl",
        caFile=str(dovecot.ca.ca_file),
        credential=credential,
        afterProcessing=after,
        **kw,
    )


def server_flags(dovecot: DovecotServer, user: DovecotUser, folder: str = "INBOX") -> list:
    client = dovecot.client(user)
    try:
        client.select_folder(folder, readonly=True)
        found = client.get_flags(client.search("ALL"))
        return [sorted(f.decode() for f in found[uid]) for uid in sorted(found)]
    finally:
        client.logout()


def documents(ctx: AppContext) -> list[str]:
    return sorted(row.note for row in ctx.store.model("SubmittedDocument").select())


def test_new_messages_are_stored_handled_and_flagged_once(ctx, dovecot, imap_user) -> None:
    dovecot.append(imap_user, [message(n) for n in range(3)])
    add_imap_account(ctx, dovecot, imap_user)
    report = ingest(ctx)
    assert report.ok, report.accounts[0].errors
    assert (report.accounts[0].stored, report.accounts[0].processed) == (3, 3)
    assert documents(ctx) == ["message 0", "message 1", "message 2"]
    assert server_flags(dovecot, imap_user) == [["$MailwrightDone", "\\Seen"]] * 3
    # the next run finds nothing new; new mail is found after the last stored UID
    assert ingest(ctx).accounts[0].stored == 0
    dovecot.append(imap_user, [message(7)])
    again = ingest(ctx)
    assert (again.accounts[0].stored, again.accounts[0].processed) == (1, 1)
    assert len(documents(ctx)) == 4
    rows = list(m.ReceivedEmail.select().order_by(m.ReceivedEmail.uid))
    assert [r.uid for r in rows] == dovecot.uids(imap_user)
    assert {r.state for r in rows} == {"PROCESSED"}


def test_move_after_processing(ctx, dovecot, imap_user) -> None:
    dovecot.append(imap_user, [message(n) for n in range(2)])
    add_imap_account(ctx, dovecot, imap_user, after="move:Done")
    assert ingest(ctx).ok
    assert dovecot.uids(imap_user) == []
    assert len(dovecot.uids(imap_user, "Done")) == 2
    assert ingest(ctx).accounts[0].stored == 0


def test_failures_get_the_failed_keyword_and_stay(ctx, dovecot, imap_user) -> None:
    Path(ctx.config.handler_script).write_text(FAILING, encoding="utf-8")  # type: ignore[arg-type]
    dovecot.append(imap_user, [message(1)])
    add_imap_account(ctx, dovecot, imap_user, after="delete")
    report = ingest(ctx)
    assert report.accounts[0].failed == 1 and not report.ok
    assert server_flags(dovecot, imap_user) == [["$MailwrightFailed"]]
    assert m.ReceivedEmail.get().state == "FAILED"


def test_a_handler_that_does_not_compile_flags_nothing(ctx, dovecot, imap_user) -> None:
    Path(ctx.config.handler_script).write_text("var = ;", encoding="utf-8")  # type: ignore[arg-type]
    dovecot.append(imap_user, [message(1), message(2)])
    add_imap_account(ctx, dovecot, imap_user)
    report = ingest(ctx)
    assert report.accounts[0].stored == 2 and not report.ok
    assert server_flags(dovecot, imap_user) == [[], []]
    Path(ctx.config.handler_script).write_text(GOOD, encoding="utf-8")  # type: ignore[arg-type]
    fixed = ingest(ctx)
    assert fixed.ok and fixed.accounts[0].processed == 2
    assert server_flags(dovecot, imap_user) == [["$MailwrightDone", "\\Seen"]] * 2


def test_an_oversize_message_is_skipped_and_left_unflagged(ctx, dovecot, imap_user) -> None:
    big = message(9).replace(b"body 9", b"x" * 30_000)
    dovecot.append(imap_user, [big, message(1)])
    add_imap_account(ctx, dovecot, imap_user)
    report = ingest(ctx)
    assert (report.accounts[0].skipped, report.accounts[0].processed) == (1, 1)
    row = m.ReceivedEmail.get(m.ReceivedEmail.state == "SKIPPED")
    assert row.subject == "message 9" and row.size > 30_000 and "maxMessageMB" in row.reason
    assert server_flags(dovecot, imap_user) == [[], ["$MailwrightDone", "\\Seen"]]
    assert ingest(ctx).accounts[0].stored == 0


def test_a_new_uidvalidity_matches_by_sha256_without_reimport(ctx, dovecot, imap_user) -> None:
    dovecot.append(imap_user, [message(n) for n in range(2)])
    add_imap_account(ctx, dovecot, imap_user, after="none")
    assert ingest(ctx).ok
    new = dovecot.change_uidvalidity(imap_user)
    dovecot.append(imap_user, [message(5)])
    report = ingest(ctx)
    assert report.ok, report.accounts[0].errors
    assert report.accounts[0].stored == 1
    assert any("new UIDVALIDITY" in n for n in report.accounts[0].notes)
    rows = list(m.ReceivedEmail.select())
    assert len(rows) == 3 and {r.uidvalidity for r in rows} == {new}
    assert documents(ctx) == ["message 0", "message 1", "message 5"]
    assert ingest(ctx).accounts[0].stored == 0


def test_a_wrong_password_fails_that_account_only(ctx, dovecot, imap_user, tmp_path) -> None:
    account = add_imap_account(ctx, dovecot, imap_user)
    m.Credential.update(secret=ctx.store.secrets.encrypt("wrong")).execute()
    (tmp_path / "box").mkdir()
    m.MailAccount.create(
        name="local", address="l@example.com", sourceKind="emlfolder",
        path=str(tmp_path / "box"), afterProcessing="none",
    )  # fmt: skip
    report = ingest(ctx)
    imap, local = sorted(report.accounts, key=lambda a: a.name)
    assert not imap.ok and imap.errors and local.ok
    assert account.name in imap.errors[0]
    assert not report.ok


def test_a_connection_dropped_mid_run_is_reported_and_the_next_run_goes_on(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    dovecot.append(imap_user, [message(n) for n in range(5)])
    add_imap_account(ctx, dovecot, imap_user)
    import runtime.ingest as ingest_module

    real = ingest_module.handle_email
    handled: list[int] = []

    def handle_then_drop(*args, **kw):
        state = real(*args, **kw)
        handled.append(args[2])
        if len(handled) == 2:
            dovecot.kick(imap_user)  # the server drops the connection after the commit
        return state

    monkeypatch.setattr(ingest_module, "handle_email", handle_then_drop)
    report = ingest(ctx)
    assert not report.ok and report.accounts[0].errors
    monkeypatch.undo()
    again = ingest(ctx)
    assert again.ok, again.accounts[0].errors
    rows = list(m.ReceivedEmail.select())
    assert len(rows) == 5 and {r.state for r in rows} == {"PROCESSED"}
    assert documents(ctx) == [f"message {n}" for n in range(5)]
    # the e-mail whose flag the drop prevented is flagged by the next run
    assert server_flags(dovecot, imap_user) == [["$MailwrightDone", "\\Seen"]] * 5
