"""The tokenizer and LALR(1) loop of the parser, fused into one function for speed.

``Scanner(lark).parse(text, start)`` returns the Lark parse tree that ``Lark.parse`` with the
contextual lexer and the old post-lexer gave, token for token and position for position, in
about 40% of the time. It reuses Lark's parse table, its terminals in its order per parser
state (the contextual lexer: what ``{``, ``size`` or ``/`` is depends on the state) and its
tree-building callbacks, and saves on the rest:

- one loop, locals only: no per-token generator, line counter, ``Token.__new__`` or
  ``Rule`` hashing (Lark's ``feed_token`` looks rules up in a dict per reduction);
- blanks and comments skipped before a token (a single space without a regex), not
  matched as tokens of their own;
- per state, the regex tried at a character holds only the terminals that can start with
  that character (``re`` tries alternatives one by one: three, not sixty);
- reductions by a ``?rule`` of one symbol (``unary_expression: value_expression``, half of
  all reductions) only change the state: Lark's callback would return the child as is;
- child filters that only pick children become one ``itemgetter`` call.

What the post-lexer did is done inline, before a token is fed to the parser:

- A name spelled like a reserved word becomes that keyword (``var if = 1`` is then refused by
  the parser, as JEXL's tokenizer refuses it), even where the contextual lexer read a name.
- A number glued to a following name or number (``1_000``, ``08``, ``0x1g``) is a malformed
  number (``SyntaxProblem``), not two statements.
- ``for (x:f(...))``: the ``x:f`` namespace-call token is split back into IDENTIFIER ':'
  IDENTIFIER (JEXL's LOOKAHEAD(3) makes it a for-each).

Errors are Lark's own exceptions (``UnexpectedCharacters``, ``UnexpectedToken``) with the
fields ``parser._describe`` reads, plus ``open_brackets``: the opening-bracket tokens not yet
closed when the error happened (for "'(' at 3:5 is never closed").
"""

from __future__ import annotations

import functools
import re
import re._parser as _sre_parser  # the first characters of a terminal's regex
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedToken
from lark.parse_tree_builder import (
    ChildFilterLALR,
    ChildFilterLALR_NoPlaceholders,
    ExpandSingleChild,
)
from lark.parsers.lalr_analysis import Shift

__all__ = ["Scanner", "SyntaxProblem", "scanner_tables"]


