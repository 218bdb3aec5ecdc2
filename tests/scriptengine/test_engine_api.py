"""The embedding API: Engine, Script, Session/Context, host registration, threads."""

from __future__ import annotations

from typing import Any

import pytest

import scriptengine
from scriptengine import (
    Context,
    Engine,
    HostFunction,
    HostObject,
    Limits,
    MethodInfo,
    Options,
    PropertyInfo,
    ScriptRuntimeError,
    Thread,
    TypeInfo,
)


class Point(HostObject):
    jexl_type = TypeInfo(
        "Point",
        properties={"x": PropertyInfo("x", "Integer", writable=True)},
        methods={"norm": MethodInfo("norm", 0, 0, "Double")},
    )

    def __init__(self, x: int) -> None:
        self.x = x

    def jexl_get(self, name: str) -> Any:
        return self.x

    def jexl_set(self, name: str, value: Any) -> None:
        self.x = value

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        return float(abs(self.x))


def test_public_names() -> None:
    for name in [
        "Engine",
        "Script",
        "Session",
        "Context",
        "Limits",
        "Options",
        "Thread",
        "ScriptError",
        "ScriptSyntaxError",
        "ScriptRuntimeError",
        "ScriptLimitError",
        "Diagnostic",
        "HostObject",
        "TypeInfo",
        "PropertyInfo",
        "MethodInfo",
        "HostFunction",
    ]:
        assert name in scriptengine.__all__
        assert hasattr(scriptengine, name)


def test_register_function_and_argument_count() -> None:
    engine = Engine()
    engine.register_function("join", lambda xs, sep: sep.join(xs), 2, 2, returns="String")
    assert engine.eval("join(['a', 'b'], '-')") == "a-b"
    with pytest.raises(ScriptRuntimeError, match="join"):
        engine.eval("join(['a'])")


def test_register_namespace() -> None:
    engine = Engine()
    engine.register_namespace(
        "math", {"twice": lambda x: 2 * x, "inc": HostFunction("inc", lambda x: x + 1, 1, 1)}
    )
    assert engine.eval("math:twice(4) + math:inc(1)") == 10


def test_host_object_properties_and_methods() -> None:
    engine = Engine()
    engine.register_type(Point.jexl_type)
    engine.declare_variable("p", "Point")
    p = Point(-3)
    assert engine.eval("p.x = p.x * 2; p.norm()", {"p": p}) == 6.0
    assert p.x == -6
    assert engine.compile("p.norn()").check()[0].hint == "did you mean 'norm'?"


def test_script_runs_many_times_with_different_variables() -> None:
    script = Engine().compile("x * 2")
    assert [script.run({"x": i}) for i in range(3)] == [0, 2, 4]


def test_runs_do_not_share_context_variables_without_a_context() -> None:
    script = Engine().compile("count = (count ?? 0) + 1")
    assert script.run() == 1
    assert script.run() == 1


def test_context_keeps_variables_between_runs() -> None:
    engine = Engine()
    ctx = Context()
    script = engine.compile("count = (count ?? 0) + 1")
    script.run(context=ctx)
    script.run(context=ctx)
    assert script.run(context=ctx) == 3
    assert ctx.variables == {"count": 3}


def test_session_keeps_top_level_declarations() -> None:
    session = Engine().session({"base": 10})
    session.eval("var x = 1")
    session.eval("function inc(n) { n + 1 }")
    session.eval("let y = inc(x)")
    assert session.eval("x + y + base") == 13
    with pytest.raises(ScriptRuntimeError):
        session.eval("base = 1")


def test_pragmas_are_exposed() -> None:
    script = Engine().compile("#pragma jexl.options '+strict'\n#pragma owner 'ops'\n1")
    assert script.pragmas == {"jexl.options": "+strict", "owner": "ops"}


def test_run_options_override_engine_options() -> None:
    script = Engine().compile("undefinedThing")
    with pytest.raises(ScriptRuntimeError):
        script.run()
    assert script.run(options=Options(strict=False)) is None


def test_pragma_wins_over_run_options() -> None:
    script = Engine().compile("#pragma jexl.options '+strict'\nundefinedThing")
    with pytest.raises(ScriptRuntimeError):
        script.run(options=Options(strict=False))


def test_thread_collects_warnings_and_logs() -> None:
    engine = Engine()
    printed: list[str] = []
    thread = engine.thread(limits=Limits(steps=10_000), print=printed.append)
    engine.register_function("log", lambda th, text: th.log(text), 1, 1, takes_thread=True)
    script = engine.compile("log('hello');\n'abc'.nosuch()", "w.jexl")
    assert script.run(thread=thread) is None
    assert printed == ["hello"] and thread.logs == ["hello"]
    assert len(thread.warnings) == 1
    w = thread.warnings[0]
    assert (w.filename, w.line) == ("w.jexl", 2)


def test_thread_is_reset_for_each_run() -> None:
    engine = Engine()
    thread = Thread(Limits(steps=100))
    script = engine.compile("for (var i : 1..60) { i }")
    script.run(thread=thread)
    script.run(thread=thread)  # would exceed 100 steps if the count carried over


def test_limits_argument_applies_to_a_given_thread() -> None:
    from scriptengine import ScriptLimitError

    thread = Thread()
    with pytest.raises(ScriptLimitError):
        Engine().compile("while (true) {}").run(thread=thread, limits=Limits(steps=10))


def test_compile_cache_is_bounded() -> None:
    engine = Engine(cache_size=2)
    a = engine.compile("1")
    engine.compile("2")
    engine.compile("3")
    assert engine.compile("1") is not a


def test_registering_clears_the_cache() -> None:
    engine = Engine()
    first = engine.compile("f(1)")
    assert first.check()[0].message == "unknown function 'f'"
    engine.register_function("f", lambda x: x, 1, 1)
    assert engine.compile("f(1)").check() == []


def test_function_values_returned_to_python_are_invocable() -> None:
    engine = Engine()
    fn = engine.eval("x -> x + 1")
    assert fn.name == "lambda"
    assert "function" in fn.jexl_string()


def test_eval_with_variables() -> None:
    assert Engine().eval("size(x) > 2", {"x": [1, 2, 3]}) is True
