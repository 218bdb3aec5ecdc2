"""Handling an e-mail with SQL text built once gives what peewee's queries gave: the same
rows read, the same records written, the same ScriptRun rows and states, failures too.

The peewee path is the code as it was before (rows by ``get_or_none``, each part's file
read when the script reaches it, a savepoint around every write), put back for one
e-mail at a time; each e-mail is handled once each way and the outcomes are compared.
Runs on SQLite, and on PostgreSQL when MAILWRIGHT_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import datetime as dt
import email.message
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

import runtime.email
import runtime.session
from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from mailstore.receive import store_received
from runtime.context import AppContext, context_for
from runtime.email import part_rows
from runtime.ingest import handle_email, load_handler
from runtime.records import get_row

# the store fixtures of tests/mailstore (SQLite always, PostgreSQL when configured)
from tests.mailstore.conftest import db_url  # noqa: F401

#: reads what the INVOICES example reads, and more: inline parts, find by id (the same
#: record), findState twice, a note on the e-mail (saved at the end), a caught refusal of
#: the database (the run goes on), a thrown error after persist (all of it rolled back)
HANDLER = """
var purpose = entity.mailAccount.purpose;
log('purpose', purpose, size(entity.attachments), size(entity.inlineParts));
var sd = createNew('SubmittedDocument');
sd.state = findState('SubmittedDocument', 'NEW');
var names = [...];
for (var item : entity.attachments) {
  var att = createNew('SubmittedDocumentAttachment');
  att.attachedFile = item.attachedFile;
  sd.attachments.add(att);
  names.add(item.attachedFile.name + '/' + item.attachedFile.size + '/' + item.inline);
}
for (var part : entity.inlineParts) {
  names.add(part.contentId + '/' + part.attachedFile.contentType);
}
sd.attachmentNames = join(names, ', ');
sd.note = entity.subject;
persist(sd);
if (size(entity.attachments) > 0) {
  var first = entity.attachments[0].attachedFile;
  if (find('AttachedFile', first.id) !== first) throw 'find gave another record';
}
if (findState('SubmittedDocument', 'NEW') !== sd.state) throw 'another state record';
entity.note = 'seen ' + purpose;
if (entity.subject.startsWith('dup')) {
  try {
    var twin = createNew('SubmittedDocument');
    twin.note = entity.subject;
    persist(twin);
  } catch (e) {
    log('refused');
  }
  var other = createNew('SubmittedDocument');
  other.note = entity.subject + ' other';
  persist(other);
}
if (entity.subject.startsWith('boom')) throw 'boom';
names
"""


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:  # noqa: F811
    handler = tmp_path / "handler.jexl"
    handler.write_text(HANDLER, encoding="utf-8")
    config = Config(
        path=None,
        database_url=db_url,
        blob_dir=tmp_path / "blobs",
        handler_script=handler,
        attempts=2,
    )
    context = context_for(config, Store.open(config, migrate=True))
    # the database refuses a second document with the same note (a UNIQUE index): the
    # write that fails inside a run, on both databases
    table = context.store.model("SubmittedDocument")._meta.table_name
    db: Any = context.store.db  # peewee's execute_sql is untyped
    db.execute_sql(f'CREATE UNIQUE INDEX "sd_note_unique" ON "{table}" ("note")')
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def account(ctx: AppContext) -> m.MailAccount:
    return m.MailAccount.create(
        name="faktury",
        address="faktury@example.cz",
        purpose="INVOICES",
        sourceKind="maildir",
        path="/srv/mail",
    )


def message(subject: str, attachments: int = 2, inline: bool = False) -> bytes:
    msg = email.message.EmailMessage()
    msg["From"] = "Jana <jana@dodavatel.cz>"
    msg["To"] = "faktury@example.cz"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0100"
    msg.set_content("Dobrý den,\nfaktura v příloze.\n")
    if inline:
        msg.add_alternative('<p>Dobrý den</p><img src="cid:logo@dodavatel.cz">', subtype="html")
        alternatives: Any = msg.get_payload()
        html = alternatives[1]
        html.add_related(b"GIF89a-logo", "image", "gif", cid="<logo@dodavatel.cz>")
    for n in range(attachments):
        msg.add_attachment(
            b"%PDF-1.4 " + bytes([n]) * (100 + n),
            maintype="application",
            subtype="pdf",
            filename=f"faktura-{n}.pdf",
        )
    return msg.as_bytes()


# --- the peewee path, as the code was --------------------------------------------------------


def peewee_get_row(model: Any, record_id: int) -> Any:
    return model.get_or_none(model._meta.primary_key == record_id)


def peewee_part_rows(email_id: int) -> list[tuple[Any, Any]]:
    a = m.ReceivedEmailAttachment
    rows = a.select().where(a.receivedEmail == email_id).order_by(a.position, a.id)
    return [(row, None) for row in rows]  # each file read when the script reaches it


def savepoint(store: Store) -> AbstractContextManager[Any]:
    return store.atomic()


def peewee_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime.session, "get_row", peewee_get_row)
    monkeypatch.setattr(runtime.email, "part_rows", peewee_part_rows)
    monkeypatch.setattr(runtime.session, "statement_block", savepoint)


# --- what one handling did ----------------------------------------------------------------


def outcome(ctx: AppContext, email_id: int, state: str | None, mark: str) -> dict[str, Any]:
    """What handling ``email_id`` left, with its own ids and ``mark`` (the text that tells
    the twin e-mails apart) taken out."""
    docs: Any = ctx.store.model("SubmittedDocument")
    atts: Any = ctx.store.model("SubmittedDocumentAttachment")
    row = m.ReceivedEmail.get_by_id(email_id)
    subject = row.subject
    files = {f.id: (f.name, f.size) for f in m.AttachedFile.select()}
    documents = []
    for doc in docs.select().where(docs.note.startswith(subject)).order_by(docs.id):
        members = atts.select().where(atts.document == doc.id).order_by(atts.id)
        documents.append(
            (
                doc.note.replace(mark, ""),
                (doc.attachmentNames or "").replace(mark, ""),
                None if doc.state is None else doc.state.code,
                [files[a.__data__["attachedFile"]] for a in members],
            )
        )
    runs = []
    for run in m.ScriptRun.select().where(m.ScriptRun.receivedEmail == email_id):
        runs.append(
            {
                "outcome": run.outcome,
                "steps": run.steps,
                "result": run.result,
                "error": (run.errorMessage, run.errorLine, run.errorColumn),
                "created": [c["type"] for c in run.created],
                "changed": [c["type"] for c in run.changed],
                "logs": run.logLines,
                "committed": run.committed,
            }
        )
    failed = m.ScriptRun.select().where(m.ScriptRun.receivedEmail.is_null()).count()
    return {
        "returned": state,
        "email": (row.state, row.attempts, row.lastError, row.note),
        "documents": documents,
        "runs": runs,
        "orphan runs": failed,
    }


CASES = [
    ("two attachments", 2, False),
    ("no attachment", 0, False),
    ("inline and one attachment", 1, True),
    ("dup refused", 1, False),
    ("boom after persist", 2, False),
]


@pytest.mark.parametrize(("subject", "attachments", "inline"), CASES)
def test_handling_matches_the_peewee_path(
    ctx: AppContext,
    account: m.MailAccount,
    monkeypatch: pytest.MonkeyPatch,
    subject: str,
    attachments: int,
    inline: bool,
) -> None:
    handler = load_handler(ctx, account)
    now = dt.datetime(2026, 11, 2, 10, 0)
    seen = []
    for mark, given in ((" [fast]", True), (" [fast, read]", False), (" [peewee]", True)):
        raw = message(subject + mark, attachments, inline)
        row, _ = store_received(ctx.store, account, raw, key=mark)
        if mark == " [peewee]":
            peewee_path(monkeypatch)
        state = handle_email(ctx, handler, row.id, now, row=row if given else None)
        seen.append(outcome(ctx, row.id, state, mark))
    fast, fast_read, slow = seen
    assert fast == slow
    assert fast_read == slow
    # and what that is, so that a path wrong both ways cannot pass
    if subject.startswith("boom"):
        assert slow["returned"] == "FAILED"
        assert slow["email"][:2] == ("FAILED", 1)
        assert slow["email"][2].endswith("throw error: boom")
        assert slow["documents"] == []  # rolled back with the run
        assert [r["outcome"] for r in slow["runs"]] == ["runtime"]
        assert slow["runs"][0]["committed"] is False
    else:
        assert slow["returned"] == "PROCESSED"
        assert slow["email"] == ("PROCESSED", 0, None, "seen INVOICES")
        assert slow["runs"][0]["outcome"] == "ok" and slow["runs"][0]["committed"] is True
        names = [f"faktura-{k}.pdf" for k in range(attachments)]
        assert [f[0] for f in slow["documents"][0][3]] == names
        assert slow["documents"][0][2] == "NEW"
    if subject.startswith("dup"):
        # the refused INSERT undid itself only: the run went on and committed the rest
        assert [d[0] for d in slow["documents"]] == [subject, subject + " other"]
        assert "refused" in slow["runs"][0]["logs"]
        assert slow["runs"][0]["created"] == [
            "SubmittedDocument",
            "SubmittedDocumentAttachment",
            "SubmittedDocument",
        ]
    if inline:
        assert "logo@dodavatel.cz/image/gif" in slow["documents"][0][1]


def test_a_quarantined_run_matches_the_peewee_path(
    ctx: AppContext, account: m.MailAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last attempt (attempts = 2 here) quarantines, both ways."""
    handler = load_handler(ctx, account)
    now = dt.datetime(2026, 11, 2, 10, 0)
    seen = []
    for mark in (" [fast]", " [peewee]"):
        row, _ = store_received(ctx.store, account, message("boom twice" + mark), key=mark)
        if mark == " [peewee]":
            peewee_path(monkeypatch)
        assert handle_email(ctx, handler, row.id, now, row=row) == "FAILED"
        state = handle_email(ctx, handler, row.id, now + dt.timedelta(days=1))
        seen.append(outcome(ctx, row.id, state, mark))
    assert seen[0] == seen[1]
    assert seen[1]["returned"] == "QUARANTINED"
    assert seen[1]["email"][:2] == ("QUARANTINED", 2)
    assert [r["outcome"] for r in seen[1]["runs"]] == ["runtime", "runtime"]


