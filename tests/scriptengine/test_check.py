"""``check``: every static error and warning in one pass, with positions, carets and hints."""

from __future__ import annotations

import pytest

from scriptengine import Diagnostic, Engine, MethodInfo, PropertyInfo, ScriptSyntaxError, TypeInfo


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.register_function("join", lambda xs, sep: sep.join(xs), 2, 2, returns="String")
    e.register_function("createNew", lambda t: {}, 1, 1)
    e.register_namespace("math", {"round": lambda x: x})
    e.register_type(
        TypeInfo(
            "ReceivedEmail",
            properties={
                "subject": PropertyInfo("subject", "String"),
                "attachments": PropertyInfo("attachments", "List"),
                "note": PropertyInfo("note", "String", writable=True),
            },
            methods={"reply": MethodInfo("reply", 1, 1, "String")},
            strict=True,
        )
    )
    e.declare_variable("entity", "ReceivedEmail")
    return e


def diags(engine: Engine, source: str) -> list[tuple[str, int, int, str, str | None]]:
    return [
        (d.severity, d.line, d.column, d.message, d.hint) for d in engine.check(source, "c.jexl")
    ]


def test_clean_script_has_no_diagnostics(engine: Engine) -> None:
    src = (
        "var names = [...];\n"
        "for (var a : entity.attachments) { names.add(a) }\n"
        "entity.note = join(names, ', ');\n"
        "entity.subject.toUpperCase()\n"
    )
    assert engine.check(src) == []


def test_undefined_variable_with_hint(engine: Engine) -> None:
    assert diags(engine, "var total = 0;\ntotl + 1") == [
        ("warning", 2, 1, "variable 'totl' is undefined", "did you mean 'total'?")
    ]


def test_assigned_context_variable_is_declared_afterwards(engine: Engine) -> None:
    found = diags(engine, "later + 1;\nlater = 5;\nlater + 1")
    assert found == [("warning", 1, 1, "variable 'later' is undefined", None)]


def test_optional_contexts_do_not_warn(engine: Engine) -> None:
    src = "opt ?? 1; opt2 ?: 2; opt3 ? 1 : 2; empty(opt4); size(opt5)"
    assert engine.check(src) == []


def test_unknown_function_and_argument_counts(engine: Engine) -> None:
    found = diags(engine, "jion(1, 2);\njoin([1]);\nmath:rnd(1);\nnope:f()")
    assert found == [
        ("warning", 1, 1, "unknown function 'jion'", "did you mean 'join'?"),
        ("warning", 2, 1, "'join' takes 2 arguments, got 1", None),
        ("warning", 3, 1, "unknown function 'math:rnd'", "did you mean 'round'?"),
        ("warning", 4, 1, "unknown namespace 'nope'", None),
    ]


def test_local_function_is_no_unknown_function(engine: Engine) -> None:
    assert engine.check("var f = x -> x; f(1); function g() { 1 } g()") == []


def test_unknown_members_where_type_is_known(engine: Engine) -> None:
    found = diags(
        engine,
        "entity.subjct;\nentity.reply();\n'abc'.lenght();\nentity.subject.toUpperCse()",
    )
    assert found == [
        ("warning", 1, 1, "unknown property 'subjct' of ReceivedEmail", "did you mean 'subject'?"),
        ("warning", 2, 1, "'ReceivedEmail.reply' takes 1 argument, got 0", None),
        ("warning", 3, 1, "unknown method 'lenght' of String", "did you mean 'length'?"),
        ("warning", 4, 1, "unknown method 'toUpperCse' of String", "did you mean 'toUpperCase'?"),
    ]


def test_type_flows_through_locals_and_results(engine: Engine) -> None:
    found = diags(engine, "var s = entity.reply('x');\ns.trimm()")
    assert found == [("warning", 2, 1, "unknown method 'trimm' of String", "did you mean 'trim'?")]


def test_reassigned_local_loses_its_type(engine: Engine) -> None:
    assert engine.check("var s = 'a'; s = [1, ...]; s.add(2)") == []


def test_read_only_property_assignment_warns(engine: Engine) -> None:
    found = diags(engine, "entity.subject = 'x'")
    assert found == [
        ("warning", 1, 1, "property 'subject' of ReceivedEmail cannot be assigned", None)
    ]


def test_errors_are_all_reported_at_once(engine: Engine) -> None:
    src = "let a = 1;\nlet a = 2;\nconst c = 1;\nc = 3;\nnew('x');\n"
    found = [(d.severity, d.line, d.message) for d in engine.check(src)]
    assert found == [
        ("error", 2, "variable 'a' is already declared"),
        ("error", 4, "cannot assign to constant 'c'"),
        ("error", 5, "new(...) is not allowed: scripts cannot create host classes"),
    ]
    with pytest.raises(ScriptSyntaxError) as info:
        engine.compile(src)
    assert info.value.line == 2
    assert [d.line for d in info.value.errors] == [2, 4, 5]  # type: ignore[attr-defined]


def test_pragmas(engine: Engine) -> None:
    found = [
        (d.severity, d.message)
        for d in engine.check("#pragma foo 1\n#pragma jexl.import java.net\n1")
    ]
    assert found == [
        ("warning", "pragma 'foo' is ignored"),
        ("error", "pragma 'jexl.import' is not allowed: scripts cannot reach host classes"),
    ]
    found = [d.message for d in engine.check("#pragma jexl.options '+nosuch'\n1")]
    assert found == ["unknown option 'nosuch' in jexl.options"]


def test_syntax_error_is_a_diagnostic(engine: Engine) -> None:
    found = engine.check("var = ;", "bad.jexl")
    assert len(found) >= 1 and found[0].severity == "error"
    assert found[0].filename == "bad.jexl" and found[0].line == 1


def test_diagnostic_render_has_caret(engine: Engine) -> None:
    d = engine.check("var total = 0;\n  totl + 1", "r.jexl")[0]
    assert isinstance(d, Diagnostic)
    assert d.render() == (
        "r.jexl:2:3: warning: variable 'totl' is undefined (did you mean 'total'?)\n"
        "      totl + 1\n"
        "      ^"
    )


def test_script_check_keeps_warnings(engine: Engine) -> None:
    script = engine.compile("var total = 1; totl")
    assert [d.message for d in script.check()] == ["variable 'totl' is undefined"]


def test_type_named_by_the_first_argument() -> None:
    from scriptengine.resolve import TYPE_FROM_FIRST_ARGUMENT

    e = Engine()
    e.register_function("createNew", lambda t: {}, 1, 1, returns=TYPE_FROM_FIRST_ARGUMENT)
    e.register_type(
        TypeInfo("SubmittedDocument", properties={"note": PropertyInfo("note", "String", True)})
    )
    found = diags(
        e, "var sd = createNew('SubmittedDocument');\nsd.nte = 1;\ncreateNew('Submitted')"
    )
    assert found == [
        ("warning", 2, 1, "unknown property 'nte' of SubmittedDocument", "did you mean 'note'?"),
        ("warning", 3, 11, "unknown type 'Submitted'", "did you mean 'SubmittedDocument'?"),
    ]
