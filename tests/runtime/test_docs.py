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


# --- the README --------------------------------------------------------------------------

README = DOCS.parent / "README.md"


def _readme_blocks(lang: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_readme_opens_with_the_two_setup_commands_and_ci_runs_the_test_one() -> None:
    # issue 2: the README opens with the command that runs the main job and the one that
    # runs the tests; .ci/run calls exactly the latter
    first = _readme_blocks("sh")[0]
    commands = [line.split("#")[0].strip() for line in first.splitlines() if line.strip()]
    assert len(commands) == 2
    main_job, test = commands
    for command in commands:
        assert (README.parent / command.split()[0]).is_file(), command
    assert "mailwright run" in (README.parent / main_job.split()[0]).read_text("utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [
        line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert ci_commands[-1] in (f"exec {test}", test)


def test_readme_embedding_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = _readme_blocks("python")
    assert blocks, "the README shows how to embed the language"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out.strip() == "12"