def test_get_row_reads_what_get_or_none_reads(ctx: AppContext, account: m.MailAccount) -> None:
    handler = load_handler(ctx, account)
    row, _ = store_received(ctx.store, account, message("rows", 2, True), key="k")
    assert handle_email(ctx, handler, row.id, dt.datetime(2026, 11, 2)) == "PROCESSED"
    docs: Any = ctx.store.model("SubmittedDocument")
    atts: Any = ctx.store.model("SubmittedDocumentAttachment")
    models: list[Any] = [
        m.ReceivedEmail,
        m.MailAccount,
        m.AttachedFile,
        m.ReceivedEmailAttachment,
        m.State,
        m.ScriptRun,
        docs,
        atts,
    ]
    for model in models:
        ids = [r.id for r in model.select(model.id)]
        assert ids, model
        for record_id in [*ids, max(ids) + 1000]:
            fast = get_row(model, record_id)
            slow = peewee_get_row(model, record_id)
            if slow is None:
                assert fast is None
                continue
            assert fast is not None and type(fast) is model
            assert fast.__data__ == slow.__data__, model
            assert not fast.is_dirty()


def test_part_rows_read_what_the_peewee_queries_read(
    ctx: AppContext, account: m.MailAccount
) -> None:
    stored = [
        store_received(ctx.store, account, message(s, n, inline), key=s)[0]
        for s, n, inline in [("a", 2, True), ("b", 0, False), ("c", 3, False)]
    ]
    for row in stored:
        fast = part_rows(row.id)
        slow = peewee_part_rows(row.id)
        assert [p.__data__ for p, _ in fast] == [p.__data__ for p, _ in slow]
        for part, file in fast:
            assert not part.is_dirty() and file is not None and not file.is_dirty()
            expected = m.AttachedFile.get_by_id(part.__data__["attachedFile"])
            assert file.__data__ == expected.__data__
    assert [len(part_rows(r.id)) for r in stored] == [3, 0, 3]
    assert [p.inlinePart for p, _ in part_rows(stored[0].id)] == [False, False, True]


