"""Runtime and compile errors as users see them: message, file:line:column, source line,
caret, hint, and the script's own call stack (never Python's)."""

from __future__ import annotations

import pytest

from scriptengine import (
    Engine,
    Options,
    ScriptError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    Thread,
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def runtime_error(
    engine: Engine, source: str, filename: str = "e.jexl", **kw: object
) -> ScriptRuntimeError:
    with pytest.raises(ScriptRuntimeError) as info:
        engine.compile(source, filename).run(**kw)  # type: ignore[arg-type]
    return info.value


def test_error_position_and_caret(engine: Engine) -> None:
    err = runtime_error(engine, "var a = 1;\nvar b = a + zz;")
    assert (err.filename, err.line, err.column) == ("e.jexl", 2, 13)
    assert err.message == "variable 'zz' is undefined"
    assert err.render().splitlines() == [
        "e.jexl:2:13: variable 'zz' is undefined",
        "    var b = a + zz;",
        "                ^",
    ]


def test_column_counts_characters_not_bytes(engine: Engine) -> None:
    err = runtime_error(engine, "var s = 'přijatý' + zz")
    assert err.column == 21


def test_call_stack_of_nested_functions(engine: Engine) -> None:
    src = "function inner(x) {\n  x / 0\n}\nfunction outer(y) {\n  inner(y) + 1\n}\nouter(2)\n"
    err = runtime_error(engine, src, "nested.jexl")
    assert (err.line, err.column) == (2, 3)
    assert [(f.function, f.filename, f.line) for f in err.stack] == [
        ("<script>", "nested.jexl", 7),
        ("outer", "nested.jexl", 5),
        ("inner", "nested.jexl", 2),
    ]
    text = err.render()
    assert "call stack (most recent call last):" in text
    assert "nested.jexl:5:3: in outer" in text
    assert "Traceback" not in text and ".py" not in text


def test_anonymous_functions_appear_as_lambda(engine: Engine) -> None:
    err = runtime_error(engine, "var f = x -> x.y.z + 1 / 0;\nf(1)")
    assert [f.function for f in err.stack] == ["<script>", "lambda"]


def test_no_stack_at_top_level(engine: Engine) -> None:
    assert runtime_error(engine, "1 / 0").stack == []


def test_uncaught_throw_names_the_value(engine: Engine) -> None:
    err = runtime_error(engine, "var x = 1;\nthrow 'boom'")
    assert err.value == "boom"
    assert "boom" in err.message
    assert err.line == 2


def test_throw_any_value(engine: Engine) -> None:
    err = runtime_error(engine, "throw {'code': 42}")
    assert err.value == {"code": 42}


def test_hint_from_undefined_variable(engine: Engine) -> None:
    err = runtime_error(engine, "total + 1", variables={"totals": 1})
    assert err.hint == "did you mean 'totals'?"
    assert str(err) == "e.jexl:1:1: variable 'total' is undefined (did you mean 'totals'?)"


def test_unknown_function_is_an_error(engine: Engine) -> None:
    err = runtime_error(engine, "parseJson('x')")
    assert "parseJson" in err.message


def test_internal_error_keeps_the_cause() -> None:
    engine = Engine()

    def broken() -> None:
        raise ValueError("database is down")

    engine.register_function("broken", broken, 0, 0)
    err = runtime_error(engine, "var a = 1;\nbroken()")
    assert isinstance(err.cause, ValueError)
    assert err.line == 2
    assert "ValueError" not in err.message


def test_host_function_error_is_catchable() -> None:
    engine = Engine()

    def broken() -> None:
        raise ValueError("x")

    engine.register_function("broken", broken, 0, 0)
    assert engine.eval("try { broken() } catch (e) { 'handled' }") == "handled"


def test_caught_error_fields(engine: Engine) -> None:
    src = "try {\n  throw 'bad'\n} catch (e) { [e.value, e.info.line, e.message] }"
    value, line, message = engine.eval(src)
    assert (value, line) == ("bad", 2)
    assert "bad" in message


def test_silent_option_returns_null_and_warns() -> None:
    thread = Thread()
    engine = Engine(Options(silent=True))
    assert engine.compile("1 / 0").run(thread=thread) is None
    assert [w.code for w in thread.warnings] == ["silent-error"]


def test_syntax_error_is_a_script_error(engine: Engine) -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        engine.compile("var x = ;", "s.jexl")
    err = info.value
    assert isinstance(err, ScriptError)
    assert err.filename == "s.jexl" and err.line == 1 and err.column > 0


def test_sandbox_refusals_are_compile_errors(engine: Engine) -> None:
    for src, word in [
        ("new('java.util.ArrayList')", "new"),
        ("#pragma jexl.namespace.str java.lang.String\n1", "jexl.namespace.str"),
        ("#pragma jexl.module.m 1\n1", "jexl.module.m"),
    ]:
        with pytest.raises(ScriptSyntaxError) as info:
            engine.compile(src)
        assert word in info.value.message


def test_error_json(engine: Engine) -> None:
    err = runtime_error(engine, "\n  1 / 0")
    assert err.to_json() == {
        "type": "runtime",
        "message": err.message,
        "file": "e.jexl",
        "line": 2,
        "column": 3,
    }


def test_annotations_are_refused(engine: Engine) -> None:
    with pytest.raises(ScriptSyntaxError, match="annotations are not supported"):
        engine.compile("@silent 1 / 0")


def test_named_functions_are_not_hoisted(engine: Engine) -> None:
    err = runtime_error(engine, "f();\nfunction f() { 1 }")
    assert "'f'" in err.message and err.line == 1


def test_too_deeply_nested_script_is_a_syntax_error(engine: Engine) -> None:
    with pytest.raises(ScriptSyntaxError, match="nested too deeply"):
        engine.compile("1" + " + 1" * 3000)
    assert engine.eval("1" + " + 1" * 200) == 201


def test_invalid_regex_literal_is_a_compile_error(engine: Engine) -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        engine.compile("var x = 1;\n'a' =~ ~/(/", "re.jexl")
    assert (info.value.line, info.value.column) == (2, 8)


def test_error_inside_template_points_into_it(engine: Engine) -> None:
    err = runtime_error(engine, "var s = `a ${1 / 0} b`")
    assert err.line == 1 and err.column > 9


def test_depth_error_points_at_the_call(engine: Engine) -> None:
    from scriptengine import Limits, ScriptLimitError

    src = "var f = function(n) {\n  1 + f(n + 1)\n};\nf(0)"
    with pytest.raises(ScriptLimitError) as info:
        engine.compile(src).run(limits=Limits(depth=10))
    err = info.value
    assert (err.line, err.column) == (2, 7)
    assert len(err.stack) == 11  # the script and ten calls of the function
