"""``mailwright records``: the table, JSON, CSV, --where and --state, ``records show`` with
files and the e-mail that made the record, ``records state`` with changeState's rules;
against a store filled by ingesting the examples/invoices sample e-mails."""

from __future__ import annotations

import csv
import io
import json

import pytest

from mailstore import models as m
from tests.ops.conftest import Installation, run_cli


def documents(installation: Installation) -> list[tuple[int, str]]:
    """(id, attachmentNames) of the SubmittedDocuments, by id."""
    with installation.open() as store:
        return [(d.id, d.attachmentNames) for d in store.records("SubmittedDocument")]


def test_the_table_lists_every_document_with_its_state_and_fields(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, "records", "SubmittedDocument")
    assert status == 0, err
    docs = documents(installation)
    assert len(docs) == 3  # three sample e-mails have attachments, one has none
    for header in ("id", "state", "note", "attachmentNames", "attachments"):
        assert header in out
    assert "faktura č. 1.pdf, dodací list.pdf" in out
    assert "invoice 2026-17.pdf" in out
    assert out.count("NEW") == 3


def test_json_has_the_shape_of_run_json(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, "records", "SubmittedDocument", "--json")
    assert status == 0
    data = json.loads(out)
    assert [d["id"] for d in data] == [i for i, _ in documents(installation)]
    first = data[0]
    assert first["type"] == "SubmittedDocument"
    assert first["fields"]["state"]["type"] == "State"
    assert first["fields"]["state"]["code"] == "NEW"
    assert first["fields"]["attachmentNames"] == "faktura č. 1.pdf, dodací list.pdf"
    assert len(first["fields"]["attachments"]) == 2
    assert all(a["type"] == "SubmittedDocumentAttachment" for a in first["fields"]["attachments"])
    # a child type: its file is {"name", "contentType", "size", "sha256"}, the parent a ref
    status, out, _ = run_cli(capsys, "records", "SubmittedDocumentAttachment", "--json")
    att = json.loads(out)[0]
    assert att["fields"]["document"] == {"type": "SubmittedDocument", "id": first["id"]}
    assert set(att["fields"]["attachedFile"]) == {"name", "contentType", "size", "sha256"}
    assert att["fields"]["attachedFile"]["name"] == "faktura č. 1.pdf"


def test_csv_has_a_header_and_the_sha256_of_files(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, "records", "SubmittedDocumentAttachment", "--csv")
    assert status == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["id", "document", "attachedFile", "attachedFile.sha256"]
    assert len(rows) == 1 + 6  # 2 + 2 + 2 attachments (the signed one: its PDFs, no logo)
    with installation.open() as store:
        first = store.records("SubmittedDocumentAttachment")[0]
        assert rows[1] == [
            str(first.id),
            str(first.document_id),
            first.attachedFile.name,
            first.attachedFile.sha256,
        ]


