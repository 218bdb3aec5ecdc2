"""``mailwright run`` with e-mails and the store: the acceptance case of the issue, dry runs
and commits, the ScriptRun row, accounts and purposes, configuration."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config, load_config
from runtime.cli import main
from runtime.commands.init import HANDLER, init_folder
from runtime.context import context_for
from runtime.runner import run_file

# the store fixtures of tests/mailstore (SQLite always, PostgreSQL when configured)
from tests.mailstore.conftest import db_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
INVOICES = ROOT / "examples" / "invoices"
ORIGINAL = ROOT.parent / "shared" / "000_d6b9520a723f721c.txt"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    status = main(["run", *args, "--json"])
    captured = capsys.readouterr()
    assert captured.out, captured.err
    return status, json.loads(captured.out)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def ctx(db_url: str, tmp_path: Path):  # noqa: F811
    """An open store (SQLite, and PostgreSQL when configured) as run_file's context."""
    config = Config(path=None, database_url=db_url, blob_dir=tmp_path / "blobs")
    store = Store.open(config, migrate=True)
    context = context_for(config, store)
    try:
        yield context
    finally:
        context.close()


# --- the acceptance case ------------------------------------------------------------------


def test_the_example_is_the_original_verbatim() -> None:
    text = (INVOICES / "handler.jexl").read_text(encoding="utf-8")
    assert text == HANDLER
    if ORIGINAL.exists():  # the original product's documentation, where it is available
        original = ORIGINAL.read_text(encoding="utf-8")
        assert text.rstrip("\n").rsplit("\n", 1)[0] in original  # all but the closing brace


@pytest.mark.parametrize("eml", ["invoice.eml", "invoice-signed.eml"])
def test_acceptance_invoices_account_makes_one_document(capsys, eml: str) -> None:
    status, report = run_json(
        capsys,
        str(INVOICES / "handler.jexl"),
        "--eml",
        str(INVOICES / eml),
        "--purpose",
        "INVOICES",
    )
    assert status == 0, report["error"]
    assert report["error"] is None
    docs = [c for c in report["created"] if c["type"] == "SubmittedDocument"]
    atts = [c for c in report["created"] if c["type"] == "SubmittedDocumentAttachment"]
    assert len(docs) == 1 and len(atts) == 2 and len(report["created"]) == 3
    doc = docs[0]
    fields = doc["fields"]
    assert fields["state"] == {"type": "State", "code": "NEW", "id": fields["state"]["id"]}
    assert fields["attachmentNames"] == "faktura č. 1.pdf, dodací list.pdf"
    # the e-mail's id is the one assigned inside the (rolled back) transaction
    assert fields["note"] == "email přijatý od jana@dodavatel.cz (id 1 )"
    assert fields["attachments"] == [
        {"type": "SubmittedDocumentAttachment", "id": a["id"]} for a in atts
    ]
    for att, name in zip(atts, ["faktura č. 1.pdf", "dodací list.pdf"]):
        assert att["fields"]["document"] == {"type": "SubmittedDocument", "id": doc["id"]}
        assert att["fields"]["attachedFile"]["name"] == name
        assert att["fields"]["attachedFile"]["contentType"] == "application/pdf"
        assert len(att["fields"]["attachedFile"]["sha256"]) == 64
    assert report["changed"] == [] and report["queued"] == []


@pytest.mark.parametrize("eml", ["invoice.eml", "invoice-signed.eml"])
def test_acceptance_other_purpose_makes_nothing(capsys, eml: str) -> None:
    status, report = run_json(
        capsys, str(INVOICES / "handler.jexl"), "--eml", str(INVOICES / eml), "--purpose", "GENERAL"
    )
    assert status == 0
    assert report["created"] == [] and report["changed"] == [] and report["queued"] == []


def test_acceptance_no_purpose_means_general(capsys) -> None:
    status, report = run_json(
        capsys, str(INVOICES / "handler.jexl"), "--eml", str(INVOICES / "invoice.eml")
    )
    assert status == 0 and report["created"] == []


def test_acceptance_no_attachments_gives_null_and_nothing(capsys) -> None:
    status, report = run_json(
        capsys,
        str(INVOICES / "handler.jexl"),
        "--eml",
        str(INVOICES / "no-attachments.eml"),
        "--purpose",
        "INVOICES",
    )
    assert status == 0
    assert report["result"] is None
    assert report["created"] == [] and report["changed"] == [] and report["queued"] == []


