"""The resolver's bindings: locals vs context names, scopes, captures, static errors."""

from __future__ import annotations

import dataclasses

from scriptengine import nodes as N
from scriptengine.parser import parse
from scriptengine.resolve import Resolution, resolve


def res_of(source: str, **kw: object) -> tuple[N.Script, Resolution]:
    tree = parse(source, "r.jexl")
    return tree, resolve(tree, **kw)  # type: ignore[arg-type]


def idents(node: object, name: str) -> list[N.Identifier]:
    """Every Identifier called ``name`` under ``node``, in source order."""
    out: list[N.Identifier] = []

    def walk(x: object) -> None:
        if isinstance(x, N.Identifier) and x.name == name:
            out.append(x)
        if isinstance(x, N.Node):
            for f in dataclasses.fields(x):
                walk(getattr(x, f.name))
        elif isinstance(x, tuple):
            for v in x:
                walk(v)

    walk(node)
    return out


def errors(source: str) -> list[str]:
    return [d.message for d in res_of(source)[1].errors]


def test_use_before_var_reads_the_context() -> None:
    tree, res = res_of("x; var x = 1; x")
    first, second = idents(tree, "x")
    assert first not in res.bindings
    assert res.bindings[second].kind == "var"


def test_var_is_function_wide_and_redeclarable() -> None:
    tree, res = res_of("if (true) { var x = 1; } var x = 2; x")
    (use,) = idents(tree, "x")
    assert res.bindings[use].pyname == "v_x"
    assert errors("var a = 1; var a = 2;") == []


def test_let_is_block_scoped_and_gets_its_own_slot() -> None:
    tree, res = res_of("{ let y = 1; y } { let y = 2; y } y")
    a, b, outside = idents(tree, "y")
    assert res.bindings[a] is not res.bindings[b]
    assert res.bindings[a].pyname != res.bindings[b].pyname
    assert outside not in res.bindings


def test_let_may_not_shadow_an_enclosing_declaration() -> None:
    assert errors("let x = 1; { let x = 2; }") == ["variable 'x' is already declared"]
    assert errors("var x = 1; { let x = 2; }") == ["variable 'x' is already declared"]
    assert errors("let x = 1; var x = 2;") == ["variable 'x' is already declared"]
    assert errors("{ let x = 1; } { let x = 2; }") == []


def test_const_and_function_cannot_be_assigned() -> None:
    assert errors("const c = 1; c = 2") == ["cannot assign to constant 'c'"]
    assert errors("const c = 1; c += 2") == ["cannot assign to constant 'c'"]
    assert errors("function f() { 1 } f = 2") == ["cannot assign to constant 'f'"]


def test_lambda_captures_enclosing_locals() -> None:
    tree, res = res_of("var a = 1; var b = 2; var f = function(p) { a + p + zz }")
    lam = tree.body[2].declarators[0].init  # type: ignore[attr-defined]
    f = res.functions[lam]
    assert [outer.name for outer, _ in f.captures] == ["a"]
    assert [p.name for p in f.params] == ["p"]
    (zz,) = idents(lam, "zz")
    assert zz not in res.bindings  # a context name


def test_nested_lambda_captures_through_the_middle_function() -> None:
    tree, res = res_of("var a = 1; var f = () -> () -> a;")
    outer_lam = tree.body[1].declarators[0].init  # type: ignore[attr-defined]
    inner_lam = outer_lam.body
    assert [c.name for _, c in res.functions[outer_lam].captures] == ["a"]
    assert [c.name for _, c in res.functions[inner_lam].captures] == ["a"]


def test_function_assigned_to_its_own_variable_captures_itself() -> None:
    tree, res = res_of("var f = function(n) { f(n) }")
    lam = tree.body[0].declarators[0].init  # type: ignore[attr-defined]
    assert lam in res.self_capture


def test_break_and_continue_placement() -> None:
    assert errors("while (true) { var f = function() { 1 }; break; }") == []
    assert errors("switch (1) { case 1: break; }") == []


def test_parameters_bind_inside_the_function() -> None:
    tree, res = res_of("var f = (x) -> x; x")
    inner, outer = idents(tree, "x")
    assert res.bindings[inner].kind == "param"
    assert outer not in res.bindings


def test_repl_mode_makes_top_level_declarations_context_variables() -> None:
    tree, res = res_of("var x = 1; { let y = 2; } x", repl=True)
    (use,) = idents(tree, "x")
    assert use not in res.bindings
    assert errors("var x = 1; var x = 2;") == []


def test_lexical_option_makes_var_block_scoped() -> None:
    from scriptengine import Options

    tree, res = res_of("{ var x = 1; } x", options=Options(lexical=True))
    (use,) = idents(tree, "x")
    assert use not in res.bindings


def test_pragma_options_apply_to_the_resolution() -> None:
    _, res = res_of("#pragma jexl.options '-safe +booleanLogical'\n1")
    assert res.options.safe is False and res.options.boolean_logical is True
    assert res.pragmas == {"jexl.options": "-safe +booleanLogical"}


def test_lexical_shade_refuses_a_local_used_outside_its_block() -> None:
    from scriptengine import Options

    _, res = res_of("{ let x = 1; } x", options=Options(lexical_shade=True))
    assert [d.message for d in res.errors] == ["variable 'x' is not declared here"]
    _, res = res_of("{ let x = 1; } x")
    assert res.errors == []
