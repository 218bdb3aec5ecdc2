"""Properties of the parser that hold for all inputs: operator precedence and associativity,
literal values, string escapes, templates, and positions nested inside their parents."""

from __future__ import annotations

from dataclasses import dataclass, fields

from hypothesis import given
from hypothesis import strategies as st

from scriptengine import nodes as N
from scriptengine.build import integer_literal
from scriptengine.parser import parse, parse_expression
from tests.scriptengine.test_parser_render import render

# Binding strength of JEXL's binary operators (digest 3.1), spelled as scripts may spell them,
# with the symbol the tree must carry.
LEVELS: dict[int, list[tuple[str, str]]] = {
    1: [("||", "||"), ("or", "||")],
    2: [("&&", "&&"), ("and", "&&")],
    3: [("|", "|")],
    4: [("^", "^")],
    5: [("&", "&")],
    6: [("==", "=="), ("!=", "!="), ("===", "==="), ("!==", "!=="), ("eq", "=="), ("ne", "!=")]
    + [("..", "..")],
    7: [("<", "<"), ("<=", "<="), (">", ">"), (">=", ">="), ("=~", "=~"), ("!~", "!~")]
    + [("=^", "=^"), ("!^", "!^"), ("=$", "=$"), ("!$", "!$"), ("lt", "<"), ("ge", ">=")]
    + [("instanceof", "instanceof"), ("!instanceof", "!instanceof")],
    8: [("<<", "<<"), (">>", ">>"), (">>>", ">>>")],
    9: [("+", "+"), ("-", "-")],
    10: [("*", "*"), ("/", "/"), ("%", "%"), ("div", "/"), ("mod", "%")],
}
NON_ASSOCIATIVE = {6, 7}
UNARY = [("-", "-"), ("+", "+"), ("!", "!"), ("not", "!"), ("~", "~")]
ATOM, PREFIX, TERNARY = 12, 11, 0


@dataclass(frozen=True)
class Gen:
    """A generated expression: ``source`` with as few parentheses as the precedence allows,
    ``canonical`` the fully parenthesized rendering the tree must have, ``level`` its
    binding strength."""

    source: str
    canonical: str
    level: int


def _wrap(g: Gen, needed: bool) -> str:
    return f"({g.source})" if needed else g.source


names = st.sampled_from(["a", "b", "x1", "_y", "$z", "total", "iffy", "sizes"])
atoms = st.one_of(
    names.map(lambda n: Gen(n, n, ATOM)),
    st.integers(0, 999).map(lambda i: Gen(str(i), str(i), ATOM)),
    st.sampled_from(["'s'", '"t"']).map(lambda s: Gen(s, repr(s[1:-1]), ATOM)),
    st.sampled_from(["true", "false", "null"]).map(lambda s: Gen(s, s, ATOM)),
)


def _binary(draw_level: int, spelled: str, canonical_op: str, left: Gen, right: Gen) -> Gen:
    level = draw_level
    left_paren = left.level < level or (left.level == level and level in NON_ASSOCIATIVE)
    right_paren = right.level <= level
    source = f"{_wrap(left, left_paren)} {spelled} {_wrap(right, right_paren)}"
    if canonical_op == "..":
        canonical = f"({left.canonical} .. {right.canonical})"
    else:
        canonical = f"({left.canonical} {canonical_op} {right.canonical})"
    return Gen(source, canonical, level)


@st.composite
def binaries(draw: st.DrawFn, children: st.SearchStrategy[Gen]) -> Gen:
    level = draw(st.sampled_from(sorted(LEVELS)))
    spelled, canonical_op = draw(st.sampled_from(LEVELS[level]))
    return _binary(level, spelled, canonical_op, draw(children), draw(children))


@st.composite
def unaries(draw: st.DrawFn, children: st.SearchStrategy[Gen]) -> Gen:
    spelled, symbol = draw(st.sampled_from(UNARY))
    operand = draw(children)
    source = f"{spelled} {_wrap(operand, operand.level < PREFIX)}"
    return Gen(source, f"({symbol}{operand.canonical})", PREFIX)


@st.composite
def conditionals(draw: st.DrawFn, children: st.SearchStrategy[Gen]) -> Gen:
    cond, then, other = draw(children), draw(children), draw(children)
    kind = draw(st.sampled_from(["?:", "elvis", "??"]))
    head = _wrap(cond, cond.level <= TERNARY)
    if kind == "?:":
        source = f"{head} ? {then.source} : {other.source}"
        canonical = f"({cond.canonical} ? {then.canonical} : {other.canonical})"
    else:
        op = "?:" if kind == "elvis" else "??"
        source = f"{head} {op} {other.source}"
        canonical = f"({cond.canonical} {op} {other.canonical})"
    return Gen(source, canonical, TERNARY)


expressions = st.recursive(
    atoms,
    lambda children: st.one_of(binaries(children), unaries(children), conditionals(children)),
    max_leaves=12,
)


@given(expressions)
def test_precedence_and_associativity(gen: Gen) -> None:
    assert render(parse_expression(gen.source)) == gen.canonical


@given(expressions, st.lists(st.sampled_from([" ", "\n", "\t", " /* c */ ", "  "]), min_size=1))
def test_whitespace_and_comments_between_tokens_do_not_matter(gen: Gen, seps: list[str]) -> None:
    # replace each single blank of the minimal source by some other separator
    pieces = gen.source.split(" ")
    text = pieces[0]
    for i, piece in enumerate(pieces[1:]):
        text += seps[i % len(seps)] + piece
    assert render(parse_expression(text)) == gen.canonical


@given(expressions)
def test_parenthesized_canonical_form_parses_to_itself(gen: Gen) -> None:
    canonical = render(parse_expression(gen.source))
    assert render(parse_expression(canonical)) == canonical


