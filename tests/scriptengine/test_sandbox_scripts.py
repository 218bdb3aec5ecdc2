"""Escape attempts written as scripts (LANGUAGE.md section 4), end to end: parsed, resolved,
compiled to Python and run. ``test_sandbox.py`` proves the access layer member by member;
these prove that no route from script text around it exists (a name the compiler would
turn into a Python attribute, a string key, a template, a format string, a bound method).

Under safe mode each attempt gives null and a warning; with ``-safe`` it is an error; it
never gives a Python object.
"""

from __future__ import annotations

import pytest

from scriptengine import Engine, ScriptRuntimeError, ScriptSyntaxError
from scriptengine.access import Access
from scriptengine.errors import EvalError
from scriptengine.options import Options
from scriptengine.thread import Thread
from tests.scriptengine.test_sandbox import assert_script_value, listed_members

ATTEMPTS = [
    "''.getClass()",
    "'abc'.class",
    "var x = [1, ...]; x.getClass().forName('os')",
    "var x = [1, ...]; x['__class__']",
    "var x = [1, ...]; x['__cla' + 'ss__']",
    "var x = 'a'; x.'__class__'",
    "var x = [1, ...]; `${x.__class__}`",
    "'{0.__class__}'.format([1])",
    "'{0.__globals__}'.format_map({:})",
    "var f = x -> x; f.__globals__",
    "var f = x -> x; f.__code__",
    "var f = function() { 1 }; f['__call__']",
    "var f = x -> x; f.invoke([1])",
    "try { throw 'a' } catch (e) { e.__traceback__ }",
    "try { throw 'a' } catch (e) { e.with_traceback(null) }",
    "var s = 'abc'; s.upper()",
    "var s = 'abc'; s.__len__()",
    "var s = 'abc'; s.encode()",
    "var x = [1, ...]; x.append",
    "var x = [1, ...]; x.pop()",
    "var r = 1..3; r.__iter__()",
    "var p = ~/a/; p.match('a')",
    "var n = 1; n.real",
    "var n = 1.5; n.hex()",
    "var d = 1.5b; d.as_tuple()",
    "x.__class__",
]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.mark.parametrize("source", ATTEMPTS)
def test_escape_attempt_gives_null_and_a_warning(engine: Engine, source: str) -> None:
    thread = engine.thread()
    assert engine.compile(source).run({"x": [1]}, thread=thread) in (None, "")
    assert thread.warnings, "safe mode must say which member it refused"


@pytest.mark.parametrize("source", ATTEMPTS)
def test_escape_attempt_is_an_error_without_safe_mode(engine: Engine, source: str) -> None:
    with pytest.raises(ScriptRuntimeError):
        engine.compile("#pragma jexl.options '-safe'\n" + source).run({"x": [1]})


def test_a_map_s_properties_are_its_keys_never_python_attributes(engine: Engine) -> None:
    # JEXL reads `m.name` of a map as `m.get('name')`: data, so no warning and no error
    source = "var m = {'__class__': 'k'}; [m.__class__, m.__dict__, `a${m.__mro__}`, ...]"
    assert engine.compile(source).run({}) == ["k", None, "a"]
    strict = "#pragma jexl.options '-safe'\nvar m = {:}; m.__class__"
    assert engine.compile(strict).run({}) is None


def test_a_refused_call_changes_nothing(engine: Engine) -> None:
    script = "var x = [1, 2, ...]; x.append(3); x.extend([4]); x.insert(0, 9); x"
    assert engine.compile(script).run({}) == [1, 2]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("new('java.lang.Runtime')", "new(...)"),
        ("#pragma jexl.namespace.rt java.lang.Runtime\nrt:getRuntime()", "jexl.namespace.rt"),
        ("#pragma jexl.import java.lang\n1", "jexl.import"),
        ("#pragma jexl.module.m 'x'\n1", "jexl.module.m"),
        ("@synchronized(x) { 1 }", "annotation"),
    ],
)
def test_reaching_host_classes_is_refused_at_compile_time(
    engine: Engine, source: str, words: str
) -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        engine.compile(source)
    assert words in info.value.message
    assert info.value.line >= 1


def test_an_unregistered_namespace_is_not_python(engine: Engine) -> None:
    # `os:system(...)` names a namespace nobody registered: never a Python module
    with pytest.raises((ScriptRuntimeError, ScriptSyntaxError)) as info:
        engine.compile("os:system('true')").run({})
    assert "os" in info.value.message


# --- the values a real run hands out ------------------------------------------------------


def _real_values() -> dict[str, object]:
    """Function values and caught errors as the engine makes them (test_sandbox.py probes
    stand-ins: a ScriptFunction is a ``functools.partial`` with ``func``/``args`` inside)."""
    e = Engine()
    e.register_function("double", lambda x: x * 2, 1, 1)
    return {
        "lambda": e.eval("x -> x"),
        "named function": e.eval("function named(a) { a }; named"),
        "closure": e.eval("var k = 1; var f = function(a) { a + k }; f"),
        "Java exception (e.cause)": e.eval("try { ''.charAt(5) } catch (e) { e.cause }"),
        "caught error": e.eval("try { double(1, 2) } catch (e) { e }"),
        "caught throw": e.eval("try { throw {'a': 1} } catch (e) { e }"),
    }


REAL = _real_values()


@pytest.mark.parametrize("kind", sorted(REAL))
def test_real_functions_and_errors_show_only_their_listed_members(kind: str) -> None:
    value = REAL[kind]
    listed = listed_members(value)
    names = sorted(set(dir(value)) | {"func", "args", "keywords", "__call__", "invoke"})
    for name in names:
        for op in ("getprop", "getitem", "call0"):
            acc = Access(Options(safe=True), Thread(), None)
            try:
                if op == "call0":
                    result = acc.call_method(value, name, [])
                else:
                    result = getattr(acc, op)(value, name)
            except EvalError:
                continue
            assert_script_value(result)
            if name not in listed:
                assert result is None, (kind, name, op, result)
                assert acc.thread.warnings, (kind, name, op)
