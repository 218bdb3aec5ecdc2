"""Fetching ahead: `read_ahead` and ``ImapMailbox.fetch(ahead=True)`` against a real Dovecot.

The fetching thread must give the same messages in the same order as the plain fetch,
share the connection with the caller's flag commands, hand its errors to the caller and
stop when the caller stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from mailstore.imap import ImapMailbox, read_ahead
from tests.mailstore.test_imap import box, message  # noqa: F401 - the fixture
from tests.servers.dovecot import DovecotServer, DovecotUser


def test_read_ahead_yields_everything_in_order_from_another_thread() -> None:
    threads: list[str] = []

    def source() -> Iterator[int]:
        for n in range(100):
            threads.append(threading.current_thread().name)
            yield n

    assert list(read_ahead(source(), 7)) == list(range(100))
    assert set(threads) == {"mailwright-imap-fetch"}


def test_read_ahead_raises_the_sources_error_after_what_came_before() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("connection reset")

    got: list[int] = []
    with pytest.raises(OSError, match="connection reset"):
        for n in read_ahead(source(), 1):
            got.append(n)
    assert got == [1, 2]


def test_closing_read_ahead_stops_the_thread_and_closes_the_source() -> None:
    closed = threading.Event()
    produced: list[int] = []

    def source() -> Iterator[int]:
        try:
            n = 0
            while True:  # endless: only the consumer's close can end it
                produced.append(n)
                yield n
                n += 1
        finally:
            closed.set()

    before = {t.name for t in threading.enumerate()}
    items = read_ahead(source(), 3)
    assert next(items) == 0
    items.close()
    assert closed.is_set()
    assert "mailwright-imap-fetch" not in {t.name for t in threading.enumerate()} - before
    # never more than the limit ahead of the consumer, plus one waiting to be put
    assert len(produced) <= 1 + 3 + 1


def test_fetch_ahead_gives_what_the_plain_fetch_gives_while_flags_are_written(
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    box: ImapMailbox,  # noqa: F811
) -> None:
    raws = [message(n, b"x" * (n * 100)) for n in range(23)]
    uids = dovecot.append(imap_user, raws)
    box.refresh()
    plain = [(f.uid, f.raw, f.size, f.complete) for f in box.fetch(uids, batch_size=4)]
    ahead = []
    for fetched in box.fetch(uids, batch_size=4, max_size=1500, ahead=True):
        ahead.append((fetched.uid, fetched.raw, fetched.size, fetched.complete))
        box.set_seen([fetched.uid])  # the caller's commands share the connection
    assert [a[0] for a in ahead] == uids
    # the ones over max_size come with their headers only, as without ahead
    assert [a for a in ahead if a[3]] == [p for p in plain if p[2] <= 1500]
    assert all(not a[3] and a[2] > 1500 for a in ahead if not a[3])
    assert all("\\Seen" in flags for flags in box.flags(uids).values())


def test_fetch_ahead_stopped_early_leaves_the_connection_usable(
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    box: ImapMailbox,  # noqa: F811
) -> None:
    uids = dovecot.append(imap_user, [message(n) for n in range(12)])
    box.refresh()
    # batches cut by size (one big message each), not by count: the queue holds batches
    fetched = box.fetch(uids, batch_size=10, batch_bytes=1, ahead=True)
    first = next(fetched)
    fetched.close()  # a lost lease, say: the thread stops, the session goes on
    assert first.uid == uids[0]
    assert not any(t.name == "mailwright-imap-fetch" for t in threading.enumerate())
    assert box.find_uids() == uids


def test_fetch_ahead_holds_at_most_one_batch_more_than_the_caller(
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    box: ImapMailbox,  # noqa: F811
) -> None:
    """Memory: besides the batch being worked on, one batch waits and one is being
    fetched; never the whole mailbox (big messages, 50 a batch, add up to gigabytes)."""
    uids = dovecot.append(imap_user, [message(n) for n in range(20)])
    box.refresh()
    bodies: list[int] = []
    real = box._client.fetch

    def counting(ids, items, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if "BODY.PEEK[]" in items:
            bodies.append(len(ids))
        return real(ids, items, *args, **kwargs)

    box._client.fetch = counting  # type: ignore[method-assign]
    # batches cut by size (one big message each), not by count: the queue holds batches
    fetched = box.fetch(uids, batch_size=10, batch_bytes=1, ahead=True)
    assert next(fetched).uid == uids[0]
    time.sleep(0.3)  # room for a thread that would run ahead unbounded (not a timing test)
    assert len(bodies) <= 3, bodies
    fetched.close()
    assert len(bodies) <= 3


def test_moves_into_new_folders_share_the_connection_with_the_fetching_thread(
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    box: ImapMailbox,  # noqa: F811
) -> None:
    """``move:`` creates its folder when missing (CREATE, LIST): those commands too wait
    for the fetching thread's command in flight, never interleave with it."""
    uids = dovecot.append(imap_user, [message(n, b"z" * 2000) for n in range(16)])
    box.refresh()
    seen = []
    for fetched in box.fetch(uids, batch_size=1, ahead=True):
        seen.append(fetched.uid)
        box.move([fetched.uid], f"Done{fetched.uid % 4}")
    assert seen == uids
    assert box.find_uids() == []
    assert sum(len(dovecot.uids(imap_user, f"Done{n}")) for n in range(4)) == 16
