"""Runaway scripts, end to end (LANGUAGE.md section 4): each is stopped by the limit it
runs into, with a limit error that names the limit and the line of the script.

``test_limits.py`` covers the limits one by one; ``test_sandbox.py`` calls the host work
(``split``, ``replaceAll``, ``addAll``) directly. These run the same attacks as scripts, as
a handler would, and check that the memory estimate follows what a run really keeps.
"""

from __future__ import annotations

import pytest

from runtime.runner import handler_engine
from scriptengine import Engine, Limits, ScriptLimitError

MiB = 1 << 20


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def stopped(engine: Engine, source: str, limits: Limits) -> ScriptLimitError:
    with pytest.raises(ScriptLimitError) as info:
        engine.compile(source, filename="runaway.jexl").run({}, limits=limits)
    return info.value


def test_add_all_of_a_list_to_itself_hits_items(engine: Engine) -> None:
    err = stopped(engine, "var l = [1, ...];\nwhile (true) { l.addAll(l) }", Limits(items=100_000))
    assert (err.limit, err.value, err.line) == ("items", 100_000, 2)
    assert "100,000 items" in err.message


@pytest.mark.parametrize(
    "source",
    [
        "var s = 'x,'.repeat(1000000);\nvar parts = s.split(',');",
        "var s = 'x'.repeat(1000000);\ns.replaceAll('x', 'yy')",
    ],
    ids=["split", "replaceAll"],
)
def test_string_work_on_huge_input_hits_steps(engine: Engine, source: str) -> None:
    err = stopped(engine, source, Limits(steps=100_000))
    assert (err.limit, err.line) == ("steps", 2)
    assert "step limit" in err.message


def test_join_of_a_huge_list_charges_its_items() -> None:
    # `join` is the host's function (runtime): it charges one step per item it joins
    source = "var l = [...];\nfor (var i : 1..500000) { l.add('x') }\njoin(l, ',')"
    err = stopped(handler_engine(), source, Limits(steps=600_000))
    assert (err.limit, err.line) == ("steps", 3)


def test_a_regex_against_long_input_hits_the_regex_limit(engine: Engine) -> None:
    err = stopped(engine, "var s = 'a'.repeat(60) + '!';\ns =~ '(a|aa)+$'", Limits())
    assert (err.limit, err.line) == ("regex", 2)
    assert "regular expression" in err.message


@pytest.mark.parametrize(
    "source",
    [
        "var m = {:};\nvar i = 0;\nwhile (true) { m[i] = i; i++ }",
        "var m = {:};\nvar i = 0;\nwhile (true) { m.put(i, i); i++ }",
        "var st = {};\nvar i = 0;\nwhile (true) { st.add(i); i++ }",
    ],
    ids=["map-index", "map-put", "set-add"],
)
def test_growing_maps_and_sets_hit_items(engine: Engine, source: str) -> None:
    err = stopped(engine, source, Limits(items=1000, steps=None))
    assert (err.limit, err.value, err.line) == ("items", 1000, 3)


def test_template_doubling_hits_string_length(engine: Engine) -> None:
    err = stopped(
        engine, "var s = 'ab';\nwhile (true) { s = `${s}${s}` }", Limits(string_length=MiB)
    )
    assert (err.limit, err.line) == ("string_length", 2)


# --- the memory estimate ----------------------------------------------------------------------

_HUNDRED = "[" + ", ".join(["j"] * 100) + "]"


def test_many_small_arrays_kept_hit_memory(engine: Engine) -> None:
    # each array is small, but the run keeps them all: 300,000 x 100 slots is ~230 MiB
    source = f"var keep = [...];\nfor (var j : 1..300000) {{ keep.add({_HUNDRED}) }}"
    err = stopped(engine, source, Limits(memory=16 * MiB, steps=None))
    assert (err.limit, err.line) == ("memory", 2)
    assert "memory limit" in err.message


def test_many_short_strings_kept_hit_memory(engine: Engine) -> None:
    source = "var keep = [...];\nwhile (true) { keep.add('x'.repeat(4000)) }"
    err = stopped(engine, source, Limits(memory=16 * MiB, steps=None))
    assert (err.limit, err.line) == ("memory", 2)


def test_templates_kept_hit_memory(engine: Engine) -> None:
    source = "var s = 'x'.repeat(4000);\nvar keep = [...];\nwhile (true) { keep.add(`${s}!`) }"
    err = stopped(engine, source, Limits(memory=16 * MiB, steps=None))
    assert (err.limit, err.line) == ("memory", 3)


def test_concatenations_kept_hit_memory(engine: Engine) -> None:
    # `+` results are values made too: 4001-character strings kept in a list (each below
    # the length check) once held 800 MB with an estimate of zero
    source = "var s = 'x'.repeat(4000);\nvar keep = [...];\nwhile (true) { keep.add(s + '!') }"
    err = stopped(engine, source, Limits(memory=16 * MiB, steps=None))
    assert (err.limit, err.line) == ("memory", 3)


def test_small_concatenations_do_not_count(engine: Engine) -> None:
    thread = engine.thread(limits=Limits(steps=None))
    engine.compile("var s = '';\nfor (var i : 1..10000) { s = 'n' + i }").run({}, thread=thread)
    assert thread.memory < 64 * 1024


def test_memory_estimate_counts_new_slots_of_a_growing_list_once(engine: Engine) -> None:
    # 2,000 addAll calls of 10 items to a list that ends with 20,000 items: the run made
    # 20,000 slots; charging the whole list on each call would count 20 million
    thread = engine.thread(limits=Limits(steps=None))
    source = (
        "var all = [...];\nfor (var i : 1..2000) { all.addAll([1, 2, 3, 4, 5, 6, 7, 8, 9, 0]) }"
    )
    engine.compile(source).run({}, thread=thread)
    assert 20_000 * 8 <= thread.memory < 1 * MiB


@pytest.mark.parametrize(
    ("source", "at_least"),
    [
        ("var l = [...]; for (var i : 1..100) { l.add(i) } l.toArray()", 8 * 100),
        ("var m = {'a': 1, 'b': 2}; m.keySet()", 8 * 2),
        ("'abc'.repeat(1000)", 3000),
        ("'abc'.repeat(1000).replaceAll('b', 'x')", 2 * 3000),
    ],
)
def test_every_made_value_counts_toward_memory(engine: Engine, source: str, at_least: int) -> None:
    thread = engine.thread(limits=Limits())
    engine.compile(source).run({}, thread=thread)
    assert thread.memory >= at_least
