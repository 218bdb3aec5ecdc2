"""Collects the language tests written in the language: every ``tests/jexl/*.jexl`` file.

A file is split into programs ("chunks") by lines that are exactly ``---``; each chunk is one
pytest item named ``file.jexl:LINE`` (LINE = its first line). A chunk runs with a host object
``assert`` (``equals``, ``isTrue``, ``isFalse``, ``isNull``, ``kind``, ``fails``) and must end
without error, unless a line ends with ``### "regex"`` (a JEXL ``##`` comment): then the run
must fail with an error reported on that line whose message matches the regex.

Chunks of a file whose first line is ``## oracle: 3.1``, and chunks holding that line
themselves, also run on real JEXL 3.1 (item ``file.jexl:LINE[jexl3.1]``) with the same
``assert`` written in Java, so the oracle checks the tests; a chunk holding
``## oracle: no`` (followed by the reason, e.g. a section 9 difference) stays out.
Lines keep their numbers in the file: a chunk is run with blank lines in front of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.oracle.jvalues import same
from tests.oracle.oracle import shared_oracle
from tests.oracle.ours import run_ours

HERE = Path(__file__).resolve().parent
EXPECT = re.compile(r'###\s*"(.*)"\s*$')
ORACLE_ON = re.compile(r"^\s*##\s*oracle:\s*3\.1\b", re.MULTILINE)
ORACLE_OFF = re.compile(r"^\s*##\s*oracle:\s*no\b", re.MULTILINE)


class CaseFailure(Exception):
    """A chunk did not do what it should; the message says what happened instead."""


@dataclass(frozen=True)
class Chunk:
    """One program of a case file: its first line, its source (padded so line numbers are the
    file's), the expected error (line, regex) if any, and whether JEXL 3.1 runs it too."""

    line: int
    source: str
    expect: tuple[int, str] | None
    oracle: bool


def split_chunks(path: Path) -> list[Chunk]:
    """The chunks of a case file (see the module docstring for the format).

    Raises ``ValueError`` for a chunk with more than one ``###`` expectation: a run stops at
    its first error, so a second one could never be checked.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    file_oracle = bool(lines) and bool(ORACLE_ON.match(lines[0]))
    chunks: list[Chunk] = []
    start = 0
    for i in range(len(lines) + 1):
        if i < len(lines) and lines[i].strip() != "---":
            continue
        body = lines[start:i]
        if any(line.strip() and not line.strip().startswith("##") for line in body):
            expects = [
                (start + n + 1, m.group(1))
                for n, line in enumerate(body)
                if (m := EXPECT.search(line)) is not None
            ]
            if len(expects) > 1:
                raise ValueError(f"{path.name}:{start + 1}: more than one ### expectation")
            text = "\n".join(body)
            on = (file_oracle or bool(ORACLE_ON.search(text))) and not ORACLE_OFF.search(text)
            source = "\n" * start + text + "\n"
            first = start + 1
            chunks.append(Chunk(first, source, expects[0] if expects else None, on))
        start = i + 1
    return chunks


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".jexl" and file_path.parent == HERE:
        return JexlFile.from_parent(parent, path=file_path)
    return None


class JexlFile(pytest.File):
    """A ``.jexl`` case file: one item per chunk, plus one per chunk JEXL 3.1 also runs."""

    def collect(self) -> Iterator[pytest.Item]:
        for chunk in split_chunks(self.path):
            name = f"{self.path.name}:{chunk.line}"
            yield JexlCase.from_parent(self, name=name, chunk=chunk, engine="ours")
            if chunk.oracle:
                yield JexlCase.from_parent(
                    self, name=f"{name}[jexl3.1]", chunk=chunk, engine="jexl3.1"
                )


class JexlCase(pytest.Item):
    """One chunk run on one engine (ours, or JEXL 3.1 via the oracle)."""

    def __init__(self, *, chunk: Chunk, engine: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chunk = chunk
        self.engine = engine
        if engine == "jexl3.1":
            self.add_marker(pytest.mark.oracle)

    def runtest(self) -> None:
        if self.engine == "ours":
            self._run_ours()
        else:
            self._run_oracle()

    def _run_ours(self) -> None:
        outcome = run_ours(self.chunk.source, with_assert=True, filename=self.path.name)
        expect = self.chunk.expect
        if expect is None:
            if not outcome.ok:
                assert outcome.error is not None
                raise CaseFailure(f"unexpected error:\n{outcome.error.render()}")
            return
        line, regex = expect
        if outcome.ok:
            raise CaseFailure(
                f"expected an error on line {line} matching {regex!r}, got {outcome.show()}"
            )
        err = outcome.error
        assert err is not None
        if err.line != line or not re.search(regex, err.message):
            raise CaseFailure(
                f"expected an error on line {line} matching {regex!r}, got:\n{err.render()}"
            )

    def _run_oracle(self) -> None:
        oracle = shared_oracle()
        result = oracle.eval(self.chunk.source, with_assert=True)
        expect = self.chunk.expect
        if expect is None:
            if not result.ok:
                raise CaseFailure(f"JEXL 3.1 says: {result.show()} (line {result.line})")
            # the chunk's final value must agree too (it is often an assert's true); a crash
            # of our engine is reported by the chunk's own item, not here
            try:
                ours = run_ours(self.chunk.source, with_assert=True, filename=self.path.name)
            except Exception:  # noqa: BLE001
                return
            assert result.value is not None
            if ours.ok and ours.value is not None and result.value.kind != "other":
                if not same(result.value, ours.value):
                    raise CaseFailure(
                        f"final values differ: JEXL 3.1 {result.value.show()}, "
                        f"ours {ours.value.show()}"
                    )
            return
        line, regex = expect
        if result.ok or result.line != line or not re.search(regex, result.message):
            raise CaseFailure(
                f"JEXL 3.1: expected an error on line {line} matching {regex!r}, got "
                f"{result.show()} (line {result.line})"
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailure):
            return f"{self.name} ({self.engine}): {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.chunk.line - 1, self.name