def test_acceptance_script_error_shows_caret_and_keeps_nothing(tmp_path, capsys) -> None:
    folder = tmp_path / "setup"
    init_folder(folder)
    bad = HANDLER.replace("sd.note =", "sd.noet =")
    script = write(folder, "bad.jexl", bad)
    status = main(
        [
            "run",
            script,
            "--eml",
            str(folder / "samples" / "invoice.eml"),
            "--purpose",
            "INVOICES",
            "--commit",
            "--config",
            str(folder / "mailwright.toml"),
        ]
    )
    out = capsys.readouterr().out
    assert status == 1
    line = bad.splitlines().index(next(x for x in bad.splitlines() if "sd.noet" in x)) + 1
    assert f"{script}:{line}:" in out
    assert "unknown field 'noet' of SubmittedDocument" in out and "note" in out
    assert "    sd.noet = `email" in out and "^" in out
    with Store.open(load_config(folder / "mailwright.toml")) as store:
        assert store.count("SubmittedDocument") == 0
        assert store.count("SubmittedDocumentAttachment") == 0
        assert store.count("ReceivedEmail") == 0
        assert store.count("AttachedFile") == 0
        assert store.count("MailAccount") == 0
        # ... but its ScriptRun row, written after the rollback
        runs = store.records("ScriptRun")
        assert len(runs) == 1
        run = runs[0]
        assert run.outcome == "runtime" and run.committed is False
        assert "noet" in run.errorMessage
        assert run.errorLine == line and run.errorColumn >= 1
        assert run.receivedEmail is None
        assert run.scriptName == script


# --- transactions ---------------------------------------------------------------------------


def test_dry_run_rolls_back_and_commit_keeps(ctx) -> None:
    raw = (INVOICES / "invoice.eml").read_bytes()
    dry = run_file("h.jexl", HANDLER, eml=raw, purpose="INVOICES", context=ctx)
    assert dry.error is None and not dry.committed and len(dry.created) == 3
    assert ctx.store.count("SubmittedDocument") == 0
    assert ctx.store.count("ReceivedEmail") == 0
    assert ctx.store.count("ScriptRun") == 0  # a dry run leaves no trace at all
    kept = run_file("h.jexl", HANDLER, eml=raw, purpose="INVOICES", context=ctx, commit=True)
    assert kept.error is None and kept.committed
    docs = ctx.store.records("SubmittedDocument")
    assert [d.attachmentNames for d in docs] == ["faktura č. 1.pdf, dodací list.pdf"]
    assert docs[0].id == kept.created[0]["id"]
    assert ctx.store.count("SubmittedDocumentAttachment", document=docs[0]) == 2
    runs = ctx.store.records("ScriptRun")
    assert len(runs) == 1 and runs[0].outcome == "ok" and runs[0].committed
    assert runs[0].receivedEmail.id == kept.email_id
    assert runs[0].created[0] == {"type": "SubmittedDocument", "id": docs[0].id}
    assert len(runs[0].created) == 3


def test_shared_file_is_not_copied(ctx) -> None:
    raw = (INVOICES / "invoice.eml").read_bytes()
    report = run_file("h.jexl", HANDLER, eml=raw, purpose="INVOICES", context=ctx, commit=True)
    assert report.error is None
    # two attachments of the e-mail, two of the document: still two AttachedFile rows
    assert ctx.store.count("AttachedFile") == 2
    att = ctx.store.records("SubmittedDocumentAttachment")[0]
    part = ctx.store.records("ReceivedEmailAttachment")[0]
    assert att.attachedFile.id == part.attachedFile.id


def test_failed_run_keeps_its_script_run_with_steps_and_logs(ctx) -> None:
    source = "log('before');\nvar x = 1;\nx / 0;\n"
    report = run_file("f.jexl", source, context=ctx, commit=True)
    assert report.error is not None and not report.committed
    run = ctx.store.records("ScriptRun")[0]
    assert run.outcome == "runtime"
    assert (run.errorLine, run.logLines) == (3, ["before"])
    assert run.steps == report.steps
    assert run.durationMs >= 0


def test_limit_error_is_recorded_as_limit(ctx) -> None:
    from scriptengine import Limits

    report = run_file(
        "l.jexl", "while (true) { }", context=ctx, commit=True, limits=Limits(steps=1000)
    )
    assert report.error is not None and report.error.kind == "limit"
    assert ctx.store.records("ScriptRun")[0].outcome == "limit"


def test_compile_error_under_commit_is_recorded(ctx) -> None:
    report = run_file("c.jexl", "var = ;", context=ctx, commit=True)
    assert report.error is not None and report.error.kind == "compile"
    run = ctx.store.records("ScriptRun")[0]
    assert run.outcome == "compile" and run.errorLine == 1


