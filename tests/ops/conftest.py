"""A mailwright installation filled by the ingestion harness, for the operations tests.

``installation``: a folder with ``mailwright.toml`` (database, blobs, key file, the
examples/invoices handler, retention settings), an account ``invoices`` of purpose
INVOICES reading a folder of the examples/invoices sample e-mails, and one
`runtime.ingest.ingest` run over it: three e-mails make SubmittedDocuments with their
attachments, the one without attachments makes nothing. It runs on SQLite and, with
``MAILWRIGHT_TEST_DATABASE_URL``, on PostgreSQL (``db_url`` of tests/mailstore).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config, load_config
from runtime.cli import main
from runtime.context import context_for
from runtime.ingest import ingest

# the store fixtures of tests/mailstore (SQLite always, PostgreSQL when configured)
from tests.mailstore.conftest import REPO_ROOT, db_url  # noqa: F401

EXAMPLES = REPO_ROOT / "examples" / "invoices"
#: the sample e-mails, in the order they are ingested (.eml folders are read by name)
SAMPLES = ("invoice.eml", "invoice-en.eml", "invoice-signed.eml", "no-attachments.eml")


@dataclass
class Installation:
    """The filled installation: its folder, config file and database URL."""

    dir: Path
    config_path: Path
    db_url: str

    @property
    def config(self) -> Config:
        """The loaded configuration."""
        return load_config(self.config_path)

    def open(self) -> Store:
        """Open the store (close it before running a command: one store per process)."""
        return Store.open(self.config)

    @property
    def blobs(self) -> Path:
        """The blob folder."""
        return self.dir / "blobs"

    def write_config(
        self,
        *,
        raw_days: int = 0,
        run_days: int = 0,
        schema: str | None = None,
        zone: str | None = None,
    ) -> None:
        """(Re)write mailwright.toml with these retention days, and optionally an entity
        schema file (relative to the folder) and a time zone."""
        self.config_path.write_text(
            f'[database]\nurl = "{self.db_url}"\n'
            '[storage]\nblobs = "blobs"\n'
            + (f'schema = "{schema}"\n' if schema else "")
            + '[handler]\nscript = "handler.jexl"\n'
            '[secrets]\nkeyFile = "secret.key"\n'
            + (f'[time]\nzone = "{zone}"\n' if zone else "")
            + f"[retention]\nrawMessageDays = {raw_days}\nrunDays = {run_days}\n",
            encoding="utf-8",
        )


def age_files(folder: Path, hours: float) -> None:
    """Make every file under *folder* look *hours* old (blobs younger than gc's grace
    period are kept, and a test cannot wait an hour)."""
    when = time.time() - hours * 3600
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``mailwright ARGS``; return (exit status, stdout, stderr)."""
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture
def installation(
    db_url: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Installation]:
    """Yield the installation, ingested once; the working folder is its folder and
    ``MAILWRIGHT_CONFIG`` names its config, so commands need no ``--config``."""
    monkeypatch.setenv("COLUMNS", "250")  # rich tables wide enough to read in asserts
    monkeypatch.delenv("MAILWRIGHT_SECRET_KEY", raising=False)
    folder = tmp_path / "mw"
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    for n, name in enumerate(SAMPLES):
        shutil.copy(EXAMPLES / name, inbox / f"{n}-{name}")
    shutil.copy(EXAMPLES / "handler.jexl", folder / "handler.jexl")
    inst = Installation(folder, folder / "mailwright.toml", db_url)
    inst.write_config()
    monkeypatch.setenv("MAILWRIGHT_CONFIG", str(inst.config_path))
    monkeypatch.chdir(folder)
    config = inst.config
    store = Store.open(config, migrate=True)
    try:
        m.MailAccount.create(
            name="invoices",
            address="faktury@odberatel.cz",
            purpose="INVOICES",
            sourceKind="emlfolder",
            path=str(inbox),
            afterProcessing="none",
        )
        report = ingest(context_for(config, store))
        assert report.ok, [a.errors for a in report.accounts]
    finally:
        store.close()
    yield inst
