"""The parser front end: Lark setup for ``grammar/jexl.lark`` and syntax errors in plain words.

``parse(source)`` gives a ``nodes.Script``; ``parse_expression(source)`` a single ``nodes.Expr``.
The Lark parser is built once per process, on first use (and cached on disk by Lark, so a new
process loads it quickly); its tables drive ``scanner.Scanner``, which does the lexing and
parsing itself, faster than Lark's own loop and with the same result. The scanner's tables
are cached on disk too (``scannercache``): a new process then parses without loading Lark's
parser at all (it is loaded only to describe a syntax error).

Everything that does not parse raises ``ScriptSyntaxError`` with the filename, the 1-based
line and column (characters), the source line and a message such as ``expected ')', found
'}'`` or ``unterminated string``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from lark import Lark, Token, Tree
from lark import __version__ as LARK_VERSION
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from grammar import GRAMMAR_PATH

from . import scannercache
from .errors import ScriptSyntaxError
from .scanner import Scanner, SyntaxProblem, scanner_tables

if TYPE_CHECKING:
    from . import nodes

__all__ = ["parse", "parse_expression", "parse_tree", "syntax_error", "SyntaxProblem"]


_lock = threading.Lock()
_parser: Lark | None = None
_scanner: Scanner | None = None
#: how Lark builds the parser (part of the scanner cache's key too)
_OPTIONS: dict[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "start": ["start", "expression_only"],
    "maybe_placeholders": True,
}


def _lark() -> Lark:
    """The process-wide Lark parser (built on first use; Lark's disk cache makes that fast)."""
    global _parser
    if _parser is None:
        with _lock:
            if _parser is None:
                # Lark's cache is a pickle: kept in this user's private folder, never at
                # a predictable name in the shared temporary folder (a planted pickle
                # would run code); no private folder, no disk cache
                folder = scannercache.cache_dir()
                try:
                    if folder is None:
                        raise OSError("no private cache folder")
                    cache = str(folder / f"lark-{LARK_VERSION}.pickle")
                    _parser = Lark.open(str(GRAMMAR_PATH), cache=cache, **_OPTIONS)
                except Exception:  # an unwritable cache directory: build in memory
                    _parser = Lark.open(str(GRAMMAR_PATH), **_OPTIONS)
    return _parser


def _scanning() -> Scanner:
    """The process-wide ``Scanner`` (what parses, in fact): from the tables cached on disk,
    else from ``_lark()``'s tables, which are then cached for the next process."""
    global _scanner
    if _scanner is None:
        scanner = _cached_scanner()
        with _lock:
            if _scanner is None:
                _scanner = scanner
    return _scanner


def _cached_scanner() -> Scanner:
    """A new ``Scanner``: its tables from disk when they are there, else from Lark (saved)."""
    try:
        key = scannercache.cache_key(GRAMMAR_PATH, _OPTIONS, LARK_VERSION)
    except OSError:  # the sources cannot be read (a zipped install): no disk cache
        return Scanner.from_lark(_lark())
    tables = scannercache.load(key)
    if tables is not None:
        try:
            return Scanner(tables, _lark)
        except Exception:  # noqa: BLE001 - a damaged file that loaded: rebuild it
            pass
    lark = _lark()
    tables = scanner_tables(lark)
    scannercache.save(key, tables)  # nothing when a callback is not plain data
    return Scanner(tables, lambda: lark)


# --- errors --------------------------------------------------------------------------------

#: How a terminal reads in a message (terminals spelled by a fixed string show that string).
_TERMINAL_WORDS = {
    "IDENTIFIER": "a name",
    "DOT_IDENTIFIER": "a property name",
    "NAMESPACE_FUNCTION": "a namespace function",
    "ANNOTATION": "an annotation",
    "INTEGER_LITERAL": "a number",
    "FLOAT_LITERAL": "a number",
    "STRING_LITERAL": "a string",
    "JXLT_LITERAL": "a template",
    "REGEX_LITERAL": "a regular expression",
    "LBRACE_SURE": "'{'",
    "LBRACE_BLOCK": "'{'",
    "LBRACE_LIT": "'{'",
    "COMMA_ELLIPSIS": "', ...'",
    "$END": "end of script",
}

#: Terminals named in "expected ..." only when nothing better is expected (too generic).
_EXPRESSION_STARTS = frozenset(
    {
        "IDENTIFIER", "NAMESPACE_FUNCTION", "INTEGER_LITERAL", "FLOAT_LITERAL", "NAN_LITERAL",
        "STRING_LITERAL", "JXLT_LITERAL", "REGEX_LITERAL", "TRUE", "FALSE", "NULL", "LPAR",
        "LSQB", "LBRACE_LIT", "LBRACE_SURE", "MINUS", "PLUS", "TILDA", "NOT", "W_NOT", "EMPTY",
        "SIZE", "PLUSPLUS", "MINUSMINUS", "FUNCTION", "NEW", "SWITCH",
    }
)  # fmt: skip


def _terminal_word(name: str) -> str:
    """A terminal's name as a user reads it: ``')'``, ``a name``, ``end of script``."""
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    for term in _lark().terminals:
        if term.name == name:
            if term.pattern.type == "str":
                return f"'{term.pattern.value}'"
            break
    return name.lower().replace("_", " ")


def _token_text(token: Token) -> str:
    """How the offending token reads in a message: ``'}'``, ``end of script``."""
    if token.type == "$END":
        return "end of script"
    text = str(token.value)
    if len(text) > 30:
        text = text[:27] + "..."
    if token.type in ("STRING_LITERAL", "JXLT_LITERAL"):
        return text  # already quoted
    return f"'{text}'"


def _expected_words(expected: set[str]) -> str | None:
    """``')'``, ``')' or ','``; None when so much is possible that a list would not help."""
    # `, ...` is only ever an alternative to ',' (extended array literals): never worth naming
    names = {n for n in expected if not n.startswith("__") and n != "COMMA_ELLIPSIS"}
    if not names or names & _EXPRESSION_STARTS and len(names) > 6:
        if names & _EXPRESSION_STARTS and not names - _EXPRESSION_STARTS - {"SEMICOL", "RBRACE"}:
            return "an expression"
        return None
    words = sorted({_terminal_word(n) for n in names})
    if len(words) > 4:
        return None
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _char_message(text: str, pos: int) -> str:
    """What went wrong at a character no terminal matches."""
    char = text[pos] if pos < len(text) else ""
    if char in "'\"":
        return "unterminated string"
    if char == "`":
        rest = text[pos + 1 :].split("`", 1)[0]
        if any("\u2028" <= c <= "\u202e" or "\u2066" <= c <= "\u2069" for c in rest):
            return "a template may not contain bidirectional control characters"
        return "unterminated template"
    if text.startswith("~/", pos):
        return "unterminated regular expression"
    if text.startswith("/*", pos):
        return "unterminated comment"
    if char == "#":
        return "unexpected '#' (comments start with '##' or '//')"
    if char and not char.isascii():
        if char.isalpha():
            return f"unexpected character '{char}' (names must be ASCII)"
        return f"unexpected character '{char}'"
    return f"unexpected character '{char}'"


def _describe(err: UnexpectedInput, text: str) -> tuple[str, int, int]:
    """Turn a Lark error into (message, line, column)."""
    if isinstance(err, UnexpectedCharacters):
        return _char_message(text, err.pos_in_stream or 0), err.line, err.column
    if isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    ):
        line, column = _end_position(text)
        opened: list[Token] = getattr(err, "open_brackets", [])
        if opened:
            bracket = opened[-1]
            return (
                f"unexpected end of script: '{bracket.value}' at {bracket.line}:{bracket.column}"
                " is never closed",
                line,
                column,
            )
        return "unexpected end of script", line, column
    assert isinstance(err, UnexpectedToken)
    token = err.token
    start = token.start_pos or 0
    if token.value == "/" and text.startswith("/*", start):
        return "unterminated comment", token.line or 0, token.column or 0
    if token.value == "*" and start > 0 and text[start - 1] == "/":
        return "unterminated comment", token.line or 0, (token.column or 1) - 1
    if token.value == "/" and start > 0 and text[start - 1] == "~":
        return "unterminated regular expression", token.line or 0, (token.column or 1) - 1
    expected = _expected_words(set(err.expected))
    found = _token_text(token)
    if expected is None:
        message = f"unexpected {found}"
    else:
        message = f"expected {expected}, found {found}"
    if token.value == "in" and "COLON" in err.expected:
        message += " (a for-each loop is written 'for (var x : items)')"
    return message, token.line or 0, token.column or 0


