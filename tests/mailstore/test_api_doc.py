"""docs/api.md: every Python example runs and prints what the page says it prints.

Each example runs in a fresh process (the store binds the built-in models process-wide)
in an empty folder; the one "With a configuration" runs in a folder made by
``mailwright init``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mailstore.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "api.md"
#: a ```python block, then "prints", then a ```text block with its exact output
_EXAMPLE = re.compile(r"```python\n(.*?)```\nprints\n```text\n(.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    """Return (code, expected output) of each example of the page, in order."""
    return _EXAMPLE.findall(DOC.read_text(encoding="utf-8"))


def test_the_page_has_the_examples_the_issue_asks_for() -> None:
    code = "\n".join(c for c, _ in examples())
    # open a store, query records, read attached files
    for call in ("Store.open(", "store.records(", "store.file(", "store_received("):
        assert call in code
    assert len(examples()) == 2


def _run(code: str, cwd: Path) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("MAILWRIGHT_SECRET_KEY", None)
    env.pop("MAILWRIGHT_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.stdout.decode("utf-8")


def test_opening_storing_querying_and_reading_a_file(tmp_path: Path) -> None:
    code, expected = examples()[0]
    assert _run(code, tmp_path) == expected
    assert (tmp_path / "mail.db").is_file()
    assert any((tmp_path / "blobs").rglob("*"))


def test_opening_the_store_of_a_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtime.cli import main

    monkeypatch.delenv("MAILWRIGHT_CONFIG", raising=False)
    monkeypatch.delenv("MAILWRIGHT_SECRET_KEY", raising=False)
    assert main(["init", str(tmp_path / "acme")]) == 0
    code, expected = examples()[1]
    assert _run(code, tmp_path / "acme") == expected
