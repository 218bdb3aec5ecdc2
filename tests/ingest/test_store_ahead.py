"""`runtime.ingest.store`: what a message becomes (RECEIVED, SKIPPED, IGNORED) and the
one-ahead pipeline that parses message k+1 while message k commits.

Runs on SQLite, and on PostgreSQL when MAILWRIGHT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from runtime.context import AppContext, context_for
from runtime.ingest.store import Incoming, commit, incoming, one_ahead, store_message
from tests.mailstore.conftest import db_url  # noqa: F401


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:  # noqa: F811
    config = Config(
        path=None, database_url=db_url, blob_dir=tmp_path / "blobs", max_message_bytes=60_000
    )
    context = context_for(config, Store.open(config, migrate=True))
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def account(ctx: AppContext) -> m.MailAccount:
    return m.MailAccount.create(
        name="faktury", address="faktury@example.cz", sourceKind="maildir", path="/srv/mail"
    )


def message(n: int, date: str = "Mon, 02 Nov 2026 10:00:00 +0100", body: str = "") -> bytes:
    return (
        f"From: jana@example.cz\r\nSubject: zprava {n}\r\nDate: {date}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nDobrý den {n}\r\n{body}"
    ).encode()


def test_each_item_is_given_only_once_the_next_one_is_prepared() -> None:
    events: list[str] = []

    def prepare(n: int) -> Incoming | None:
        events.append(f"prepare {n}")
        return None if n == 2 else Incoming(f"#{n}", {"key": str(n)})

    for item in one_ahead(prepare, range(5)):
        events.append(f"commit {item.what}")
    assert events == [
        "prepare 0",
        "prepare 1",
        "commit #0",
        "prepare 2",  # None: skipped, nothing given for it
        "prepare 3",
        "commit #1",
        "prepare 4",
        "commit #3",
        "commit #4",
    ]


def test_stopping_early_waits_for_the_blob_writes_of_what_was_prepared(
    ctx: AppContext, account: m.MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = ctx.store.blobs.put_bytes

    def slow_disk(data: bytes) -> tuple[str, int]:
        if b"zprava 1" in data:  # the message parsed ahead: its raw blob waits on a slow disk
            release.wait(10)
        return real(data)

    monkeypatch.setattr(ctx.store.blobs, "put_bytes", slow_disk)

    def prepare(n: int) -> Incoming:
        return incoming(ctx, account, f"#{n}", message(n), {"key": str(n)})

    items = one_ahead(prepare, range(10))
    first = next(items)
    row, created = commit(ctx, account, first)
    assert created and row.key == "0"
    closing = threading.Thread(target=items.close)  # a lost lease: #1 is dropped
    closing.start()
    closing.join(0.2)
    assert closing.is_alive()  # close waits for #1's blob write: none is left running
    release.set()
    closing.join(10)
    assert not closing.is_alive()
    # only the committed one is in the ledger; the other's blob is only unreferenced
    assert [e.key for e in m.ReceivedEmail.select()] == ["0"]
    # and the dropped one is new to the next run, which stores it whole
    again, created = store_message(ctx, account, "1", message(1))
    assert created and ctx.store.blobs.read(again.sha256) == message(1)


def test_what_a_message_becomes(ctx: AppContext, account: m.MailAccount) -> None:
    account.since = dt.datetime(2026, 11, 1)
    old = incoming(ctx, account, "old", message(1, "Mon, 05 Oct 2026 10:00:00 +0000"), {"key": "a"})
    new = incoming(ctx, account, "new", message(2), {"key": "b"})
    big_raw = message(3, body="y" * 70_000)
    big = incoming(ctx, account, "big", big_raw, {"key": "c"})
    head = incoming(
        ctx, account, "UID 9", message(4), {"key": "d"}, complete=False, size=99_999,
        left="left on the server",
    )  # fmt: skip
    assert (old.state, new.state, big.state, head.state) == (
        "IGNORED",
        "RECEIVED",
        "SKIPPED",
        "SKIPPED",
    )
    assert old.reason == "sent 2026-10-05 10:00 UTC, before the account's since 2026-11-01"
    assert big.reason is not None and big.reason.endswith("; left in the source")
    assert head.reason is not None and head.reason.endswith("; left on the server")
    rows = {item.what: commit(ctx, account, item)[0] for item in (old, new, big, head)}
    # a SKIPPED message keeps its headers only, with the whole message's size
    assert ctx.store.blobs.read(rows["big"].sha256) == big_raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert (rows["big"].size, rows["UID 9"].size) == (len(big_raw), 99_999)
    assert rows["new"].state == "RECEIVED" and rows["new"].subject == "zprava 2"


def test_a_failure_to_prepare_is_the_messages_own(
    ctx: AppContext, account: m.MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(data: bytes) -> tuple[str, int]:
        raise OSError("No space left on device")

    monkeypatch.setattr(ctx.store.blobs, "put_bytes", disk_full)
    item = incoming(ctx, account, "#1", message(1), {"key": "1"})
    with pytest.raises(OSError, match="No space left"):
        commit(ctx, account, item)
    assert m.ReceivedEmail.select().count() == 0
