"""The Pygments lexer of the language: tokens of each kind, never an exception, and its
registration as a Pygments plugin."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String

from runtime.lexer import JexlLexer


def tokens(source: str) -> list[tuple[object, str]]:
    """(token type, text) pairs without whitespace."""
    return [(t, v) for t, v in JexlLexer().get_tokens(source) if v.strip()]


def kind_of(source: str, text: str) -> object:
    """The token type of the first token spelled ``text``."""
    for t, v in tokens(source):
        if v == text:
            return t
    raise AssertionError(f"{text!r} not a token of {source!r}: {tokens(source)}")


def test_registered_as_a_pygments_plugin() -> None:
    from pygments.lexers import find_lexer_class_for_filename, get_lexer_by_name

    assert isinstance(get_lexer_by_name("jexl"), JexlLexer)
    assert find_lexer_class_for_filename("invoices.jexl") is JexlLexer


def test_keywords_constants_and_word_operators() -> None:
    source = "var x = null; if (x eq 1 and not empty(y)) { return true } else { x = size(z) }"
    assert kind_of(source, "var") is Keyword
    assert kind_of(source, "if") is Keyword
    assert kind_of(source, "return") is Keyword
    assert kind_of(source, "null") is Keyword.Constant
    assert kind_of(source, "true") is Keyword.Constant
    assert kind_of(source, "eq") is Operator.Word
    assert kind_of(source, "and") is Operator.Word
    assert kind_of(source, "empty") is Operator.Word


def test_a_keyword_prefix_is_a_name() -> None:
    assert kind_of("variable + iffy", "variable") is Name
    assert kind_of("variable + iffy", "iffy") is Name


def test_comments() -> None:
    assert kind_of("## note\n1", "## note") is Comment.Single
    assert kind_of("// note\n1", "// note") is Comment.Single
    assert kind_of("1 /* a\nb */ + 2", "/* a\nb */") is Comment.Multiline
    assert kind_of("#pragma jexl.options '+strict'", "#pragma") is Comment.Preproc


def test_strings_templates_and_regexes() -> None:
    assert tokens("'it\\'s'") == [
        (String.Single, "'"),
        (String.Single, "it"),
        (String.Escape, "\\'"),
        (String.Single, "s"),
        (String.Single, "'"),
    ]
    assert kind_of('"a"', "a") is String.Double
    template = tokens("`n=${x + 1}`")
    assert (String.Interpol, "${") in template and (Name, "x") in template
    assert (String.Interpol, "}") in template and template[-1] == (String.Backtick, "`")
    assert kind_of("s =~ ~/^Re: .*/", "~/^Re: .*/") is String.Regex


def test_numbers_with_their_suffixes() -> None:
    assert kind_of("1.5f", "1.5f") is Number.Float
    assert kind_of("2d", "2d") is Number.Float
    assert kind_of("1.10b", "1.10b") is Number.Float
    assert kind_of("0x1Fl", "0x1Fl") is Number.Hex
    assert kind_of("017", "017") is Number.Oct
    assert kind_of("10h", "10h") is Number.Integer
    assert kind_of("42L", "42L") is Number.Integer
    assert kind_of("NaN", "NaN") is Number.Float


def test_calls_members_and_namespaces() -> None:
    source = "createNew('SubmittedDocument').note = entity?.mailFrom; math:round(x)"
    assert kind_of(source, "createNew") is Name.Function
    assert kind_of(source, "note") is Name.Attribute
    assert kind_of(source, "mailFrom") is Name.Attribute
    assert kind_of(source, "entity") is Name
    assert kind_of(source, "math") is Name.Namespace
    assert kind_of(source, "round") is Name.Function


def test_operators() -> None:
    for op in ("=~", "!~", "=^", "!$", "??", "?:", "->", "=>", "...", ">>>=", "===", "!=="):
        assert kind_of(f"a {op} b", op) is Operator, op


def test_an_unknown_character_is_an_error_token() -> None:
    assert kind_of("a # b", "#") is Error


@given(st.text(max_size=60))
def test_any_text_lexes_without_losing_characters(source: str) -> None:
    """Pygments contract: the tokens spell the input back (line ends normalized), so
    highlighting in the REPL never drops or adds what the user typed."""
    lexer = JexlLexer(stripnl=False, ensurenl=False)
    text = "".join(v for _, v in lexer.get_tokens(source))
    assert text == source.replace("\r\n", "\n").replace("\r", "\n")