def _end_position(text: str) -> tuple[int, int]:
    """Line and column just after the last character of ``text`` that is not blank."""
    text = text.rstrip()
    line = text.count("\n") + 1
    column = len(text) - (text.rfind("\n") + 1) + 1
    return line, column


def source_line(text: str, line: int) -> str | None:
    """Line ``line`` (1-based) of ``text`` without its newline, or None when out of range."""
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


def syntax_error(
    message: str, text: str, filename: str, line: int, column: int, hint: str | None = None
) -> ScriptSyntaxError:
    """A ``ScriptSyntaxError`` for ``text`` at ``line:column`` with the source line filled in."""
    return ScriptSyntaxError(
        message,
        filename=filename,
        line=line,
        column=column,
        source_line=source_line(text, line),
        hint=hint,
    )


def parse_tree(text: str, start: str = "start") -> Tree[Token]:
    """Lark's parse tree of ``text``; raises ``SyntaxProblem`` (no filename yet).

    ``start`` is ``"start"`` (a script) or ``"expression_only"``.
    """
    if text.startswith("\ufeff"):  # a byte-order mark: blank it, columns stay as they are
        text = " " + text[1:]
    try:
        return _scanning().parse(text, start)
    except SyntaxProblem:
        raise
    except UnexpectedInput as err:
        message, line, column = _describe(err, text)
        raise SyntaxProblem(message, line, column) from None


