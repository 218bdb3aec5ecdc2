"""The scanner (scriptengine/scanner.py) against Lark's own contextual lexer and LALR loop.

The scanner replaces ``Lark.parse`` for speed and promises the same parse tree, with the same
token types and positions, and the same errors at the same places. These tests hold it to
that on real scripts (the examples, the benchmark programs), on snippets for every
contextual case of the grammar, and on a few hundred damaged copies of them (seeded).
Lark is run with a reference post-lexer that does what the scanner does inline.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from grammar import GRAMMAR_PATH
from scriptengine.parser import _lark, _scanning, parse, parse_expression
from scriptengine.scanner import SyntaxProblem

ROOT = Path(__file__).resolve().parents[2]

# Every case where what a character means depends on where it is.
SNIPPETS = [
    "var size = 1; size(x) + x.size() + size x",
    "empty(x) || x.empty || empty x",
    "a / b / c; x = ~/a\\/b/; y = a ~ /b/",
    "a //comment\n/ b ## more\n/* block\n comment */ / c",
    "1..3; 1.5e3; 1.f; 2d; 1.10b; 0x1Fl; 07; 1 . toString()",
    "x.0; x.'k'; x.`t${1}`; x?.y; x?[0]; x[?0]",
    "{:}; {a: 1}; {'k': 2}; {1, 2}; { a }; {}; {x,}; [1, ...]; [...]",
    "x -> { a }; (a, b) => a + b; function (a) { a }; () -> 1",
    "`plain`; `a ${b} c #{d} e`; `nested ${ {'k': `in ${x}`}.k }`; `\\${no}`",
    "for (x : items) {} for (x:f(1)) {} for (var i = 0; i < 3; i++) {}",
    "ns:fn(1); a ? b:c(1) : d; a ? b : c",
    "if (a) b else c; do x++ while (x < 3); while (x) { break; continue }",
    "switch (x) { case 1: a; case 'b', 2: b; default: c }",
    "switch (x) { case 1 -> 'one'; default -> { 'other' } }",
    "try (var r = f()) { g() } catch (e) { h() } finally { i() }",
    "@silent @lenient(true) x.y = 1",
    "#pragma jexl.safe true\n#pragma a.b.c 'x'\nx",
    "a and b or not c; a eq b ne c lt d le e gt f ge g; a div b mod c",
    "a =~ b; a !~ b; a =^ b; a !^ b; a =$ b; a !$ b; a instanceof B; a !instanceof B",
    "x += 1; x -= 1; x *= 2; x /= 2; x %= 2; x &= 1; x |= 1; x ^= 1; x <<= 1; x >>= 1; x >>>= 1",
    "a ?: b; a ?? b; a === b; a !== b; -a; +a; ~a; !a; ++a; --a; a++; a--",
    "new('java.util.ArrayList'); new java.util.ArrayList(); new(x, 1, 2)",
    "let a = 1; const b = 2; var c; NaN; null; true; false",
    "x = 'a\\'b'; y = \"c\\\"d\"; z = 'é'",
    "a\n(b)\na\n-b\nreturn\nx",
    "",
    "   \n\t  ",
    "// only a comment",
    "\ufeffx",
]

# Broken snippets: each must fail, and fail at the same place, in both.
BROKEN = [
    "f(1",
    "x = [1, 2",
    "while (true) {\n  x\n",
    "x = 1_000",
    "x = 08",
    "0x1g",
    "a +",
    "a ) b",
    "'unterminated",
    "`unterminated",
    "~/unterminated",
    "/* unterminated",
    "# lone hash",
    "x = é",
    "var if = 1",
    "x.if(",
    "{ a: 1, }}",
    "for (x in items) {}",
]


class _ReferencePostLexer:
    """What the scanner does inline, as a Lark post-lexer (the reference behaviour)."""

    always_accept: tuple[str, ...] = ()

    def __init__(self, keywords: dict[str, str]) -> None:
        self.keywords = keywords

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        before: Token | None = None
        previous: Token | None = None
        for token in stream:
            kind = token.type
            if kind == "IDENTIFIER" and token.value in self.keywords:
                token = Token.new_borrow_pos(self.keywords[token.value], token.value, token)
            if (
                previous is not None
                and previous.type in ("INTEGER_LITERAL", "FLOAT_LITERAL")
                and previous.end_pos == token.start_pos
                and (token.value[:1].isalnum() or token.value[:1] in "_$")
            ):
                raise SyntaxProblem("malformed number", previous.line or 0, previous.column or 0)
            if (
                kind == "NAMESPACE_FUNCTION"
                and previous is not None
                and previous.type == "LPAR"
                and before is not None
                and before.type == "FOR"
            ):
                name, _, fun = token.value.partition(":")
                start, column = token.start_pos or 0, token.column or 0
                for part, text, offset in (
                    ("IDENTIFIER", name, 0),
                    ("COLON", ":", len(name)),
                    ("IDENTIFIER", fun, len(name) + 1),
                ):
                    yield Token(
                        part,
                        text,
                        start + offset,
                        token.line,
                        column + offset,
                        token.line,
                        column + offset + len(text),
                        start + offset + len(text),
                    )
                before, previous = previous, token
                continue
            yield token
            before, previous = previous, token


@pytest.fixture(scope="module")
def reference() -> Lark:
    """Lark's own parser over the same grammar, with the reference post-lexer."""
    return Lark.open(
        str(GRAMMAR_PATH),
        parser="lalr",
        lexer="contextual",
        start=["start", "expression_only"],
        maybe_placeholders=True,
        postlex=_ReferencePostLexer(_scanning().keywords),
        cache=True,
    )


