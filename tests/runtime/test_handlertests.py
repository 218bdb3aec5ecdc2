"""Handler tests (``*.test.toml``): the format, the comparison with a run's report, the
runner over reports and the ``mailwright test`` command.

The comparison is tested against RunReport-shaped JSON objects (ARCHITECTURE.md "run
--json"); the command is tested with an executor that returns such objects, so these tests
do not depend on the store.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runtime import handlertests as ht
from runtime.cli import main

SENDER = "jana@example.cz"


def report(**overrides: Any) -> dict[str, Any]:
    """A RunReport JSON object: nothing done, result null, unless overridden."""
    base: dict[str, Any] = {
        "result": None,
        "logs": [],
        "warnings": [],
        "created": [],
        "changed": [],
        "queued": [],
        "error": None,
        "steps": 10,
        "compile_ms": 1.0,
        "duration_ms": 1.0,
    }
    base.update(overrides)
    return base


def invoice_report() -> dict[str, Any]:
    """The acceptance case's report: one document in state NEW with two attachments."""
    return report(
        created=[
            {
                "type": "SubmittedDocument",
                "id": 7,
                "fields": {
                    "state": {"type": "State", "code": "NEW", "id": 1},
                    "note": f"email přijatý od {SENDER} (id 3 )",
                    "attachmentNames": "faktura č. 1.pdf, dodací list.pdf",
                    "attachments": [
                        {"type": "SubmittedDocumentAttachment", "id": 8},
                        {"type": "SubmittedDocumentAttachment", "id": 9},
                    ],
                },
            },
            {
                "type": "SubmittedDocumentAttachment",
                "id": 8,
                "fields": {"name": "faktura č. 1.pdf"},
            },
            {"type": "SubmittedDocumentAttachment", "id": 9, "fields": {"name": "dodací list.pdf"}},
        ]
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def handler_dir(tmp_path: Path) -> Path:
    write(tmp_path, "invoices.jexl", "createNew('SubmittedDocument')\n")
    write(tmp_path, "mail/invoice.eml", f"From: {SENDER}\nSubject: x\n\nbody\n")
    return tmp_path


def where(mismatches: list[ht.Mismatch]) -> list[str]:
    return [m.where for m in mismatches]


# --- values -------------------------------------------------------------------------------


def test_numbers_match_by_value_across_kinds() -> None:
    assert ht.matches(1, 1.0)
    assert ht.matches(3.1, Decimal("3.10"))
    assert not ht.matches(1, 2)
    assert not ht.matches(1, "1")


def test_booleans_are_not_numbers() -> None:
    assert ht.matches(True, True)
    assert not ht.matches(True, 1)
    assert not ht.matches(1, True)


def test_a_string_matches_a_state_by_code_and_a_file_by_name() -> None:
    assert ht.matches("NEW", {"type": "State", "code": "NEW", "id": 1})
    assert not ht.matches("DONE", {"type": "State", "code": "NEW", "id": 1})
    assert ht.matches("a.pdf", {"name": "a.pdf", "contentType": "application/pdf", "size": 3})
    assert not ht.matches("7", {"type": "SubmittedDocument", "id": 7})


def test_tables_match_the_keys_they_name() -> None:
    actual = {"type": "SubmittedDocument", "id": 7}
    assert ht.matches({"type": "SubmittedDocument"}, actual)
    assert not ht.matches({"type": "SubmittedDocument", "id": 8}, actual)
    assert not ht.matches({"missing": 1}, actual)


def test_arrays_match_element_by_element() -> None:
    assert ht.matches(["a", 1], ["a", 1])
    assert not ht.matches(["a"], ["a", 1])
    assert not ht.matches(["a", 2], ["a", 1])


def test_operators() -> None:
    assert ht.matches({"matches": "^email přijatý"}, "email přijatý od x")
    assert not ht.matches({"matches": "^přijatý"}, "email přijatý od x")
    assert ht.matches({"matches": "^NEW$"}, {"type": "State", "code": "NEW"})
    assert ht.matches({"contains": "od"}, "email od x")
    assert ht.matches({"contains": "b"}, ["a", "b"])
    assert not ht.matches({"contains": "c"}, ["a", "b"])
    assert ht.matches({"length": 2}, [1, 2])
    assert not ht.matches({"length": 2}, None)
    assert ht.matches({"null": True}, None)
    assert not ht.matches({"null": True}, "")
    assert ht.matches({"null": False}, "")
    assert ht.matches({"not": "x"}, "y")
    assert not ht.matches({"not": {"null": True}}, None)


@given(st.one_of(st.integers(), st.text(), st.booleans(), st.lists(st.integers(), max_size=4)))
def test_every_json_value_matches_itself(value: Any) -> None:
    assert ht.matches(value, value)
    assert not ht.matches({"not": value}, value)


@given(st.text(max_size=20), st.text(max_size=20))
def test_contains_is_substring(hay: str, needle: str) -> None:
    assert ht.matches({"contains": needle}, hay) == (needle in hay)


def test_normalize_turns_bigdecimal_numbers_into_decimals() -> None:
    from scriptengine.values import to_json

    normalized = ht.normalize(report(result=to_json(Decimal("3.10"))))
    assert normalized["result"] == Decimal("3.10")
    assert ht.matches(3.1, normalized["result"])


# --- comparing a report -------------------------------------------------------------------


def test_the_acceptance_case_passes() -> None:
    expect = {
        "result_text": "null",
        "created_count": 3,
        "queued_count": 0,
        "created": [
            {
                "type": "SubmittedDocument",
                "count": 1,
                "fields": {
                    "state": "NEW",
                    "attachmentNames": "faktura č. 1.pdf, dodací list.pdf",
                    "note": {"matches": rf"^email přijatý od {SENDER} \(id \d+ \)$"},
                    "attachments": {"length": 2},
                },
            },
            {"type": "SubmittedDocumentAttachment", "count": 2},
        ],
        "not_created": [{"type": "Invoice"}],
    }
    assert ht.compare(expect, ht.normalize(invoice_report())) == []


def test_a_wrong_field_names_the_record_and_field_with_both_values() -> None:
    expect = {"created": [{"type": "SubmittedDocument", "fields": {"state": "DONE"}}]}
    [m] = ht.compare(expect, invoice_report())
    assert m.where == "created[SubmittedDocument].state"
    assert m.expected == "DONE"
    assert m.actual == {"type": "State", "code": "NEW", "id": 1}


def test_a_missing_record_type_reports_what_was_created() -> None:
    [m] = ht.compare({"created": [{"type": "Invoice"}]}, invoice_report())
    assert m.where == "created[Invoice]"
    assert "2 SubmittedDocumentAttachment" in m.note


def test_count_of_matching_records_is_exact() -> None:
    expect = {"created": [{"type": "SubmittedDocumentAttachment", "count": 1}]}
    [m] = ht.compare(expect, invoice_report())
    assert m.actual == "2 record(s)"


def test_not_created_fails_when_such_a_record_exists() -> None:
    expect = {"not_created": [{"type": "SubmittedDocument", "fields": {"state": "NEW"}}]}
    assert where(ht.compare(expect, invoice_report())) == ["not_created[SubmittedDocument]"]
    expect = {"not_created": [{"type": "SubmittedDocument", "fields": {"state": "DONE"}}]}
    assert ht.compare(expect, invoice_report()) == []


def test_nothing_means_nothing_created_changed_or_queued() -> None:
    assert ht.compare({"nothing": True}, report()) == []
    assert where(ht.compare({"nothing": True}, invoice_report())) == ["nothing (created)"]
    changed = report(changed=[{"type": "ReceivedEmail", "id": 1, "fields": {"note": "x"}}])
    assert where(ht.compare({"nothing": True}, changed)) == ["nothing (changed)"]


def test_changed_records_match_their_changed_fields() -> None:
    changed = report(changed=[{"type": "ReceivedEmail", "id": 1, "fields": {"note": "seen"}}])
    assert (
        ht.compare({"changed": [{"type": "ReceivedEmail", "fields": {"note": "seen"}}]}, changed)
        == []
    )
    [m] = ht.compare({"changed": [{"type": "ReceivedEmail", "fields": {"note": "x"}}]}, changed)
    assert (m.where, m.expected, m.actual) == ("changed[ReceivedEmail].note", "x", "seen")


def test_queued_mail_by_recipient_and_subject_pattern() -> None:
    queued = report(
        queued=[
            {
                "to": ["Jana <jana@example.cz>", "ucetni@firma.cz"],
                "cc": [],
                "subject": "Re: Faktura 17",
                "messageId": "<1@x>",
            }
        ]
    )
    ok = {"queued": [{"to": "jana@example.cz", "subject": {"matches": "^Re: Faktura"}}]}
    assert ht.compare(ok, queued) == []
    assert (
        ht.compare({"queued": [{"to": ["Jana <jana@example.cz>", "ucetni@firma.cz"]}]}, queued)
        == []
    )
    bad = {"queued": [{"to": "petr@example.cz"}]}
    assert where(ht.compare(bad, queued)) == ["queued #1"]
    assert where(ht.compare({"queued": [{"subject": "x", "count": 0}]}, queued)) == []
    assert where(ht.compare({"queued_count": 2}, queued)) == ["queued_count"]


def test_an_unexpected_error_fails_and_stops_the_other_checks() -> None:
    error = {"type": "runtime", "message": "boom", "file": "h.jexl", "line": 3, "column": 5}
    [m] = ht.compare({"result": 1, "created_count": 1}, report(error=error))
    assert m.where == "error" and m.actual == error


def test_an_expected_error_with_its_line() -> None:
    error = {
        "type": "runtime",
        "message": "unknown field 'nte'",
        "file": "h.jexl",
        "line": 3,
        "column": 5,
    }
    assert ht.compare({"error": {"line": 3, "message": "unknown field"}}, report(error=error)) == []
    assert where(ht.compare({"error": {"line": 4}}, report(error=error))) == ["error.line"]
    assert where(ht.compare({"error": {"type": "compile"}}, report(error=error))) == ["error.type"]
    [m] = ht.compare({"error": {"line": 3}}, report(result=1))
    assert m.where == "error" and m.note == "the run succeeded"


def test_result_by_json_value_and_by_text() -> None:
    assert ht.compare({"result": 42}, report(result=42)) == []
    assert ht.compare({"result": {"a": [1, 2]}}, report(result={"a": [1, 2], "b": 3})) == []
    assert where(ht.compare({"result": 41}, report(result=42))) == ["result"]
    assert ht.compare({"result_text": "null"}, report()) == []
    assert ht.compare({"result_text": "true"}, report(result=True)) == []
    assert ht.compare({"result_text": "INVOICES"}, report(result="INVOICES")) == []
    assert where(ht.compare({"result_text": "null"}, report(result=0))) == ["result_text"]


def test_logs_exact_and_contained() -> None:
    logged = report(logs=["routing to INVOICES", "done"])
    assert ht.compare({"logs": ["routing to INVOICES", "done"]}, logged) == []
    assert ht.compare({"log_contains": "INVOICES"}, logged) == []
    assert ht.compare({"log_contains": ["INVOICES", "done"]}, logged) == []
    assert where(ht.compare({"log_contains": "SALES"}, logged)) == ["log_contains"]
    assert where(ht.compare({"logs": ["done"]}, logged)) == ["logs"]


def test_warnings_count() -> None:
    assert ht.compare({"warnings_count": 0}, report()) == []
    assert where(ht.compare({"warnings_count": 0}, report(warnings=["h:1:1: x"]))) == [
        "warnings_count"
    ]


# --- the file format ----------------------------------------------------------------------


def test_a_file_of_several_tests_inherits_script_and_purpose(
    handler_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(handler_dir)
    path = write(
        handler_dir,
        "invoices.test.toml",
        """
purpose = "INVOICES"

[[test]]
name = "invoice"
eml = "mail/invoice.eml"
expect.created = [{ type = "SubmittedDocument" }]

[[test]]
name = "other purpose"
purpose = "GENERAL"
eml = "mail/invoice.eml"
expect = { nothing = true }
""",
    )
    first, second = ht.load_file(path)
    assert first.name == "invoice" and second.name == "other purpose"
    assert first.script == handler_dir / "invoices.jexl"
    assert first.purpose == "INVOICES" and second.purpose == "GENERAL"
    assert first.eml == handler_dir / "mail" / "invoice.eml"
    assert first.expect == {"created": [{"type": "SubmittedDocument"}]}
    assert first.label == "invoices.test.toml: invoice"
    monkeypatch.chdir(handler_dir.parent)
    assert first.label == f"{handler_dir.name}/invoices.test.toml: invoice"


def test_a_file_of_one_test_is_named_after_the_file(handler_dir: Path) -> None:
    path = write(
        handler_dir, "invoices.test.toml", 'eml = "mail/invoice.eml"\nexpect.nothing = true\n'
    )
    [test] = ht.load_file(path)
    assert test.name == "invoices" and test.purpose is None
    assert test.expect == {"nothing": True}


def test_the_folder_s_only_handler_is_the_default(tmp_path: Path) -> None:
    write(tmp_path, "handler.jexl", "1")
    write(tmp_path, "a.eml", "Subject: x\n\nx\n")
    path = write(tmp_path, "routing.test.toml", 'eml = "a.eml"\n')
    assert ht.load_file(path)[0].script == tmp_path / "handler.jexl"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "eml = 'mail/invoice.eml'\nexpekt = {}\n",
            "unknown key 'expekt' (did you mean 'expect'?)",
        ),
        (
            "eml = 'mail/invoice.eml'\nexpect.creatd = []\n",
            "unknown key 'creatd' (did you mean 'created'?)",
        ),
        ("eml = 'nope.eml'\n", "e-mail file nope.eml not found"),
        ("script = 'nope.jexl'\neml = 'mail/invoice.eml'\n", "handler nope.jexl not found"),
        (
            "eml = 'mail/invoice.eml'\n[message]\nsubject = 'x'\n",
            "give 'eml' or 'message', not both",
        ),
        ("eml = 'mail/invoice.eml'\nexpect.created = [{ fields = {} }]\n", "needs a 'type'"),
        ("eml = 'mail/invoice.eml'\nexpect.error = 3\n", "expect.error must be a table"),
        ("eml = = 1\n", "not valid TOML"),
        ("test = 1\n", "must be an array of tables"),
        ("[message]\nsubjet = 'x'\n", "message: unknown key 'subjet'"),
        ("[[message.attachments]]\nname = 'a.txt'\n", "exactly one of 'file', 'text' or 'base64'"),
    ],
)
def test_format_errors_name_the_file_and_the_problem(
    handler_dir: Path, text: str, message: str
) -> None:
    path = write(handler_dir, "invoices.test.toml", text)
    with pytest.raises(ht.TestFormatError) as info:
        ht.load_file(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_a_handler_that_cannot_be_guessed_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.jexl", "1")
    write(tmp_path, "b.jexl", "2")
    write(tmp_path, "x.eml", "Subject: x\n\nx\n")
    path = write(tmp_path, "c.test.toml", 'eml = "x.eml"\n')
    with pytest.raises(ht.TestFormatError, match="which handler"):
        ht.load_file(path)


def test_discover_finds_test_files_recursively_skipping_hidden_folders(tmp_path: Path) -> None:
    a = write(tmp_path, "a/x.test.toml", "")
    b = write(tmp_path, "b/c/y.test.toml", "")
    write(tmp_path, ".hidden/z.test.toml", "")
    write(tmp_path, "a/not-a-test.toml", "")
    assert ht.discover(tmp_path) == [a, b]
    assert ht.discover(a) == [a]
    with pytest.raises(ht.TestFormatError, match="no such file or folder"):
        ht.discover(tmp_path / "nope")


# --- inline messages ----------------------------------------------------------------------


def test_an_inline_message_becomes_a_parsable_email(tmp_path: Path) -> None:
    (tmp_path / "f.pdf").write_bytes(b"%PDF-1.4 fake")
    raw = ht.build_message(
        {
            "from": "Jana Nováková <jana@example.cz>",
            "to": ["faktury@firma.cz", "ucetni@firma.cz"],
            "cc": "sef@firma.cz",
            "subject": "Faktura č. 17",
            "body": "Dobrý den, posílám fakturu.",
            "html": "<p>Dobrý den</p>",
            "headers": {"X-Priority": "1"},
            "attachments": [
                {"name": "faktura č. 1.pdf", "content_type": "application/pdf", "file": "f.pdf"},
                {"name": "poznámka.txt", "text": "zaplaceno"},
                {"name": "a.bin", "base64": "AAEC"},
            ],
        },
        tmp_path,
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Faktura č. 17"
    assert msg["From"].addresses[0].addr_spec == "jana@example.cz"
    assert msg["To"].addresses[1].addr_spec == "ucetni@firma.cz"
    assert msg["Cc"] == "sef@firma.cz"
    assert msg["X-Priority"] == "1"
    assert msg.get_body(("plain",)).get_content().strip() == "Dobrý den, posílám fakturu."
    assert "Dobrý den" in msg.get_body(("html",)).get_content()
    files = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert files["faktura č. 1.pdf"] == b"%PDF-1.4 fake"
    assert files["poznámka.txt"].strip() == "zaplaceno"
    assert files["a.bin"] == b"\x00\x01\x02"


def test_an_inline_raw_message_is_kept_as_written(tmp_path: Path) -> None:
    assert ht.build_message({"raw": "Subject: x\n\nbody\n"}, tmp_path) == b"Subject: x\n\nbody\n"


def test_the_store_s_parser_reads_an_inline_message(tmp_path: Path) -> None:
    from mailstore.mime import parse_email

    raw = ht.build_message(
        {"subject": "Faktura", "attachments": [{"name": "dodací list.pdf", "base64": "JVBERg=="}]},
        tmp_path,
    )
    parsed = parse_email(raw)
    assert parsed.subject == "Faktura"
    assert [a.filename for a in parsed.attachments] == ["dodací list.pdf"]


# --- running and the command --------------------------------------------------------------


def fake_executor(reports: dict[str, dict[str, Any]]) -> ht.Executor:
    """Gives the report registered under the test's name; raises for an unknown name."""

    def execute(test: ht.HandlerTest) -> dict[str, Any]:
        if test.name not in reports:
            raise RuntimeError(f"no report for {test.name}")
        return reports[test.name]

    return execute


SUITE = """
purpose = "INVOICES"

[[test]]
name = "invoice"
eml = "mail/invoice.eml"
[test.expect]
created_count = 3
[[test.expect.created]]
type = "SubmittedDocument"
fields = { state = "NEW", attachmentNames = "faktura č. 1.pdf, dodací list.pdf" }

[[test]]
name = "wrong note"
eml = "mail/invoice.eml"
[[test.expect.created]]
type = "SubmittedDocument"
fields = { note = "nic" }

[[test]]
name = "crashes"
eml = "mail/invoice.eml"
"""


def test_run_tests_gives_pass_fail_and_error(handler_dir: Path) -> None:
    tests = ht.load_file(write(handler_dir, "invoices.test.toml", SUITE))
    outcomes = ht.run_tests(
        tests, fake_executor({"invoice": invoice_report(), "wrong note": invoice_report()})
    )
    assert [o.status for o in outcomes] == ["PASS", "FAIL", "ERROR"]
    assert outcomes[2].crash == "no report for crashes"
    assert ht.summary(outcomes) == "1 passed, 1 failed, 1 could not run"
    lines = ht.failure_lines(outcomes[1])
    assert lines[0].startswith("created[SubmittedDocument].note")
    assert lines[1] == '  - expected: "nic"'
    assert lines[2] == f'  + actual:   "email přijatý od {SENDER} (id 3 )"'


def test_failure_lines_show_an_unexpected_error_with_its_caret(handler_dir: Path) -> None:
    write(handler_dir, "invoices.jexl", "var d = createNew('SubmittedDocument');\nd.nte = 1\n")
    [test] = ht.load_file(write(handler_dir, "invoices.test.toml", 'eml = "mail/invoice.eml"\n'))
    error = {
        "type": "runtime",
        "message": "unknown field 'nte'",
        "file": "invoices.jexl",
        "line": 2,
        "column": 3,
    }
    outcome = ht.run_test(test, lambda t: report(error=error))
    assert ht.failure_lines(outcome) == [
        "unexpected error:",
        "  invoices.jexl:2:3: unknown field 'nte'",
        "      d.nte = 1",
        "        ^",
    ]


def test_failure_lines_end_with_the_handler_s_logs(handler_dir: Path) -> None:
    [test] = ht.load_file(
        write(handler_dir, "invoices.test.toml", 'eml = "mail/invoice.eml"\nexpect.result = 1\n')
    )
    logs = [f"line {i}" for i in range(12)]
    outcome = ht.run_test(test, lambda t: report(result=2, logs=logs))
    lines = ht.failure_lines(outcome)
    assert lines[:3] == ["result", "  - expected: 1", "  + actual:   2"]
    assert lines[3:6] == ["the handler logged:", "  line 0", "  line 1"]
    assert lines[-2:] == ["  line 9", "  ... and 2 more"]


def test_the_command_prints_a_table_and_diffs_and_exits_1(
    handler_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(handler_dir, "invoices.test.toml", SUITE)
    reports = {"invoice": invoice_report(), "wrong note": invoice_report()}
    monkeypatch.setattr(
        "runtime.commands.test.runner_executor", lambda **kw: fake_executor(reports)
    )
    monkeypatch.chdir(handler_dir)
    assert main(["test"]) == 1
    out = capsys.readouterr().out
    assert "PASS" in out and "FAIL" in out and "ERROR" in out
    assert "FAIL invoices.test.toml: wrong note" in out
    assert '- expected: "nic"' in out
    assert "could not run: no report for crashes" in out
    assert out.rstrip().endswith("1 passed, 1 failed, 1 could not run")


def test_the_command_exits_0_when_all_pass(
    handler_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        handler_dir, "invoices.test.toml", 'eml = "mail/invoice.eml"\nexpect.nothing = true\n'
    )
    monkeypatch.setattr(
        "runtime.commands.test.runner_executor",
        lambda **kw: fake_executor({"invoices": report()}),
    )
    assert main(["test", str(path)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("1 passed, 0 failed")


def test_the_command_prints_json(
    handler_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(handler_dir, "invoices.test.toml", SUITE)
    reports = {"invoice": invoice_report(), "wrong note": invoice_report()}
    monkeypatch.setattr(
        "runtime.commands.test.runner_executor", lambda **kw: fake_executor(reports)
    )
    monkeypatch.chdir(handler_dir)
    assert main(["test", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["passed"], out["failed"], out["errors"]) == (1, 1, 1)
    assert [t["status"] for t in out["tests"]] == ["PASS", "FAIL", "ERROR"]
    assert out["tests"][1]["file"] == "invoices.test.toml"
    assert out["tests"][1]["mismatches"] == [
        {
            "where": "created[SubmittedDocument].note",
            "expected": "nic",
            "actual": f"email přijatý od {SENDER} (id 3 )",
            "note": "closest: id 7",
        }
    ]
    assert out["tests"][2]["crash"] == "no report for crashes"


def test_the_command_selects_tests_with_k(
    handler_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(handler_dir, "invoices.test.toml", SUITE)
    reports = {"invoice": invoice_report(), "wrong note": invoice_report()}
    monkeypatch.setattr(
        "runtime.commands.test.runner_executor", lambda **kw: fake_executor(reports)
    )
    assert main(["test", str(handler_dir), "-k", "NOTE"]) == 1  # only "wrong note" runs
    assert capsys.readouterr().out.rstrip().endswith("0 passed, 1 failed")
    assert main(["test", str(handler_dir), "-k", "nope"]) == 1
    assert "matching 'nope'" in capsys.readouterr().out


def test_the_command_reports_format_errors_as_usage(
    handler_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(handler_dir, "invoices.test.toml", "expekt = 1\n")
    assert main(["test", str(handler_dir)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'expekt'" in err and "Traceback" not in err


def test_the_command_with_no_tests_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", str(tmp_path)]) == 1
    assert "no handler tests" in capsys.readouterr().out


def test_runner_executor_passes_the_test_s_email_and_purpose(
    handler_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The executor calls run_file with the keywords it accepts: the e-mail (an inline one
    written to a file), the purpose, a dry run."""
    seen: dict[str, Any] = {}

    class FakeReport:
        def to_json_obj(self) -> dict[str, Any]:
            return report(result=seen["eml_text"])

    def run_file(
        filename: str, source: str, *, eml: bytes, purpose: str | None = None, commit: bool = False
    ) -> FakeReport:
        seen.update(filename=filename, source=source, purpose=purpose, commit=commit)
        seen["eml_text"] = eml.decode("utf-8")
        return FakeReport()

    monkeypatch.setattr("runtime.runner.run_file", run_file)
    path = write(
        handler_dir,
        "invoices.test.toml",
        'purpose = "INVOICES"\n[message]\nraw = "Subject: inline\\n\\nx\\n"\n',
    )
    [test] = ht.load_file(path)
    result = ht.runner_executor()(test)
    assert seen["purpose"] == "INVOICES" and seen["commit"] is False
    assert seen["filename"] == str(handler_dir / "invoices.jexl")
    assert seen["source"] == "createNew('SubmittedDocument')\n"
    assert seen["source"] == "createNew('SubmittedDocument')\n"
    assert json.loads(json.dumps(result))["result"] == "Subject: inline\n\nx\n"


# --- the guide's examples ----------------------------------------------------------------

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "handler-tests.md"
INVOICES = Path(__file__).resolve().parents[2] / "examples" / "invoices"


def guide_blocks() -> list[tuple[str, str]]:
    text = GUIDE.read_text(encoding="utf-8")
    return [
        (f"handler-tests.md:{text.count(chr(10), 0, m.start()) + 2}", m.group(1))
        for m in re.finditer(r"```toml\n(.*?)```", text, re.S)
    ]


GUIDE_BLOCKS = guide_blocks()


def test_the_guide_has_examples() -> None:
    assert len(GUIDE_BLOCKS) >= 4


@pytest.mark.parametrize(("where", "block"), GUIDE_BLOCKS, ids=[w for w, _ in GUIDE_BLOCKS])
def test_the_guide_s_examples_pass_on_the_invoices_example(
    where: str, block: str, tmp_path: Path
) -> None:
    """Each ``toml`` block of docs/handler-tests.md is a test file for examples/invoices that
    passes against the real runner."""
    import shutil

    folder = tmp_path / "invoices"
    shutil.copytree(INVOICES, folder)
    path = write(folder, "guide.test.toml", block)
    tests = ht.load_file(path)
    outcomes = ht.run_tests(tests, ht.runner_executor())
    for outcome in outcomes:
        assert outcome.passed, "\n".join([where, outcome.test.label, *ht.failure_lines(outcome)])


def test_a_removed_record_is_expected_with_removed_true() -> None:
    gone = report(changed=[{"type": "SubmittedDocument", "id": 4, "fields": {}, "removed": True}])
    assert ht.compare({"changed": [{"type": "SubmittedDocument", "removed": True}]}, gone) == []
    edited = report(changed=[{"type": "SubmittedDocument", "id": 4, "fields": {"note": "x"}}])
    [m] = ht.compare({"changed": [{"type": "SubmittedDocument", "removed": True}]}, edited)
    assert (m.where, m.expected, m.actual) == (
        "changed[SubmittedDocument]",
        "at least 1 removed record(s)",
        "0 record(s)",
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "expect.created = [{ type = 'A', feilds = {} }]",
            "unknown key 'feilds' (did you mean 'fields'?)",
        ),
        ("expect.not_created = [{ type = 'A', count = 1 }]", "unknown key 'count'"),
        ("expect.queued = [{ subjet = 'x' }]", "unknown key 'subjet' (did you mean 'subject'?)"),
        ("expect.error = { lines = 3 }", "unknown key 'lines' (did you mean 'line'?)"),
    ],
)
def test_mistyped_keys_of_entries_are_errors_not_weaker_tests(
    handler_dir: Path, entry: str, message: str
) -> None:
    path = write(handler_dir, "invoices.test.toml", f"eml = 'mail/invoice.eml'\n{entry}\n")
    with pytest.raises(ht.TestFormatError, match=re.escape(message)):
        ht.load_file(path)


@pytest.mark.parametrize(
    "date",
    [
        dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "2026-11-27T10:00:00+01:00",
    ],
)
def test_an_inline_date_becomes_a_date_header(tmp_path: Path, date: Any) -> None:
    raw = ht.build_message({"date": date}, tmp_path)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Date"].datetime == dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


# --- properties: a report meets the expectations written from it ------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=12))
_field_values = st.one_of(
    _scalars,
    st.builds(
        lambda c, i: {"type": "State", "code": c, "id": i},
        st.sampled_from(["NEW", "DONE"]),
        st.integers(1, 9),
    ),
    st.lists(st.builds(lambda i: {"type": "Item", "id": i}, st.integers(1, 99)), max_size=3),
)
_records = st.lists(
    st.builds(
        lambda t, i, f: {"type": t, "id": i, "fields": f},
        st.sampled_from(["SubmittedDocument", "SubmittedDocumentAttachment"]),
        st.integers(1, 999),
        st.dictionaries(
            st.sampled_from(["note", "state", "total", "items", "flag"]), _field_values, max_size=4
        ),
    ),
    max_size=4,
)


def _as_toml(value: Any) -> Any:
    """How a test writer states an actual JSON value in TOML (null as the null operator)."""
    if value is None:
        return {"null": True}
    if isinstance(value, list):
        return [_as_toml(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_toml(v) for k, v in value.items()}
    return value


def _exact_expectations(actual: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_count": len(actual["created"]),
        "created": [
            {"type": r["type"], "fields": _as_toml(r["fields"])} for r in actual["created"]
        ],
        "logs": actual["logs"],
        "result": _as_toml(actual["result"]) if actual["result"] is not None else 0,
    }


@given(
    _records, st.lists(st.text(max_size=8), max_size=3), _scalars.filter(lambda v: v is not None)
)
def test_a_report_meets_expectations_written_from_it(
    created: list[dict[str, Any]], logs: list[str], result: Any
) -> None:
    actual = ht.normalize(report(created=created, logs=logs, result=result))
    assert ht.compare(_exact_expectations(actual), actual) == []


@given(_records.filter(lambda rs: any(r["fields"] for r in rs)), st.data())
def test_changing_any_expected_field_is_noticed(created: list[dict[str, Any]], data: Any) -> None:
    actual = ht.normalize(report(created=created))
    expect = {"created": [{"type": r["type"], "fields": _as_toml(r["fields"])} for r in created]}
    index = data.draw(st.sampled_from([i for i, r in enumerate(created) if r["fields"]]))
    fields = expect["created"][index]["fields"]
    name = data.draw(st.sampled_from(sorted(fields)))
    fields[name] = "§ a value no report holds §"
    mismatches = ht.compare(expect, actual)
    assert [m.where for m in mismatches] == [f"created[{created[index]['type']}].{name}"]


def test_tests_run_against_the_configured_store_and_leave_nothing_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a mailwright.toml, tests see its store (here: the account of purpose INVOICES
    the test names) and every run is rolled back."""
    import shutil

    from mailstore import models as m
    from mailstore.api import Store
    from mailstore.config import load_config

    write(
        tmp_path,
        "mailwright.toml",
        '[database]\nurl = "sqlite:///mailwright.db"\n[storage]\nblobs = "blobs"\n',
    )
    config = load_config(tmp_path / "mailwright.toml")
    store = Store.open(config, migrate=True)
    m.MailAccount.create(name="faktury", address="faktury@firma.cz", purpose="INVOICES")
    store.close()
    shutil.copytree(INVOICES, tmp_path / "invoices")
    write(
        tmp_path / "invoices",
        "handler.test.toml",
        """
account = "faktury"
eml = "invoice.eml"
[[expect.created]]
type = "SubmittedDocument"
count = 1
""",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    assert main(["test", "invoices"]) == 0, capsys.readouterr().out
    store = Store.open(load_config(tmp_path / "mailwright.toml"))
    try:
        assert m.ReceivedEmail.select().count() == 0
        assert store.model("SubmittedDocument").select().count() == 0
    finally:
        store.close()