def parse(source: str, filename: str = "<script>") -> nodes.Script:
    """Parse a whole script and return its ``nodes.Script`` (positions 1-based, characters).

    Raises ``ScriptSyntaxError`` for anything JEXL would reject when parsing without scope
    analysis: bad syntax, malformed numbers, ``break``/``continue`` outside a loop, ``const``
    without a value, assignment to something that is not a variable, property or element.
    Example: ``parse("var a = 1\\na + 1").body[1].expr.op == '+'``.
    """
    from .build import build_script

    try:
        tree = parse_tree(source)
        return build_script(tree, source, filename)
    except SyntaxProblem as problem:
        raise syntax_error(
            problem.message, source, filename, problem.line, problem.column, problem.hint
        ) from None
    except RecursionError:
        raise syntax_error("script is nested too deeply", source, filename, 1, 1) from None


def parse_expression(source: str, filename: str = "<expression>") -> nodes.Expr:
    """Parse a single expression (``engine.eval``, the REPL): ``parse_expression("1 + 2")``.

    An empty source gives a ``NullLiteral``. Raises ``ScriptSyntaxError`` like ``parse``.
    """
    from .build import build_expression

    try:
        tree = parse_tree(source, "expression_only")
        return build_expression(tree, source)
    except SyntaxProblem as problem:
        message = problem.message.replace("end of script", "end of expression")
        raise syntax_error(
            message, source, filename, problem.line, problem.column, problem.hint
        ) from None
    except RecursionError:
        raise syntax_error("expression is nested too deeply", source, filename, 1, 1) from None