def test_a_refused_script_run_row_rolls_back_the_run(
    ctx: AppContext, account: m.MailAccount
) -> None:
    """The ScriptRun of a good run goes in without a savepoint of its own: when the
    database refuses it, the run's records go back with it (on PostgreSQL too, where the
    refusal aborts the transaction) and the failure is recorded as an internal error."""
    handler = load_handler(ctx, account)
    db: Any = ctx.store.db  # peewee's execute_sql is untyped
    table = m.ScriptRun._meta.table_name
    column = m.ScriptRun.scriptSha256.column_name
    # one good run per handler: the second good run's ScriptRun is refused
    db.execute_sql(
        f'CREATE UNIQUE INDEX "one_ok_run" ON "{table}" ("{column}") WHERE "outcome" = \'ok\''
    )
    now = dt.datetime(2026, 11, 2, 10, 0)
    first, _ = store_received(ctx.store, account, message("first"), key="1")
    second, _ = store_received(ctx.store, account, message("second"), key="2")
    assert handle_email(ctx, handler, first.id, now, row=first) == "PROCESSED"
    assert handle_email(ctx, handler, second.id, now, row=second) == "FAILED"
    view = outcome(ctx, second.id, "FAILED", "")
    assert view["email"][:2] == ("FAILED", 1)
    assert "internal error" in view["email"][2] and "IntegrityError" in view["email"][2]
    assert view["documents"] == []  # rolled back with the run
    assert [(r["outcome"], r["committed"]) for r in view["runs"]] == [("internal", False)]
    assert outcome(ctx, first.id, "PROCESSED", "")["documents"][0][0] == "first"