def _tokens(tree: Any) -> list[tuple[str, str, int | None, int | None, int | None, int | None]]:
    """Every token of a tree with its type and position, in order."""
    if isinstance(tree, Token):
        return [(tree.type, tree.value, tree.line, tree.column, tree.end_line, tree.end_column)]
    if isinstance(tree, Tree):
        return [t for child in tree.children for t in _tokens(child)]
    return []


def _shape(tree: Any) -> Any:
    """A tree as plain tuples: rule names as ``str`` (a freshly built Lark names them with
    Tokens, a cached one with strings), tokens with type, text and start position."""
    if isinstance(tree, Token):
        return (tree.type, tree.value, tree.start_pos, tree.end_pos)
    if isinstance(tree, Tree):
        return (str(tree.data), tuple(_shape(child) for child in tree.children))
    return tree


def _outcome(parse_fn: Any, text: str, start: str) -> tuple[Any, ...]:
    """What parsing ``text`` gives: the tree (its shape and every token with position), or
    where and how it failed."""
    try:
        tree = parse_fn(text, start)
    except SyntaxProblem as problem:
        return ("malformed", problem.line, problem.column)
    except UnexpectedInput as err:
        return ("error", type(err).__name__, err.line, err.column)
    return ("tree", _shape(tree), tuple(_tokens(tree)))


def _both(reference: Lark, text: str, start: str = "start") -> tuple[tuple[Any, ...], ...]:
    ours = _outcome(_scanning().parse, text, start)
    theirs = _outcome(lambda t, s: reference.parse(t, start=s), text, start)
    return ours, theirs


def _scripts() -> list[str]:
    files = sorted((ROOT / "examples").rglob("*.jexl")) + sorted(
        (ROOT / "bench" / "programs").glob("*.jexl")
    )
    return [f.read_text(encoding="utf-8") for f in files]


def test_real_scripts_give_the_same_tree_as_lark(reference: Lark) -> None:
    scripts = _scripts()
    assert len(scripts) >= 6  # the examples and the benchmark programs are there
    for text in scripts:
        ours, theirs = _both(reference, text)
        assert ours[0] == "tree"
        assert ours == theirs


@pytest.mark.parametrize("text", SNIPPETS)
def test_contextual_cases_give_the_same_tree_as_lark(reference: Lark, text: str) -> None:
    text = text.replace("\ufeff", " ")  # parse_tree blanks a byte-order mark the same way
    for start in ("start", "expression_only"):
        ours, theirs = _both(reference, text, start)
        assert ours == theirs


@pytest.mark.parametrize("text", BROKEN)
def test_errors_are_found_at_the_same_place_as_lark(reference: Lark, text: str) -> None:
    ours, theirs = _both(reference, text)
    assert ours[0] in ("error", "malformed")
    assert ours == theirs


def test_damaged_scripts_fail_or_parse_exactly_like_lark(reference: Lark) -> None:
    rng = random.Random(20261127)
    sources = _scripts() + SNIPPETS
    pieces = list("(){}[];:,.=+-*/%!?~`'\"$#@&|^<> \n\t0123456789ax") + [
        "var ", "size", "..", "${", "~/", "->", "//", "/*", "*/", "\\", "0x", "{:", "NaN",
    ]  # fmt: skip
    checked = 0
    for _ in range(400):
        text = rng.choice(sources).replace("\ufeff", " ")
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.5:
                text = text[:at] + text[at + rng.randint(1, 4) :]
            else:
                text = text[:at] + rng.choice(pieces) + text[at:]
        ours, theirs = _both(reference, text)
        assert ours == theirs, text
        checked += 1
    assert checked == 400


def test_token_positions_count_lines_inside_templates_and_comments() -> None:
    text = "x = `a\nb ${y}`\n/* c\nd */ z\n  w"
    tokens = _tokens(_scanning().parse(text, "start"))
    assert ("JXLT_LITERAL", "`a\nb ${y}`", 1, 5, 2, 8) in tokens  # ends after the backtick
    assert ("IDENTIFIER", "z", 4, 6, 4, 7) in tokens
    assert ("IDENTIFIER", "w", 5, 3, 5, 4) in tokens


def test_every_state_tries_larks_terminals_in_larks_order() -> None:
    """The per-state terminal lists (less the keywords IDENTIFIER embeds) are Lark's own."""
    contextual = _lark().parser.lexer
    scanner = _scanning()
    for state in scanner.actions:
        names = scanner.dispatch[state].names
        assert names == [t.name for t in contextual.lexers[state].scanner.terminals]


def test_public_parse_still_reports_plain_messages() -> None:
    from scriptengine.errors import ScriptSyntaxError

    with pytest.raises(ScriptSyntaxError) as err:
        parse("f(1, 2}")
    assert (err.value.line, err.value.column) == (1, 7)
    assert "expected ')'" in str(err.value) and "found '}'" in str(err.value)
    with pytest.raises(ScriptSyntaxError) as err:
        parse_expression("(1 + 2")
    assert "'(' at 1:1 is never closed" in str(err.value)
