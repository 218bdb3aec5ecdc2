"""``sendMail`` and ``reply`` write their SentEmail in the run's transaction: a run that
fails after queueing leaves neither its records nor its mail, and `deliver` has nothing
to send; a run that commits leaves both, the mail pointing at the record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from runtime.context import AppContext, context_for
from runtime.outbox import deliver
from runtime.runner import run_file
from tests.mailstore.conftest import db_url  # noqa: F401

INVOICE = Path(__file__).resolve().parents[2] / "examples" / "invoices" / "invoice.eml"
QUEUE = (
    "var d = createNew('SubmittedDocument'); d.note = 'new'; persist(d);\n"
    "sendMail('ucetni@firma.cz', 'Nová faktura', 'Přišla faktura.', {'relatedTo': d});\n"
    "reply(entity, 'Děkujeme.');\n"
)


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:  # noqa: F811
    config = Config(path=None, database_url=db_url, blob_dir=tmp_path / "blobs",
                    key_file=tmp_path / "secret.key")  # fmt: skip
    context = context_for(config, Store.open(config, migrate=True))
    try:
        yield context
    finally:
        context.close()


def test_a_run_that_fails_after_queueing_sends_nothing(ctx: AppContext) -> None:
    failing = QUEUE + "findOne('NoSuchType', {});\n"
    report = run_file("h.jexl", failing, eml=INVOICE.read_bytes(), context=ctx, commit=True)
    assert report.error is not None and report.error.line == 4
    assert m.SentEmail.select().count() == 0
    assert ctx.store.model("SubmittedDocument").select().count() == 0
    # nothing queued: deliver needs no server and sends nothing
    sent = deliver(ctx)
    assert sent.ok and sent.sent == [] and sent.connections == 0


def test_a_committed_run_leaves_the_record_and_its_mail(ctx: AppContext) -> None:
    report = run_file("h.jexl", QUEUE, eml=INVOICE.read_bytes(), context=ctx, commit=True)
    assert report.error is None, report.error.render()
    [doc] = list(ctx.store.model("SubmittedDocument").select())
    notice, thanks = m.SentEmail.select().order_by(m.SentEmail.id)
    assert (notice.state, thanks.state) == ("QUEUED", "QUEUED")
    assert (notice.relatedType, notice.relatedId) == ("SubmittedDocument", doc.id)
    assert (notice.autoSubmitted, thanks.autoSubmitted) == ("auto-generated", "auto-replied")
