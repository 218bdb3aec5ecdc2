"""The prepared SQL of handling an e-mail gives the same rows as the peewee path, and the
row handed over by the store is handled as a read one would be.

Runs on SQLite, and on PostgreSQL when MAILWRIGHT_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from mailstore.receive import store_received
from runtime.context import AppContext, context_for
from runtime.ingest import HANDLED_STATES, handle_email, load_handler
from runtime.ingest.handle import _processed

# the store fixtures of tests/mailstore (SQLite always, PostgreSQL when configured)
from tests.mailstore.conftest import db_url  # noqa: F401

HANDLER = """
var sd = createNew('SubmittedDocument');
sd.state = findState('SubmittedDocument', 'NEW');
sd.note = entity.mailAccount.name + ': ' + entity.subject;
persist(sd);
"""


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:  # noqa: F811
    handler = tmp_path / "handler.jexl"
    handler.write_text(HANDLER, encoding="utf-8")
    config = Config(
        path=None, database_url=db_url, blob_dir=tmp_path / "blobs", handler_script=handler
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


def message(subject: str) -> bytes:
    return f"From: jana@example.cz\r\nSubject: {subject}\r\n\r\nDobrý den\r\n".encode()


#: the columns that differ between two stored messages, whatever is done with them
OWN = {"id", "key", "created", "receivedDate", "sha256", "size", "subject", "body", "headers"}


def columns(row_id: int) -> dict[str, Any]:
    """The columns of a stored e-mail that handling it may change."""
    row = m.ReceivedEmail.get_by_id(row_id)
    return {k: v for k, v in row.__data__.items() if k not in OWN}


def test_processed_changes_the_rows_peewee_would(ctx: AppContext, account: m.MailAccount) -> None:
    later = dt.datetime(2026, 11, 3, 8, 0)
    pairs = []
    for n, (state, extra) in enumerate(
        [
            ("RECEIVED", {}),
            ("FAILED", {"attempts": 1, "nextAttempt": later, "lastError": "boom"}),
            ("QUARANTINED", {"attempts": 3, "lastError": "boom"}),
        ]
    ):
        twins = []
        for copy in ("hot", "peewee"):
            row, _ = store_received(ctx.store, account, message(f"m{n}"), key=f"{copy}{n}")
            m.ReceivedEmail.update(state=state, **extra).where(
                m.ReceivedEmail.id == row.id
            ).execute()
            twins.append(row.id)
        pairs.append(twins)
    e = m.ReceivedEmail
    for hot, slow in pairs:
        changed = _processed(hot, HANDLED_STATES)
        expected = (
            e.update(state="PROCESSED", nextAttempt=None, lastError=None)
            .where((e.id == slow) & e.state.in_(HANDLED_STATES))
            .execute()
        )
        assert changed == expected
        assert columns(hot) == columns(slow)
    assert [columns(hot)["state"] for hot, _ in pairs] == ["PROCESSED", "PROCESSED", "QUARANTINED"]


def test_the_stored_row_is_handled_as_a_read_one(ctx: AppContext, account: m.MailAccount) -> None:
    handler = load_handler(ctx, account)
    now = dt.datetime(2026, 11, 2, 10, 0)
    given, _ = store_received(ctx.store, account, message("Faktura 1"), key="a")
    read, _ = store_received(ctx.store, account, message("Faktura 2"), key="b")
    assert handle_email(ctx, handler, given.id, now, row=given) == "PROCESSED"
    assert handle_email(ctx, handler, read.id, now) == "PROCESSED"
    docs: Any = ctx.store.model("SubmittedDocument")
    notes = sorted((d.note, d.state.code) for d in docs.select())
    assert notes == [("faktury: Faktura 1", "NEW"), ("faktury: Faktura 2", "NEW")]
    runs = m.ScriptRun.select().order_by(m.ScriptRun.id)
    assert [(r.__data__["receivedEmail"], r.outcome, r.committed) for r in runs] == [
        (given.id, "ok", True),
        (read.id, "ok", True),
    ]


def test_a_row_handled_meanwhile_is_not_handled_again(
    ctx: AppContext, account: m.MailAccount
) -> None:
    handler = load_handler(ctx, account)
    row, _ = store_received(ctx.store, account, message("Faktura 1"), key="a")
    # another runner handled it after we stored it: our row still says RECEIVED
    m.ReceivedEmail.update(state="PROCESSED").where(m.ReceivedEmail.id == row.id).execute()
    assert handle_email(ctx, handler, row.id, dt.datetime(2026, 11, 2), row=row) is None
    assert ctx.store.model("SubmittedDocument").select().count() == 0
    assert m.ScriptRun.select().count() == 0


def test_a_state_read_once_is_a_fresh_object_each_time(ctx: AppContext) -> None:
    first = ctx.store.state("SubmittedDocument", "NEW")
    first.code = "CHANGED"  # a caller's change stays its own
    again = ctx.store.state("SubmittedDocument", "NEW")
    assert (again.id, again.code, again.typeName) == (first.id, "NEW", "SubmittedDocument")
    assert not again.is_dirty()
