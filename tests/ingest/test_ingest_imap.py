"""Ingestion from IMAP against the real Dovecot of ``tests/servers``: new messages by
UIDVALIDITY and UID, exactly once over repeated runs, server flags and moves only after
the commit, keywords, the size limit, a changed UIDVALIDITY, a bad login."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import runtime.ingest.imap
from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from runtime.context import AppContext, context_for
from runtime.ingest import ingest
from tests.ingest.test_ingest_local import FAILING, GOOD, message
from tests.servers import free_port
from tests.servers.dovecot import DovecotServer, DovecotUser


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    yield from imap_context(tmp_path, f"sqlite:///{tmp_path / 'mw.db'}")


def imap_context(tmp_path: Path, database_url: str) -> Iterator[AppContext]:
    """A context over *database_url* with the GOOD handler and a 20,000-byte size limit."""
    handler = tmp_path / "handler.jexl"
    handler.write_text(GOOD, encoding="utf-8")
    config = Config(
        path=None,
        database_url=database_url,
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


def test_each_failing_account_says_what_to_check_and_the_others_go_on(
    ctx, dovecot, imap_user
) -> None:
    dovecot.append(imap_user, [message(0)])
    good = add_imap_account(ctx, dovecot, imap_user)
    wrong = m.Credential.create(
        name="wrong", kind="password", username=imap_user.name,
        secret=ctx.store.secrets.encrypt("not-" + imap_user.password),
    )  # fmt: skip
    settings = {
        "address": imap_user.name, "sourceKind": "imap", "host": dovecot.host,
        "port": dovecot.ssl_port, "security": "ssl", "caFile": good.caFile,
        "credential": good.credential, "afterProcessing": "seen",
    }  # fmt: skip
    broken = {
        "a-refused": ({"port": free_port()}, "check --imap / --port"),  # nothing listens
        "b-login": ({"credential": wrong}, "check the credential 'wrong'"),
        "c-untrusted": ({"caFile": None}, "check --security / --ca-file"),
        "d-folder": ({"folder": "Archiv"}, "check --folder"),
    }
    for name, (changed, _) in broken.items():
        m.MailAccount.create(name=name, **{**settings, **changed})
    report = ingest(ctx)
    by_name = {a.name: a for a in report.accounts}
    assert by_name["imap"].ok and by_name["imap"].processed == 1
    for name, (_, hint) in broken.items():
        [error] = by_name[name].errors
        assert error.startswith(f"{name}: 127.0.0.1:") and error.endswith(f"({hint})")
        assert by_name[name].summary() == f"{name}: failed (1 error)"
        account = m.MailAccount.get(m.MailAccount.name == name)
        assert account.lastError == error and account.lastSuccessAt is None
    assert not report.ok  # the exit status of `mailwright ingest` is 1
    assert imap_user.password not in " ".join(e for a in report.accounts for e in a.errors)


def test_a_server_that_never_answers_times_out_and_the_others_go_on(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    dovecot.append(imap_user, [message(0)])
    good = add_imap_account(ctx, dovecot, imap_user)
    monkeypatch.setattr(runtime.ingest.imap, "IMAP_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        m.MailAccount.create(
            name="mute", address=imap_user.name, sourceKind="imap", host="127.0.0.1",
            port=silent.getsockname()[1], security="ssl", credential=good.credential,
        )  # fmt: skip
        report = ingest(ctx)
    imap, mute = report.accounts
    assert imap.ok and imap.processed == 1
    [error] = mute.errors
    assert error.startswith("mute: 127.0.0.1:")
    assert error.endswith("(check the network or the server's load)")
    assert not report.ok


def test_a_connection_dropped_mid_run_is_reported_and_the_next_run_goes_on(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    dovecot.append(imap_user, [message(n) for n in range(5)])
    add_imap_account(ctx, dovecot, imap_user)
    import runtime.ingest.imap as ingest_module  # where the IMAP path calls handle_email

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


# --- UIDVALIDITY changed on the server: every stored e-mail is matched again ---------------------


def test_a_new_uidvalidity_rematches_skipped_and_ignored_emails_too(
    ctx, dovecot, imap_user
) -> None:
    from runtime.settings import AccountSpec
    from runtime.settings import add_account as settings_add_account

    dovecot.append(imap_user, [message(1), message(2)])
    m.Credential.create(
        name="cred",
        kind="password",
        username=imap_user.name,
        secret=ctx.store.secrets.encrypt(imap_user.password),
    )
    spec = AccountSpec(
        name="imap", purpose="INVOICES", source_kind="imap", host=dovecot.host,
        port=dovecot.ssl_port, security="ssl", credential="cred",
        ca_file=str(dovecot.ca.ca_file), from_now=True, address=imap_user.name,
    )  # fmt: skip
    settings_add_account(ctx.store, spec)  # messages 1 and 2: IGNORED, headers only
    big = message(9).replace(b"body 9", b"x" * 30_000)
    dovecot.append(imap_user, [big, message(3)])
    first = ingest(ctx)
    assert (first.accounts[0].skipped, first.accounts[0].processed) == (1, 1)
    before = {r.id: r.state for r in m.ReceivedEmail.select()}
    assert sorted(before.values()) == ["IGNORED", "IGNORED", "PROCESSED", "SKIPPED"]

    new = dovecot.change_uidvalidity(imap_user)
    report = ingest(ctx)
    assert report.ok, report.accounts[0].errors
    assert report.accounts[0].stored == 0 and report.accounts[0].processed == 0
    notes = " ".join(report.accounts[0].notes)
    assert "new UIDVALIDITY" in notes
    assert "4 (2 IGNORED, 1 PROCESSED, 1 SKIPPED) stored message(s) matched again" in notes
    rows = list(m.ReceivedEmail.select().order_by(m.ReceivedEmail.uid))
    assert {r.id: r.state for r in rows} == before  # the same e-mails, re-keyed
    assert {r.uidvalidity for r in rows} == {new}
    assert [r.uid for r in rows] == dovecot.uids(imap_user)
    assert documents(ctx) == ["message 3"]
    assert ingest(ctx).accounts[0].stored == 0


def test_a_run_killed_while_rematching_is_finished_by_the_next(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    from runtime.ingest.rematch import Rematch

    dovecot.append(imap_user, [message(n) for n in range(4)])
    add_imap_account(ctx, dovecot, imap_user, after="none")
    assert ingest(ctx).ok
    new = dovecot.change_uidvalidity(imap_user)
    real = Rematch.take
    taken: list[int] = []

    def take_then_die(self, ctx, message, uidvalidity):  # noqa: ANN001
        done = real(self, ctx, message, uidvalidity)
        taken.append(message.uid)
        if len(taken) == 2:
            raise KeyboardInterrupt  # the process dies half-way through the re-keying
        return done

    monkeypatch.setattr(Rematch, "take", take_then_die)
    with pytest.raises(KeyboardInterrupt):
        ingest(ctx)
    monkeypatch.undo()
    assert sorted(r.uidvalidity == new for r in m.ReceivedEmail.select()) == [
        False,
        False,
        True,
        True,
    ]
    m.Lease.delete().execute()  # the dead runner's lease (it would expire)
    report = ingest(ctx)
    assert report.ok and report.accounts[0].stored == 0, report.accounts[0].notes
    rows = list(m.ReceivedEmail.select())
    assert len(rows) == 4 and {r.uidvalidity for r in rows} == {new}
    assert documents(ctx) == [f"message {n}" for n in range(4)]


def test_the_lease_is_kept_while_a_whole_folder_is_matched_again(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    """After a UIDVALIDITY change every message is re-keyed before any is handed to the
    storing loop: the lease is still checked (and renewed) message by message, and a run
    that lost it stops re-keying at once."""
    from runtime.ingest.account import _Run

    dovecot.append(imap_user, [message(n) for n in range(6)])
    add_imap_account(ctx, dovecot, imap_user, after="none")
    assert ingest(ctx).ok
    new = dovecot.change_uidvalidity(imap_user)
    real = _Run.keep_lease
    checks: list[int] = []

    def lost_after_three(self):  # noqa: ANN001
        checks.append(1)
        if len(checks) <= 3:
            return real(self)
        self.error("another runner took over the account (test)")  # as keep_lease says it
        return False

    monkeypatch.setattr(_Run, "keep_lease", lost_after_three)
    report = ingest(ctx).accounts[0]
    assert any("another runner took over" in e for e in report.errors), report.errors
    # the three messages checked before the lease was lost were re-keyed, no more
    assert sum(r.uidvalidity == new for r in m.ReceivedEmail.select()) == 3
    monkeypatch.undo()
    m.Lease.delete().execute()
    assert ingest(ctx).ok
    assert {r.uidvalidity for r in m.ReceivedEmail.select()} == {new}
    assert documents(ctx) == [f"message {n}" for n in range(6)]


def test_a_failed_login_is_the_accounts_last_error(ctx, dovecot, imap_user) -> None:
    add_imap_account(ctx, dovecot, imap_user)
    m.Credential.update(secret=ctx.store.secrets.encrypt("wrong")).execute()
    assert not ingest(ctx).ok
    account = m.MailAccount.get()
    assert account.lastRunAt is not None and account.lastSuccessAt is None
    assert f"{dovecot.host}:{dovecot.ssl_port}" in account.lastError
    assert "check the credential" in account.lastError
    m.Credential.update(secret=ctx.store.secrets.encrypt(imap_user.password)).execute()
    assert ingest(ctx).ok
    account = m.MailAccount.get()
    assert account.lastSuccessAt == account.lastRunAt and account.lastError is None


# --- reprocess writes the outcome on the server too ------------------------------------------


def test_reprocess_moves_and_flags_on_the_server_over_one_connection(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    import importlib

    from runtime.ingest import reprocess

    # the module (``runtime.ingest.reprocess`` as an attribute is the function)
    reprocess_module = importlib.import_module("runtime.ingest.reprocess")

    handler = Path(ctx.config.handler_script)  # type: ignore[arg-type]
    handler.write_text(FAILING, encoding="utf-8")
    dovecot.append(imap_user, [message(n) for n in range(3)])
    add_imap_account(ctx, dovecot, imap_user, after="move:Done", imapKeywords=True)
    assert ingest(ctx).accounts[0].failed == 3
    assert server_flags(dovecot, imap_user) == [["$MailwrightFailed"]] * 3

    handler.write_text(GOOD, encoding="utf-8")
    real = reprocess_module.connect_account
    connections: list[str] = []

    def counted(store, account, **kw):  # noqa: ANN001 - the real connection, counted
        connections.append(account.name)
        return real(store, account, **kw)

    monkeypatch.setattr(reprocess_module, "connect_account", counted)
    ids = [r.id for r in m.ReceivedEmail.select().order_by(m.ReceivedEmail.id)]
    [report] = reprocess(ctx, ids)
    assert report.ok, report.errors
    assert (report.processed, report.actions) == (3, 3)
    assert connections == ["imap"]  # one connection for the whole run
    assert dovecot.uids(imap_user) == []
    moved = server_flags(dovecot, imap_user, "Done")
    assert [[f for f in flags if f != "\\Recent"] for flags in moved] == [["$MailwrightDone"]] * 3
    assert documents(ctx) == ["message 0", "message 1", "message 2"]


def test_reprocess_that_fails_again_keeps_the_failed_keyword(ctx, dovecot, imap_user) -> None:
    from runtime.ingest import reprocess

    Path(ctx.config.handler_script).write_text(FAILING, encoding="utf-8")  # type: ignore[arg-type]
    dovecot.append(imap_user, [message(1)])
    add_imap_account(ctx, dovecot, imap_user, after="delete", imapKeywords=True)
    ingest(ctx)
    # someone removed the keyword in a mail client; a reprocess that fails writes it again
    client = dovecot.client(imap_user)
    client.select_folder("INBOX")
    client.remove_flags(client.search("ALL"), [b"$MailwrightFailed"])
    client.logout()
    [report] = reprocess(ctx, [m.ReceivedEmail.get().id])
    assert not report.ok and report.failed == 1
    assert server_flags(dovecot, imap_user) == [["$MailwrightFailed"]]  # still there


def test_reprocess_with_the_server_down_is_finished_by_the_next_ingest(
    ctx, dovecot, imap_user
) -> None:
    from runtime.ingest import reprocess

    handler = Path(ctx.config.handler_script)  # type: ignore[arg-type]
    handler.write_text(FAILING, encoding="utf-8")
    dovecot.append(imap_user, [message(1)])
    account = add_imap_account(ctx, dovecot, imap_user, after="seen", imapKeywords=False)
    ingest(ctx)
    handler.write_text(GOOD, encoding="utf-8")
    m.MailAccount.update(port=1).where(m.MailAccount.id == account.id).execute()
    [report] = reprocess(ctx, [m.ReceivedEmail.get().id])
    assert report.processed == 1 and not report.ok
    assert "after-action on the server is left out" in report.errors[0]
    assert server_flags(dovecot, imap_user) == [[]]
    m.MailAccount.update(port=dovecot.ssl_port).where(m.MailAccount.id == account.id).execute()
    assert ingest(ctx).ok
    assert server_flags(dovecot, imap_user) == [["\\Seen"]]
    assert documents(ctx) == ["message 1"]


def test_a_connection_dropped_while_fetching_loses_nothing(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    import imapclient

    dovecot.append(imap_user, [message(n) for n in range(2)])
    add_imap_account(ctx, dovecot, imap_user)
    assert ingest(ctx).ok
    dovecot.append(imap_user, [message(n) for n in range(2, 6)])
    real = imapclient.IMAPClient.fetch
    dropped: list[object] = []

    def drop_then_fetch(self, messages, data, *args, **kw):  # noqa: ANN001
        items = [d.decode() if isinstance(d, bytes) else str(d) for d in data]
        if not dropped and any(i.upper().startswith("BODY") for i in items):
            dropped.append(messages)
            dovecot.kick(imap_user)  # the server goes away as the messages are asked for
        return real(self, messages, data, *args, **kw)

    monkeypatch.setattr(imapclient.IMAPClient, "fetch", drop_then_fetch)
    report = ingest(ctx)
    assert dropped and not report.ok
    assert any(f"{dovecot.host}:{dovecot.ssl_port}" in e for e in report.accounts[0].errors)
    monkeypatch.undo()
    again = ingest(ctx)
    assert again.ok, again.accounts[0].errors
    rows = list(m.ReceivedEmail.select())
    assert len(rows) == 6 and {r.state for r in rows} == {"PROCESSED"}
    assert documents(ctx) == [f"message {n}" for n in range(6)]
    assert server_flags(dovecot, imap_user) == [["$MailwrightDone", "\\Seen"]] * 6


def test_an_oversize_message_stays_on_the_server_when_the_others_are_deleted(
    ctx, dovecot, imap_user
) -> None:
    big = message(9).replace(b"body 9", b"x" * 30_000)
    dovecot.append(imap_user, [message(1), big, message(2)])
    add_imap_account(ctx, dovecot, imap_user, after="delete")
    report = ingest(ctx)
    assert report.ok and (report.accounts[0].processed, report.accounts[0].skipped) == (2, 1)
    assert any("skipped" in n and "maxMessageMB" in n for n in report.accounts[0].notes)
    assert len(dovecot.uids(imap_user)) == 1  # only the big one is left
    row = m.ReceivedEmail.get(m.ReceivedEmail.state == "SKIPPED")
    assert row.reason.endswith("left on the server") and row.size > 30_000
    assert ingest(ctx).accounts[0].stored == 0 and len(dovecot.uids(imap_user)) == 1