def test_changed_lists_only_changed_fields(ctx) -> None:
    setup = "var d = createNew('SubmittedDocument'); d.note = 'a'; persist(d); d.id"
    first = run_file("s.jexl", setup, context=ctx, commit=True)
    doc_id = int(first.result)
    script = f"var d = find('SubmittedDocument', {doc_id}); d.attachmentNames = 'x.pdf'; persist(d)"
    report = run_file("c.jexl", script, context=ctx)
    assert report.error is None
    assert report.created == []
    assert report.changed == [
        {"type": "SubmittedDocument", "id": doc_id, "fields": {"attachmentNames": "x.pdf"}}
    ]


def test_changed_stored_records_are_saved_without_persist(ctx) -> None:
    raw = (INVOICES / "no-attachments.eml").read_bytes()
    report = run_file("n.jexl", "entity.note = 'seen'", eml=raw, context=ctx, commit=True)
    assert report.error is None
    assert report.changed == [
        {"type": "ReceivedEmail", "id": report.email_id, "fields": {"note": "seen"}}
    ]
    assert ctx.store.get("ReceivedEmail", report.email_id).note == "seen"


def test_same_eml_twice_is_one_email(ctx) -> None:
    raw = (INVOICES / "invoice.eml").read_bytes()
    a = run_file("a.jexl", "entity.id", eml=raw, context=ctx, commit=True)
    b = run_file("b.jexl", "entity.id", eml=raw, context=ctx, commit=True)
    assert a.result == b.result == a.email_id
    assert ctx.store.count("ReceivedEmail") == 1


def test_queued_mail_in_report_and_rolled_back(ctx) -> None:
    raw = (INVOICES / "invoice.eml").read_bytes()
    script = "reply(entity, 'Děkujeme, fakturu jsme přijali.')"
    report = run_file("r.jexl", script, eml=raw, context=ctx)
    assert report.error is None
    [queued] = report.queued
    assert queued["to"] == ["jana@dodavatel.cz"] and queued["cc"] == []
    assert queued["subject"] == "Re: Faktura č. 1"
    assert queued["messageId"].startswith("<") and queued["messageId"] == report.result
    assert ctx.store.count("SentEmail") == 0


# --- accounts, purposes, configuration --------------------------------------------------------


def test_purpose_is_seen_by_the_script(capsys, tmp_path) -> None:
    script = write(
        tmp_path, "p.jexl", "var p = entity.mailAccount.purpose; [p.name(), p == 'ROBOT']"
    )
    status, report = run_json(
        capsys, script, "--eml", str(INVOICES / "invoice.eml"), "--purpose", "ROBOT"
    )
    assert status == 0 and report["result"] == ["ROBOT", True]


def test_bad_purpose_is_usage_error(capsys, tmp_path) -> None:
    script = write(tmp_path, "p.jexl", "1")
    assert main(["run", script, "--purpose", "invoices"]) == 2
    assert "upper-case" in capsys.readouterr().err


