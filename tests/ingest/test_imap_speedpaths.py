"""The IMAP path's fast ways through, against the real Dovecot of ``tests/servers``.

A run finds new messages as "what the folder holds (one UID SEARCH) minus what the ledger
has (one indexed query)", finishes the outcomes a crash left unwritten with one SEARCH
(``UNSEEN`` / ``UNKEYWORD``) instead of the flags of every message, writes outcomes in
batches after the commits, and names many messages in one command (sequence sets of at
most ``SET_CHUNK`` UIDs). Each test checks what a user relies on: nothing new is stored
twice, nothing is lost, the server ends up showing every outcome. SQLite, and PostgreSQL
when ``MAILWRIGHT_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mailstore.imap as imap_module
import runtime.ingest.account as ingest_account
import runtime.ingest.imap as ingest_imap
from mailstore import models as m
from mailstore.imap import ImapError, ImapMailbox, uid_sets
from runtime.context import AppContext
from runtime.ingest import ingest
from runtime.ingest.imap import imap_after_action
from tests.ingest.test_ingest_imap import (
    add_imap_account,
    documents,
    imap_context,
    server_flags,
)
from tests.ingest.test_ingest_local import FAILING, GOOD, message
from tests.mailstore.conftest import db_url  # noqa: F401 - SQLite, and PostgreSQL when set
from tests.servers.dovecot import DovecotServer, DovecotUser

DONE = ["$MailwrightDone", "\\Seen"]


@pytest.fixture
def ctx(tmp_path: Path, db_url: str) -> Iterator[AppContext]:  # noqa: F811
    yield from imap_context(tmp_path, db_url)


def states(ctx: AppContext) -> dict[int, str]:
    """``{uid: state}`` of the stored e-mails."""
    return {int(str(r.uid)): str(r.state) for r in m.ReceivedEmail.select()}


# --- a run with nothing new ------------------------------------------------------------------


def test_a_run_with_nothing_new_stores_nothing_and_still_sees_new_mail(
    ctx, dovecot, imap_user
) -> None:
    dovecot.append(imap_user, [message(n) for n in range(4)])
    add_imap_account(ctx, dovecot, imap_user)
    assert ingest(ctx).accounts[0].processed == 4
    idle = ingest(ctx).accounts[0]
    assert idle.ok and (idle.stored, idle.processed, idle.actions) == (0, 0, 0)
    # mail appended after the last run is found, and only that
    (late,) = dovecot.append(imap_user, [message(9)])
    again = ingest(ctx).accounts[0]
    assert (again.stored, again.processed) == (1, 1)
    assert states(ctx)[late] == "PROCESSED"
    assert documents(ctx) == [f"message {n}" for n in (0, 1, 2, 3, 9)]
    assert server_flags(dovecot, imap_user) == [DONE] * 5


def test_a_message_below_the_highest_stored_uid_that_was_never_stored_is_found(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    uids = dovecot.append(imap_user, [message(n) for n in range(4)])
    add_imap_account(ctx, dovecot, imap_user)
    real = ingest_account.commit

    def store_fails_once(ctx_, account, item):  # noqa: ANN001
        if item.identity["uid"] == uids[1]:
            raise OSError("disk full")  # this one message could not be stored
        return real(ctx_, account, item)

    monkeypatch.setattr(ingest_account, "commit", store_fails_once)
    first = ingest(ctx).accounts[0]
    assert not first.ok and "disk full" in first.errors[0]
    assert sorted(states(ctx)) == [uids[0], uids[2], uids[3]]  # a gap below the highest
    monkeypatch.undo()
    catch_up = ingest(ctx).accounts[0]
    assert catch_up.ok, catch_up.errors
    assert (catch_up.stored, catch_up.processed) == (1, 1)
    assert states(ctx) == {uid: "PROCESSED" for uid in uids}
    assert documents(ctx) == [f"message {n}" for n in range(4)]
    assert server_flags(dovecot, imap_user) == [DONE] * 4
    assert ingest(ctx).accounts[0].stored == 0


# --- outcomes a crash left unwritten on the server ----------------------------------------------


@pytest.mark.parametrize(
    "after, keywords, expected",
    [
        ("seen", True, [DONE] * 3),
        ("seen", False, [["\\Seen"]] * 3),
        ("none", True, [["$MailwrightDone"]] * 3),
    ],
)
def test_outcomes_left_unwritten_by_a_crash_are_written_by_the_next_run(
    ctx, dovecot, imap_user, monkeypatch, after, keywords, expected
) -> None:
    dovecot.append(imap_user, [message(n) for n in range(3)])
    add_imap_account(ctx, dovecot, imap_user, after=after, imapKeywords=keywords)
    monkeypatch.setattr(ingest_imap, "imap_after_action", lambda *args, **kw: 0)
    assert ingest(ctx).accounts[0].processed == 3
    monkeypatch.undo()
    assert server_flags(dovecot, imap_user) == [[]] * 3
    report = ingest(ctx).accounts[0]
    assert report.ok and report.stored == 0 and report.processed == 0
    assert server_flags(dovecot, imap_user) == expected
    assert len(documents(ctx)) == 3  # handled once: the catch-up only writes on the server


def test_many_unfinished_candidates_are_sorted_by_state_in_one_pass(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    # more candidates than one IN list holds: the PROCESSED UIDs are read in one pass
    monkeypatch.setattr(ingest_imap, "IN_CHUNK", 1)
    handler = Path(ctx.config.handler_script)
    handler.write_text(FAILING, encoding="utf-8")
    dovecot.append(imap_user, [message(0)])
    add_imap_account(ctx, dovecot, imap_user, imapKeywords=False)
    assert ingest(ctx).accounts[0].failed == 1  # unread, and must stay so
    handler.write_text(GOOD, encoding="utf-8")
    dovecot.append(imap_user, [message(n) for n in (1, 2, 3)])
    monkeypatch.setattr(ingest_imap, "imap_after_action", lambda *args, **kw: 0)
    assert ingest(ctx).accounts[0].processed == 3
    monkeypatch.setattr(ingest_imap, "imap_after_action", imap_after_action)
    report = ingest(ctx).accounts[0]
    assert report.actions == 3 and report.stored == 0
    assert server_flags(dovecot, imap_user) == [[]] + [["\\Seen"]] * 3


def test_a_move_left_undone_by_a_crash_is_done_by_the_next_run(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    dovecot.append(imap_user, [message(n) for n in range(3)])
    add_imap_account(ctx, dovecot, imap_user, after="move:Done")
    monkeypatch.setattr(ingest_imap, "imap_after_action", lambda *args, **kw: 0)
    ingest(ctx)
    monkeypatch.undo()
    assert len(dovecot.uids(imap_user)) == 3
    report = ingest(ctx).accounts[0]
    assert report.ok and report.actions == 3 and report.stored == 0
    assert dovecot.uids(imap_user) == [] and len(dovecot.uids(imap_user, "Done")) == 3


def test_only_processed_emails_are_caught_up_and_failed_ones_get_their_keyword(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    handler = Path(ctx.config.handler_script)
    handler.write_text(FAILING, encoding="utf-8")
    dovecot.append(imap_user, [message(1)])
    add_imap_account(ctx, dovecot, imap_user)
    monkeypatch.setattr(ingest_imap, "imap_after_action", lambda *args, **kw: 0)
    assert ingest(ctx).accounts[0].failed == 1  # retried in a minute: not due below
    handler.write_text(GOOD, encoding="utf-8")
    dovecot.append(imap_user, [message(2)])
    assert ingest(ctx).accounts[0].processed == 1
    monkeypatch.undo()
    assert server_flags(dovecot, imap_user) == [[], []]
    report = ingest(ctx).accounts[0]
    assert report.actions == 1 and report.stored == 0 and report.processed == 0
    # the FAILED one gets its keyword, never \Seen; the PROCESSED one its action
    assert server_flags(dovecot, imap_user) == [["$MailwrightFailed"], DONE]
    # someone cleared the keyword in a mail client: the next run writes it again
    client = dovecot.client(imap_user)
    client.select_folder("INBOX")
    client.remove_flags(client.search("ALL"), [b"$MailwrightFailed"])
    client.logout()
    assert ingest(ctx).accounts[0].actions == 0
    assert server_flags(dovecot, imap_user) == [["$MailwrightFailed"], DONE]
    assert documents(ctx) == ["message 2"]


# --- batches ------------------------------------------------------------------------------------


def test_outcomes_are_written_in_batches_after_each_commit(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    monkeypatch.setattr(ingest_imap, "ACTION_BATCH", 2)
    dovecot.append(imap_user, [message(n) for n in range(5)])
    add_imap_account(ctx, dovecot, imap_user)
    written: list[tuple[list[int], str, set[str]]] = []
    real = ingest_imap.imap_after_action

    def watched(box, account, uids, state):  # noqa: ANN001
        # whenever the server is told, the ledger already has the outcome committed
        written.append((list(uids), state, {states(ctx)[u] for u in uids}))
        return real(box, account, uids, state)

    monkeypatch.setattr(ingest_imap, "imap_after_action", watched)
    report = ingest(ctx).accounts[0]
    assert report.ok and (report.processed, report.actions) == (5, 5)
    assert [len(uids) for uids, _, _ in written] == [2, 2, 1]
    assert all(state == "PROCESSED" and seen == {"PROCESSED"} for _, state, seen in written)
    assert server_flags(dovecot, imap_user) == [DONE] * 5


def test_a_connection_lost_with_outcomes_pending_is_finished_by_the_next_run(
    ctx, dovecot, imap_user, monkeypatch
) -> None:
    dovecot.append(imap_user, [message(n) for n in range(3)])
    add_imap_account(ctx, dovecot, imap_user)
    real = ingest_imap.handle_email  # type: ignore[attr-defined]
    handled: list[int] = []

    def handle_then_drop(*args, **kw):  # noqa: ANN002, ANN003
        state = real(*args, **kw)
        handled.append(args[2])
        if len(handled) == 3:
            dovecot.kick(imap_user)  # gone after the last commit, before the batch is written
        return state

    monkeypatch.setattr(ingest_imap, "handle_email", handle_then_drop)
    first = ingest(ctx).accounts[0]
    assert first.processed == 3 and first.errors  # the write failed, and is reported
    monkeypatch.undo()
    assert server_flags(dovecot, imap_user) == [[]] * 3
    assert ingest(ctx).ok
    assert server_flags(dovecot, imap_user) == [DONE] * 3
    assert documents(ctx) == [f"message {n}" for n in range(3)]


def test_many_messages_in_several_chunks_with_gaps(
    ctx, dovecot: DovecotServer, imap_user: DovecotUser, monkeypatch
) -> None:
    monkeypatch.setattr(imap_module, "SET_CHUNK", 3)  # commands name at most 3 UIDs
    uids = dovecot.append(imap_user, [message(n) for n in range(10)])
    client = dovecot.client(imap_user)
    client.select_folder("INBOX")
    client.delete_messages([uids[2], uids[5], uids[6]])  # gaps in the UIDs
    client.expunge()
    client.logout()
    add_imap_account(ctx, dovecot, imap_user, after="move:Done")
    report = ingest(ctx).accounts[0]
    assert report.ok and (report.stored, report.processed, report.actions) == (7, 7, 7)
    assert dovecot.uids(imap_user) == []
    assert len(dovecot.uids(imap_user, "Done")) == 7
    assert documents(ctx) == sorted(f"message {n}" for n in (0, 1, 3, 4, 7, 8, 9))


def test_fetch_flags_and_store_over_chunks(
    dovecot: DovecotServer, imap_user: DovecotUser, monkeypatch
) -> None:
    monkeypatch.setattr(imap_module, "SET_CHUNK", 2)
    raws = [message(n) for n in range(7)]
    uids = dovecot.append(imap_user, raws)
    with ImapMailbox.connect(
        dovecot.host, dovecot.ssl_port, security="ssl", ca_file=str(dovecot.ca.ca_file)
    ) as box:
        box.login(imap_user.name, imap_user.password)
        box.select("INBOX")
        asked = [uids[5], uids[0], uids[6], uids[3], uids[1]]
        fetched = list(box.fetch(asked, batch_size=2))
        assert [f.uid for f in fetched] == asked
        # (Dovecot stores lines ending in CRLF)
        assert [f.raw.replace(b"\r\n", b"\n") for f in fetched] == [
            raws[uids.index(u)] for u in asked
        ]
        box.set_seen(asked)
        assert box.find_uids("UNSEEN") == [uids[2], uids[4]]
        assert {u for u, flags in box.flags(uids).items() if "\\Seen" in flags} == set(asked)
        assert box.sizes(asked) == {f.uid: len(f.raw) for f in fetched}


def test_find_uids_asks_the_server(dovecot: DovecotServer, imap_user: DovecotUser) -> None:
    uids = dovecot.append(imap_user, [message(1), message(2), message(3)])
    with ImapMailbox.connect(
        dovecot.host, dovecot.ssl_port, security="ssl", ca_file=str(dovecot.ca.ca_file)
    ) as box:
        box.login(imap_user.name, imap_user.password)
        with pytest.raises(RuntimeError, match="select a folder first"):
            box.find_uids()
        box.select("INBOX")
        assert box.find_uids() == uids
        box.add_keywords([uids[1]], ["$MailwrightDone"])
        assert box.find_uids("UNKEYWORD", "$MailwrightDone") == [uids[0], uids[2]]
        with pytest.raises(ImapError):
            box.find_uids("NOT-A-SEARCH-KEY")


# --- sequence sets ----------------------------------------------------------------------------


def expand(uid_set: str) -> list[int]:
    found: list[int] = []
    for part in uid_set.split(","):
        first, _, last = part.partition(":")
        found.extend(range(int(first), int(last or first) + 1))
    return found


def test_uid_sets_make_ranges_of_consecutive_uids() -> None:
    assert list(uid_sets([])) == []
    assert list(uid_sets([7])) == ["7"]
    assert list(uid_sets([5, 1, 2, 3, 9, 10, 3])) == ["1:3,5,9:10"]
    assert list(uid_sets(range(1, 8), chunk=3)) == ["1:3", "4:6", "7"]


@given(st.sets(st.integers(min_value=1, max_value=5000), max_size=300), st.integers(1, 50))
def test_uid_sets_cover_exactly_the_uids_asked(uids: set[int], chunk: int) -> None:
    sets = list(uid_sets(uids, chunk=chunk))
    covered = [uid for uid_set in sets for uid in expand(uid_set)]
    assert covered == sorted(uids)  # nothing more, nothing twice, never "*"
    assert all(len(expand(s)) <= chunk for s in sets)
    assert all("*" not in s for s in sets)
