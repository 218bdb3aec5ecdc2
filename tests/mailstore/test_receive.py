"""store_received: a raw message becomes a ReceivedEmail with its files, once.

Runs on SQLite, and on PostgreSQL when MAILWRIGHT_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import hashlib
import io
import os
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import peewee
import pytest

from mailstore import models as m
from mailstore import receive
from mailstore.api import Store
from mailstore.mime import parse_email
from mailstore.receive import find_received, store_received

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"


@pytest.fixture
def account(store: Store) -> m.MailAccount:
    return m.MailAccount.create(
        name="faktury", address="faktury@example.cz", sourceKind="maildir", path="/srv/mail"
    )


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def attachments_of(row: m.ReceivedEmail) -> list[tuple[str, str, int, bool, bool, str | None]]:
    parts = (
        m.ReceivedEmailAttachment.select()
        .where(m.ReceivedEmailAttachment.receivedEmail == row)
        .order_by(m.ReceivedEmailAttachment.position)
    )
    return [
        (
            p.attachedFile.name,
            p.attachedFile.contentType,
            p.attachedFile.size,
            p.inlinePart,
            p.inline,
            p.contentId,
        )
        for p in parts
    ]


def test_fields_of_a_czech_message_are_stored(store: Store, account: m.MailAccount) -> None:
    raw = fixture_bytes("cz_windows1250.eml")
    row, created = store_received(store, account, raw, key="1700000000.M1P2.host")
    assert created
    row = m.ReceivedEmail.get_by_id(row.id)  # read back from the database
    assert row.mailFrom == "jana@example.cz"
    assert row.mailFromName == "Jana Nováková"
    assert row.mailTo == ["petr@example.cz", "ucetni@example.cz"]
    assert row.cc == ["jan.novak@example.cz"]
    assert row.replyTo == ["faktury@example.cz"]
    assert row.subject == "Faktura č. 1 – září"
    assert "Příliš žluťoučký kůň" in row.body
    assert row.messageId == "<cz-1250@example.cz>"
    assert row.sentDate == datetime(2026, 9, 15, 8, 30)  # naive UTC
    assert row.sentDateOffset == 120
    assert ["Subject", "Faktura č. 1 – září"] in row.headers
    assert row.state == "RECEIVED"
    assert row.parseError is None
    assert row.sha256 == hashlib.sha256(raw).hexdigest()
    assert row.size == len(raw)
    assert store.file(row.sha256) == raw  # the raw message is kept


def test_attachments_and_inline_parts_are_stored_with_their_files(
    store: Store, account: m.MailAccount
) -> None:
    row, _ = store_received(store, account, fixture_bytes("inline_images.eml"), key="k1")
    assert attachments_of(row) == [
        ("photo.png", "image/png", 75, False, True, None),
        ("logo.png", "image/png", 70, True, True, "logo@example.cz"),
    ]
    parsed = parse_email(fixture_bytes("inline_images.eml"))
    for part in parsed.attachments + parsed.inline_parts:
        assert store.file(part.sha256) == part.content


def test_storing_again_returns_the_existing_row(store: Store, account: m.MailAccount) -> None:
    raw = fixture_bytes("cz_filenames.eml")
    first, created = store_received(store, account, raw, key="same")
    again, created_again = store_received(store, account, raw, key="same")
    assert created and not created_again
    assert again.id == first.id
    assert m.ReceivedEmail.select().count() == 1
    assert m.ReceivedEmailAttachment.select().count() == 5
    assert m.AttachedFile.select().count() == 5


def test_imap_identity_and_uidvalidity(store: Store, account: m.MailAccount) -> None:
    raw = fixture_bytes("en_plain_auth.eml")
    a, _ = store_received(store, account, raw, folder="INBOX", uidvalidity=7, uid=1)
    b, created = store_received(store, account, raw, folder="INBOX", uidvalidity=7, uid=1)
    assert (b.id, created) == (a.id, False)
    # A new UIDVALIDITY is a new identity (the runner matches by SHA-256 separately).
    c, created = store_received(store, account, raw, folder="INBOX", uidvalidity=8, uid=1)
    assert created and c.id != a.id
    found = find_received(account, folder="INBOX", uidvalidity=7, uid=1)
    assert found is not None and found.id == a.id
    assert find_received(account, folder="INBOX", uidvalidity=7, uid=2) is None


def test_the_same_message_in_two_accounts_is_two_emails(
    store: Store, account: m.MailAccount
) -> None:
    other = m.MailAccount.create(name="robot", address="robot@example.cz")
    raw = fixture_bytes("en_plain_auth.eml")
    a, _ = store_received(store, account, raw, key="k")
    b, created = store_received(store, other, raw, key="k")
    assert created and a.id != b.id
    assert a.messageId == b.messageId


@pytest.mark.parametrize(
    "identity",
    [
        {},
        {"key": "k", "uid": 1, "uidvalidity": 1, "folder": "INBOX"},
        {"uid": 1, "folder": "INBOX"},
        {"uid": 1, "uidvalidity": 1},
    ],
)
def test_identity_must_be_imap_or_key(
    store: Store, account: m.MailAccount, identity: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match="either folder, uidvalidity and uid"):
        store_received(store, account, b"Subject: x\r\n\r\nx", **identity)  # type: ignore[arg-type]


def test_a_file_object_is_streamed(store: Store, account: m.MailAccount) -> None:
    raw = fixture_bytes("cz_filenames.eml")
    row, created = store_received(store, account, io.BytesIO(raw), key="stream")
    assert created
    assert row.sha256 == hashlib.sha256(raw).hexdigest()
    assert [a[0] for a in attachments_of(row)][0] == "faktura č. 1.pdf"
    assert store.file(row.sha256) == raw


def test_same_content_is_one_blob(store: Store, account: m.MailAccount, tmp_path: Path) -> None:
    def message(subject: str) -> bytes:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg.set_content("x")
        msg.add_attachment(b"%PDF same", "application", "pdf", filename=f"{subject}.pdf")
        return msg.as_bytes()

    store_received(store, account, message("a"), key="a")
    store_received(store, account, message("b"), key="b")
    sha = hashlib.sha256(b"%PDF same").hexdigest()
    files = list(m.AttachedFile.select().where(m.AttachedFile.sha256 == sha))
    assert sorted(f.name for f in files) == ["a.pdf", "b.pdf"]
    blobs = [p for p in store.blobs.root.rglob(sha) if p.is_file()]
    assert len(blobs) == 1


def test_malformed_message_is_stored_with_an_explanation(
    store: Store, account: m.MailAccount
) -> None:
    raw = fixture_bytes("malformed.eml")
    row, created = store_received(store, account, raw, key="bad")
    assert created
    row = m.ReceivedEmail.get_by_id(row.id)
    assert "the Date header cannot be read" in row.parseError
    assert row.sentDate is None
    assert store.file(row.sha256) == raw
    assert "\x00" not in row.body  # NUL cannot go into PostgreSQL text


def test_auth_results_signed_and_state(store: Store, account: m.MailAccount) -> None:
    row, _ = store_received(
        store,
        account,
        fixture_bytes("en_plain_auth.eml"),
        key="auth",
        trusted_authserv_id="mx.example.cz",
    )
    row = m.ReceivedEmail.get_by_id(row.id)
    assert row.authResults == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}
    assert row.references == ["<thread-0@example.cz>", "<question-1@example.cz>"]
    signed, _ = store_received(
        store,
        account,
        fixture_bytes("smime_signed.eml"),
        key="signed",
        state="SKIPPED",
        reason="over the size limit",
    )
    signed = m.ReceivedEmail.get_by_id(signed.id)
    assert signed.signed and signed.authResults is None
    assert (signed.state, signed.reason) == ("SKIPPED", "over the size limit")
    assert [a[0] for a in attachments_of(signed)] == ["invoice.pdf"]
    # only the headers of an oversize message are stored; its row keeps the real size,
    # written by the same INSERT (a crash cannot leave the headers' size behind)
    headers_only, _ = store_received(
        store, account, b"Subject: big\r\n\r\n", key="big", state="SKIPPED", size=60_000_000
    )
    assert m.ReceivedEmail.get_by_id(headers_only.id).size == 60_000_000


def test_all_or_nothing(
    store: Store, account: m.MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = receive.insert_row

    def fail(model: type, **values: object) -> object:
        if model is m.ReceivedEmailAttachment:  # the e-mail and a file are written by now
            raise RuntimeError("disk full")
        return real(model, **values)

    monkeypatch.setattr(receive, "insert_row", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        store_received(store, account, fixture_bytes("cz_filenames.eml"), key="x")
    assert m.ReceivedEmail.select().count() == 0
    assert m.AttachedFile.select().count() == 0


def test_a_concurrent_writer_wins_without_an_error(
    store: Store, account: m.MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = fixture_bytes("en_plain_auth.eml")
    winner, _ = store_received(store, account, raw, key="race")
    # Make the first lookup miss, as if the other writer committed just after it.
    original = m.ReceivedEmail.get_or_none
    calls = {"n": 0}

    def late_lookup(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        return None if calls["n"] == 1 else original(*args, **kwargs)

    monkeypatch.setattr(m.ReceivedEmail, "get_or_none", late_lookup)
    with store.atomic():  # inside the caller's transaction: a savepoint rolls back alone
        row, created = store_received(store, account, raw, key="race")
        assert (row.id, created) == (winner.id, False)
        assert m.ReceivedEmail.select().count() == 1


def test_other_integrity_errors_are_not_swallowed(store: Store, account: m.MailAccount) -> None:
    with pytest.raises(peewee.IntegrityError):
        store_received(store, account, b"Subject: x\r\n\r\nx", key="k", state="NO-SUCH-STATE")


def test_every_corpus_message_is_stored(store: Store, account: m.MailAccount) -> None:
    import test.test_email

    folder = Path(os.path.dirname(test.test_email.__file__)) / "data"
    names = sorted(folder.glob("msg_*.txt"))
    assert len(names) >= 40
    expected_parts = 0
    for path in names:
        raw = path.read_bytes()
        parsed = parse_email(raw)
        expected_parts += len(parsed.attachments) + len(parsed.inline_parts)
        row, created = store_received(store, account, raw, key=path.name)
        assert created
        row = m.ReceivedEmail.get_by_id(row.id)  # as read back from the database
        assert (row.body, row.subject) == (parsed.body, parsed.subject), path.name
        assert store.file(row.sha256) == raw
        # every part as the parser gave it: name, type, size, SHA-256, and its bytes
        assert [(n, t, size) for n, t, size, _, _, _ in attachments_of(row)] == [
            (p.filename, p.content_type, p.size) for p in parsed.attachments + parsed.inline_parts
        ], path.name
        for part in row.parts:  # type: ignore[attr-defined]
            assert store.file(part.attachedFile.sha256) == next(
                p.content
                for p in parsed.attachments + parsed.inline_parts
                if p.sha256 == part.attachedFile.sha256
            )
    assert m.ReceivedEmail.select().count() == len(names)
    assert m.ReceivedEmailAttachment.select().count() == expected_parts


def test_8bit_garbage_in_every_field_is_stored(store: Store, account: m.MailAccount) -> None:
    raw = (
        b"Message-ID: <\xff\xfe@example.cz>\r\nX-Note: \x9a\x9e\r\n"
        b"From: \xc8\xe1st <a@b.cz>\r\nSubject: \xff\r\n"
        b"Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/html\r\n\r\n<img src=cid:x>\xff\r\n--b\r\n"
        b'Content-Type: image/png; name="\xe8.png"\r\nContent-ID: <\xfex>\r\n\r\nPNG\r\n--b--\r\n'
    )
    row, created = store_received(store, account, raw, key="garbage")
    assert created
    row = m.ReceivedEmail.get_by_id(row.id)
    assert row.messageId is not None and row.messageId.endswith("@example.cz>")
    assert row.mailFrom == "a@b.cz"
    assert all(isinstance(v, str) for pair in row.headers for v in pair)
    assert row.headers[1] == ["X-Note", "šž"]
    stored = attachments_of(row)
    assert stored == [("č.png", "image/png", 3, True, True, "\u0163x")]
