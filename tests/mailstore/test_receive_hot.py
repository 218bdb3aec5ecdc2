"""insert_row: the prepared INSERT writes the same rows as peewee's create.

Runs on SQLite, and on PostgreSQL when MAILWRIGHT_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import peewee
import pytest

from mailstore import models as m
from mailstore.api import Store, insert_new, insert_row
from mailstore.receive import store_received

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"


@pytest.fixture
def account(store: Store) -> m.MailAccount:
    return m.MailAccount.create(
        name="faktury", address="faktury@example.cz", sourceKind="maildir", path="/srv/mail"
    )


def columns(model: type[m.BaseModel], row_id: int) -> dict[str, Any]:
    """Every column of a row as read back from the database, but its id and the moment
    it was made (``created``, a default of now)."""
    row = model.get_by_id(row_id)
    return {k: v for k, v in row.__data__.items() if k not in ("id", "created")}


def email_values(account: m.MailAccount, key: str) -> dict[str, Any]:
    return {
        "mailAccount": account,
        "key": key,
        "sha256": "ab" * 32,
        "size": 1234,
        "messageId": "<1@example.cz>",
        "references": ["<0@example.cz>"],
        "mailFrom": "jana@example.cz",
        "subject": "Faktura\x00 č. 7 " + "x" * 2000,  # NUL and over-long: converted
        "body": "Dobrý den",
        "sentDate": dt.datetime(2026, 11, 2, 9, 0, 0, 123000),
        "sentDateOffset": 60,
        "headers": [["Subject", "Faktura"]],
        "authResults": {"spf": "pass", "dkim": None, "dmarc": "fail"},
        "receivedDate": dt.datetime(2026, 11, 2, 10, 0, 0),
    }


@pytest.mark.parametrize(
    "model, values",
    [
        (m.AttachedFile, {"name": "faktura.pdf", "contentType": "application/pdf", "size": 9}),
        (m.AttachedFile, {"name": "", "contentType": "text/plain", "size": 0}),
    ],
)
def test_a_file_row_is_the_same_as_create(
    store: Store, model: type[m.BaseModel], values: dict[str, Any]
) -> None:
    values = {**values, "sha256": "cd" * 32}
    made = model.create(**values)
    hot = insert_row(model, **values)
    assert hot.id != made.id
    assert columns(model, hot.id) == columns(model, made.id)


def test_an_email_row_is_the_same_as_create_and_as_read(
    store: Store, account: m.MailAccount
) -> None:
    made = m.ReceivedEmail.create(**email_values(account, "a"))
    hot = insert_row(m.ReceivedEmail, **email_values(account, "b"))
    expected = {**columns(m.ReceivedEmail, made.id), "key": "b"}
    assert columns(m.ReceivedEmail, hot.id) == expected
    # what comes back is what a read gives: the subject cut and cleaned, nothing dirty
    read = {k: v for k, v in m.ReceivedEmail.get_by_id(hot.id).__data__.items()}
    assert dict(hot.__data__) == read
    assert "\x00" not in hot.subject
    assert not hot.is_dirty()


def test_a_link_row_and_a_script_run_are_the_same_as_create(
    store: Store, account: m.MailAccount
) -> None:
    email = insert_row(m.ReceivedEmail, **email_values(account, "a"))
    file = insert_row(
        m.AttachedFile, name="a.pdf", contentType="application/pdf", size=1, sha256="cd" * 32
    )
    link = {"receivedEmail": email, "attachedFile": file, "inline": True, "position": 0}
    made = m.ReceivedEmailAttachment.create(**link, contentId="<c1>")
    hot = insert_row(m.ReceivedEmailAttachment, **link, contentId="<c2>")
    expected = {**columns(m.ReceivedEmailAttachment, made.id), "contentId": "<c2>"}
    assert columns(m.ReceivedEmailAttachment, hot.id) == expected
    run = {
        "receivedEmail": email.id,
        "scriptName": "handler.jexl",
        "scriptSha256": "ef" * 32,
        "startedAt": dt.datetime(2026, 11, 2, 10, 0, 0, 500),
        "durationMs": 1.5,
        "steps": 12,
        "outcome": "ok",
        "result": {"total": 7, "items": [1, "a", None]},
        "created": [{"type": "SubmittedDocument", "id": 1}],
        "changed": [],
        "logLines": ["hello"],
        "committed": True,
    }
    made_run = m.ScriptRun.create(**run)
    hot_run = insert_row(m.ScriptRun, **run)
    assert columns(m.ScriptRun, hot_run.id) == columns(m.ScriptRun, made_run.id)
    assert hot_run.result == {"total": 7, "items": [1, "a", None]}


def test_a_taken_identity_raises_integrity_error(store: Store, account: m.MailAccount) -> None:
    insert_row(m.ReceivedEmail, **email_values(account, "same"))
    with pytest.raises(peewee.IntegrityError), store.atomic():
        insert_row(m.ReceivedEmail, **email_values(account, "same"))
    assert m.ReceivedEmail.select().count() == 1


def test_store_received_returns_the_row_as_read(store: Store, account: m.MailAccount) -> None:
    raw = (FIXTURES / "cz_filenames.eml").read_bytes()
    row, created = store_received(store, account, raw, key="x")
    assert created
    assert dict(row.__data__) == dict(m.ReceivedEmail.get_by_id(row.id).__data__)
    files = [
        (a.attachedFile.name, a.attachedFile.sha256, a.position)
        for a in m.ReceivedEmailAttachment.select().where(
            m.ReceivedEmailAttachment.receivedEmail == row.id
        )
    ]
    assert files and all(store.blobs.exists(sha) for _, sha, _ in files)


def test_a_new_record_is_inserted_as_save_would(store: Store) -> None:
    doc: Any = store.model("SubmittedDocument")
    new = store.state("SubmittedDocument", "NEW")
    saved, hot = doc(note="faktura 7", state=new.id), doc(note="faktura 7", state=new.id)
    saved.save(force_insert=True)
    insert_new(hot)
    assert hot.id is not None and hot.id != saved.id
    assert not hot.is_dirty()
    assert columns(doc, hot.id) == columns(doc, saved.id)
    assert doc.get_by_id(hot.id).state.code == "NEW"
