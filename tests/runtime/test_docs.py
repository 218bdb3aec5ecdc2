"""Every ``jexl`` example of the power user's guide runs and gives what the guide says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runtime.runner import handler_engine
from scriptengine import ScriptError
from scriptengine.values import to_string

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"```jexl\n(.*?)```", re.S)


def examples(name: str) -> list[tuple[str, str]]:
    text = (DOCS / name).read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        code = match.group(1)
        line = text.count("\n", 0, match.start()) + 2
        found.append((f"{name}:{line}", code))
    return found


CASES = examples("language.md")


def test_the_guide_has_examples() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize(("where", "code"), CASES, ids=[w for w, _ in CASES])
def test_example(where: str, code: str) -> None:
    lines = code.rstrip("\n").split("\n")
    expect = lines[-1]
    assert expect.startswith(("## → ", "## ✗ ")), f"{where}: the last line must say the result"
    source = "\n".join(lines[:-1]) + "\n"
    engine = handler_engine()
    if expect.startswith("## ✗ "):
        wanted = expect[len("## ✗ ") :]
        with pytest.raises(ScriptError) as info:
            engine.compile(source, filename=where).run({})
        assert wanted.lower() in info.value.message.lower(), info.value.render()
        return
    value = engine.compile(source, filename=where).run({})
    shown = "null" if value is None else to_string(value)
    assert shown == expect[len("## → ") :], where
