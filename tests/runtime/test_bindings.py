"""The host functions and ``entity``'s Java face, as handler scripts use them."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from runtime.bindings import handler_engine, standard_functions
from runtime.context import context_for
from runtime.runner import RunReport, run_file
from scriptengine.values import to_string
from tests.mailstore.conftest import db_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
MAIL = ROOT / "tests" / "fixtures" / "mail"
INVOICE = ROOT / "examples" / "invoices" / "invoice.eml"
SIGNED = ROOT / "examples" / "invoices" / "invoice-signed.eml"


@pytest.fixture
def ctx(db_url: str, tmp_path: Path):  # noqa: F811
    config = Config(
        path=None,
        database_url=db_url,
        blob_dir=tmp_path / "blobs",
        time_zone="Europe/Prague",
        trusted_authserv_id="mx.example.cz",
    )
    store = Store.open(config, migrate=True)
    context = context_for(config, store)
    try:
        yield context
    finally:
        context.close()


def ok(ctx, source: str, **kw) -> RunReport:
    report = run_file("t.jexl", source, context=ctx, **kw)
    assert report.error is None, report.error.render()
    return report


def value(ctx, source: str, **kw):
    result = ok(ctx, source, **kw).result
    return list(result) if isinstance(result, list) else result


def error(ctx, source: str, **kw) -> str:
    report = run_file("t.jexl", source, context=ctx, **kw)
    assert report.error is not None, f"no error: {report.result!r}"
    return report.error.message + (f" ({report.error.hint})" if report.error.hint else "")


def docs(ctx, *notes: str | None) -> None:
    """Commit one SubmittedDocument per note."""
    for note in notes:
        text = "null" if note is None else f"'{note}'"
        ok(ctx, f"var d = createNew('SubmittedDocument'); d.note = {text}; persist(d)", commit=True)


# --- entity -----------------------------------------------------------------------------------


def test_entity_members(ctx) -> None:
    raw = (MAIL / "en_plain_auth.eml").read_bytes()
    got = value(
        ctx,
        """[entity.mailFrom, entity.mailFromName, entity.mailTo, entity.cc, entity.replyTo,
            entity.subject, entity.messageId, entity.inReplyTo, entity.references,
            entity.signed, entity.state, entity.folder, entity.sentEmail, entity.note,
            entity.mailAccount.name, entity.mailAccount.address]""",
        eml=raw,
    )
    assert got == [
        "john@example.com",
        "John Smith",
        ["jane@example.cz", "bob@example.cz"],
        ["team@example.cz"],
        ["support@example.com"],
        "Quarterly report",
        "<report-2026-q3@example.com>",
        "<question-1@example.cz>",
        ["<thread-0@example.cz>", "<question-1@example.cz>"],
        False,
        "RECEIVED",
        None,
        None,
        None,
        "run-general",
        "handler@mailwright.invalid",
    ]


def test_headers_are_case_insensitive(ctx) -> None:
    raw = (MAIL / "en_plain_auth.eml").read_bytes()
    got = value(
        ctx,
        "var h = entity.headers; [h.get('X-CUSTOM'), h.getAll('x-custom'), h.get('nope'), "
        "h.getAll('nope').isEmpty(), h.containsKey('subject')]",
        eml=raw,
    )
    assert got == ["first", ["first", "second"], None, True, True]


def test_auth_results_from_the_trusted_server_only(ctx) -> None:
    raw = (MAIL / "en_plain_auth.eml").read_bytes()
    got = value(ctx, "var a = entity.authResults; [a.spf, a.dkim, a.dmarc]", eml=raw)
    assert got == ["pass", "pass", "pass"]
    assert value(ctx, "entity.authResults", eml=INVOICE.read_bytes()) is None


def test_purpose_is_enum_like(ctx) -> None:
    got = value(
        ctx,
        "var p = entity.mailAccount.purpose; [p == 'INVOICES', p.name(), p =~ ['INVOICES'], "
        "p != 'ROBOT', '' + p]",
        eml=INVOICE.read_bytes(),
        purpose="INVOICES",
    )
    assert got == [True, "INVOICES", False, True, "INVOICES"]


def test_attachments_have_the_list_face(ctx) -> None:
    got = value(
        ctx,
        "var a = entity.attachments; [a.size(), a.isEmpty(), a.get(1).attachedFile.name, "
        "a[0].attachedFile.size, a[0].inline, a[0].contentId, entity.inlineParts.isEmpty(), "
        "size(a)]",
        eml=INVOICE.read_bytes(),
    )
    assert got == [2, False, "dodací list.pdf", 60, False, None, True, 2]


def test_signed_mail_with_logo(ctx) -> None:
    got = value(
        ctx,
        "[entity.signed, entity.attachments.size(), entity.inlineParts.size(), "
        "entity.inlineParts[0].contentId, entity.inlineParts[0].attachedFile.contentType, "
        "entity.bodyHtml.contains('cid:logo@dodavatel.cz')]",
        eml=SIGNED.read_bytes(),
    )
    assert got == [True, 2, 1, "logo@dodavatel.cz", "image/png", True]


def test_file_text_and_base64(ctx) -> None:
    raw = INVOICE.read_bytes()
    got = value(ctx, "var f = entity.attachments[0].attachedFile; [f.text(), f.base64()]", eml=raw)
    assert got[0] is None  # a PDF is not text
    assert base64.b64decode(got[1]).startswith(b"%PDF-1.4")
    text_mail = (
        b"From: a@b.cz\r\nTo: c@d.cz\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nbody\r\n--b\r\n"
        b'Content-Type: text/csv; charset=windows-1250\r\nContent-Disposition: attachment; filename="a.csv"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("Příliš žluťoučký kůň".encode("cp1250"))
        + b"\r\n--b--\r\n"
    )
    assert value(ctx, "entity.attachments[0].attachedFile.text()", eml=text_mail) == (
        "Příliš žluťoučký kůň"
    )


def test_dates_of_the_email_in_the_configured_zone(ctx) -> None:
    got = value(
        ctx,
        "var d = entity.sentDate; [d.getYear(), d.getMonthValue(), d.getDayOfMonth(), "
        "d.getHour(), d.plusDays(1).getDayOfMonth(), d.isBefore(entity.receivedDate), "
        "d.format('dd.MM.yyyy HH:mm')]",
        eml=INVOICE.read_bytes(),
    )
    # Date: Tue, 03 Mar 2026 09:15:00 +0100, seen in Europe/Prague
    assert got == [2026, 3, 3, 9, 4, True, "03.03.2026 09:15"]


def test_entity_is_strict(ctx) -> None:
    msg = error(ctx, "entity.mailFrm", eml=INVOICE.read_bytes())
    assert "unknown field 'mailFrm' of ReceivedEmail" in msg and "mailFrom" in msg
    assert "read-only" in error(ctx, "entity.subject = 'x'", eml=INVOICE.read_bytes())
    assert "ReceivedEmail" in error(ctx, "entity.note = 5", eml=INVOICE.read_bytes())


# --- queries ----------------------------------------------------------------------------------


def test_find_all_filters_orders_and_limits_in_sql(ctx) -> None:
    docs(ctx, "b", None, "a", "c")
    assert value(ctx, "findAll('SubmittedDocument').size()") == 4
    assert value(
        ctx,
        "var r = [...]; for (var d : findAll('SubmittedDocument', {'note': null})) r.add(d.id); r",
    ) == [2]
    notes = value(
        ctx,
        "var r = [...]; for (var d : findAll('SubmittedDocument', {}, {'orderBy': '-note', 'limit': 2})) r.add(d.note); r",
    )
    assert notes == ["c", "b"]
    nulls_last = value(
        ctx,
        "var r = [...]; for (var d : findAll('SubmittedDocument', null, {'orderBy': 'note'})) r.add(d.note); r",
    )
    assert nulls_last == ["a", "b", "c", None]
    assert value(ctx, "findAll('SubmittedDocument', {'state': 'NEW'}).size()") == 4
    assert (
        value(
            ctx, "count('SubmittedDocument', {'state': findState('SubmittedDocument', 'REJECTED')})"
        )
        == 0
    )


def test_find_one_find_and_count(ctx) -> None:
    docs(ctx, "x", "y", "y")
    assert value(ctx, "findOne('SubmittedDocument', {'note': 'x'}).id") == 1
    assert value(ctx, "findOne('SubmittedDocument', {'note': 'z'})") is None
    msg = error(ctx, "findOne('SubmittedDocument', {'note': 'y'})")
    assert "found 2 SubmittedDocument records" in msg and "findAll" in msg
    assert value(ctx, "find('SubmittedDocument', 3).note") == "y"
    assert value(ctx, "find('SubmittedDocument', 99)") is None
    assert value(ctx, "count('SubmittedDocument', {'note': 'y'})") == 2
    assert value(
        ctx, "find('SubmittedDocument', 1) === findOne('SubmittedDocument', {'note': 'x'})"
    )


def test_reference_filters_take_a_record_or_an_id(ctx) -> None:
    ok(
        ctx,
        "var e = entity; var d = createNew('SubmittedDocument'); for (var a : e.attachments) { var x = createNew('SubmittedDocumentAttachment'); x.attachedFile = a.attachedFile; d.attachments.add(x); } persist(d)",
        eml=INVOICE.read_bytes(),
        commit=True,
    )
    assert (
        value(
            ctx, "count('SubmittedDocumentAttachment', {'document': find('SubmittedDocument', 1)})"
        )
        == 2
    )
    assert value(ctx, "count('SubmittedDocumentAttachment', {'document': 1})") == 2
    assert value(ctx, "count('SubmittedDocumentAttachment', {'document': 2})") == 0


def test_built_in_types_are_readable(ctx) -> None:
    ok(ctx, "1", eml=INVOICE.read_bytes(), purpose="INVOICES", commit=True)
    assert (
        value(ctx, "findAll('ReceivedEmail', {'mailFrom': 'jana@dodavatel.cz'})[0].subject")
        == "Faktura č. 1"
    )
    assert value(ctx, "findOne('MailAccount', {'purpose': 'INVOICES'}).name") == "run-invoices"
    assert value(ctx, "count('AttachedFile', {'contentType': 'application/pdf'})") == 2
    assert value(ctx, "findAll('State', {'typeName': 'SubmittedDocument'}).size()") == 3


def test_query_errors_name_the_closest(ctx) -> None:
    assert "did you mean 'SubmittedDocument'" in error(ctx, "findAll('SubmitedDocument')")
    assert "did you mean 'note'" in error(ctx, "findAll('SubmittedDocument', {'noet': 1})")
    assert "did you mean 'limit'" in error(ctx, "findAll('SubmittedDocument', {}, {'limt': 1})")
    assert "unknown type 'Credential'" in error(ctx, "findAll('Credential')")
    assert "no field 'secret'" in error(ctx, "findAll('MailAccount', {'secret': 'x'})")


def test_param(ctx) -> None:
    m.GlobalParameter.create(name="mail.robotAddress", value="robot@firma.cz")
    assert value(ctx, "param('mail.robotAddress')") == "robot@firma.cz"
    assert value(ctx, "param('nope')") is None


# --- changing records -------------------------------------------------------------------------


def test_change_state_saves_a_stored_record(ctx) -> None:
    docs(ctx, "a")
    report = ok(ctx, "changeState(find('SubmittedDocument', 1), 'PROCESSED')", commit=True)
    assert report.changed == [
        {
            "type": "SubmittedDocument",
            "id": 1,
            "fields": {"state": {"type": "State", "code": "PROCESSED", "id": 2}},
        }
    ]
    assert value(ctx, "find('SubmittedDocument', 1).state.code") == "PROCESSED"
    assert "no state" in error(ctx, "changeState(find('SubmittedDocument', 1), 'GONE')")


def test_remove_deletes_record_and_its_list(ctx) -> None:
    ok(
        ctx,
        "var d = createNew('SubmittedDocument'); d.attachments.add(createNew('SubmittedDocumentAttachment')); persist(d)",
        commit=True,
    )
    report = ok(
        ctx,
        "remove(find('SubmittedDocument', 1)); [count('SubmittedDocument'), count('SubmittedDocumentAttachment')]",
        commit=True,
    )
    assert list(report.result) == [0, 0]
    assert report.changed == [{"type": "SubmittedDocument", "id": 1, "fields": {}, "removed": True}]
    assert "cannot be removed" in error(ctx, "remove(entity)", eml=INVOICE.read_bytes())
    assert "not stored" in error(ctx, "remove(createNew('SubmittedDocument'))")


def test_persist_of_a_non_record_is_an_error(ctx) -> None:
    assert "persist expects a record" in error(ctx, "persist({'a': 1})")
    assert "createNew makes records of the schema's types" in error(
        ctx, "createNew('ReceivedEmail')"
    )
    assert "did you mean 'SubmittedDocument'" in error(ctx, "createNew('SubmittedDocumen')")


# --- outgoing mail ----------------------------------------------------------------------------


def test_send_mail_queues_a_row_in_the_transaction(ctx) -> None:
    report = ok(
        ctx,
        "var d = createNew('SubmittedDocument'); persist(d);"
        "sendMail(['ucetni@firma.cz', 'Jana <jana@firma.cz>'], 'Nová faktura', 'Přišla faktura.',"
        " {'cc': 'sef@firma.cz', 'html': '<p>Přišla</p>', 'relatedTo': d,"
        "  'attachments': [entity.attachments[0]]})",
        eml=INVOICE.read_bytes(),
        commit=True,
    )
    [q] = report.queued
    assert q["to"] == ["ucetni@firma.cz", "Jana <jana@firma.cz>"] and q["cc"] == ["sef@firma.cz"]
    assert q["subject"] == "Nová faktura" and q["messageId"] == report.result
    row = m.SentEmail.get()
    assert row.state == "QUEUED" and row.autoSubmitted == "auto-generated"
    assert (row.relatedType, row.relatedId) == ("SubmittedDocument", 1)
    assert row.bodyHtml == "<p>Přišla</p>"
    [att] = list(m.SentEmailAttachment.select())
    assert att.attachedFile.name == "faktura č. 1.pdf"


@pytest.mark.parametrize(
    "call",
    [
        "sendMail('a@b.cz', 'x\\r\\nBcc: evil@x.cz', 'body')",
        "sendMail('a@b.cz\\nBcc: evil@x.cz', 'x', 'body')",
        "sendMail('a@b.cz', 'x', 'body', {'cc': ['c@d.cz\\r\\n']})",
    ],
)
def test_line_breaks_in_headers_are_errors(ctx, call: str) -> None:
    assert "line break" in error(ctx, call)
    assert ctx.store.count("SentEmail") == 0


def test_send_mail_checks_its_arguments(ctx) -> None:
    assert "not an e-mail address" in error(ctx, "sendMail('nobody', 'x', 'y')")
    assert "no addressee" in error(ctx, "sendMail([...], 'x', 'y')")
    assert "did you mean 'bcc'" in error(ctx, "sendMail('a@b.cz', 'x', 'y', {'bc': 'c@d.cz'})")
    assert "persist the SubmittedDocument first" in error(
        ctx, "sendMail('a@b.cz', 'x', 'y', {'relatedTo': createNew('SubmittedDocument')})"
    )


def test_a_line_break_error_points_at_the_script_line(ctx) -> None:
    report = run_file(
        "t.jexl",
        "var s = 'Faktura';\nsendMail('a@b.cz', s + '\\r\\nBcc: e@x.cz', 'b')",
        context=ctx,
    )
    assert report.error is not None and report.error.line == 2
    assert (
        report.error.message
        == "the subject must not contain a line break (CR or LF) or a NUL character"
    )


def test_addresses_are_checked_as_mail_programs_read_them(ctx) -> None:
    got = value(
        ctx,
        "sendMail(['\"Novák, Jan\" <jan@x.cz>, eva@y.cz', 'info@háčky.cz'], 's', 'b');"
        "findOne('SentEmail', {}).to",
    )
    assert got == ['"Novák, Jan" <jan@x.cz>', "eva@y.cz", "info@xn--hky-ela4t.cz"]
    for bad in ("a@b", "jana@", "<a@b.cz", "jana nováková", "žluť@x.cz"):
        said = error(ctx, f"sendMail('{bad}', 's', 'b')")
        assert "is not an e-mail address" in said or "non-ASCII name before the @" in said, said


def test_message_ids_are_in_the_robot_domain(ctx) -> None:
    assert value(ctx, "sendMail('a@b.cz', 's', 'b')").endswith("@mailwright.invalid>")
    m.GlobalParameter.create(name="mail.robotAddress", value="robot@firma.cz")
    assert value(ctx, "sendMail('a@b.cz', 's', 'b')").endswith("@firma.cz>")


def test_reply_answers_the_sender(ctx) -> None:
    raw = (MAIL / "en_plain_auth.eml").read_bytes()
    report = ok(ctx, "reply(entity, 'Thanks')", eml=raw, commit=True)
    [q] = report.queued
    assert q["to"] == ["support@example.com"]  # Reply-To wins over From
    assert q["subject"] == "Re: Quarterly report"
    row = m.SentEmail.get()
    assert row.inReplyTo == "<report-2026-q3@example.com>"
    assert row.references[-1] == "<report-2026-q3@example.com>"
    assert row.autoSubmitted == "auto-replied"
    again = ok(ctx, "reply(entity, 'x', {'subject': 'Re: done', 'to': 'boss@example.cz'})", eml=raw)
    assert again.queued[0]["subject"] == "Re: done" and again.queued[0]["to"] == ["boss@example.cz"]
    assert "reply expects a received e-mail" in error(ctx, "reply('x', 'y')")


# --- without a store, and for check -----------------------------------------------------------


def test_store_functions_without_a_store_say_so() -> None:
    engine = handler_engine()
    with pytest.raises(Exception) as info:
        engine.compile("createNew('SubmittedDocument')").run({})
    assert "createNew needs the store" in str(info.value)


def test_every_function_has_its_argument_counts() -> None:
    names = {f.name: (f.min_args, f.max_args) for f in standard_functions()}
    assert names["createNew"] == (1, 1) and names["findAll"] == (1, 3)
    assert names["sendMail"] == (3, 4) and names["log"] == (0, None)
    for name in ("now", "today", "formatDate", "parseDate", "parseJson", "parseXml"):
        assert name in handler_engine().host.functions
    diags = handler_engine().check("createNew(); findOne('SubmittedDocument'); reply(entity)")
    assert len([d for d in diags if "takes" in d.message]) == 3


def test_join_and_log(ctx) -> None:
    report = ok(ctx, "log('a', 1, null); join(['x', null, 2], '-')")
    assert report.logs == ["a 1 null"] and report.result == "x-null-2"


# --- the store examples of docs/functions.md --------------------------------------------------

DOC = ROOT / "docs" / "functions.md"
STORE_BLOCK = re.compile(r"```jexl-store\n(.*?)```", re.S)
STORE_EXAMPLES = (
    [
        (
            f"functions.md:{DOC.read_text(encoding='utf-8').count(chr(10), 0, mt.start()) + 2}",
            mt.group(1),
        )
        for mt in STORE_BLOCK.finditer(DOC.read_text(encoding="utf-8"))
    ]
    if DOC.exists()
    else []
)


@pytest.mark.parametrize(("where", "code"), STORE_EXAMPLES, ids=[w for w, _ in STORE_EXAMPLES])
def test_store_examples_of_the_function_guide_run(ctx, where: str, code: str) -> None:
    # seven stored documents (the examples look up #7), one noted 'test', and an e-mail
    docs(ctx, "a", "b", "c", "test", "e", "f", "g")
    lines = code.rstrip("\n").split("\n")
    expect = lines[-1][len("## → ") :] if lines[-1].startswith("## → ") else None
    source = "\n".join(lines[:-1] if expect is not None else lines) + "\n"
    if not re.search(r"\bvar sd\b", source) and re.search(r"\bsd\b", source):
        source = "var sd = find('SubmittedDocument', 1);\n" + source  # the record it refers to
    report = run_file(where, source, context=ctx, eml=INVOICE.read_bytes(), purpose="INVOICES")
    assert report.error is None, report.error.render()
    if expect is not None:
        shown = "null" if report.result is None else to_string(report.result)
        assert shown == expect, where


# --- queries agree with the same filter done by hand ----------------------------------------

_notes = st.lists(st.sampled_from(["a", "b", "č", None]), max_size=8)  # one order in any collation


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(notes=_notes, wanted=st.sampled_from(["a", "b", "č", None]), descending=st.booleans())
def test_find_all_and_count_agree_with_python(ctx, notes, wanted, descending) -> None:
    tag = f"batch-{uuid.uuid4().hex[:8]}"  # examples share the store: each its own batch
    model = ctx.store.model("SubmittedDocument")
    ids = [model.create(note=n, attachmentNames=tag).id for n in notes]
    literal = "null" if wanted is None else f"'{wanted}'"
    got = value(
        ctx,
        f"var r = [...]; for (var d : findAll('SubmittedDocument', "
        f"{{'attachmentNames': '{tag}', 'note': {literal}}})) r.add(d.id); "
        f"[r, count('SubmittedDocument', {{'attachmentNames': '{tag}', 'note': {literal}}})]",
    )
    expected = [i for i, n in zip(ids, notes) if n == wanted]
    assert [list(got[0]), got[1]] == [expected, len(expected)]
    order = "-note" if descending else "note"
    ordered = value(
        ctx,
        f"var r = [...]; for (var d : findAll('SubmittedDocument', {{'attachmentNames': '{tag}'}}, "
        f"{{'orderBy': '{order}'}})) r.add(d.note); r",
    )
    present = sorted((n for n in notes if n is not None), reverse=descending)
    assert ordered == present + [None] * notes.count(None)  # nulls last both ways


def test_built_in_records_are_read_only(ctx) -> None:
    msg = error(ctx, "persist(entity.attachments[0].attachedFile)", eml=INVOICE.read_bytes())
    assert "AttachedFile records are read-only" in msg
    assert "read-only" in error(
        ctx, "entity.mailAccount.purpose = 'ROBOT'", eml=INVOICE.read_bytes()
    )


def test_bodies_and_sent_email_link(ctx) -> None:
    got = value(
        ctx,
        "[entity.body.contains('v příloze posíláme fakturu'), entity.bodyHtml, "
        "entity.receivedDate != null]",
        eml=INVOICE.read_bytes(),
    )
    assert got == [True, None, True]
    # a reply to a queued message: entity.sentEmail and its relatedTo
    sent = ok(
        ctx,
        "var d = createNew('SubmittedDocument'); d.note = 'asked'; persist(d);"
        "sendMail('jana@dodavatel.cz', 'Dotaz', 'Prosíme o opravu.', {'relatedTo': d})",
        commit=True,
    ).result
    answer = (
        f"From: jana@dodavatel.cz\r\nTo: robot@firma.cz\r\nSubject: Re: Dotaz\r\n"
        f"In-Reply-To: {sent}\r\nMessage-ID: <answer@dodavatel.cz>\r\n\r\nOpraveno.\r\n"
    ).encode()
    # stored, the answer is linked to what was sent by its In-Reply-To (mailstore.replylink)
    got = value(
        ctx,
        "var s = entity.sentEmail; [s.subject, s.to, s.state, s.relatedTo.note, s.sentDate]",
        eml=answer,
    )
    assert got == ["Dotaz", ["jana@dodavatel.cz"], "QUEUED", "asked", None]


# --- the functions charge their work to the run's limits (audit of issue 4) ------------------


def test_find_all_charges_a_step_per_record_and_counts_items(ctx) -> None:
    from scriptengine import Limits

    docs(ctx, *(["many"] * 10), "one")
    many = ok(ctx, "findAll('SubmittedDocument', {'note': 'many'}).size()")
    one = ok(ctx, "findAll('SubmittedDocument', {'note': 'one'}).size()")
    assert (many.result, one.result) == (10, 1)
    assert many.steps - one.steps == 9  # the same script, nine more rows read
    report = run_file(
        "t.jexl", "findAll('SubmittedDocument').size()", context=ctx, limits=Limits(items=5)
    )
    assert report.error is not None and report.error.to_json()["type"] == "limit"
    # count() reads no rows: it is not limited by their number
    assert (
        run_file("t.jexl", "count('SubmittedDocument')", context=ctx, limits=Limits(items=5)).result
        == 11
    )


def test_file_contents_count_against_the_string_limit(ctx) -> None:
    from scriptengine import Limits

    source = "entity.attachments[0].attachedFile.base64()"
    assert ok(ctx, source, eml=INVOICE.read_bytes()).result.startswith("JVBER")  # %PDF
    report = run_file(
        "t.jexl", source, context=ctx, eml=INVOICE.read_bytes(), limits=Limits(string_length=20)
    )
    assert report.error is not None and report.error.to_json()["type"] == "limit"


def test_join_and_send_mail_count_against_the_string_limit(ctx) -> None:
    from scriptengine import Limits

    tight = Limits(string_length=50)
    long_join = "var l = [...]; for (var i : 1..20) l.add('abcdef'); join(l, ', ')"
    assert run_file("t.jexl", long_join, context=ctx, limits=tight).error.to_json()["type"] == (
        "limit"
    )
    # each String fits, the body and its HTML alternative together do not
    fits = "var t = 'x'.repeat(30); sendMail('a@b.cz', 's', t, {'html': '<p>ok</p>'})"
    assert run_file("t.jexl", fits, context=ctx, limits=tight).error is None
    send = "var t = 'x'.repeat(30); sendMail('a@b.cz', 's', t, {'html': t})"
    report = run_file("t.jexl", send, context=ctx, limits=tight)
    assert report.error is not None and report.error.to_json()["type"] == "limit"
    assert report.queued == [] and ctx.store.count("SentEmail") == 0


def test_queries_filter_order_limit_and_count_in_sql(ctx, caplog) -> None:
    # issue 4: findAll, count and friends run in SQL, never by loading every row
    import logging

    docs(ctx, "a", "b", "a")
    caplog.set_level(logging.DEBUG, logger="peewee")
    assert value(ctx, "count('SubmittedDocument', {'note': 'a'})") == 2
    assert (
        value(
            ctx, "findAll('SubmittedDocument', {'note': 'a'}, {'orderBy': '-id', 'limit': 1})[0].id"
        )
        == 3
    )
    queries = [str(r.msg[0] if isinstance(r.msg, tuple) else r.msg) for r in caplog.records]
    table = [q for q in queries if "submitted_document" in q and "INSERT" not in q]
    assert any("COUNT(" in q.upper() and "WHERE" in q and '"note"' in q for q in table), table
    assert any("WHERE" in q and "ORDER BY" in q and "DESC" in q and "LIMIT" in q for q in table), (
        table
    )
