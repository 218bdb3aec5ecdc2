"""The commands around ingestion: ``ingest``, ``emails`` (list and show) and ``reprocess``,
run through ``runtime.cli.main`` against a configured store, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from runtime.cli import main
from runtime.ingest.account import _Run
from tests.ingest.test_ingest_local import FAILING, GOOD, make_emlfolder, make_maildir
from tests.mailstore.conftest import db_url  # noqa: F401


@pytest.fixture
def setup(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,  # noqa: F811 - SQLite, and PostgreSQL when configured
) -> dict[str, Path]:
    """A mailwright folder: config, handler, a log file setting, a migrated store (SQLite
    or PostgreSQL) with one Maildir account of three messages; a wide console for rich's
    tables."""
    monkeypatch.setenv("COLUMNS", "200")
    handler = tmp_path / "handler.jexl"
    handler.write_text(GOOD, encoding="utf-8")
    config = tmp_path / "mailwright.toml"
    config.write_text(
        f"[database]\nurl = {json.dumps(db_url)}\n"
        '[handler]\nscript = "handler.jexl"\n[log]\nfile = "mailwright.log"\n',
        encoding="utf-8",
    )
    box = make_maildir(tmp_path / "box", 3)
    with Store.open(load_config(config), migrate=True):
        m.MailAccount.create(
            name="invoices", address="inv@example.com", sourceKind="maildir", path=str(box)
        )
    return {"config": config, "handler": handler, "box": box, "dir": tmp_path}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_ingest_prints_a_summary_and_logs_to_the_file(setup, capsys) -> None:
    status, out, err = cli(capsys, "ingest", "--config", str(setup["config"]))
    assert status == 0, out + err
    assert "invoices: 3 stored, 3 processed" in out
    log = (setup["dir"] / "mailwright.log").read_text(encoding="utf-8")
    assert "invoices: 3 stored, 3 processed" in log
    status, out, _ = cli(capsys, "ingest", "--config", str(setup["config"]))
    assert status == 0 and "invoices: nothing new" in out


def test_ingest_exit_status_is_1_when_an_email_fails(setup, capsys) -> None:
    setup["handler"].write_text(FAILING, encoding="utf-8")
    status, out, _ = cli(capsys, "ingest", "--config", str(setup["config"]))
    assert status == 1
    assert "3 failed" in out and "FAILED (attempt 1 of 5)" in out
    assert "no invoice number" in out


def test_ingest_dry_run_and_unknown_account(setup, capsys) -> None:
    status, out, _ = cli(capsys, "ingest", "--dry-run", "--config", str(setup["config"]))
    assert status == 0 and "dry run: nothing was stored" in out and "invoices: 3 new" in out
    status, _, err = cli(capsys, "ingest", "--account", "nope", "--config", str(setup["config"]))
    assert status == 2 and "no mail account named 'nope'" in err


def test_ingest_without_a_config_says_how_to_make_one(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    status, _, err = cli(capsys, "ingest")
    assert status == 2 and "mailwright init" in err


def test_emails_lists_as_a_table_and_as_json(setup, capsys) -> None:
    cli(capsys, "ingest", "--config", str(setup["config"]))
    status, out, _ = cli(capsys, "emails", "--config", str(setup["config"]))
    assert status == 0
    assert "PROCESSED" in out and "message 2" in out and "alice@example.com" in out
    status, out, _ = cli(capsys, "emails", "--json", "--config", str(setup["config"]))
    rows = json.loads(out)
    assert sorted(r["subject"] for r in rows) == ["message 0", "message 1", "message 2"]
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)  # newest first
    assert {r["state"] for r in rows} == {"PROCESSED"} and rows[0]["account"] == "invoices"


def test_emails_filters_by_state_and_account(setup, capsys) -> None:
    setup["handler"].write_text(
        "if (entity.subject == 'message 1') { throw 'bad'; }\n" + GOOD, encoding="utf-8"
    )
    cli(capsys, "ingest", "--config", str(setup["config"]))
    _, out, _ = cli(
        capsys, "emails", "--state", "failed", "--json", "--config", str(setup["config"])
    )
    rows = json.loads(out)
    assert [(r["subject"], r["attempts"]) for r in rows] == [("message 1", 1)]
    assert "bad" in rows[0]["lastError"]
    status, _, err = cli(capsys, "emails", "--account", "x", "--config", str(setup["config"]))
    assert status == 2 and "no mail account named 'x'" in err


def test_emails_show_has_the_runs_their_logs_and_records(setup, capsys) -> None:
    cli(capsys, "ingest", "--config", str(setup["config"]))
    _, out, _ = cli(capsys, "emails", "--json", "--config", str(setup["config"]))
    listed = json.loads(out)[-1]
    email_id, subject = str(listed["id"]), listed["subject"]
    status, out, _ = cli(capsys, "emails", "show", email_id, "--config", str(setup["config"]))
    assert status == 0
    assert f"e-mail #{email_id} of invoices: PROCESSED" in out
    assert f"subject: {subject}" in out
    assert f"log: handled {subject}" in out
    assert "created SubmittedDocument #" in out and f"note={subject}" in out
    _, out, _ = cli(capsys, "emails", "show", email_id, "--json", "--config", str(setup["config"]))
    data = json.loads(out)
    (run,) = data["runs"]
    assert run["outcome"] == "ok" and run["created"][0]["fields"]["note"] == subject
    status, _, err = cli(capsys, "emails", "show", "999", "--config", str(setup["config"]))
    assert status == 2 and "no e-mail with id 999" in err


def test_reprocess_failed_after_the_fix(setup, capsys) -> None:
    setup["handler"].write_text(FAILING, encoding="utf-8")
    cli(capsys, "ingest", "--config", str(setup["config"]))
    setup["handler"].write_text(GOOD, encoding="utf-8")
    status, out, _ = cli(capsys, "reprocess", "--failed", "--config", str(setup["config"]))
    assert status == 0, out
    assert "invoices: 3 processed" in out
    _, out, _ = cli(capsys, "emails", "--json", "--config", str(setup["config"]))
    assert {r["state"] for r in json.loads(out)} == {"PROCESSED"}
    status, out, _ = cli(capsys, "reprocess", "--failed", "--config", str(setup["config"]))
    assert status == 0 and "no e-mails to reprocess" in out


def test_reprocess_one_id_that_fails_again(setup, capsys) -> None:
    cli(capsys, "ingest", "--config", str(setup["config"]))
    setup["handler"].write_text(FAILING, encoding="utf-8")
    status, out, _ = cli(capsys, "reprocess", "1", "--config", str(setup["config"]))
    assert status == 1 and "e-mail #1 FAILED" in out


def test_reprocess_usage_errors(setup, capsys, tmp_path) -> None:
    cfg = str(setup["config"])
    assert cli(capsys, "reprocess", "--config", cfg)[0] == 2
    assert cli(capsys, "reprocess", "1", "--failed", "--config", cfg)[0] == 2
    status, _, err = cli(capsys, "reprocess", "42", "--config", cfg)
    assert status == 2 and "no e-mail with id 42" in err
    cli(capsys, "ingest", "--config", cfg)
    with Store.open(load_config(setup["config"])):
        m.MailAccount.create(
            name="other",
            address="o@example.com",
            sourceKind="emlfolder",
            path=str(make_emlfolder(tmp_path / "eml", 0)),
        )
    status, _, err = cli(capsys, "reprocess", "1", "--account", "other", "--config", cfg)
    assert status == 2 and "not of account other" in err


def test_reprocess_the_quarantined_emails_of_one_account(setup, capsys, tmp_path) -> None:
    cfg = setup["config"]
    cfg.write_text(cfg.read_text(encoding="utf-8") + "[retry]\nattempts = 1\n", encoding="utf-8")
    with Store.open(load_config(cfg)):
        m.MailAccount.create(
            name="other",
            address="o@example.com",
            sourceKind="emlfolder",
            path=str(make_emlfolder(tmp_path / "eml", 2)),
            afterProcessing="none",
        )
    setup["handler"].write_text(FAILING, encoding="utf-8")
    status, out, _ = cli(capsys, "ingest", "--config", str(cfg))
    assert status == 1
    assert "invoices: 3 stored, 3 quarantined" in out and "other: 2 stored, 2 quarantined" in out
    setup["handler"].write_text(GOOD, encoding="utf-8")
    # a run never retries quarantined e-mails by itself
    status, out, _ = cli(capsys, "ingest", "--config", str(cfg))
    assert status == 0 and "invoices: nothing new" in out and "other: nothing new" in out
    status, out, _ = cli(
        capsys, "reprocess", "--quarantined", "--account", "other", "--config", str(cfg)
    )
    assert status == 0, out
    assert "other: 2 processed" in out and "invoices" not in out
    _, out, _ = cli(capsys, "emails", "--json", "--config", str(cfg))
    states = sorted((r["account"], r["state"]) for r in json.loads(out))
    assert states == [("invoices", "QUARANTINED")] * 3 + [("other", "PROCESSED")] * 2


def test_reprocess_stops_when_another_runner_took_the_account(setup, capsys, monkeypatch) -> None:
    # a reprocess longer than the lease: once an ingest has taken the account over, it
    # may handle these same e-mails, so reprocess must stop, not handle them a second time
    setup["handler"].write_text(FAILING, encoding="utf-8")
    cli(capsys, "ingest", "--config", str(setup["config"]))
    setup["handler"].write_text(GOOD, encoding="utf-8")
    renewals = iter([True])  # the first renewal succeeds, then the lease is lost
    monkeypatch.setattr("runtime.ingest.account._renew", lambda *args: next(renewals, False))
    keep = _Run.keep_lease

    def every_time(self: _Run) -> bool:  # as if each e-mail took a third of the lease
        self.renewed = None
        return keep(self)

    monkeypatch.setattr(_Run, "keep_lease", every_time)
    status, out, _ = cli(capsys, "reprocess", "--failed", "--config", str(setup["config"]))
    assert status == 1 and "another runner took over the account" in out
    with Store.open(load_config(setup["config"])):
        assert m.ReceivedEmail.select().where(m.ReceivedEmail.state == "PROCESSED").count() == 1
