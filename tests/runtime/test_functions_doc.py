"""Every ``jexl`` example of docs/functions.md runs and gives what the guide says (the same
convention as docs/language.md: the last line is ``## → value`` or ``## ✗ text``)."""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path

import pytest

from runtime.bindings import handler_engine
from runtime.functions import library_types
from scriptengine import Engine, ScriptError
from scriptengine.values import to_string

DOC = Path(__file__).resolve().parents[2] / "docs" / "functions.md"
BLOCK = re.compile(r"```(jexl|jexl-store)\n(.*?)```", re.S)
#: the zone the examples' expected values assume (offsets such as +01:00 in March)
ZONE = zoneinfo.ZoneInfo("Europe/Prague")


def blocks() -> list[tuple[str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 2
        found.append((f"functions.md:{line}", match.group(1), match.group(2)))
    return found


CASES = [(where, code) for where, kind, code in blocks() if kind == "jexl"]


def engine() -> Engine:
    engine = handler_engine(zone=ZONE)
    for info in library_types():
        engine.register_type(info)
    return engine


def test_the_guide_documents_every_function() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = [
        "createNew", "findState", "persist", "join", "remove", "changeState", "find",
        "findOne", "findAll", "count", "param", "now", "today", "formatDate", "parseDate",
        "parseJson", "parseXml", "sendMail", "reply", "log",
    ]  # fmt: skip
    for name in names:
        assert re.search(rf"^### {name}\(", text, re.M), f"no section for {name}"
    registered = set(engine().host.functions)
    assert set(names) <= registered, set(names) - registered


def _heading_arguments(args: str) -> list[str]:
    """The top-level arguments of a heading such as ``findAll(type, {'a': 1, 'b': 2})``."""
    parts: list[str] = []
    depth, current = 0, ""
    for c in args:
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += c
    return [*parts, current.strip()] if current.strip() else parts


def test_headings_show_every_argument_the_function_takes() -> None:
    text = DOC.read_text(encoding="utf-8")
    functions = engine().host.functions
    headings = re.findall(r"^### (\w+)\((.*)\)$", text, re.M)
    assert len(headings) >= 20
    for name, args in headings:
        given = _heading_arguments(args)
        function = functions[name]
        if given and given[-1] == "...":
            assert function.max_args is None, name
        else:
            assert len(given) == function.max_args, (name, given)


def test_the_library_examples_are_many() -> None:
    assert len(CASES) >= 20
    # every store function has an example a reader can try
    store = [code for _, kind, code in blocks() if kind == "jexl-store"]
    assert len(store) >= 12


@pytest.mark.parametrize(("where", "code"), CASES, ids=[w for w, _ in CASES])
def test_example(where: str, code: str) -> None:
    lines = code.rstrip("\n").split("\n")
    expect = lines[-1]
    assert expect.startswith(("## → ", "## ✗ ")), f"{where}: the last line must say the result"
    source = "\n".join(lines[:-1]) + "\n"
    script = engine().compile(source, filename=where)
    if expect.startswith("## ✗ "):
        wanted = expect[len("## ✗ ") :]
        with pytest.raises(ScriptError) as info:
            script.run({"entity": None})
        assert wanted.lower() in info.value.message.lower(), info.value.render()
        return
    value = script.run({"entity": None})
    shown = "null" if value is None else to_string(value)
    assert shown == expect[len("## → ") :], where


STORE_CASES = [(where, code) for where, kind, code in blocks() if kind == "jexl-store"]


@pytest.mark.parametrize(("where", "code"), STORE_CASES, ids=[w for w, _ in STORE_CASES])
def test_store_examples_pass_check(where: str, code: str) -> None:
    """The store examples need a store to run; they must at least compile and pass
    ``check`` without an error or a warning (variables they assume, such as ``sd``, are declared)."""
    source = "var sd = null;\n" + code if "var sd" not in code else code
    diagnostics = engine().check(source, filename=where)
    assert not diagnostics, diagnostics
    engine().compile(source, filename=where)
