"""A Pygments lexer for the handler language (JEXL 3), used by the REPL's highlighting.

Registered as a Pygments plugin (``pyproject.toml``, ``[project.entry-points."pygments.lexers"]``),
so ``pygmentize -l jexl handler.jexl`` and ``pygments.lexers.get_lexer_by_name("jexl")`` find
it once the package is installed. Token rules follow ``grammar/jexl.lark`` (the 3.7.0 terminals):
``##`` and ``//`` line comments, ``/* */`` blocks, ``'...'``/``"..."`` strings, backtick
templates with ``${...}`` interpolations, ``~/regex/``, numbers with their ``l``/``h``/``f``/
``d``/``b`` suffixes, ``ns:fn(`` namespace calls and the word operators (``eq``, ``and``, ...).
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

__all__ = ["JexlLexer", "KEYWORDS", "WORD_OPERATORS"]

#: statement and declaration keywords of the grammar
KEYWORDS = (
    "if", "else", "do", "while", "for", "break", "continue", "function", "return", "new",
    "var", "let", "const", "switch", "case", "default", "throw", "try", "catch", "finally",
)  # fmt: skip
#: operators spelled as words (JEXL's `and`, `eq`, `empty`, `size`, ...)
WORD_OPERATORS = (
    "and", "or", "not", "div", "mod", "eq", "ne", "lt", "le", "gt", "ge", "empty", "size",
    "instanceof",
)  # fmt: skip

_IDENT = r"[A-Za-z_$][A-Za-z0-9_$]*"


class JexlLexer(RegexLexer):  # type: ignore[misc]  # pygments has no type hints
    """Tokens of a JEXL script: keywords, names, literals, operators and comments.

    Function calls (``createNew(``) are ``Name.Function``; a name after ``.`` or ``?.`` is
    ``Name.Attribute``. Unknown characters are ``Error`` tokens, never an exception."""

    name = "JEXL"
    aliases: ClassVar[list[str]] = ["jexl", "jexl3"]
    filenames: ClassVar[list[str]] = ["*.jexl"]
    mimetypes: ClassVar[list[str]] = ["text/x-jexl"]

    tokens: ClassVar[dict[str, list[object]]] = {
        "root": [
            (r"[ \t\r\n\f]+", Whitespace),
            (r"(##|//)[^\n\r]*", Comment.Single),
            (r"/\*[\s\S]*?\*/", Comment.Multiline),
            (r"/\*[\s\S]*", Comment.Multiline),  # unterminated: still a comment while typing
            (r"#pragma\b", Comment.Preproc),
            (r"@[0-9A-Za-z_$]+", Name.Decorator),
            (r'"', String.Double, "dqs"),
            (r"'", String.Single, "sqs"),
            (r"`", String.Backtick, "template"),
            (r"~/(?:\\/|[^/\n\r\t\f\x08])*/", String.Regex),
            (r"[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?[fFdDbB]?", Number.Float),
            (r"[0-9]+\.?([eE][+-]?[0-9]+[fFdDbB]?|[fFdDbB])", Number.Float),
            (r"0[xX][0-9a-fA-F]+[lLhH]?", Number.Hex),
            (r"0[0-7]+[lLhH]?", Number.Oct),
            (r"(0|[1-9][0-9]*)[lLhH]?", Number.Integer),
            (r"NaN\b", Number.Float),
            (words(("true", "false", "null"), suffix=r"\b"), Keyword.Constant),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (words(WORD_OPERATORS, suffix=r"\b"), Operator.Word),
            (
                rf"({_IDENT})(:)({_IDENT})(?=\s*\()",
                bygroups(Name.Namespace, Punctuation, Name.Function),
            ),
            (
                rf"(\?\.|\.)(\s*)({_IDENT}|[0-9]+)",
                bygroups(Punctuation, Whitespace, Name.Attribute),
            ),
            (rf"{_IDENT}(?=\s*\()", Name.Function),
            (_IDENT, Name),
            include("operators"),
        ],
        "operators": [
            (r"!instanceof\b", Operator.Word),
            (r">>>=|<<=|>>=|===|!==|>>>|\.\.\.", Operator),
            (r"=~|!~|=\^|!\^|=\$|!\$|\?\?|\?:|->|=>|\.\.|&&|\|\||\+\+|--", Operator),
            (r"[+\-*/%&|^]=|==|!=|<=|>=|<<|>>", Operator),
            (r"[=+\-*/%<>!~&|^?]", Operator),
            (r"[()\[\]{},;:.]", Punctuation),
            (r".", Error),
        ],
        "dqs": [
            (r"\\.", String.Escape),
            (r'"', String.Double, "#pop"),
            (r'[^"\\\n]+', String.Double),
            (r"\n", String.Double, "#pop"),  # strings end at the line: an unterminated one
        ],
        "sqs": [
            (r"\\.", String.Escape),
            (r"'", String.Single, "#pop"),
            (r"[^'\\\n]+", String.Single),
            (r"\n", String.Single, "#pop"),
        ],
        "template": [
            (r"\\[\s\S]", String.Escape),
            (r"`", String.Backtick, "#pop"),
            (r"\$\{", String.Interpol, "interpolation"),
            (r"[^`\\$]+", String.Backtick),
            (r"\$", String.Backtick),
        ],
        "interpolation": [
            (r"\}", String.Interpol, "#pop"),
            include("root"),
        ],
    }