def test_missing_eml_is_usage_error(capsys, tmp_path) -> None:
    script = write(tmp_path, "p.jexl", "1")
    assert main(["run", script, "--eml", str(tmp_path / "nope.eml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_account_needs_a_config(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    script = write(tmp_path, "p.jexl", "1")
    assert main(["run", script, "--account", "faktury"]) == 2
    assert "--account" in capsys.readouterr().err


def test_configured_account_by_name(capsys, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "setup"
    init_folder(folder)
    config = load_config(folder / "mailwright.toml")
    with Store.open(config):
        m.MailAccount.create(
            name="faktury", address="faktury@odberatel.cz", purpose="INVOICES", host="imap.x"
        )
    monkeypatch.chdir(folder)  # ./mailwright.toml is found
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    status, report = run_json(
        capsys, "handler.jexl", "--eml", "samples/invoice.eml", "--account", "faktury"
    )
    assert status == 0 and len(report["created"]) == 3
    status = main(["run", "handler.jexl", "--eml", "samples/invoice.eml", "--account", "nope"])
    err = capsys.readouterr().err
    assert status == 2 and "no mail account named 'nope'" in err and "faktury" in err


def test_config_from_environment(capsys, tmp_path, monkeypatch) -> None:
    folder = tmp_path / "setup"
    init_folder(folder)
    monkeypatch.setenv("MAILWRIGHT_CONFIG", str(folder / "mailwright.toml"))
    monkeypatch.chdir(tmp_path)
    script = write(tmp_path, "c.jexl", "var d = createNew('SubmittedDocument'); persist(d); d.id")
    assert main(["run", script, "--commit", "--json"]) == 0
    capsys.readouterr()
    with Store.open(load_config(folder / "mailwright.toml")) as store:
        assert store.count("SubmittedDocument") == 1


def test_missing_named_config_is_usage_error(capsys, tmp_path) -> None:
    script = write(tmp_path, "c.jexl", "1")
    assert main(["run", script, "--config", str(tmp_path / "none.toml")]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_text_report_says_dry_run_and_lists_created(capsys) -> None:
    status = main(
        [
            "run",
            str(INVOICES / "handler.jexl"),
            "--eml",
            str(INVOICES / "invoice.eml"),
            "--purpose",
            "INVOICES",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert "created SubmittedDocument #1" in out
    assert "dry run: nothing was kept" in out


def test_limits_of_the_config_apply(tmp_path, capsys) -> None:
    config = tmp_path / "mailwright.toml"
    config.write_text("[limits]\nsteps = 5000\n", encoding="utf-8")
    assert main(["db", "migrate", "--config", str(config)]) == 0
    script = write(tmp_path, "loop.jexl", "var n = 0; while (true) { n = n + 1 }")
    capsys.readouterr()
    status, report = run_json(capsys, script, "--config", str(config))
    assert status == 1 and report["error"]["type"] == "limit"
    assert "5,000 steps" in report["error"]["message"]


def test_check_knows_a_custom_schema() -> None:
    from mailstore.schema import parse_schema
    from runtime.runner import check_files

    schema = parse_schema('[types.Order.fields]\nnumber = "string"\n', "s.toml")
    outcome = check_files({"o.jexl": "var o = createNew('Order'); o.numbr = 'x'"}, schema=schema)
    assert [d.hint for d in outcome.warnings] == ["did you mean 'number'?"]
    default = check_files({"o.jexl": "createNew('Order')"})
    assert [d.message for d in default.warnings] == ["unknown type 'Order'"]


# --- warnings and the ScriptRun's start (audit of issue 4) -----------------------------------


def test_run_reports_what_check_warns_about(capsys, tmp_path) -> None:
    # ARCHITECTURE.md: run --json's "warnings" are "file:line:col: ..." lines; a mistyped
    # field in a branch that did not run must still be reported
    script = write(
        tmp_path,
        "w.jexl",
        "var n = entity.attachments.size();\nif (n < 0) { entity.subjct }\nfindStat('x');\nn",
    )
    status, report = run_json(capsys, script, "--eml", str(INVOICES / "invoice.eml"))
    assert status == 1  # findStat is unknown when it runs
    assert report["warnings"] == [
        f"{script}:2:14: unknown property 'subjct' of ReceivedEmail (did you mean 'subject'?)",
        f"{script}:3:1: unknown function 'findStat' (did you mean 'findState'?)",
    ]
    status = main(["run", write(tmp_path, "ok.jexl", "if (false) { log(entity.subjct) }; 1")])
    out = capsys.readouterr().out
    assert status == 0 and "warning: " in out and "did you mean 'subject'?" in out


def test_clean_run_has_no_warnings(capsys) -> None:
    status, report = run_json(
        capsys,
        str(INVOICES / "handler.jexl"),
        "--eml",
        str(INVOICES / "invoice.eml"),
        "--purpose",
        "INVOICES",
    )
    assert status == 0 and report["warnings"] == []


def test_script_run_row_starts_when_the_run_started(ctx) -> None:
    import datetime as dt

    from scriptengine import Limits

    source = "var n = 0; while (n < 100000) { n = n + 1 }; n / 0"
    report = run_file("s.jexl", source, context=ctx, commit=True, limits=Limits(steps=10**7))
    after = m.utcnow()
    assert report.error is not None
    run = ctx.store.records("ScriptRun")[0]
    # written after the rollback, yet it records the start: start + duration is not later
    # than the moment the call returned
    assert run.startedAt + dt.timedelta(milliseconds=run.durationMs) <= after


def test_acceptance_json_is_exactly_the_architectures_shape(capsys) -> None:
    # the whole object of ARCHITECTURE.md ("run --json") for the acceptance case, keys in
    # its order; only the timings and the files' digests are left to the run
    status, report = run_json(
        capsys,
        str(INVOICES / "handler.jexl"),
        "--eml",
        str(INVOICES / "invoice.eml"),
        "--purpose",
        "INVOICES",
    )
    assert status == 0
    timings = {k: report.pop(k) for k in ("steps", "compile_ms", "duration_ms")}
    assert all(isinstance(v, int | float) and v >= 0 for v in timings.values())
    assert isinstance(timings["steps"], int) and timings["steps"] > 0
    files = [c["fields"]["attachedFile"] for c in report["created"][1:]]
    for f in files:
        assert re.fullmatch(r"[0-9a-f]{64}", f.pop("sha256"))

    def ref(type_name: str, record_id: int) -> dict[str, object]:
        return {"type": type_name, "id": record_id}

    assert report == {
        "result": ref("SubmittedDocument", 1),  # persist(sd) returns the record
        "logs": [],
        "warnings": [],
        "created": [
            {
                "type": "SubmittedDocument",
                "id": 1,
                "fields": {
                    "state": {"type": "State", "code": "NEW", "id": 1},
                    "note": "email přijatý od jana@dodavatel.cz (id 1 )",
                    "attachmentNames": "faktura č. 1.pdf, dodací list.pdf",
                    "attachments": [
                        ref("SubmittedDocumentAttachment", 1),
                        ref("SubmittedDocumentAttachment", 2),
                    ],
                },
            },
            {
                "type": "SubmittedDocumentAttachment",
                "id": 1,
                "fields": {
                    "document": ref("SubmittedDocument", 1),
                    "attachedFile": {
                        "name": "faktura č. 1.pdf",
                        "contentType": "application/pdf",
                        "size": 60,
                    },
                },
            },
            {
                "type": "SubmittedDocumentAttachment",
                "id": 2,
                "fields": {
                    "document": ref("SubmittedDocument", 1),
                    "attachedFile": {
                        "name": "dodací list.pdf",
                        "contentType": "application/pdf",
                        "size": 59,
                    },
                },
            },
        ],
        "changed": [],
        "queued": [],
        "error": None,
    }
    assert list(report) == ["result", "logs", "warnings", "created", "changed", "queued", "error"]


def test_run_json_is_utf8_with_non_ascii_unescaped(capsys) -> None:
    status = main(
        [
            "run",
            str(INVOICES / "handler.jexl"),
            "--eml",
            str(INVOICES / "invoice.eml"),
            "--purpose",
            "INVOICES",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert out.count("\n") == 1  # one object, one line
    assert "přijatý" in out and "\\u" not in out


def test_a_committed_run_marks_its_email_processed(ctx) -> None:
    # as ingestion does in the handler's transaction; a RECEIVED e-mail would be handled
    # again by the next `mailwright ingest`
    raw = (INVOICES / "invoice.eml").read_bytes()
    failed = run_file("f.jexl", "entity.nosuch", eml=raw, context=ctx, commit=True)
    assert failed.error is not None and ctx.store.count("ReceivedEmail") == 0
    kept = run_file("h.jexl", HANDLER, eml=raw, purpose="INVOICES", context=ctx, commit=True)
    assert kept.error is None
    assert ctx.store.get("ReceivedEmail", kept.email_id).state == "PROCESSED"
    assert ctx.store.count("ReceivedEmail", state="RECEIVED") == 0


def test_commit_without_a_config_says_nothing_is_kept(capsys, tmp_path, monkeypatch) -> None:
    # "committed" would be a lie: the throwaway database is removed after the run
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    script = write(tmp_path, "c.jexl", "var d = createNew('SubmittedDocument'); persist(d); d.id")
    assert main(["run", script, "--commit"]) == 0
    out = capsys.readouterr().out
    assert "committed to a throwaway database, removed again" in out
    assert "mailwright init DIR" in out and "\ncommitted\n" not in out
    status = main(["run", script, "--commit", "--json"])
    captured = capsys.readouterr()
    assert status == 0 and json.loads(captured.out)["result"] == 1  # stdout: the JSON only
    assert "throwaway database" in captured.err
    # a failed run commits nothing: no note
    assert main(["run", write(tmp_path, "f.jexl", "1 / 0"), "--commit", "--json"]) == 1
    assert "throwaway" not in capsys.readouterr().err


def test_commit_with_a_config_says_committed(capsys, tmp_path) -> None:
    folder = tmp_path / "setup"
    init_folder(folder)
    script = write(folder, "c.jexl", "var d = createNew('SubmittedDocument'); persist(d); d.id")
    assert main(["run", script, "--commit", "--config", str(folder / "mailwright.toml")]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("\ncommitted") and "throwaway" not in out
