"""What ``mailwright ingest`` shows its user: a progress bar in a terminal, plain lines
under cron, each error once and no traceback, the log file at the config's level, a
summary line per account that says when an account failed, and the exit status."""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from runtime.cli import main
from runtime.commands import ingest as ingest_command
from tests.ingest.test_ingest_local import FAILING, GOOD, make_maildir
from tests.mailstore.conftest import db_url  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


def make_setup(folder: Path, database_url: str, log: str = "") -> Path:
    """A mailwright.toml (with *log* as its [log] section's lines) over a migrated store
    with one Maildir account ``invoices`` of three messages; returns the config's path."""
    (folder / "handler.jexl").write_text(GOOD, encoding="utf-8")
    config = folder / "mailwright.toml"
    config.write_text(
        f"[database]\nurl = {json.dumps(database_url)}\n"
        f'[handler]\nscript = "handler.jexl"\n' + (f"[log]\n{log}\n" if log else ""),
        encoding="utf-8",
    )
    box = make_maildir(folder / "box", 3)
    with Store.open(load_config(config), migrate=True):
        m.MailAccount.create(
            name="invoices", address="inv@example.com", sourceKind="maildir", path=str(box)
        )
    return config


def args_for(config: Path) -> argparse.Namespace:
    return argparse.Namespace(config=str(config), account=None, dry_run=False, debug=False)


def test_a_terminal_gets_a_progress_bar_and_cron_plain_lines(
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    config = make_setup(tmp_path, db_url)
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=120)
    assert ingest_command.run(args_for(config), terminal) == 0
    shown = screen.getvalue()
    assert "\x1b[" in shown  # drawn with the terminal's escapes
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert "3 messages" in text  # the bar's counter, drawn while the run went on
    assert "invoices: 3 stored, 3 processed" in text

    make_maildir(tmp_path / "box", 2, start=3)  # two more messages
    plain = io.StringIO()
    cron = Console(file=plain, force_terminal=False, width=120)
    assert ingest_command.run(args_for(config), cron) == 0
    assert plain.getvalue() == "invoices: 2 stored, 2 processed\n"  # no bar, no escapes


def test_under_cron_each_error_is_printed_once_and_no_traceback(
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    # a real process without a [log] file: Python's logging would print every error a
    # second time on stderr by itself, and tracebacks with them
    config = make_setup(tmp_path, db_url)
    (tmp_path / "handler.jexl").write_text(FAILING, encoding="utf-8")
    shutil.rmtree(tmp_path / "box")  # and the account's Maildir is gone
    with Store.open(load_config(config)):
        m.MailAccount.create(
            name="second",
            address="s@example.com",
            sourceKind="maildir",
            path=str(make_maildir(tmp_path / "second", 2)),
        )
    done = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "ingest", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert out.count("FAILED (attempt 1 of 5): handler.jexl:1:1: throw error") == 2
    assert out.count("invoices: ") == 2  # its error, then its summary
    assert "invoices: failed (1 error)" in out  # not "nothing new": it was not read
    assert "second: 2 stored, 2 failed (2 errors)" in out
    assert "Traceback" not in out


def test_the_log_file_gets_time_stamped_lines_at_the_configured_level(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    db_url: str,  # noqa: F811
) -> None:
    config = make_setup(tmp_path, db_url, 'file = "ingest.log"\nlevel = "WARNING"')
    (tmp_path / "handler.jexl").write_text(FAILING, encoding="utf-8")
    assert main(["ingest", "--config", str(config)]) == 1
    capsys.readouterr()
    lines = (tmp_path / "ingest.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3, lines  # the three failures; the INFO summary is left out
    for line in lines:
        assert " ERROR mailwright.ingest: invoices: e-mail #" in line
        assert line[:4].isdigit() and line[4] == "-"  # the time comes first


def test_a_log_file_that_cannot_be_opened_names_the_setting(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    db_url: str,  # noqa: F811
) -> None:
    config = make_setup(tmp_path, db_url, 'file = "no-such-folder/ingest.log"')
    assert main(["ingest", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "cannot open the log file" in err and "log.file" in err
    assert "Traceback" not in err
    with Store.open(load_config(config)):
        assert m.ReceivedEmail.select().count() == 0  # nothing ran


def test_a_dry_run_says_new_not_stored(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    db_url: str,  # noqa: F811
) -> None:
    config = make_setup(tmp_path, db_url)
    assert main(["ingest", "--dry-run", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "invoices: 3 new\n" in out and "dry run: nothing was stored" in out
    assert "stored," not in out
