"""docs/api.md, "Records, their files and the e-mails they came from": the example runs
against a store filled by the ingestion harness and prints what the page says it prints.

It runs in a fresh process (the store binds the built-in models process-wide) in the
installation's folder, on SQLite and, when configured, PostgreSQL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.mailstore.conftest import REPO_ROOT
from tests.ops.conftest import Installation

DOC = REPO_ROOT / "docs" / "api.md"
SECTION = "## Records, their files and the e-mails they came from"


def example() -> tuple[str, str]:
    """(code, expected output) of the section's example."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.find("\n## ", len(SECTION))]
    found = re.search(r"```python\n(.*?)```\n.*?```text\n(.*?)```", section, re.S)
    assert found is not None, "the section has a python block and a text block"
    return found.group(1), found.group(2)


def test_the_example_opens_a_store_queries_records_and_reads_a_file() -> None:
    code, _ = example()
    for call in ("Store.open(", "store.records(", "store.open_file(", "store.file("):
        assert call in code


def test_the_example_prints_what_the_page_says(installation: Installation) -> None:
    code, expected = example()
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("MAILWRIGHT_CONFIG", None)
    env.pop("MAILWRIGHT_SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=installation.dir,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert done.stdout.decode("utf-8") == expected
    assert (installation.dir / "copy.pdf").read_bytes().startswith(b"%PDF")
