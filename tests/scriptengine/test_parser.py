"""The parser front end: every construct of JEXL 3.7.0 (plus `=>`) parses into the right nodes,
with the right positions and literal values."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest

from scriptengine import nodes as N
from scriptengine.parser import parse, parse_expression
from tests.scriptengine.test_parser_render import render


def src(text: str) -> str:
    """The canonical rendering of a whole script."""
    return render(parse(text))


def expr(text: str) -> str:
    """The canonical rendering of one expression."""
    return render(parse_expression(text))


def only(text: str) -> N.Stmt:
    script = parse(text)
    assert len(script.body) == 1, script.body
    return script.body[0]


def only_expr(text: str) -> N.Expr:
    statement = only(text)
    assert isinstance(statement, N.ExpressionStatement)
    return statement.expr


# --- statements ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("var a = 1", "var a = 1;"),
        ("var a = 1, b, c = a", "var a = 1, b, c = a;"),
        ("let x; const y = 2", "let x; const y = 2;"),
        ("if (a) b; else c", "if (a) b; else c;"),
        ("if (a) { b } else if (c) d else { e }", "if (a) { b; } else if (c) d; else { e; }"),
        ("if (a) ;", "if (a) ;"),
        ("if (a) var y = 1; y", "if (a) var y = 1; y;"),  # JEXL's StatementSink takes `var`
        ("for (var x : list) { s += x }", "for (var x : list) { (s += x); }"),
        ("for (x : list) s", "for (x : list) s;"),
        ("for (let x : list) s", "for (let x : list) s;"),
        ("for (const x : list) s", "for (const x : list) s;"),
        ("for (let i = 0; i < n; i++) { }", "for (let i = 0; (i < n); (i++)) { }"),
        ("for (;;) break", "for (; ; ) break;"),
        ("while (x < 3) x++", "while ((x < 3)) (x++);"),
        ("do { x-- } while (x > 0)", "do { (x--); } while ((x > 0));"),
        ("do x--; while (x > 0); y", "do (x--); while ((x > 0)); y;"),
        ("while (true) { continue; }", "while (true) { continue; }"),
        ("function f(a, b) { return a + b }", "function f(a, b) { return (a + b); }"),
        ("return", "return;"),
        ("return;", "return;"),
        ("return 1", "return 1;"),
        ("throw 'x'", "throw 'x';"),
        ("{ x; y }", "{ x; y; }"),
        (";;x;;", "x;"),
    ],
)
def test_statements(source: str, expected: str) -> None:
    assert src(source) == expected


def test_for_init_comma_is_refused() -> None:
    # JEXL has no comma operator: `for (i = 0, j; ...)` does not parse.
    from scriptengine.errors import ScriptSyntaxError

    with pytest.raises(ScriptSyntaxError):
        parse("for (i = 0, j; i < n; ++i) a")


def test_newline_after_return_does_not_end_it() -> None:
    # digest 5.3: `return\na;` returns a
    assert src("return\na") == "return a;"
    assert src("if (x) return\nelse y") == "if (x) return; else y;"
    assert src("{ return\n}") == "{ return; }"


def test_semicolons_are_optional_between_lines() -> None:
    assert src("var a = 1\nvar b = 2\na + b") == "var a = 1; var b = 2; (a + b);"
    # JEXL (JavaCC) is greedy: a line starting with an operator continues the expression
    assert src("x = 1\n-1") == "(x = (1 - 1));"
    assert src("x\n(y)") == "x(y);"


def test_switch_statement() -> None:
    text = "switch (x) { case 1: a; break; case 2: case 3: b; default: c }"
    assert src(text) == "switch (x) { case 1: a; break; case 2, 3: b; default: c; }"
    statement = only(text)
    assert isinstance(statement, N.SwitchStatement)
    assert [len(c.labels) for c in statement.cases] == [1, 2, 0]


def test_switch_statement_comma_labels_and_mixed_default() -> None:
    assert src("switch (x) { case 'a', 'b': 1 }") == "switch (x) { case 'a', 'b': 1; }"
    # `case 1: default: s` -> an empty case falling through into default
    assert src("switch (x) { case 1: default: s }") == "switch (x) { case 1:  default: s; }"


def test_switch_expression() -> None:
    text = "var r = switch (x) { case 1, 2 -> 'a'; case -3 -> { 'b' } default -> 'c' }"
    assert src(text) == (
        "var r = switch (x) { case 1, 2 -> 'a'; case -3 -> { 'b'; }; default -> 'c' };"
    )
    declaration = only(text)
    assert isinstance(declaration, N.VarDeclaration)
    switch = declaration.declarators[0].init
    assert isinstance(switch, N.SwitchExpression)
    label = switch.cases[1].labels[0]
    assert isinstance(label, N.NumberLiteral) and label.value == -3 and label.kind == "Integer"
    # a block body is a one-statement tuple; an expression body is the expression
    assert isinstance(switch.cases[1].body, tuple)
    assert isinstance(switch.cases[0].body, N.StringLiteral)


def test_switch_case_labels_are_constants() -> None:
    text = "switch (x) { case null -> 0; case true -> 1; case NaN -> 2; case a.B -> 3 }"
    switch = only_expr(text)
    assert isinstance(switch, N.SwitchExpression)
    kinds = [type(c.labels[0]).__name__ for c in switch.cases]
    assert kinds == ["NullLiteral", "BooleanLiteral", "NumberLiteral", "PropertyAccess"]


def test_try_catch_finally() -> None:
    assert src("try { a } catch (e) { b } finally { c }") == (
        "try { a; } catch (e) { b; } finally { c; }"
    )
    assert src("try { a } catch (let e) { }") == "try { a; } catch (let e) { }"
    assert src("try { a } catch (var e) { }") == "try { a; } catch (var e) { }"
    assert src("try { a } finally { b }") == "try { a; } finally { b; }"


def test_try_with_resources() -> None:
    text = "try (let r = open(); s) { a } catch (e) { }"
    assert src(text) == "try (let r = open(); s) { a; } catch (e) { }"
    statement = only(text)
    assert isinstance(statement, N.TryStatement)
    first, second = statement.resources
    assert (first.kind, first.name) == ("let", "r")
    assert (second.kind, second.name) == (None, None)
    assert isinstance(second.value, N.Identifier)


def test_annotations_are_parsed() -> None:
    assert src("@silent(1) @other x = 1") == "@silent(1) @other() (x = 1);"
    statement = only("@lock { x }")
    assert isinstance(statement, N.AnnotatedStatement)
    assert statement.annotations[0].name == "lock"
    assert isinstance(statement.statement, N.Block)


def test_pragmas() -> None:
    script = parse(
        "#pragma jexl.options '+strict -safe'\n#pragma a.b.c x.y\n#pragma n -1\n"
        "#pragma f 1.5\n#pragma t true\n1\n{ #pragma inner 2\n }"
    )
    assert [(p.key, p.value) for p in script.pragmas] == [
        ("jexl.options", "+strict -safe"),
        ("a.b.c", "x.y"),
        ("n", -1),
        ("f", 1.5),
        ("t", True),
        ("inner", 2),
    ]
    assert render(script) == "1; { }"
    assert script.pragmas[0].pos.line == 1 and script.pragmas[2].pos.line == 3


def test_function_declaration_is_named_lambda() -> None:
    statement = only("function fact(n) { n <= 1 ? 1 : n * fact(n - 1) }")
    assert isinstance(statement, N.FunctionDeclaration)
    assert statement.name == "fact" and statement.function.name == "fact"
    assert [p.name for p in statement.function.params] == ["n"]


# --- expressions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a + b * c", "(a + (b * c))"),
        ("(a + b) * c", "((a + b) * c)"),
        ("a - b - c", "((a - b) - c)"),
        ("a / b % c", "((a / b) % c)"),
        ("a << 1 + 2", "(a << (1 + 2))"),
        ("a < b == c < d", "((a < b) == (c < d))"),
        ("a & b | c ^ d", "((a & b) | (c ^ d))"),
        ("a || b && c", "(a || (b && c))"),
        ("a and b or not c", "((a && b) || (!c))"),
        ("a eq b", "(a == b)"),
        ("a ne b", "(a != b)"),
        ("a lt b", "(a < b)"),
        ("a le b", "(a <= b)"),
        ("a gt b", "(a > b)"),
        ("a ge b", "(a >= b)"),
        ("a div b", "(a / b)"),
        ("a mod b", "(a % b)"),
        ("a =~ b", "(a =~ b)"),
        ("a !~ b", "(a !~ b)"),
        ("a =^ b", "(a =^ b)"),
        ("a !^ b", "(a !^ b)"),
        ("a =$ b", "(a =$ b)"),
        ("a !$ b", "(a !$ b)"),
        ("a === b", "(a === b)"),
        ("a !== b", "(a !== b)"),
        ("a instanceof b", "(a instanceof b)"),
        ("a !instanceof b", "(a !instanceof b)"),
        ("a >> 2 >>> 1", "((a >> 2) >>> 1)"),
        ("~a", "(~a)"),
        ("-a", "(-a)"),
        ("+a", "(+a)"),
        ("!a", "(!a)"),
        ("- - a", "(-(-a))"),
        ("-a * b", "((-a) * b)"),
        ("!a && b", "((!a) && b)"),
        ("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
        ("a ?: b ?: c", "(a ?: (b ?: c))"),
        ("a ?? b", "(a ?? b)"),
        ("a || b ? c : d", "((a || b) ? c : d)"),
        ("x = a ? b : c", "(x = (a ? b : c))"),
        ("a = b = c", "(a = (b = c))"),
        ("a += 1", "(a += 1)"),
        ("a >>>= 1", "(a >>>= 1)"),
        ("a.b.c = 3", "(a.b.c = 3)"),
        ("a[0] = 3", "(a[0] = 3)"),
        ("++a", "(++a)"),
        ("--a", "(--a)"),
        ("a++", "(a++)"),
        ("a--", "(a--)"),
        ("-a++", "(-(a++))"),
        ("empty(x)", "empty(x)"),
        ("empty x", "empty(x)"),
        ("size(x)", "size(x)"),
        ("size x + 1", "(size(x) + 1)"),
        ("not empty(x)", "(!empty(x))"),
        ("1..3", "(1 .. 3)"),
        ("2 =~ 1..3", "((2 =~ 1) .. 3)"),  # digest 2.4: `..` binds looser than `=~`
        ("a?.b", "a?.b"),
        ("a?[0]", "a?[0]"),
        ("a.b?.c(1)", "a.b?.c(1)"),
        ("a.0", "a.0"),
        ("a.'quoted key'", "a.'quoted key'"),
        ("a.`${k}`", "a.`${k}`"),
        ("a.if.while.size", "a.if.while.size"),
        ("a[1][2]", "a[1][2]"),
        ("x.size()", "x.size()"),
        ("f(1)(2)", "(f(1))(2)"),
        ("(x -> x)(3)", "(((x) -> x))(3)"),
        ("(f)(1)", "(f)(1)"),
        ("a.b(1).c(2)", "a.b(1).c(2)"),
        ("math:round(x, 2)", "math:round(x, 2)"),
        ("new('java.util.Date')", "new('java.util.Date')"),
        ("new java.util.Date(1)", "new('java.util.Date', 1)"),
        (
            "switch (x) { case 1 -> 'a'; default -> 'b' }",
            "switch (x) { case 1 -> 'a'; default -> 'b' }",
        ),
    ],
)
def test_expressions(source: str, expected: str) -> None:
    assert expr(source) == expected


def test_word_operators_are_normalised() -> None:
    # nodes.py: the compiler sees one symbol per operator
    for word, symbol in [("and", "&&"), ("or", "||")]:
        node = parse_expression(f"a {word} b")
        assert isinstance(node, N.LogicalOp) and node.op == symbol
    node = parse_expression("not a")
    assert isinstance(node, N.UnaryOp) and node.op == "!"


def test_comparisons_do_not_chain() -> None:
    from scriptengine.errors import ScriptSyntaxError

    for text in ("a < b < c", "a == b == c", "a == 1 .. 3", "1 .. 2 .. 3"):
        with pytest.raises(ScriptSyntaxError):
            parse(text)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function(a, b) { a + b }", "function(a, b) { (a + b); }"),
        ("function g(x) { x }", "function g(x) { x; }"),
        ("(a, b) -> a + b", "((a, b) -> (a + b))"),
        ("(a) -> a", "((a) -> a)"),
        ("x -> x * 2", "((x) -> (x * 2))"),
        ("x -> { x }", "((x) -> { x; })"),  # LOOKAHEAD(3): a block, as in JEXL
        ("x -> {a: 1}", "((x) -> {a: 1})"),  # `{a:` is a map
        ("x -> {a, b}", "((x) -> {a, b})"),  # `{a,` is a set
        ("() => 1", "(() => 1)"),
        ("x => x", "((x) => x)"),
        ("(a, b) => { a }", "((a, b) => { a; })"),
        ("(var a, let b) -> a", "((a, b) -> a)"),
        ("function() {}", "function() { }"),
    ],
)
def test_lambdas(source: str, expected: str) -> None:
    assert expr(source) == expected


def test_lambda_arrows_are_recorded() -> None:
    arrow = parse_expression("x => x")
    thin = parse_expression("x -> x")
    classic = parse_expression("function(x) { x }")
    assert isinstance(arrow, N.Lambda) and arrow.arrow == "=>"
    assert isinstance(thin, N.Lambda) and thin.arrow == "->"
    assert isinstance(classic, N.Lambda) and classic.arrow is None


def test_lambda_as_argument() -> None:
    assert expr("items.forEach(x => x * 2)") == "items.forEach(((x) => (x * 2)))"
    assert expr("f(function(a) { a }, 2)") == "f(function(a) { a; }, 2)"


def test_calls_pick_their_node() -> None:
    assert isinstance(parse_expression("f(1)"), N.FunctionCall)
    assert isinstance(parse_expression("a.f(1)"), N.MethodCall)
    assert isinstance(parse_expression("a['f'](1)"), N.CallExpr)
    call = parse_expression("ns:f(1)")
    assert isinstance(call, N.FunctionCall) and (call.namespace, call.name) == ("ns", "f")


def test_namespace_call_needs_no_blank_around_colon() -> None:
    # a ternary whose branch is a call is not a namespace call when spaced
    assert expr("c ? a : f(1)") == "(c ? a : f(1))"
    assert expr("{a: f(1)}") == "{a: f(1)}"
    assert expr("{ns:f(1)}") == "{ns:f(1)}"  # JEXL reads `ns:f(` as a namespace call too


def test_for_each_with_glued_colon_is_not_a_namespace_call() -> None:
    assert src("for (item:getItems()) x") == "for (item : getItems()) x;"
    assert src("for (var item:getItems()) x") == "for (var item : getItems()) x;"


def test_antish_names() -> None:
    node = parse_expression("a.b.c")
    assert isinstance(node, N.PropertyAccess) and node.antish == "a.b.c"
    assert isinstance(node.obj, N.PropertyAccess) and node.obj.antish == "a.b"
    for text in ("a?.b", "a[0].b", "f().b", "a.0", "a.'b c'"):
        node = parse_expression(text)
        assert isinstance(node, N.PropertyAccess) and node.antish is None, text
    node = parse_expression("a.0")
    assert isinstance(node, N.PropertyAccess) and node.name == 0


# --- literals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value", "kind"),
    [
        ("42", 42, "Integer"),
        ("0", 0, "Integer"),
        ("010", 8, "Integer"),
        ("00", 0, "Integer"),
        ("0x1F", 31, "Integer"),
        ("0XffL", 255, "Long"),
        ("2147483647", 2147483647, "Integer"),
        ("2147483648", 2147483648, "Long"),
        ("0xFFFFFFFF", 4294967295, "Long"),
        ("9223372036854775807", 9223372036854775807, "Long"),
        ("9223372036854775808", 9223372036854775808, "BigInteger"),
        ("42l", 42, "Long"),
        ("42L", 42, "Long"),
        ("42h", 42, "BigInteger"),
        ("42H", 42, "BigInteger"),
        ("1.5", 1.5, "Double"),
        ("42.5d", 42.5, "Double"),
        ("2D", 2.0, "Double"),
        ("42.5f", 42.5, "Float"),
        ("1F", 1.0, "Float"),
        ("1.10b", Decimal("1.10"), "BigDecimal"),
        ("2B", Decimal("2"), "BigDecimal"),
        ("1e3", 1000.0, "Double"),
        ("1.5e3", 1500.0, "Double"),
        ("1E-3", 0.001, "Double"),
        ("1.5e+3b", Decimal("1.5e+3"), "BigDecimal"),
        ("1.f", 1.0, "Float"),
    ],
)
def test_number_literals(source: str, value: object, kind: str) -> None:
    node = parse_expression(source)
    assert isinstance(node, N.NumberLiteral)
    assert (node.value, node.kind, node.text) == (value, kind, source)
    assert type(node.value) is type(value)


def test_big_decimal_keeps_its_scale() -> None:
    node = parse_expression("1.10b")
    assert isinstance(node, N.NumberLiteral)
    assert str(node.value) == "1.10"


def test_float_literal_is_rounded_to_float_precision() -> None:
    node = parse_expression("0.1f")
    assert isinstance(node, N.NumberLiteral)
    assert node.value != 0.1 and abs(node.value - 0.1) < 1e-8  # type: ignore[operator]


def test_nan_literal() -> None:
    node = parse_expression("NaN")
    assert isinstance(node, N.NumberLiteral) and node.kind == "Double"
    assert isinstance(node.value, float) and math.isnan(node.value)


def test_negative_literal_is_unary_minus() -> None:
    # the runtime narrows `-2147483648` (digest 2.1); the parser keeps the Long literal
    node = parse_expression("-2147483648")
    assert isinstance(node, N.UnaryOp) and isinstance(node.operand, N.NumberLiteral)
    assert node.operand.kind == "Long"


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (r"'abc'", "abc"),
        (r'"abc"', "abc"),
        (r"'it\'s'", "it's"),
        (r"'a\"b'", 'a\\"b'),  # only the literal's own quote is escaped (StringParser.read)
        (r'"a\'b"', "a\\'b"),
        (r'"x\"y"', 'x"y'),
        (r"'c:\\dir'", "c:\\dir"),
        (r"'a\nb'", "a\nb"),
        (r"'\t\b\f\r'", "\t\b\f\r"),
        (r"'\u00e9'", "é"),
        (r"'x\qy'", "x\\qy"),  # unknown escapes keep the backslash
        (r"'a\d'", "a\\d"),
        ("''", ""),
        ("'přijatý'", "přijatý"),
    ],
)
def test_string_literals(source: str, value: str) -> None:
    node = parse_expression(source)
    assert isinstance(node, N.StringLiteral) and node.value == value


def test_regex_literal() -> None:
    node = parse_expression(r"~/ab\/c\d+/")
    assert isinstance(node, N.RegexLiteral) and node.pattern == r"ab/c\d+"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[1, 2]", "[1, 2]"),
        ("[1, 2, ...]", "[1, 2, ...]"),
        ("[...]", "[...]"),
        ("[]", "[]"),
        ("[1,]", "[1]"),
        ("{1, 2}", "{1, 2}"),
        ("{}", "{}"),
        ("{'a': 1}", "{'a': 1}"),
        ("{'a': 1,}", "{'a': 1}"),
        ("{:}", "{:}"),
        ("{a: 1}", "{a: 1}"),
        ("{'a': {'b': [1, {2}]}}", "{'a': {'b': [1, {2}]}}"),
        ("[[1], [2, ...]]", "[[1], [2, ...]]"),
        ("null", "null"),
        ("true", "true"),
        ("false", "false"),
    ],
)
def test_collection_literals(source: str, expected: str) -> None:
    assert expr(source) == expected


def test_array_literal_extended_flag() -> None:
    fixed = parse_expression("[1, 2]")
    growable = parse_expression("[1, 2, ...]")
    empty_list = parse_expression("[...]")
    assert isinstance(fixed, N.ArrayLiteral) and not fixed.extended
    assert isinstance(growable, N.ArrayLiteral) and growable.extended
    assert isinstance(empty_list, N.ArrayLiteral) and empty_list.extended and not empty_list.items


def test_literals_in_statement_position() -> None:
    # JEXL tries an expression before a block: `{ x }` and `{}` are sets (3.1: `{ 1 }` -> [1])
    assert src("{ x }") == "{x};"
    assert src("{}") == "{};"
    assert src("var x = 2; { x + 1 }") == "var x = 2; {(x + 1)};"
    # ... but a statement inside makes it a block
    assert src("{ x; }") == "{ x; }"
    assert src("{ var y = 3; y }") == "{ var y = 3; y; }"
    assert src("{ a\n b }") == "{ a; b; }"
    # bodies of if/loops/functions are blocks, as JEXL's LOOKAHEAD(1) Block() decides
    assert src("if (c) { x }") == "if (c) { x; }"
    assert src("while (c) { x }") == "while (c) { x; }"
    assert src("function() { x }") == "function() { x; };"
    assert src("switch (c) { case 1: { x } }") == "switch (c) { case 1: { x; } }"
    assert src("{ 'a': 1, 'b': 2 }") == "{'a': 1, 'b': 2};"
    assert src("{ 1, 2 }") == "{1, 2};"
    assert src("{:}") == "{:};"
    assert src("var x = {}; var y = {:}") == "var x = {}; var y = {:};"


# --- templates -----------------------------------------------------------------------------


def test_template_parts() -> None:
    node = parse_expression("`hello ${name}, you have ${n + 1} mails`")
    assert isinstance(node, N.TemplateLiteral)
    assert [p if isinstance(p, str) else render(p) for p in node.parts] == [
        "hello ",
        "name",
        ", you have ",
        "(n + 1)",
        " mails",
    ]
    assert node.source == "hello ${name}, you have ${n + 1} mails"


def test_template_inner_quotes_and_braces() -> None:
    assert expr("`${ 'x}' }`") == "`${'x}'}`"
    assert expr("`#{ {'a': 1}['a'] }`") == "`${{'a': 1}['a']}`"
    assert expr('`${ "q\\"}" }`') == "`${'q\"}'}`"


def test_template_escapes() -> None:
    node = parse_expression(r"`a\`b\nc \${x} \#{y} #z $w`")
    assert isinstance(node, N.TemplateLiteral)
    assert node.parts == ("a`b\nc ${x} #{y} #z $w",)


def test_template_may_span_lines() -> None:
    node = parse_expression("`line1\nline2 ${x}`")
    assert isinstance(node, N.TemplateLiteral)
    assert node.parts[0] == "line1\nline2 "
    inner = node.parts[1]
    assert isinstance(inner, N.Identifier)
    assert (inner.pos.line, inner.pos.column) == (2, 9)


def test_empty_template_expression_is_null() -> None:
    assert expr("`${}`") == "`${null}`"


def test_template_expression_positions_are_in_the_script() -> None:
    script = parse("var s = 1\nx = `ab ${entity.mailFrom} c`")
    statement = script.body[1]
    assert isinstance(statement, N.ExpressionStatement)
    assignment = statement.expr
    assert isinstance(assignment, N.Assignment)
    template = assignment.value
    assert isinstance(template, N.TemplateLiteral)
    assert (template.pos.line, template.pos.column) == (2, 5)
    inner = template.parts[1]
    assert isinstance(inner, N.PropertyAccess)
    assert (inner.pos.line, inner.pos.column, inner.pos.end_column) == (2, 11, 26)
    assert isinstance(inner.obj, N.Identifier) and inner.obj.pos.column == 11


# --- comments, whitespace ------------------------------------------------------------------


def test_comments() -> None:
    text = "// line\n## jexl comment\n/* block\ncomment */ x /* inline */ + 1 // tail"
    assert src(text) == "(x + 1);"


def test_keywords_are_property_names_after_a_dot() -> None:
    assert expr("a.if.else.var.size.empty.new.function") == (
        "a.if.else.var.size.empty.new.function"
    )


# --- positions -----------------------------------------------------------------------------


def test_positions_of_statements_and_expressions() -> None:
    script = parse("var total = 0\nfor (var item : items) {\n  total += item.price\n}\n")
    declaration, loop = script.body
    assert declaration.pos == N.Pos(1, 1, 1, 14)
    assert isinstance(declaration, N.VarDeclaration)
    assert declaration.declarators[0].pos == N.Pos(1, 5, 1, 14)
    assert isinstance(loop, N.ForeachStatement)
    assert loop.pos == N.Pos(2, 1, 4, 2)
    assert loop.name_pos == N.Pos(2, 10, 2, 14)
    assert loop.items.pos == N.Pos(2, 17, 2, 22)
    body = loop.body
    assert isinstance(body, N.Block) and body.pos == N.Pos(2, 24, 4, 2)
    statement = body.body[0]
    assert isinstance(statement, N.ExpressionStatement)
    assignment = statement.expr
    assert isinstance(assignment, N.Assignment)
    assert assignment.pos == N.Pos(3, 3, 3, 22)
    assert assignment.target.pos == N.Pos(3, 3, 3, 8)
    assert assignment.value.pos == N.Pos(3, 12, 3, 22)


def test_positions_include_parentheses_and_brackets() -> None:
    node = parse_expression("(a + b) * c")
    assert isinstance(node, N.BinaryOp)
    assert node.pos == N.Pos(1, 1, 1, 12)
    assert node.left.pos == N.Pos(1, 2, 1, 7)  # the inner node itself has no parentheses
    call = parse_expression("obj.method(1, 2)")
    assert call.pos == N.Pos(1, 1, 1, 17)
    index = parse_expression("xs[0]")
    assert index.pos == N.Pos(1, 1, 1, 6)
    array = parse_expression("[1, 2]")
    assert array.pos == N.Pos(1, 1, 1, 7)


def test_positions_count_characters_not_bytes() -> None:
    script = parse("x = 'přijatý'; y")
    last = script.body[1]
    assert last.pos.column == 16


def test_script_node() -> None:
    script = parse("a\nbb", "my.jexl")
    assert script.filename == "my.jexl"
    assert script.source == "a\nbb"
    assert script.pos == N.Pos(1, 1, 2, 3)
    assert parse("").body == ()


# --- the reference example and a long script ----------------------------------------------

INVOICES = """\
var purpose = entity.mailAccount.purpose;
if (entity.attachments.size() < 1) {
return null;
}
if (purpose == 'INVOICES') {
var sd = createNew('SubmittedDocument');
sd.state = findState('SubmittedDocument', 'NEW');
var attNames = [...];
for (var item: entity.attachments) {
var att = createNew('SubmittedDocumentAttachment');
att.attachedFile = item.attachedFile;
sd.attachments.add(att);
attNames.add(item.attachedFile.name);
}
sd.attachmentNames = join(attNames, ', ');
sd.note = `email přijatý od ${entity.mailFrom} (id ${entity.id} )`;
persist(sd);
}
"""


def test_invoices_example_is_in_language_md() -> None:
    spec = Path("/work/shared/LANGUAGE.md")
    if spec.exists():
        assert INVOICES in spec.read_text(encoding="utf-8")


def test_invoices_example() -> None:
    script = parse(INVOICES, "invoices.jexl")
    assert src(INVOICES) == (
        "var purpose = entity.mailAccount.purpose; "
        "if ((entity.attachments.size() < 1)) { return null; } "
        "if ((purpose == 'INVOICES')) { "
        "var sd = createNew('SubmittedDocument'); "
        "(sd.state = findState('SubmittedDocument', 'NEW')); "
        "var attNames = [...]; "
        "for (var item : entity.attachments) { "
        "var att = createNew('SubmittedDocumentAttachment'); "
        "(att.attachedFile = item.attachedFile); "
        "sd.attachments.add(att); "
        "attNames.add(item.attachedFile.name); } "
        "(sd.attachmentNames = join(attNames, ', ')); "
        "(sd.note = `email přijatý od ${entity.mailFrom} (id ${entity.id} )`); "
        "persist(sd); }"
    )
    # round trip: the canonical text parses to the same tree
    assert src(src(INVOICES)) == src(INVOICES)
    first = script.body[0]
    assert isinstance(first, N.VarDeclaration)
    init = first.declarators[0].init
    assert isinstance(init, N.PropertyAccess) and init.antish == "entity.mailAccount.purpose"


def test_long_script_parses() -> None:
    # a sanity check of size, not of time: 300+ lines of typical handler code
    text = "\n".join([INVOICES] * 17)
    assert text.count("\n") > 300
    script = parse(text)
    assert len(script.body) == 3 * 17
    assert script.body[-1].pos.line == 16 * 19 + 5  # 18 lines a copy, plus the joining newline


# --- digest section 9: new syntax by release, and what never parses ----------------------

NEW_SYNTAX = {
    "3.2": [
        ("a?.b", "a?.b;"),
        ("a ?? b", "(a ?? b);"),
        ("~/re/", "~/re/;"),
        ("do { x-- } while (x)", "do { (x--); } while (x);"),
        ("{:}", "{:};"),
    ],
    "3.3": [
        ("let a = 1", "let a = 1;"),
        ("const b = 2", "const b = 2;"),
        ("var f = x -> x * 2", "var f = ((x) -> (x * 2));"),
        ("function g(n) { n }", "function g(n) { n; }"),
        ("for (var i = 0; i < 3; i++) s += i", "for (var i = 0; (i < 3); (i++)) (s += i);"),
        ("x++; --y", "(x++); (--y);"),
        ("a << 2 >> 1 >>> 3", "(((a << 2) >> 1) >>> 3);"),
        ("var a, b", "var a, b;"),
        ("a <<= 1; a >>= 1; a >>>= 1", "(a <<= 1); (a >>= 1); (a >>>= 1);"),
    ],
    "3.4": [
        ("try { a } catch (e) { b } finally { c }", "try { a; } catch (e) { b; } finally { c; }"),
        ("throw 'boom'", "throw 'boom';"),
        ("a === b; a !== b", "(a === b); (a !== b);"),
        ("a instanceof b; a !instanceof b", "(a instanceof b); (a !instanceof b);"),
        ("x?[y]", "x?[y];"),
        ("return;", "return;"),
        ("[1, 2,]; {1,}; {'a': 1,}", "[1, 2]; {1}; {'a': 1};"),
    ],
    "3.6": [
        (
            "switch (x) { case 1: a; break; default: b }",
            "switch (x) { case 1: a; break; default: b; }",
        ),
        (
            "switch (x) { case 1 -> 'a'; default -> 'b' }",
            "switch (x) { case 1 -> 'a'; default -> 'b' };",
        ),
    ],
    "fat arrow (on in mailwright)": [("var h = (a, b) => a + b", "var h = ((a, b) => (a + b));")],
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [pair for pairs in NEW_SYNTAX.values() for pair in pairs],
)
def test_newer_syntax_parses(source: str, expected: str) -> None:
    assert src(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "a ** b",  # no power operator
        "a ??= b",
        "outer: for (x : xs) { break outer }",  # no labels
        "typeof x",
        "var [a, b] = xs",  # no destructuring
        "var {a} = m",
        "f(...xs)",  # no spread
        "function(a = 1) { a }",  # no default parameters
        "function(...a) { a }",  # no rest parameters
        "var café = 1",  # identifiers are ASCII
        ".5",  # not a literal
        "class A {}",
    ],
)
def test_syntax_jexl_never_had(source: str) -> None:
    from scriptengine.errors import ScriptSyntaxError

    with pytest.raises(ScriptSyntaxError):
        parse(source)


def test_positions_of_parts() -> None:
    script = parse(
        "switch (x) {\n  case 1, 2: a\n  default: b\n}\n"
        "try { a } catch (let e) { b }\n"
        "var f = (p, q) -> p\n"
        "var m = {'k': 1}\n"
        "@lock(1) x"
    )
    switch, attempt, function, mapping, annotated = script.body
    assert isinstance(switch, N.SwitchStatement)
    assert [c.pos for c in switch.cases] == [N.Pos(2, 3, 2, 15), N.Pos(3, 3, 3, 13)]
    assert isinstance(attempt, N.TryStatement) and attempt.handler is not None
    assert attempt.handler.pos == N.Pos(5, 11, 5, 30)
    assert isinstance(function, N.VarDeclaration)
    lam = function.declarators[0].init
    assert isinstance(lam, N.Lambda)
    assert [p.pos for p in lam.params] == [N.Pos(6, 10, 6, 11), N.Pos(6, 13, 6, 14)]
    assert isinstance(mapping, N.VarDeclaration)
    literal = mapping.declarators[0].init
    assert isinstance(literal, N.MapLiteral)
    assert literal.entries[0].pos == N.Pos(7, 10, 7, 16)
    assert isinstance(annotated, N.AnnotatedStatement)
    assert annotated.annotations[0].pos == N.Pos(8, 1, 8, 9)
    assert annotated.pos == N.Pos(8, 1, 8, 11)
