"""Run limits: each runaway script is stopped by its limit, with an error that names the
limit and the line; a script's ``catch`` cannot swallow it."""

from __future__ import annotations

from typing import Any

import pytest

from scriptengine import Engine, Limits, ScriptLimitError, Thread

MiB = 1 << 20


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def limit_error(engine: Engine, source: str, limits: Limits, **kw: Any) -> ScriptLimitError:
    with pytest.raises(ScriptLimitError) as info:
        engine.compile(source, "runaway.jexl").run(limits=limits, **kw)
    return info.value


def test_infinite_loop_hits_steps(engine: Engine) -> None:
    err = limit_error(engine, "var i = 0;\nwhile (true) { i = i + 1 }", Limits(steps=5000))
    assert err.limit == "steps" and err.value == 5000
    assert err.line == 2
    assert "step limit" in err.message and "5,000" in err.message


def test_infinite_for_each_over_growing_list_hits_items(engine: Engine) -> None:
    src = "var l = [...];\nwhile (true) { l.add(1) }"
    err = limit_error(engine, src, Limits(steps=None, items=1000))
    assert err.limit == "items" and err.line == 2
    assert "1,000 items" in err.message


def test_runaway_recursion_hits_depth(engine: Engine) -> None:
    src = "var f = function(n) {\n  f(n + 1)\n};\nf(0)"
    err = limit_error(engine, src, Limits(depth=50))
    assert err.limit == "depth" and err.value == 50
    assert err.line == 2
    assert "depth" in err.message


def test_150_nested_script_calls_work(engine: Engine) -> None:
    src = "var f = function(n) { n == 0 ? 0 : 1 + f(n - 1) }; f(n)"
    assert engine.compile(src).run({"n": 150}) == 150


def test_250_nested_script_calls_hit_the_default_depth(engine: Engine) -> None:
    src = "var f = function(n) { n == 0 ? 0 : 1 + f(n - 1) }; f(n)"
    with pytest.raises(ScriptLimitError) as info:
        engine.compile(src).run({"n": 250})
    assert info.value.limit == "depth" and info.value.value == 200


def test_time_limit_with_steps_off(engine: Engine) -> None:
    err = limit_error(engine, "while (true) { }", Limits(steps=None, seconds=0.2))
    assert err.limit == "seconds"
    assert "time limit" in err.message


def test_doubling_string_hits_string_length(engine: Engine) -> None:
    src = "var s = 'abcdefgh';\nwhile (true) { s = s + s }"
    err = limit_error(engine, src, Limits(string_length=MiB))
    assert err.limit == "string_length" and err.line == 2


def test_big_strings_hit_memory(engine: Engine) -> None:
    src = "var s = 'abcdefgh';\nvar keep = [...];\nwhile (true) { s = s + s; keep.add(s) }"
    err = limit_error(engine, src, Limits(memory=4 * MiB, string_length=None))
    assert err.limit == "memory" and err.line == 3


def test_catch_cannot_swallow_a_limit(engine: Engine) -> None:
    src = "try {\n  while (true) { }\n} catch (e) { 'caught' } finally { x = 1 }"
    err = limit_error(engine, src, Limits(steps=1000))
    assert err.limit == "steps" and err.line == 2


def test_limit_inside_function_reports_the_stack(engine: Engine) -> None:
    src = "function spin() {\n  while (true) { }\n}\nspin()"
    err = limit_error(engine, src, Limits(steps=1000))
    assert err.line == 2
    assert [(f.function, f.line) for f in err.stack] == [("<script>", 4), ("spin", 2)]


def test_steps_count_calls_and_iterations(engine: Engine) -> None:
    thread = Thread(Limits(steps=None))
    engine.compile("var f = x -> x; for (var i : 1..10) { f(i) }").run(thread=thread)
    assert thread.steps == 20


def test_host_function_charges_its_work() -> None:
    engine = Engine()

    def heavy(thread: Thread, n: int) -> int:
        thread.charge(n)
        return n

    engine.register_function("heavy", heavy, 1, 1, takes_thread=True)
    assert engine.eval("heavy(10)") == 10
    err = limit_error(engine, "var x = 1;\nheavy(1000000)", Limits(steps=1000))
    assert err.limit == "steps" and err.line == 2


def test_cancel_stops_the_run() -> None:
    engine = Engine()
    thread = engine.thread(limits=Limits(steps=None, seconds=None))

    def stop() -> None:
        thread.cancel("operator")

    engine.register_function("stop", stop, 0, 0)
    with pytest.raises(ScriptLimitError) as info:
        engine.compile("stop();\nwhile (true) { }").run(thread=thread)
    assert info.value.limit == "cancel" and "operator" in info.value.message


def test_recursion_limit_is_restored_after_a_run(engine: Engine) -> None:
    import sys

    before = sys.getrecursionlimit()
    engine.eval("var f = function(n) { n == 0 ? 0 : f(n - 1) }; f(100)")
    assert sys.getrecursionlimit() == before


def test_limit_error_render_names_line_and_caret(engine: Engine) -> None:
    err = limit_error(engine, "var i = 0;\nwhile (true) { i++ }", Limits(steps=100))
    lines = err.render().splitlines()
    assert lines[0].startswith("runaway.jexl:2:")
    assert lines[1] == "    while (true) { i++ }"
    assert lines[2].strip() == "^"