def test_where_filters_in_sql_by_each_kind_of_field(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = documents(installation)
    first_id = docs[0][0]

    def ids(*args: str) -> list[int]:
        status, out, err = run_cli(capsys, "records", *args, "--json")
        assert status == 0, err
        return [d["id"] for d in json.loads(out)]

    assert ids(
        "SubmittedDocument", "--where", "attachmentNames=faktura č. 1.pdf, dodací list.pdf"
    ) == [i for i, names in docs if names == "faktura č. 1.pdf, dodací list.pdf"]
    assert ids("SubmittedDocument", "--where", f"id={first_id}") == [first_id]
    assert ids("SubmittedDocument", "--where", "note=null") == []
    assert len(ids("SubmittedDocument", "--state", "NEW")) == 3
    assert ids("SubmittedDocument", "--where", "state=REJECTED") == []
    children = ids("SubmittedDocumentAttachment", "--where", f"document={first_id}")
    assert len(children) == 2
    # two conditions must both hold
    assert (
        ids(
            "SubmittedDocumentAttachment",
            "--where",
            f"document={first_id}",
            "--where",
            "document=0",
        )
        == []
    )
    with installation.open() as store:
        sha = store.get("SubmittedDocumentAttachment", children[0]).attachedFile.sha256
    # a file by its SHA-256: the same PDF came in the plain and the signed e-mail
    assert children[0] in ids("SubmittedDocumentAttachment", "--where", f"attachedFile={sha}")


def test_unknown_types_fields_and_values_are_usage_errors_naming_the_known_ones(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_cli(capsys, "records", "SubmitedDocument")
    assert status == 2
    assert "did you mean 'SubmittedDocument'" in err
    assert "SubmittedDocument, SubmittedDocumentAttachment" in err
    status, _, err = run_cli(capsys, "records", "SubmittedDocument", "--where", "nte=x")
    assert status == 2
    assert "did you mean 'note'" in err and "id, state, note, attachmentNames" in err
    status, _, err = run_cli(capsys, "records", "SubmittedDocument", "--state", "DONE")
    assert status == 2 and "NEW, PROCESSED, REJECTED" in err
    status, _, err = run_cli(capsys, "records", "SubmittedDocument", "--where", "id=seven")
    assert status == 2 and "'seven' is not a record id" in err
    status, _, err = run_cli(capsys, "records", "SubmittedDocument", "--where", "note")
    assert status == 2 and "field=value" in err


def test_show_lists_fields_files_and_the_email_that_made_it(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = documents(installation)[0][0]
    status, out, err = run_cli(capsys, "records", "show", "SubmittedDocument", str(doc_id))
    assert status == 0, err
    assert f"SubmittedDocument #{doc_id}" in out
    assert "state: NEW" in out
    assert "faktura č. 1.pdf" in out and "dodací list.pdf" in out and "application/pdf" in out
    with installation.open() as store:
        email = store.records("ReceivedEmail", order_by="id")[0]
        shas = [p.attachedFile.sha256 for p in email.parts]
    assert all(sha in out for sha in shas)
    assert f"e-mail #{email.id} from jana@dodavatel.cz" in out
    status, out, _ = run_cli(capsys, "records", "show", "SubmittedDocument", str(doc_id), "--json")
    data = json.loads(out)
    assert data["email"]["id"] == email.id and data["email"]["run"] is not None
    assert [f["sha256"] for f in data["files"]] == shas
    assert data["files"][0]["field"].startswith("attachments[#")


def test_show_of_a_record_no_run_made(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    with installation.open() as store:
        doc = store.model("SubmittedDocument").create(note="by hand")
    status, out, _ = run_cli(capsys, "records", "show", "SubmittedDocument", str(doc.id))
    assert status == 0 and "made by: no recorded run" in out
    status, _, err = run_cli(capsys, "records", "show", "SubmittedDocument", "999999")
    assert status == 2 and "no SubmittedDocument with id 999999" in err


def test_state_moves_a_record_with_the_rules_of_change_state(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = documents(installation)[0][0]
    status, out, err = run_cli(
        capsys, "records", "state", "SubmittedDocument", str(doc_id), "PROCESSED"
    )
    assert status == 0, err
    assert f"SubmittedDocument #{doc_id}: NEW -> PROCESSED" in out
    with installation.open() as store:
        assert store.get("SubmittedDocument", doc_id).state.code == "PROCESSED"
        assert store.count("SubmittedDocument", state=store.state("SubmittedDocument", "NEW")) == 2
    status, _, err = run_cli(capsys, "records", "state", "SubmittedDocument", str(doc_id), "DONE")
    assert status == 2
    assert "SubmittedDocument has no state 'DONE'" in err and "NEW, PROCESSED, REJECTED" in err
    status, _, err = run_cli(capsys, "records", "state", "SubmittedDocumentAttachment", "1", "NEW")
    assert status == 2 and "SubmittedDocumentAttachment has no states" in err
    with installation.open() as store:  # the failed attempts changed nothing
        assert store.get("SubmittedDocument", doc_id).state.code == "PROCESSED"


def test_the_table_says_when_it_shows_only_the_first_records(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, "records", "SubmittedDocument", "--limit", "2")
    assert status == 0 and "the first 2 of 3" in out
    status, out, _ = run_cli(capsys, "records", "SubmittedDocument", "--json", "--limit", "1")
    assert len(json.loads(out)) == 1


@pytest.mark.parametrize("args", [["show", "SubmittedDocument"], ["state", "X", "1"], ["A", "B"]])
def test_bad_usage_exits_2(
    installation: Installation, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert run_cli(capsys, "records", *args)[0] == 2


def test_records_leave_the_ledger_alone(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "records", "SubmittedDocument", "--json")
    with installation.open():
        assert m.ReceivedEmail.select().where(m.ReceivedEmail.state == "PROCESSED").count() == 4
