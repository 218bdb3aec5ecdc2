"""Every handler test shipped under ``examples/`` passes (``mailwright test examples``), on
SQLite and, when ``MAILWRIGHT_TEST_DATABASE_URL`` is set, on PostgreSQL.

Each test of each ``*.test.toml`` is one pytest item, named after its file and test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailstore.api import Store
from mailstore.config import Config
from runtime.cli import main
from runtime.context import AppContext, context_for
from runtime.handlertests import (
    HandlerTest,
    TestFormatError,
    discover,
    failure_lines,
    load_file,
    run_test,
    runner_executor,
)
from tests.mailstore.conftest import db_url  # noqa: F401  (the SQLite/PostgreSQL fixture)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_tests() -> list[tuple[str, HandlerTest | str]]:
    """(id, test) for every test; a file that does not follow the format is one case whose
    test is its error message (so it fails by name instead of breaking collection)."""
    cases: list[tuple[str, HandlerTest | str]] = []
    for path in discover(EXAMPLES):
        where = str(path.relative_to(EXAMPLES))
        try:
            cases += [(f"{where}: {t.name}", t) for t in load_file(path)]
        except TestFormatError as exc:
            cases.append((where, str(exc)))
    return cases


CASES = example_tests()
TESTS = [t for _, t in CASES if isinstance(t, HandlerTest)]


@pytest.fixture
def context(db_url: str, tmp_path: Path) -> Iterator[AppContext]:  # noqa: F811
    config = dataclasses.replace(Config.defaults(tmp_path), database_url=db_url)
    store = Store.open(config, migrate=True)
    ctx = context_for(config, store)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.mark.skipif(not CASES, reason="no handler tests under examples/ yet")
@pytest.mark.parametrize("test", [t for _, t in CASES], ids=[i for i, _ in CASES])
def test_example(test: HandlerTest | str, context: AppContext) -> None:
    assert isinstance(test, HandlerTest), test  # else: the file's format error
    outcome = run_test(test, runner_executor(context=context))
    assert outcome.passed, "\n".join([test.label, *failure_lines(outcome)])


@pytest.mark.skipif(not TESTS, reason="no handler tests under examples/ yet")
def test_the_command_passes_on_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["test", str(EXAMPLES)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.rstrip().endswith(f"{len(TESTS)} passed, 0 failed")
