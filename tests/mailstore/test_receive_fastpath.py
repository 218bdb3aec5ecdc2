"""The fast paths of store_received give what the slow ones gave.

- the identity check by cached SQL (`_stored_id`) finds what ``find_received`` finds;
- blobs are written by threads while the message is parsed, and all of them are in the
  store before the rows that name them (a failed write stores no row);
- a forked process gets threads of its own.

Runs on SQLite, and on PostgreSQL when MAILWRIGHT_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from mailstore import models as m
from mailstore import receive
from mailstore.api import Store
from mailstore.receive import find_received, store_received


@pytest.fixture
def account(store: Store) -> m.MailAccount:
    return m.MailAccount.create(
        name="faktury", address="faktury@example.cz", sourceKind="maildir", path="/srv/mail"
    )


def _invoice(number: int, attachments: int = 3) -> bytes:
    msg = EmailMessage()
    msg["From"] = "jana@dodavatel.cz"
    msg["Subject"] = f"Faktura {number}"
    msg.set_content(f"faktura {number}\n")
    for n in range(attachments):
        msg.add_attachment(b"%%PDF-1.4 %d %d" % (number, n), maintype="application", subtype="pdf")
    # the same content twice in one message: one blob, two rows
    msg.add_attachment(b"logo", maintype="image", subtype="png", filename="a.png")
    msg.add_attachment(b"logo", maintype="image", subtype="png", filename="b.png")
    return msg.as_bytes()


@pytest.mark.parametrize(
    "identity",
    [
        {"folder": "INBOX", "uidvalidity": 7, "uid": 1},
        {"folder": "Faktury/2026 přijaté", "uidvalidity": 2**40, "uid": 2**33},
        {"folder": "IN\x00BOX", "uidvalidity": 7, "uid": 1},  # stored with U+FFFD
        {"key": "1700000000.M1P2.host"},
        {"key": "k" * 600},  # cut to 500 characters when stored
    ],
    ids=["imap", "imap-big-numbers", "imap-nul", "key", "key-too-long"],
)
def test_the_identity_check_finds_what_find_received_finds(
    store: Store, account: m.MailAccount, identity: dict[str, object]
) -> None:
    assert receive._stored_id(account, **identity) is None  # type: ignore[arg-type]
    row, created = store_received(store, account, _invoice(1), **identity)  # type: ignore[arg-type]
    assert created
    assert receive._stored_id(account, **identity) == row.id  # type: ignore[arg-type]
    assert receive._stored_id(account.id, **identity) == row.id  # type: ignore[arg-type]
    found = find_received(account, **identity)  # type: ignore[arg-type]
    assert found is not None and found.id == row.id
    # and from the cached SQL, not a query built anew each time (the point of it)
    kind = (type(store.db).__name__, "key" not in identity)
    assert kind in receive._ID_SQL
    again, created_again = store_received(store, account, _invoice(2), **identity)  # type: ignore[arg-type]
    assert (again.id, created_again) == (row.id, False)
    assert again.subject == "Faktura 1"  # the stored row, not the second message


def test_another_account_or_uid_is_not_found(store: Store, account: m.MailAccount) -> None:
    other = m.MailAccount.create(
        name="jine", address="jine@example.cz", sourceKind="maildir", path="/srv/jine"
    )
    store_received(store, account, _invoice(1), folder="INBOX", uidvalidity=7, uid=1)
    assert receive._stored_id(other, folder="INBOX", uidvalidity=7, uid=1) is None
    assert receive._stored_id(account, folder="INBOX", uidvalidity=7, uid=2) is None
    assert receive._stored_id(account, folder="INBOX", uidvalidity=8, uid=1) is None
    assert receive._stored_id(account, folder="Sent", uidvalidity=7, uid=1) is None
    with pytest.raises(ValueError):
        receive._stored_id(account, folder="INBOX", uidvalidity=7, uid=1, key="k")


def test_every_blob_a_row_names_is_stored(store: Store, account: m.MailAccount) -> None:
    rows = [store_received(store, account, _invoice(n), key=f"k{n}")[0] for n in range(5)]
    for row in rows:
        assert store.blobs.read(row.sha256)  # the raw message
        files = [
            a.attachedFile
            for a in m.ReceivedEmailAttachment.select().where(
                m.ReceivedEmailAttachment.receivedEmail == row
            )
        ]
        assert len(files) == 5
        for f in files:
            assert store.blobs.size(f.sha256) == f.size
    logo = [f for f in m.AttachedFile.select() if f.name == "a.png"]
    assert len({f.sha256 for f in logo}) == 1


def test_a_failed_blob_write_stores_no_row(
    store: Store, account: m.MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store.blobs.put_bytes

    def failing(data: bytes) -> tuple[str, int]:
        if data.startswith(b"%PDF-1.4 1 2"):
            raise OSError(28, "No space left on device")
        return real(data)

    monkeypatch.setattr(store.blobs, "put_bytes", failing)
    with pytest.raises(OSError, match="No space"):
        store_received(store, account, _invoice(1), key="k1")
    assert find_received(account, key="k1") is None
    assert m.AttachedFile.select().count() == 0
    monkeypatch.setattr(store.blobs, "put_bytes", real)
    row, created = store_received(store, account, _invoice(1), key="k1")  # a retry works
    assert created and store.blobs.exists(row.sha256)


def test_a_forked_child_stores_with_threads_of_its_own(
    store: Store, account: m.MailAccount
) -> None:
    store_received(store, account, _invoice(1), key="parent")  # the parent's pool exists
    parent_pool = receive._blob_pool()
    pid = os.fork()
    if pid == 0:  # the child: only the blob threads, no database connection shared
        try:
            pool = receive._blob_pool()
            ok = pool is not parent_pool and pool.submit(lambda: 42).result(timeout=30) == 42
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert receive._blob_pool() is parent_pool


def test_the_rows_commit_after_every_blob_is_stored(tmp_path: Path) -> None:
    """The ledger's guarantee, seen from SQLite's own statement trace: COMMIT comes after
    the last blob write has ended, although the writes run in other threads."""
    events: list[str] = []
    store = Store.open(f"sqlite:///{tmp_path / 'trace.db'}", blob_dir=tmp_path / "b", migrate=True)
    try:
        account = m.MailAccount.create(
            name="faktury", address="faktury@example.cz", sourceKind="maildir", path="/srv"
        )
        real = store.blobs.put_bytes

        def recording(data: bytes) -> tuple[str, int]:
            sha, size = real(data)
            events.append(f"blob {sha}")
            return sha, size

        store.blobs.put_bytes = recording  # type: ignore[method-assign]
        connection: Any = store.db.connection()  # type: ignore[no-untyped-call]
        connection.set_trace_callback(
            lambda sql: (
                events.append(sql.strip().upper()) if sql.strip().upper() == "COMMIT" else None
            )
        )
        row, created = store_received(store, account, _invoice(7), key="k7")
        assert created
    finally:
        store.close()
    blobs = [i for i, e in enumerate(events) if e.startswith("blob ")]
    commits = [i for i, e in enumerate(events) if e == "COMMIT"]
    assert len(blobs) == 5  # the raw message, three invoices, one logo
    assert commits and max(blobs) < commits[-1]
    assert f"blob {row.sha256}" in events
