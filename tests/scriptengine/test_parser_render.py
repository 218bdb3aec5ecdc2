"""Test helper: render a syntax tree as canonical, fully parenthesized text.

``render(parse_expression("a + b * c")) == "(a + (b * c))"``: one string shows the whole shape
of a tree (which operator binds what, which node class was chosen), so parser tests can assert
shapes in one line. Positions are checked separately.
"""

from __future__ import annotations

from scriptengine import nodes as N


def _args(items: tuple[N.Expr, ...]) -> str:
    return ", ".join(render(a) for a in items)


def _case(case: N.SwitchCase, arrow: bool) -> str:
    head = "case " + ", ".join(render(x) for x in case.labels) if case.labels else "default"
    if arrow:
        body = case.body
        text = render(body) if isinstance(body, N.Node) else " ".join(render(s) for s in body)
        return f"{head} -> {text}"
    assert isinstance(case.body, tuple)
    return f"{head}: " + " ".join(render(s) for s in case.body)


def render(node: object) -> str:  # noqa: C901 - one branch per node class, on purpose
    """Canonical text of a node (see the module docstring)."""
    n = node
    if isinstance(n, N.Script):
        return " ".join(render(s) for s in n.body)
    if isinstance(n, N.NullLiteral):
        return "null"
    if isinstance(n, N.BooleanLiteral):
        return "true" if n.value else "false"
    if isinstance(n, N.NumberLiteral):
        return n.text
    if isinstance(n, N.StringLiteral):
        return repr(n.value)
    if isinstance(n, N.TemplateLiteral):
        inner = "".join(p if isinstance(p, str) else "${" + render(p) + "}" for p in n.parts)
        return f"`{inner}`"
    if isinstance(n, N.RegexLiteral):
        pattern = n.pattern.replace("/", "\\/")
        return f"~/{pattern}/"
    if isinstance(n, N.ArrayLiteral):
        items = [render(i) for i in n.items] + (["..."] if n.extended else [])
        return "[" + ", ".join(items) + "]"
    if isinstance(n, N.SetLiteral):
        return "{" + _args(n.items) + "}"
    if isinstance(n, N.MapLiteral):
        if not n.entries:
            return "{:}"
        return "{" + ", ".join(f"{render(e.key)}: {render(e.value)}" for e in n.entries) + "}"
    if isinstance(n, N.RangeNode):
        return f"({render(n.low)} .. {render(n.high)})"
    if isinstance(n, N.Identifier):
        return n.name
    if isinstance(n, N.PropertyAccess):
        name = n.name if isinstance(n.name, int) or n.name.isidentifier() else repr(n.name)
        return f"{render(n.obj)}{'?.' if n.safe else '.'}{name}"
    if isinstance(n, N.TemplatePropertyAccess):
        return f"{render(n.obj)}{'?.' if n.safe else '.'}{render(n.name)}"
    if isinstance(n, N.IndexAccess):
        return f"{render(n.obj)}{'?[' if n.safe else '['}{render(n.index)}]"
    if isinstance(n, N.MethodCall):
        return f"{render(n.obj)}{'?.' if n.safe else '.'}{n.name}({_args(n.args)})"
    if isinstance(n, N.FunctionCall):
        prefix = f"{n.namespace}:" if n.namespace else ""
        return f"{prefix}{n.name}({_args(n.args)})"
    if isinstance(n, N.CallExpr):
        return f"({render(n.callee)})({_args(n.args)})"
    if isinstance(n, N.NewExpr):
        return f"new({_args(n.args)})"
    if isinstance(n, N.UnaryOp):
        return f"({n.op}{render(n.operand)})"
    if isinstance(n, N.EmptyFunction):
        return f"empty({render(n.operand)})"
    if isinstance(n, N.SizeFunction):
        return f"size({render(n.operand)})"
    if isinstance(n, N.BinaryOp | N.LogicalOp):
        return f"({render(n.left)} {n.op} {render(n.right)})"
    if isinstance(n, N.InstanceOf):
        word = "!instanceof" if n.negated else "instanceof"
        return f"({render(n.operand)} {word} {render(n.type)})"
    if isinstance(n, N.Ternary):
        return f"({render(n.cond)} ? {render(n.then)} : {render(n.otherwise)})"
    if isinstance(n, N.Elvis):
        return f"({render(n.value)} ?: {render(n.default)})"
    if isinstance(n, N.NullCoalesce):
        return f"({render(n.value)} ?? {render(n.default)})"
    if isinstance(n, N.Assignment):
        return f"({render(n.target)} {n.op or ''}= {render(n.value)})"
    if isinstance(n, N.IncDec):
        sign = n.op * 2
        return f"({sign}{render(n.target)})" if n.prefix else f"({render(n.target)}{sign})"
    if isinstance(n, N.Lambda):
        params = ", ".join(p.name for p in n.params)
        if n.arrow is None:
            name = f" {n.name}" if n.name else ""
            return f"function{name}({params}) {render(n.body)}"
        return f"(({params}) {n.arrow} {render(n.body)})"
    if isinstance(n, N.SwitchExpression):
        cases = "; ".join(_case(c, True) for c in n.cases)
        return f"switch ({render(n.subject)}) {{ {cases} }}"
    # statements
    if isinstance(n, N.ExpressionStatement):
        return render(n.expr) + ";"
    if isinstance(n, N.EmptyStatement):
        return ";"
    if isinstance(n, N.Block):
        return "{ " + " ".join(render(s) for s in n.body) + " }" if n.body else "{ }"
    if isinstance(n, N.VarDeclaration):
        parts = [
            d.name + (f" = {render(d.init)}" if d.init is not None else "") for d in n.declarators
        ]
        return f"{n.kind} " + ", ".join(parts) + ";"
    if isinstance(n, N.FunctionDeclaration):
        return render(n.function)
    if isinstance(n, N.IfStatement):
        text = f"if ({render(n.cond)}) {render(n.then)}"
        return text + (f" else {render(n.orelse)}" if n.orelse is not None else "")
    if isinstance(n, N.ForeachStatement):
        kind = f"{n.kind} " if n.kind else ""
        return f"for ({kind}{n.name} : {render(n.items)}) {render(n.body)}"
    if isinstance(n, N.ForStatement):
        init = "" if n.init is None else render(n.init).rstrip(";")
        cond = "" if n.cond is None else render(n.cond)
        update = "" if n.update is None else render(n.update)
        return f"for ({init}; {cond}; {update}) {render(n.body)}"
    if isinstance(n, N.WhileStatement):
        return f"while ({render(n.cond)}) {render(n.body)}"
    if isinstance(n, N.DoWhileStatement):
        return f"do {render(n.body)} while ({render(n.cond)});"
    if isinstance(n, N.BreakStatement):
        return "break;"
    if isinstance(n, N.ContinueStatement):
        return "continue;"
    if isinstance(n, N.ReturnStatement):
        return "return;" if n.value is None else f"return {render(n.value)};"
    if isinstance(n, N.ThrowStatement):
        return f"throw {render(n.value)};"
    if isinstance(n, N.TryStatement):
        text = "try "
        if n.resources:
            items = [
                (f"{r.kind} {r.name} = " if r.name else "") + render(r.value) for r in n.resources
            ]
            text += "(" + "; ".join(items) + ") "
        text += render(n.body)
        if n.handler is not None:
            kind = f"{n.handler.kind} " if n.handler.kind else ""
            text += f" catch ({kind}{n.handler.name}) {render(n.handler.body)}"
        if n.finalizer is not None:
            text += f" finally {render(n.finalizer)}"
        return text
    if isinstance(n, N.SwitchStatement):
        cases = " ".join(_case(c, False) for c in n.cases)
        return f"switch ({render(n.subject)}) {{ {cases} }}"
    if isinstance(n, N.AnnotatedStatement):
        notes = " ".join(f"@{a.name}({_args(a.args)})" for a in n.annotations)
        return f"{notes} {render(n.statement)}"
    raise AssertionError(f"no rendering for {type(n).__name__}")


_CORPUS = [
    "var a = 1, b; let c = a ?? b; const d = c ?: 2",
    "if (a) { b } else if (c) d; else { e }",
    "for (var x : xs) { if (x > 2) break; s += x } while (i < 3) i++; do { j-- } while (j)",
    "for (let i = 0; i < n; ++i) { continue }",
    "function f(a, b) { return a + b * -c } var g = (x, y) -> x =~ y; var h = z => { z }",
    "switch (x) { case 1: a; break; case 'q', 'r': b; default: c }",
    "var r = switch (x) { case 1, 2 -> 'a'; default -> { 'b' } }",
    "try (let r = open(); s) { a } catch (let e) { throw e } finally { c }",
    "x = [1, [2, ...], {3}, {'k': `v ${w.y}`}, {:}, [...]]; y = a?.b?[0].c(d, e)(f)",
    "m.`${k}` = ~/a\\/b/; n = empty(xs) || size ys > 0 && !(a instanceof b)",
    "@silent(1) @again x.y = new('T', 1); ns:fn(1, 2)",
]


def test_canonical_text_parses_to_the_same_tree() -> None:
    from scriptengine.parser import parse

    for source in _CORPUS:
        canonical = render(parse(source))
        assert render(parse(canonical)) == canonical, source