class SyntaxProblem(Exception):
    """Raised inside the parser front end (scanner, builder) before the filename is known;
    ``parser.parse`` turns it into a ``ScriptSyntaxError``. Positions are 1-based, in
    characters."""

    def __init__(self, message: str, line: int, column: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint


# What a token needs before it is fed (most need nothing: one dict lookup says so).
_NAME, _OPEN, _CLOSE, _NAMESPACE, _NUMBER = range(5)
_SPECIAL = {
    "IDENTIFIER": _NAME,
    **dict.fromkeys(
        ("LPAR", "LSQB", "QLBRACKET", "LBRACE_BLOCK", "LBRACE_LIT", "LBRACE_SURE"), _OPEN
    ),
    **dict.fromkeys(("RPAR", "RSQB", "RBRACE"), _CLOSE),
    "NAMESPACE_FUNCTION": _NAMESPACE,
    **dict.fromkeys(("INTEGER_LITERAL", "FLOAT_LITERAL"), _NUMBER),
}

_Match = Callable[[str, int], "re.Match[str] | None"]
#: (number of children, tree-building callback, name of the rule's nonterminal)
#: (None: a pass-through rule, see ``_passes_through``)
_Reduction = tuple[int, Callable[[list[Any]], Any] | None, str]

_new_str = str.__new__


class Scanner:
    """Tables taken once from a built ``Lark`` (parser ``lalr``, lexer ``contextual``).

    Per parser state: a dict terminal-or-rule name -> action, an int (``>= 0`` shift or goto
    to that state, ``< 0`` reduce by rule ``~action``), and a ``_CharTable``: first
    character -> ``match`` of the terminals acceptable there (built on first use). Safe to
    share between threads: a parse keeps its state in locals; the lazily filled tables at
    worst compute an entry twice.

    ``Scanner(tables, load_lark)`` builds it from ``scanner_tables(lark)`` (plain data that
    ``scannercache`` keeps on disk, so that a new process need not load Lark to parse);
    ``load_lark`` gives the Lark parser the tables came from, asked for only to describe a
    syntax error. ``Scanner.from_lark(lark)`` does both from a Lark parser at hand.
    """

    def __init__(self, tables: dict[str, Any], load_lark: Callable[[], Lark]) -> None:
        self._load_lark = load_lark
        self.reductions: list[_Reduction] = []
        for length, spec, origin in tables["reductions"]:
            build = _callback(spec)
            self.reductions.append(
                (length, None if _passes_through(build) else _faster(build), origin)
            )
        #: the same, as lists indexed by state (a list index is quicker than a dict lookup)
        self.rows: list[dict[str, int]] = tables["actions"]
        self.actions: dict[int, dict[str, int]] = dict(enumerate(self.rows))
        #: Lark's own expected sets, for messages: the terminals of each state's row
        self.expected: dict[int, set[str]] = {
            state: set(names) for state, names in enumerate(tables["expected"])
        }
        self.start_states: dict[str, int] = dict(tables["start_states"])
        self.end_states: dict[str, int] = dict(tables["end_states"])
        self.ignored = frozenset(tables["ignored"])
        self.skip: _Match = re.compile(tables["skip"]).match
        #: the characters a blank or a comment may start with
        self.blank_starts = frozenset(tables["blank_starts"])
        #: terminals whose text may span lines (Lark's own test)
        self.multiline = frozenset(tables["multiline"])
        self.dispatch = _Dispatch(tables["lexer_of"], tables["lexers"])
        #: reserved words -> their terminals (fixed-string terminals spelled like a name)
        self.keywords: dict[str, str] = dict(tables["keywords"])

    @classmethod
    def from_lark(cls, lark: Lark) -> Scanner:
        """The scanner of a built Lark parser (``scanner_tables`` and back)."""
        return cls(scanner_tables(lark), lambda: lark)

    def parse(self, text: str, start: str) -> Tree[Token]:
        """The parse tree of ``text`` from rule ``start`` (``"start"``/``"expression_only"``).

        Raises ``UnexpectedCharacters``/``UnexpectedToken`` (with ``open_brackets``) and
        ``SyntaxProblem`` (a malformed number). Long on purpose: one loop, locals only.
        """
        actions = self.rows
        reductions = self.reductions
        dispatch = self.dispatch
        blank_starts = self.blank_starts
        multiline = self.multiline
        skip = self.skip
        keywords = self.keywords
        end_state = self.end_states[start]
        state = self.start_states[start]  # always states[-1]
        states: list[int] = [state]
        values: list[Any] = []
        opened: list[Token] = []
        size = len(text)
        pos = 0
        line = 1
        line_start = 0  # index of the first character of the current line
        count = text.count
        rfind = text.rfind
        token: Token | None = None
        before_kind = ""  # the type of the token before `previous` (for `for (x:f`)
        previous_kind = ""
        number: Token | None = None  # the previous token when it is a number
        after_number = False
        pending: list[Token] = []
        while True:
            if pending:
                token = pending.pop()
                kind = token.type
            else:
                if pos >= size:
                    break
                char = text[pos]
                if char == " " and pos + 1 < size and text[pos + 1] not in blank_starts:
                    pos += 1  # one space: the usual blank, not worth a regex
                    char = text[pos]
                elif char in blank_starts:
                    blank = skip(text, pos)
                    if blank is not None:
                        end = blank.end()
                        newlines = count("\n", pos, end)
                        if newlines:
                            line += newlines
                            line_start = rfind("\n", pos, end) + 1
                        pos = end
                        if pos >= size:
                            break
                        char = text[pos]
                match = dispatch[state][char](text, pos)
                if match is None:
                    raise self._no_terminal(text, pos, line, line_start, states, opened, token)
                kind = match.lastgroup  # type: ignore[assignment]
                begin = pos
                end = match.end()
                value = text[begin:end]
                token = _new_str(Token, value)
                token.start_pos = begin
                token.value = value
                token.line = line
                token.column = begin - line_start + 1
                if kind in multiline:
                    newlines = count("\n", begin, end)
                    if newlines:
                        line += newlines
                        line_start = rfind("\n", begin, end) + 1
                token.end_line = line
                token.end_column = end - line_start + 1
                token.end_pos = end
                pos = end
                special = _SPECIAL.get(kind)  # one lookup: most tokens need nothing
                if special is not None:
                    if special == _NAME:
                        if value in keywords:
                            kind = keywords[value]
                    elif special == _OPEN:
                        opened.append(token)
                    elif special == _CLOSE:
                        if opened:
                            opened.pop()
                    elif special == _NAMESPACE and previous_kind == "LPAR" and before_kind == "FOR":
                        pending = _split_namespace_token(token)
                        after_number = False
                        continue
                token.type = kind
                if after_number and (
                    number is not None
                    and number.end_pos == begin
                    and (value[:1].isalnum() or value[:1] in "_$")
                ):
                    raise SyntaxProblem(
                        f"malformed number '{number.value}{value}'",
                        number.line or 0,
                        number.column or 0,
                    )
                after_number = special == _NUMBER
                number = token
            before_kind, previous_kind = previous_kind, kind
            # feed the token: reduce while the table says so, then shift it
            while True:
                action = actions[state].get(kind)
                if action is None:
                    raise self._unexpected(token, states, opened)
                if action >= 0:
                    state = action
                    states.append(state)
                    values.append(token)
                    break
                length, build, origin = reductions[~action]
                if build is None:  # a `?rule` of one symbol: its value passes through
                    state = states[-1] = actions[states[-2]][origin]
                    continue
                if length:
                    children = values[-length:]
                    del states[-length:]
                    del values[-length:]
                else:
                    children = []
                values.append(build(children))
                state = actions[states[-1]][origin]
                states.append(state)
        # end of input: reduce until the start rule is complete
        if token is not None:
            end_token = Token.new_borrow_pos("$END", "", token)
        else:
            end_token = Token("$END", "", 0, 1, 1)
        while True:
            action = actions[states[-1]].get("$END")
            if action is None or action >= 0:
                raise self._unexpected(end_token, states, opened)
            length, build, origin = reductions[~action]
            if build is None:
                states[-1] = actions[states[-2]][origin]
            else:
                if length:
                    children = values[-length:]
                    del states[-length:]
                    del values[-length:]
                else:
                    children = []
                values.append(build(children))
                states.append(actions[states[-1]][origin])
            if states[-1] == end_state:
                result: Tree[Token] = values[-1]
                return result

    def _unexpected(self, token: Token, states: list[int], opened: list[Token]) -> UnexpectedToken:
        err = UnexpectedToken(token, self.expected[states[-1]])  # type: ignore[no-untyped-call]
        err.open_brackets = list(opened)  # type: ignore[attr-defined]
        return err

    def _no_terminal(
        self,
        text: str,
        pos: int,
        line: int,
        line_start: int,
        states: list[int],
        opened: list[Token],
        last: Token | None,
    ) -> UnexpectedCharacters | UnexpectedToken:
        """No terminal acceptable here matches at ``pos``: as Lark's contextual lexer does,
        a token any terminal matches is an unexpected token, else an unexpected character."""
        column = pos - line_start + 1
        # the terminals of the state's lexer: Lark's ``allowed_types`` (test_lexer checks the
        # lists are Lark's); not asked of Lark, whose states may be numbered otherwise than
        # these tables' when its own cache was rebuilt since they were saved
        allowed = set(self.dispatch.names(states[-1])) - self.ignored or {"<END-OF-FILE>"}
        # every terminal, state-independent (its regex is built on the first error); Lark's
        # parser is loaded here, on the first error, when the tables came from the disk
        root = _contextual_lexer(self._load_lark()).root_lexer
        (regex,) = root.scanner._mres
        match = regex.match(text, pos)
        if match is None:
            bad = UnexpectedCharacters(  # type: ignore[no-untyped-call]
                text, pos, line, column, allowed=allowed, token_history=last and [last]
            )
            bad.open_brackets = list(opened)  # type: ignore[attr-defined]
            return bad
        kind = match.lastgroup or ""
        value = match.group()
        end = match.end()
        newlines = value.count("\n")
        end_start = text.rfind("\n", pos, end) + 1 if newlines else line_start
        token = Token(kind, value, pos, line, column, line + newlines, end - end_start + 1, end)
        if kind in root.callback:  # a name spelled like a keyword is the keyword
            token = root.callback[kind](token)
        err = UnexpectedToken(token, allowed, token_history=[last])  # type: ignore[no-untyped-call]
        err.open_brackets = list(opened)  # type: ignore[attr-defined]
        return err


def _contextual_lexer(lark: Lark) -> Any:
    """Lark's contextual lexer, under a PostLexConnector or not."""
    lexer: Any = lark.parser.lexer
    return getattr(lexer, "lexer", lexer)


def scanner_tables(lark: Lark) -> dict[str, Any]:
    """What a ``Scanner`` needs of a built Lark parser, as plain data (str, int, bool, list,
    tuple, dict: what ``marshal`` writes), but for a tree callback ``_callback_spec`` does
    not know: that one stays Lark's object (the tables work; ``marshal`` refuses them)."""
    frontend: Any = lark.parser
    contextual = _contextual_lexer(lark)
    lalr: Any = frontend.parser.parser
    table: Any = lalr.parse_table
    callbacks: dict[Any, Any] = lalr.callbacks
    rules: dict[Any, int] = {}
    reductions: list[tuple[int, Any, str]] = []
    actions: list[dict[str, int]] = []
    for state in range(len(table.states)):
        row: dict[str, int] = {}
        for symbol, (action, arg) in table.states[state].items():
            name = str(symbol)  # a freshly built Lark names things with Tokens; marshal: str
            if action is Shift:
                row[name] = arg
                continue
            index = rules.get(arg)
            if index is None:
                index = rules[arg] = len(reductions)
                spec = _callback_spec(callbacks[arg])
                reductions.append((len(arg.expansion), spec, str(arg.origin.name)))
            row[name] = ~index
        actions.append(row)
    conf: Any = frontend.lexer_conf
    ignored = sorted(str(name) for name in conf.ignore)
    by_name = conf.terminals_by_name
    blanks = "|".join(by_name[name].pattern.to_regexp() for name in ignored)
    # Blanks and comments are skipped before each token, not matched among the terminals:
    # the same choice as Lark's, because no terminal Lark tries before them can start
    # where they start (test_lexer compares token streams with Lark's on many scripts).
    starts = [_first_chars(by_name[name].pattern.to_regexp()) for name in ignored]
    if any(first is None for first in starts):
        raise ValueError("grammar: cannot tell what the ignored terminals start with")
    lexer_of, lexers = _lexer_sets(contextual, list(conf.terminals))
    return {
        "actions": actions,
        "reductions": reductions,
        "expected": [
            sorted(str(name) for name in table.states[state] if name.isupper())
            for state in range(len(table.states))
        ],
        "start_states": {str(name): state for name, state in table.start_states.items()},
        "end_states": {str(name): state for name, state in table.end_states.items()},
        "ignored": ignored,
        "skip": f"(?:{blanks})+",
        "blank_starts": "".join(sorted({c for first in starts if first for c in first})),
        "multiline": sorted(
            {str(name) for name in contextual.root_lexer.newline_types} - set(ignored)
        ),
        "lexer_of": lexer_of,
        "lexers": lexers,
        "keywords": {
            str(term.pattern.value): str(term.name)
            for term in lark.terminals
            if term.pattern.type == "str" and term.pattern.value.isidentifier()
        },
    }


def _callback_spec(build: Any) -> Any:
    """Lark's tree callback of a rule as plain data, for ``_callback`` to build again: the
    four kinds Lark makes for this grammar (no transformer, no propagate_positions). Any
    other callback is returned as it is."""
    kind = type(build)
    if kind is functools.partial and build.func is Tree and not build.keywords:
        (name,) = build.args
        return ("tree", str(name))
    inner = getattr(build, "node_builder", None)
    if inner is None or not isinstance(_callback_spec(inner), tuple):
        return build
    if kind is ChildFilterLALR:
        to_include = [tuple(item) for item in build.to_include]
        return ("filter", to_include, build.append_none, _callback_spec(inner))
    if kind is ChildFilterLALR_NoPlaceholders:
        to_include = [tuple(item) for item in build.to_include]
        return ("filter_np", to_include, _callback_spec(inner))
    if kind is ExpandSingleChild:
        return ("expand1", _callback_spec(inner))
    return build


def _callback(spec: Any) -> Callable[[list[Any]], Any]:
    """The Lark callback ``spec`` describes (objects of Lark's own classes, as Lark made);
    a callback kept as it is (see ``_callback_spec``) is returned unchanged."""
    if not isinstance(spec, tuple):
        return spec  # type: ignore[no-any-return]
    kind = spec[0]
    if kind == "tree":
        return functools.partial(Tree, spec[1])
    if kind == "filter":
        return ChildFilterLALR(list(spec[1]), spec[2], _callback(spec[3]))  # type: ignore[no-untyped-call]
    if kind == "filter_np":
        return ChildFilterLALR_NoPlaceholders(list(spec[1]), _callback(spec[2]))  # type: ignore[no-untyped-call]
    if kind == "expand1":
        return ExpandSingleChild(_callback(spec[1]))  # type: ignore[no-untyped-call]
    raise ValueError(f"unknown tree callback {kind!r}")


class _Dispatch(dict[int, "_CharTable"]):
    """Parser state -> its ``_CharTable`` (one per distinct set of acceptable terminals:
    Lark's contextual lexer has one lexer per set, 107 of them), made on first use from
    ``lexer_of`` (state -> index of its set) and ``lexers`` (per set: the terminals as
    (name, regex source) in Lark's order, and the regex flags), see ``scanner_tables``."""

    def __init__(self, lexer_of: list[int], lexers: list[tuple[list[Any], int]]) -> None:
        super().__init__()
        self._lexer_of = lexer_of
        self._lexers = lexers
        self._shared: dict[int, _CharTable] = {}  # index of the set -> its table
        self._patterns: dict[str, _Match] = {}  # regex source -> match, across tables

    def names(self, state: int) -> list[str]:
        """The terminals acceptable in ``state``, in Lark's order."""
        terms, _flags = self._lexers[self._lexer_of[state]]
        return [name for name, _source in terms]

    def __missing__(self, state: int) -> _CharTable:
        index = self._lexer_of[state]
        table = self._shared.get(index)
        if table is None:
            terms, flags = self._lexers[index]
            table = _CharTable([(name, source) for name, source in terms], flags, self._patterns)
            self._shared[index] = table
        self[state] = table
        return table


def _embedders(terminals: list[Any]) -> dict[str, set[str]]:
    """Fixed-string terminal -> the regex terminals that match it whole (same priority,
    flags no wider), over every terminal of the grammar."""
    found: dict[str, set[str]] = {}
    strings = [t for t in terminals if t.pattern.type == "str"]
    for regex in terminals:
        if regex.pattern.type != "re":
            continue
        source = regex.pattern.to_regexp()
        for string in strings:
            if string.priority != regex.priority:
                continue
            value = string.pattern.value
            match = re.match(source, value)
            if match is not None and match.group(0) == value:
                if string.pattern.flags <= regex.pattern.flags:
                    found.setdefault(string.name, set()).add(regex.name)
    return found


def _lexer_sets(contextual: Any, terminals: list[Any]) -> tuple[list[int], list[Any]]:
    """(state -> index of its terminal set, per set: [(name, regex source)...] and flags).

    The terminals of a set are Lark's, in Lark's order, less the fixed strings that a
    regex terminal of the same set and priority matches whole (keywords inside IDENTIFIER:
    Lark's ``_create_unless``; the loop retypes such names itself). Worked out here rather
    than taken from Lark's scanners, because building those compiles one large regex per
    set: a quarter of a second in a new process."""
    embedders = _embedders(terminals)
    index_of: dict[int, int] = {}  # id(Lark's lexer) -> index of its set
    lexers: list[Any] = []
    lexer_of: list[int] = []
    for state in range(len(contextual.lexers)):
        basic = contextual.lexers[state]
        index = index_of.get(id(basic))
        if index is None:
            index = index_of[id(basic)] = len(lexers)
            names = {t.name for t in basic.terminals}
            kept = []
            for term in basic.terminals:  # Lark's order (priority, width, length, name)
                inside = embedders.get(term.name, set()) & names
                if not inside:
                    kept.append((str(term.name), str(term.pattern.to_regexp())))
                elif inside - {"IDENTIFIER"}:
                    # the loop retypes names only; another terminal embedding fixed
                    # strings would need Lark's callback applied there too
                    raise ValueError(f"grammar: {inside} embed the fixed string {term.name}")
            lexers.append((kept, basic.g_regex_flags))
        lexer_of.append(index)
    return lexer_of, lexers


class _CharTable(dict[str, _Match]):
    """First character of the input -> ``match`` of the alternation of those of a lexer's
    terminals that can start with it, in Lark's order (so the first alternative that matches
    is the one Lark's regex would take: the others cannot match there). Python's ``re``
    tries alternatives one by one; a token starting with ``a`` then tries three patterns,
    not sixty. Characters beyond ASCII use the whole alternation. Filled on first use."""

    def __init__(
        self, terms: list[tuple[str, str]], flags: int, patterns: dict[str, _Match]
    ) -> None:
        super().__init__()
        self.names = [name for name, _ in terms]
        self._terms = [(name, source, _first_chars(source)) for name, source in terms]
        self._flags = flags
        self._patterns = patterns

    def __missing__(self, char: str) -> _Match:
        ascii_char = char.isascii()
        source = "|".join(
            f"(?P<{name}>{regexp})"
            for name, regexp, first in self._terms
            if not ascii_char or first is None or char in first
        )
        match = self._patterns.get(source)
        if match is None:
            match = re.compile(source, self._flags).match if source else _no_match
            self._patterns[source] = match
        self[char] = match
        return match


def _no_match(text: str, pos: int) -> None:
    """The ``match`` where no terminal can start with the character."""
    return None


@functools.cache
def _first_chars(regexp: str) -> frozenset[str] | None:
    """The ASCII characters a match of ``regexp`` can start with, or None when that is not
    known (any character may start it). A superset is fine; a character missing would make
    the lexer miss a token, so anything not understood answers None."""
    try:
        parsed = _sre_parser.parse(regexp)
    except Exception:  # noqa: BLE001 - whatever the private parser refuses: unknown
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    first, _ = _first_of_sequence(list(parsed))
    return None if first is None else frozenset(first)


_ASCII = [chr(code) for code in range(128)]
_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


def _first_of_sequence(items: list[tuple[Any, Any]]) -> tuple[set[str] | None, bool]:
    """(first characters, whether the sequence can match the empty string)."""
    result: set[str] = set()
    for op, arg in items:
        first, empty = _first_of_item(str(op), arg)
        if first is None:
            return None, False
        result |= first
        if not empty:
            return result, False
    return result, True


def _first_of_item(op: str, arg: Any) -> tuple[set[str] | None, bool]:
    if op == "LITERAL":
        return {chr(arg)}, False
    if op == "IN":
        chars: set[str] = set()
        for kind, value in arg:
            kind = str(kind)
            if kind == "LITERAL":
                chars.add(chr(value))
            elif kind == "RANGE":
                chars.update(chr(c) for c in range(value[0], min(value[1], 127) + 1))
            elif kind == "CATEGORY" and str(value) in _CATEGORIES:
                pattern = re.compile(_CATEGORIES[str(value)])
                chars.update(c for c in _ASCII if pattern.match(c))
            else:  # NEGATE and anything else: unknown
                return None, False
        return chars, False
    if op == "BRANCH":
        union: set[str] = set()
        empty = False
        for alternative in arg[1]:
            first, alt_empty = _first_of_sequence(list(alternative))
            if first is None:
                return None, False
            union |= first
            empty = empty or alt_empty
        return union, empty
    if op == "SUBPATTERN":
        _group, add_flags, _del_flags, inner = arg
        if add_flags & re.IGNORECASE:
            return None, False
        return _first_of_sequence(list(inner))
    if op == "ATOMIC_GROUP":
        return _first_of_sequence(list(arg))
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _high, inner = arg
        first, empty = _first_of_sequence(list(inner))
        return first, empty or low == 0
    if op in ("AT", "ASSERT", "ASSERT_NOT"):  # consume nothing: the rest decides
        return set(), True
    return None, False


def _faster(build: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
    """Lark's callback, or a quicker one that returns the same: a child filter that only
    picks children and adds None placeholders (no inlined ``_rule`` to splice) becomes one
    ``itemgetter`` call, instead of a Python loop over the children per reduction."""
    plan: list[int] = []  # indices into the children; -1 is a None placeholder
    if type(build) is ChildFilterLALR:
        for index, to_expand, add_none in build.to_include:
            if to_expand:
                return build
            plan += [-1] * add_none
            plan.append(index)
        plan += [-1] * build.append_none
    elif type(build) is ChildFilterLALR_NoPlaceholders:
        for index, to_expand in build.to_include:
            if to_expand:
                return build
            plan.append(index)
    else:
        return build
    node: Callable[[list[Any]], Any] = build.node_builder
    if not plan:
        return lambda children: node([])
    if len(plan) == 1:
        (only,) = plan
        if only == -1:
            return lambda children: node([None])
        return lambda children: node([children[only]])
    pick = itemgetter(*plan)
    if -1 in plan:
        return lambda children: node(list(pick(children + _NONE)))
    return lambda children: node(list(pick(children)))


_NONE = [None]  # appended to the children, so that index -1 picks a placeholder


def _passes_through(build: Callable[[list[Any]], Any]) -> bool:
    """True when Lark's callback for a one-symbol rule returns its only child unchanged (a
    ``?rule`` that is inlined): the loop then skips the call. Asked by calling it with a
    probe: a callback that filters or splices children returns something else."""
    probe: Tree[Token] = Tree("__probe__", [])
    try:
        return build([probe]) is probe
    except Exception:  # a callback that needs a real child: not a pass-through
        return False


def _split_namespace_token(token: Token) -> list[Token]:
    """``x:f`` -> IDENTIFIER ``x``, COLON, IDENTIFIER ``f`` with their own positions, in
    reverse order (the caller pops them)."""
    name, _, fun = token.value.partition(":")
    start = token.start_pos or 0
    line = token.line or 0
    column = token.column or 0
    parts = [
        Token(
            kind,
            text,
            start_pos=start + offset,
            line=line,
            column=column + offset,
            end_line=line,
            end_column=column + offset + len(text),
            end_pos=start + offset + len(text),
        )
        for kind, text, offset in (
            ("IDENTIFIER", name, 0),
            ("COLON", ":", len(name)),
            ("IDENTIFIER", fun, len(name) + 1),
        )
    ]
    parts.reverse()
    return parts