def _children(node: N.Node) -> list[N.Node]:
    out: list[N.Node] = []
    for f in fields(node):
        if f.name == "pos":
            continue
        value = getattr(node, f.name)
        items = value if isinstance(value, tuple) else (value,)
        out.extend(v for v in items if isinstance(v, N.Node))
    return out


def _check_nested(node: N.Node) -> None:
    for child in _children(node):
        if child.pos.line:
            start = (node.pos.line, node.pos.column)
            end = (node.pos.end_line, node.pos.end_column)
            assert start <= (child.pos.line, child.pos.column), (node, child)
            assert (child.pos.end_line, child.pos.end_column) <= end, (node, child)
        _check_nested(child)


@given(expressions, st.integers(0, 3))
def test_child_positions_lie_inside_their_parents(gen: Gen, indent: int) -> None:
    script = parse("\n" * indent + "x = " + gen.source + "\n")
    _check_nested(script)
    statement = script.body[0]
    assert (statement.pos.line, statement.pos.column) == (indent + 1, 1)


# --- literals ------------------------------------------------------------------------------


@given(st.integers(0, 2**70))
def test_integer_kind_is_the_smallest_that_holds_it(value: int) -> None:
    for text in (str(value), hex(value), "0" + oct(value)[2:] if value else "0"):
        node = parse_expression(text)
        assert isinstance(node, N.NumberLiteral) and node.value == value
        expected = "Integer" if value < 2**31 else "Long" if value < 2**63 else "BigInteger"
        assert node.kind == expected
        assert integer_literal(text) == (value, expected)


@given(st.integers(0, 2**63 - 1), st.sampled_from(["l", "L", "h", "H"]))
def test_integer_suffix_decides_the_kind(value: int, suffix: str) -> None:
    node = parse_expression(f"{value}{suffix}")
    assert isinstance(node, N.NumberLiteral) and node.value == value
    assert node.kind == ("Long" if suffix in "lL" else "BigInteger")


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_double_literals_read_back_exactly(value: float) -> None:
    text = repr(value)
    node = parse_expression(text)
    assert isinstance(node, N.NumberLiteral)
    assert node.kind == "Double" and node.value == value


_ESCAPE = {"\n": "\\n", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\r": "\\r", "\\": "\\\\"}


def _quote(value: str, quote: str) -> str:
    body = "".join(_ESCAPE.get(c, "\\" + c if c == quote else c) for c in value)
    return quote + body + quote


@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\u2028\u2029")))
def test_string_escapes_round_trip(value: str) -> None:
    for quote in ("'", '"'):
        node = parse_expression(_quote(value, quote))
        assert isinstance(node, N.StringLiteral) and node.value == value


@given(st.text(alphabet="ab \\qdxyz'\"", max_size=12))
def test_unknown_escapes_keep_their_backslash(body: str) -> None:
    # build a legal single-quoted literal: escape quotes, leave other backslash pairs alone
    text = ""
    i = 0
    expected = ""
    while i < len(body):
        c = body[i]
        if c == "'":
            text, expected = text + "\\'", expected + "'"
        elif c == "\\" and i + 1 < len(body) and body[i + 1] in "qdxyz":
            text, expected = text + "\\" + body[i + 1], expected + "\\" + body[i + 1]
            i += 1
        elif c == "\\":
            text, expected = text + "\\\\", expected + "\\"
        else:
            text, expected = text + c, expected + c
        i += 1
    node = parse_expression("'" + text + "'")
    assert isinstance(node, N.StringLiteral) and node.value == expected


template_text = st.text(alphabet="abc ,.:-\n'\"{}", max_size=8)


@given(st.lists(st.tuples(template_text, names), max_size=4), template_text)
def test_template_parts_alternate_text_and_expressions(
    pieces: list[tuple[str, str]], tail: str
) -> None:
    source = "".join(text + "${" + name + "}" for text, name in pieces) + tail
    node = parse_expression("`" + source + "`")
    assert isinstance(node, N.TemplateLiteral)
    expected: list[str] = []
    for text, name in pieces:
        if text:
            expected.append(text)
        expected.append("$" + name)
    if tail:
        expected.append(tail)
    got = [p if isinstance(p, str) else "$" + render(p) for p in node.parts]
    assert got == expected
    assert node.source == source


def _all_operators() -> list[tuple[int, str, str]]:
    return [(level, spelled, op) for level, ops in LEVELS.items() for spelled, op in ops]


def test_every_pair_of_binary_operators() -> None:
    # exhaustive over pairs: `a op1 b op2 c` groups by level, left to right within a level,
    # and does not parse when both are of one non-associative level
    from scriptengine.errors import ScriptSyntaxError

    checked = 0
    for level1, spelled1, op1 in _all_operators():
        for level2, spelled2, op2 in _all_operators():
            text = f"a {spelled1} b {spelled2} c"
            if level1 == level2 and level1 in NON_ASSOCIATIVE:
                try:
                    parse_expression(text)
                except ScriptSyntaxError:
                    checked += 1
                    continue
                raise AssertionError(f"{text!r} should not parse")
            if level1 >= level2:
                expected = f"((a {op1} b) {op2} c)"
            else:
                expected = f"(a {op1} (b {op2} c))"
            assert render(parse_expression(text)) == expected, text
            checked += 1
    assert checked == len(_all_operators()) ** 2


def test_child_positions_lie_inside_their_parents_for_every_statement_kind() -> None:
    from tests.scriptengine.test_parser import INVOICES
    from tests.scriptengine.test_parser_render import _CORPUS

    for source in [*_CORPUS, INVOICES]:
        _check_nested(parse(source))
