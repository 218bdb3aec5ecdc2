"""Parsing with runs of base64 lines folded into one line each: the same tree, far fewer lines.

The standard library's ``email.feedparser`` handles a message one line at a time, several
Python calls per line; a 40 KB attachment is some 700 lines of base64, and parsing such
e-mails is mostly that. `parse_folded` replaces every run of at least `RUN_LINES`
consecutive lines made only of base64 characters by ONE line holding a token, lets the
feedparser build the tree from that much shorter message, then puts each run back in
the payload, preamble or epilogue where its token landed.

Why the tree comes out the same: the feedparser decides a line's role from its first
characters only. A header line matches ``^(From |[\\041-\\071\\073-\\176]*:|[\\t ])``
(a colon, a leading blank or ``From ``), a boundary starts with ``--``, the blank line
that ends a header block starts with a line ending. A line of base64 characters
``[A-Za-z0-9+/=]`` is none of these, and neither is a token line (made of the same
characters): each is plain content wherever it stands. Lines are split as the
feedparser splits them (``\\r\\n``, ``\\r`` or ``\\n``); a run starts at the start of the
message or after ``\\n`` and every line of it ends in ``\\n`` or ``\\r\\n``, so it is a
whole number of the feedparser's lines. The token line ends with the run's own last line
ending, which the feedparser keeps or strips (it strips the line ending before a
boundary, RFC 2046 5.1.1) exactly as it would have for the run's last line; a token is
therefore put back as the run WITHOUT that line ending.

Safety net: when a token turns up anywhere but a payload, preamble or epilogue (a header,
a defect's text, ...), when a payload is of a type the feedparser does not make, or when
the tokens put back are not exactly the runs, once each, the result is thrown away
(`parse_folded` returns None) and the caller parses the original bytes the normal way.
One case trips it by design: a multipart whose first boundary never appears keeps
nothing after its closing boundary (``_parsegen`` reads those lines and drops them), so
a run there vanishes with its token; such a message is simply parsed the normal way.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesFeedParser
from typing import Any

__all__ = ["RUN_LINES", "Folded", "counts", "fold", "parse_folded"]

#: Fewer consecutive base64 lines than this are left as they are (not worth a token).
RUN_LINES = 8
#: Size of the pieces fed to the parser (as mailstore.mime.CHUNK, for the same reason:
#: the parser never holds more than one piece of not yet split lines).
_CHUNK = 1 << 16
#: ``^`` in MULTILINE mode matches only at the start and after ``\n``: never after a lone
#: ``\r`` (a line start for the feedparser too; such a line is merely not folded). The
#: character class excludes ``\r`` and ``\n``, so each line matches one way only: the
#: possessive ``++`` and ``{n,}+`` (Python 3.11) change no match, they only spare the
#: engine its backtracking bookkeeping (about 10% of the scan).
_RUN = re.compile(rb"^(?:[A-Za-z0-9+/=]++\r?\n){%d,}+" % RUN_LINES, re.MULTILINE)
#: Hex digits to letters: a nonce is letters only and an index digits only, so a nonce
#: can only occur at a token's start.
_HEX_TO_LETTERS = str.maketrans("0123456789", "ghijklmnop")


@dataclass
class Counts:
    """How often `parse_folded` was used: evidence for tests that the fast path runs.

    Plain integers bumped without a lock: under threads a count can be lost; nothing but
    tests and diagnostics reads them.
    """

    #: Messages whose tree was built from the folded message.
    folded: int = 0
    #: Messages with runs whose folded result was thrown away by the safety net.
    fallbacks: int = 0


counts = Counts()


@dataclass
class Folded:
    """A message with its runs of base64 lines replaced by token lines."""

    #: The message to feed to the parser.
    data: bytes
    #: The random part of every token: letters that do not occur in the original message.
    nonce: str
    #: Per run, (start, end) in the original message, the run's last line ending excluded.
    runs: list[tuple[int, int]]
    #: The number of digits of every index (that of the number of runs).
    width: int

    def token(self, index: int) -> str:
        """Return the token of run ``index``: the nonce and the index in fixed-width digits."""
        return f"{self.nonce}{index:0{self.width}d}"


def _new_nonce(raw: bytes | bytearray) -> str:
    """Return 20 random letters (80 bits) that do not occur in ``raw``."""
    while True:
        nonce = secrets.token_hex(10).translate(_HEX_TO_LETTERS)
        if nonce.encode("ascii") not in raw:
            return nonce


def fold(raw: bytes | bytearray) -> Folded | None:
    """Return ``raw`` with each run of `RUN_LINES` or more base64 lines folded, or None.

    None when the message has no such run (there is nothing to gain). The folded data is
    the original with each run replaced by its token and the run's last line ending.
    """
    matches = list(_RUN.finditer(raw))
    if not matches:
        return None
    folded = Folded(b"", _new_nonce(raw), [], len(str(len(matches))))
    view = memoryview(raw)
    pieces: list[bytes | memoryview] = []
    position = 0
    for index, match in enumerate(matches):
        start, end = match.span()
        eol = 2 if raw[end - 2 : end] == b"\r\n" else 1
        pieces.append(view[position:start])
        pieces.append(folded.token(index).encode("ascii") + raw[end - eol : end])
        folded.runs.append((start, end - eol))
        position = end
    pieces.append(view[position:])
    folded.data = b"".join(pieces)
    return folded


class _Restorer:
    """Puts runs back in place of their tokens, counting each run put back."""

    def __init__(self, raw: bytes | bytearray, folded: Folded) -> None:
        self.view = memoryview(raw)
        self.folded = folded
        self.used = [False] * len(folded.runs)
        self.broken = False

    def _run(self, digits: str) -> str:
        """Return the text of the run whose index is ``digits``; notes a bad or second use."""
        index = int(digits) if digits.isdigit() and digits.isascii() else len(self.used)
        if len(digits) != self.folded.width or index >= len(self.used) or self.used[index]:
            self.broken = True
            return ""
        self.used[index] = True
        start, end = self.folded.runs[index]
        # str() of a memoryview decodes without an intermediate bytes copy (a 30 MB
        # attachment is one run). Base64 characters are ASCII: the feedparser's
        # ascii/surrogateescape decoding gives the same string.
        return str(self.view[start:end], "ascii")

    def text(self, value: str) -> str:
        """Return ``value`` with its tokens replaced by their runs."""
        nonce, width = self.folded.nonce, self.folded.width
        if nonce not in value:
            return value
        # Split on the nonce rather than a regular expression: compiling one per message
        # (the nonce changes) cost more than the replacing.
        pieces = value.split(nonce)
        if len(pieces) == 2 and not pieces[0] and len(pieces[1]) == width:
            # The common case (a part that is one run): no second copy of a large payload.
            return self._run(pieces[1])
        out = [pieces[0]]
        for piece in pieces[1:]:
            out.append(self._run(piece[:width]))
            out.append(piece[width:])
        return "".join(out)

    def complete(self) -> bool:
        """Return True when every run was put back exactly once and nothing else was seen."""
        return not self.broken and all(self.used)


def _mentions(value: object, nonce: str) -> bool:
    """Return True when a token is in ``value`` (strings, lists, tuples, exceptions)."""
    # Plain loops: this runs over every header field of every part, and generator
    # expressions cost more here than the searching.
    if isinstance(value, str):
        return nonce in value
    if isinstance(value, list | tuple):
        for item in value:
            if not isinstance(item, Message) and _mentions(item, nonce):
                return True
        return False
    if isinstance(value, BaseException):
        return nonce in str(value) or _mentions(value.args, nonce)
    return False


#: The attributes of a part that `_Restorer.text` cleans (or reports as broken).
_RESTORED = frozenset({"_payload", "preamble", "epilogue"})


def _restore(msg: Message, raw: bytes | bytearray, folded: Folded) -> bool:
    """Put every run back into ``msg``'s tree; return False when the safety net trips."""
    restorer = _Restorer(raw, folded)
    parts = list(msg.walk())
    for part in parts:
        payload = getattr(part, "_payload", None)
        if isinstance(payload, str):
            part._payload = restorer.text(payload)  # type: ignore[attr-defined]
        elif payload is not None and not isinstance(payload, list):
            return False
        for attr in ("preamble", "epilogue"):
            value = getattr(part, attr, None)
            if isinstance(value, str):
                setattr(part, attr, restorer.text(value))
            elif value is not None:
                return False
    if not restorer.complete():
        return False
    # Anything else that holds a token (a header field, the unix From line, a defect)
    # means the feedparser took a token line for something other than content.
    for part in parts:
        for name, value in vars(part).items():
            if name not in _RESTORED and _mentions(value, folded.nonce):
                return False
    return True


def parse_folded(
    raw: bytes | bytearray, new_parser: Callable[[], BytesFeedParser[Any]]
) -> Message | None:
    """Return the tree ``new_parser()`` gives for ``raw``, parsed with its runs folded.

    None when there is no run to fold, when the parser fails on the folded message (a
    message nested too deeply) or when the safety net trips: the caller then parses
    ``raw`` the normal way, which also reports any failure as it always did.
    ``new_parser`` must make a fresh parser (with a fresh policy) on each call.
    """
    folded = fold(raw)
    if folded is None:
        return None
    try:
        parser = new_parser()
        view = memoryview(folded.data)
        for start in range(0, len(view), _CHUNK):
            parser.feed(bytes(view[start : start + _CHUNK]))
        msg: Message = parser.close()
        if _restore(msg, raw, folded):
            counts.folded += 1
            return msg
    except Exception:  # noqa: BLE001 - RecursionError or a parser bug: the normal path decides
        pass
    counts.fallbacks += 1
    return None
