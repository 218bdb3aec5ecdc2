"""``mailwright db migrate``: the summary, schema changes, refusals, no config."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailstore.api import Store
from mailstore.config import load_config
from runtime.cli import main


@pytest.fixture
def setup(tmp_path: Path, capsys, monkeypatch) -> Path:
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    monkeypatch.delenv("MAILWRIGHT_SECRET_KEY", raising=False)
    folder = tmp_path / "mail"
    assert main(["init", str(folder)]) == 0
    capsys.readouterr()
    return folder


def migrate(capsys, folder: Path) -> tuple[int, str]:
    status = main(["db", "migrate", "--config", str(folder / "mailwright.toml")])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_up_to_date_after_init(setup: Path, capsys) -> None:
    status, out = migrate(capsys, setup)
    assert status == 0 and "up to date" in out


def test_new_database_is_created(tmp_path: Path, capsys) -> None:
    config = tmp_path / "mailwright.toml"
    config.write_text('[database]\nurl = "sqlite:///fresh.db"\n', encoding="utf-8")
    status, out = migrate(capsys, tmp_path)
    assert status == 0 and "SubmittedDocument" in out
    with Store.open(load_config(config)) as store:
        assert store.count("SubmittedDocument") == 0


def test_schema_change_is_applied_and_reported(setup: Path, capsys) -> None:
    schema = setup / "schema.toml"
    schema.write_text(
        schema.read_text(encoding="utf-8").replace(
            'attachmentNames = "text"', 'attachmentNames = "text"\namount = "decimal"'
        ),
        encoding="utf-8",
    )
    # the store refuses to open until migrated, naming the command
    with pytest.raises(Exception, match="mailwright db migrate"):
        Store.open(load_config(setup / "mailwright.toml"))
    status, out = migrate(capsys, setup)
    assert status == 0 and "amount" in out
    status, out = migrate(capsys, setup)
    assert status == 0 and "up to date" in out


def test_unsafe_change_is_refused_and_nothing_changes(setup: Path, capsys) -> None:
    assert (
        main(
            [
                "run",
                str(setup / "handler.jexl"),
                "--eml",
                str(setup / "samples" / "invoice.eml"),
                "--purpose",
                "INVOICES",
                "--commit",
                "--config",
                str(setup / "mailwright.toml"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    schema = setup / "schema.toml"
    schema.write_text(
        schema.read_text(encoding="utf-8").replace('note = "text"', 'note = "integer"'),
        encoding="utf-8",
    )
    status, out = migrate(capsys, setup)
    assert status == 1
    assert "SubmittedDocument.note" in out
    schema.write_text(
        schema.read_text(encoding="utf-8").replace('note = "integer"', 'note = "text"'),
        encoding="utf-8",
    )
    with Store.open(load_config(setup / "mailwright.toml")) as store:
        assert store.count("SubmittedDocument") == 1


def test_without_a_config_is_usage_error(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    assert main(["db", "migrate"]) == 2
    assert "mailwright init" in capsys.readouterr().err


def test_db_without_action_is_usage_error(setup: Path, capsys) -> None:
    assert main(["db", "--config", str(setup / "mailwright.toml")]) == 2


def test_bad_schema_is_usage_error(setup: Path, capsys) -> None:
    (setup / "schema.toml").write_text("[types.x]\n", encoding="utf-8")
    status, out = migrate(capsys, setup)
    assert status == 2 and "schema.toml" in out


def test_two_migrations_at_once_both_succeed(tmp_path: Path) -> None:
    import subprocess
    import sys

    config = tmp_path / "mailwright.toml"
    config.write_text('[database]\nurl = "sqlite:///both.db"\n', encoding="utf-8")
    command = [sys.executable, "-m", "runtime.cli", "db", "migrate", "--config", str(config)]
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    # one did the work; the other waited for the lock and found nothing left to do
    assert sorted(b"up to date" in out for out, _ in outs) == [False, True], outs
    with Store.open(load_config(config)) as store:
        assert [s.code for s in store.records("State")] == ["NEW", "PROCESSED", "REJECTED"]
