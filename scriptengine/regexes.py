"""Java-flavoured regular expressions on top of the ``regex`` module, every match under a timeout.

Scripts write Java regexes (``String.matches``, ``replaceAll``, ``split``, ``=~``, ``~/re/``).
``java_regex`` translates the Java spellings that Python's ``regex`` spells differently
(``\\p{Alpha}`` POSIX classes, ``\\Q...\\E`` quoting, ``\\z``, ``\\h``, ``\\R``, ``\\e``,
``\\k<name>``, class intersections ``[a-z&&[^aeiou]]``) and caches the compiled pattern.
Possessive quantifiers, atomic groups and ``(?<name>...)`` mean the same in both.

The match helpers (``fullmatch``, ``search``, ``finditer_list``, ``replace``, ``split``) pass
``timeout=`` to every ``regex`` call: one second per operation, or the run's remaining time
when smaller, so no pattern and no e-mail can hang a run (catastrophic backtracking stops
with ``LimitExceeded('regex', ...)``). They also charge the work to the run: one step per
match and one per ``CHARS_PER_STEP`` characters of input.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import regex

from .errors import EvalError, LimitExceeded
from .values import CaughtError, ErrorInfo

if TYPE_CHECKING:
    from .thread import Thread


class JavaException(CaughtError):
    """The Java exception behind a runtime error of a Java method (``e.cause`` in a
    script's ``catch``): ``getMessage()``/``message`` is Java's message (``begin 5, end 3,
    length 3``), its string form Java's ``toString()``
    (``java.lang.StringIndexOutOfBoundsException: begin 5, end 3, length 3``)."""

    def __init__(self, java_class: str, message: str) -> None:
        super().__init__(None, message, ErrorInfo(), None)
        self.java_class = java_class

    def jexl_string(self) -> str:
        return f"{self.java_class}: {self.message}"


def java_error(java_class: str, message: str, shown: str | None = None) -> EvalError:
    """An ``EvalError`` for an exception a Java method throws: the message the user sees
    is ``shown`` (default: Java's message) and ``cause`` is the ``JavaException``."""
    return EvalError(shown or message, cause=JavaException(java_class, message))


_IAE = "java.lang.IllegalArgumentException"
_PSE = "java.util.regex.PatternSyntaxException"

#: Seconds one regex operation may take at most.
DEFAULT_TIMEOUT = 1.0

# Java's POSIX classes are US-ASCII only (java.util.regex.Pattern, "POSIX character classes").
_POSIX: dict[str, str] = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
    "javaLowerCase": "\\p{Ll}",
    "javaUpperCase": "\\p{Lu}",
    "javaWhitespace": "\\t\\n\\x0B\\f\\r\\x1C-\\x1F\\p{Zs}",
    "javaMirrored": "\\p{Bidi_Mirrored}",
    "javaLetter": "\\p{L}",
    "javaDigit": "\\p{Nd}",
    "javaLetterOrDigit": "\\p{L}\\p{Nd}",
    "javaAlphabetic": "\\p{Alphabetic}",
}

_ASCII_CLASSES = {
    "w": "a-zA-Z_0-9",
    "d": "0-9",
    "s": " \\t\\n\\x0B\\f\\r",
}

_HSPACE = " \\t\\xA0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000"
_VSPACE = "\\n\\x0B\\f\\r\\x85\\u2028\\u2029"


class _Translator:
    """One pass over a Java pattern, producing the ``regex`` module's spelling."""

    def __init__(self, pattern: str) -> None:
        self.src = pattern
        self.i = 0
        self.out: list[str] = []
        self.depth = 0  # nesting of character classes
        self.version1 = False
        self.groups: set[str] = set()

    def run(self) -> str:
        src = self.src
        n = len(src)
        while self.i < n:
            c = src[self.i]
            if c == "\\":
                self._escape()
                continue
            if c == "[":
                self.depth += 1
                if self.depth > 1:
                    self.version1 = True  # nested class = union in Java, V1 syntax here
                self.out.append(c)
                self.i += 1
                if self.i < n and src[self.i] == "^":
                    self.out.append("^")
                    self.i += 1
                if self.i < n and src[self.i] == "]":
                    # Java, like Python, takes a ']' right after '[' or '[^' literally
                    self.out.append("\\]")
                    self.i += 1
                continue
            if c == "(" and self.depth == 0 and src.startswith("(?<", self.i):
                name = regex.match(r"\(\?<([A-Za-z][A-Za-z0-9]*)>", src[self.i :])
                if name is not None:
                    if name.group(1) in self.groups:
                        # Java refuses a repeated group name; the regex module allows it
                        detail = f"named capturing group <{name.group(1)}> is already defined"
                        raise java_error(_PSE, detail, f"invalid regular expression: {detail}")
                    self.groups.add(name.group(1))
            if c == "]" and self.depth > 0:
                self.depth -= 1
            elif c == "&" and self.depth > 0 and src.startswith("&&", self.i):
                self.version1 = True
                self.out.append("&&")
                self.i += 2
                continue
            self.out.append(c)
            self.i += 1
        return "".join(self.out)

    def _escape(self) -> None:
        src = self.src
        if self.i + 1 >= len(src):
            raise java_error(
                _PSE,
                "unexpected internal error",
                "invalid regular expression: unexpected end after '\\'",
            )
        e = src[self.i + 1]
        self.i += 2
        in_class = self.depth > 0
        if e == "Q":
            end = src.find("\\E", self.i)
            text = src[self.i :] if end < 0 else src[self.i : end]
            self.i = len(src) if end < 0 else end + 2
            self.out.append("".join("\\" + ch if not ch.isalnum() else ch for ch in text))
        elif e in "pP" and self.i < len(src) and src[self.i] == "{":
            end = src.find("}", self.i)
            if end < 0:
                raise java_error(
                    _PSE,
                    "unclosed character family",
                    "invalid regular expression: unclosed character family",
                )
            name = src[self.i + 1 : end]
            self.i = end + 1
            for prefix in ("Is", "In"):
                if name.startswith(prefix) and name[2:] in _POSIX:
                    name = name[2:]
            body = _POSIX.get(name)
            if body is None:
                if name.startswith("Is"):
                    name = name[2:]
                self.out.append(f"\\{e}{{{name}}}")
            elif e == "p":
                self.out.append(body if in_class else f"[{body}]")
            else:
                self.out.append(f"[^{body}]" if not in_class else f"\\P{{{name}}}")
        elif e == "z":
            self.out.append("\\Z")
        elif e == "Z":
            self.out.append("(?=\\n?\\Z)")
        elif e == "h":
            self.out.append(_HSPACE if in_class else f"[{_HSPACE}]")
        elif e == "H":
            self.out.append(f"[^{_HSPACE}]")
        elif e == "v":
            self.out.append(_VSPACE if in_class else f"[{_VSPACE}]")
        elif e == "V":
            self.out.append(f"[^{_VSPACE}]")
        elif e == "R":
            self.out.append(f"(?:\\r\\n|[{_VSPACE}])")
        elif e.lower() in _ASCII_CLASSES and (not in_class or e.islower()):
            # Java's \w \d \s are ASCII-only (without UNICODE_CHARACTER_CLASS)
            body = _ASCII_CLASSES[e.lower()]
            if in_class:
                self.out.append(body)
            else:
                self.out.append(f"[{body}]" if e.islower() else f"[^{body}]")
        elif e == "e":
            self.out.append("\\x1b")
        elif e == "c" and self.i < len(src):
            self.out.append(f"\\x{ord(src[self.i]) ^ 64:02x}")
            self.i += 1
        elif e == "k" and self.i < len(src) and src[self.i] == "<":
            end = src.find(">", self.i)
            if end < 0:
                raise java_error(
                    _PSE, "unclosed group name", "invalid regular expression: unclosed group name"
                )
            self.out.append(f"(?P={src[self.i + 1 : end]})")
            self.i = end + 1
        else:
            self.out.append("\\" + e)


def translate(pattern: str) -> tuple[str, int]:
    """Return the ``regex``-module spelling of a Java pattern and the flags it needs
    (``regex.VERSION1`` when the pattern uses nested classes or ``&&`` intersections)."""
    t = _Translator(pattern)
    text = t.run()
    return text, (regex.VERSION1 if t.version1 else regex.VERSION0)


_CASE_INSENSITIVE = regex.compile(r"\(\?[a-zA-Z]*i[a-zA-Z]*(?:-[a-zA-Z]*)?[:)]")
_UNICODE_FLAGS = regex.compile(r"\(\?[a-zA-Z]*[uU][a-zA-Z]*(?:-[a-zA-Z]*)?[:)]")


@functools.lru_cache(maxsize=512)
def _compile(pattern: str, flags: int) -> Any:
    text, version = translate(pattern)
    if (
        _CASE_INSENSITIVE.search(pattern)
        and not _UNICODE_FLAGS.search(pattern)
        and "\\p{" not in text
        and "\\P{" not in text
    ):
        # Java's (?i) folds ASCII letters only unless (?u) asks for Unicode case; the
        # regex module's ASCII flag does the same (but would also make \p{..} ASCII-only)
        flags |= regex.ASCII
    try:
        return regex.compile(text, flags | version)
    except regex.error as err:
        raise java_error(_PSE, str(err), f"invalid regular expression '{pattern}': {err}") from None
    except (OverflowError, RecursionError, ValueError) as err:
        raise java_error(_PSE, str(err), f"invalid regular expression '{pattern}': {err}") from None


def java_regex(pattern: str, flags: int = 0) -> Any:
    """Return the compiled ``regex`` pattern for a Java regex (cached).

    Raises ``EvalError("invalid regular expression '...': ...")`` for a bad pattern. The
    result is a ``regex.Pattern``; call it only through the helpers below so the timeout
    applies.
    """
    return _compile(pattern, flags)


def timeout_for(thread: Thread | None) -> float:
    """Seconds the next regex operation may take: ``DEFAULT_TIMEOUT``, or the run's
    remaining time when that is smaller (never below 1 ms, so a call can still start)."""
    if thread is None or thread.limits.seconds is None:
        return DEFAULT_TIMEOUT
    remaining = thread.limits.seconds - thread.elapsed
    return max(0.001, min(DEFAULT_TIMEOUT, remaining))


#: Characters of host work that cost one step (a 1 MB body scanned costs ~16k steps).
CHARS_PER_STEP = 64


def charge_chars(thread: Thread, n: int) -> None:
    """Charge work over ``n`` characters: one step per ``CHARS_PER_STEP`` (nothing below),
    so scanning a big e-mail body stays affordable while a loop over huge strings still
    meets the step limit."""
    if n >= CHARS_PER_STEP:
        thread.charge(n // CHARS_PER_STEP)


def _run(thread: Thread | None, text: str, op: Callable[[float], Any]) -> Any:
    if thread is not None:
        thread.charge(1)
        charge_chars(thread, len(text))
    timeout = timeout_for(thread)
    try:
        return op(timeout)
    except TimeoutError:
        if timeout < DEFAULT_TIMEOUT and thread is not None:
            # the run's own time ran out during the match: that is the limit to name
            sec = thread.limits.seconds
            raise LimitExceeded("seconds", sec, f"time limit exceeded ({sec} s)") from None
        raise LimitExceeded(
            "regex", timeout, f"regular expression took too long (over {timeout:g} s)"
        ) from None


def _pattern(pattern: Any) -> Any:
    return java_regex(pattern) if isinstance(pattern, str) else pattern


def fullmatch(pattern: Any, text: str, thread: Thread | None = None) -> bool:
    """True when ``pattern`` (Java source or compiled) matches all of ``text``
    (Java's ``String.matches`` and JEXL's ``=~``)."""
    pat = _pattern(pattern)
    return _run(thread, text, lambda t: pat.fullmatch(text, timeout=t)) is not None


def search(pattern: Any, text: str, thread: Thread | None = None) -> Any:
    """The first match of ``pattern`` anywhere in ``text`` (``Matcher.find``), or None."""
    pat = _pattern(pattern)
    return _run(thread, text, lambda t: pat.search(text, timeout=t))


def finditer_list(
    pattern: Any, text: str, thread: Thread | None = None, count: int = 0
) -> list[Any]:
    """The matches of ``pattern`` in ``text`` left to right (the first ``count`` when
    ``count > 0``), found as Java's ``Matcher.find`` finds them: after an empty match the
    next search starts one character further, so ``'|a'`` finds two empty matches in
    ``'a'`` where Python's ``finditer`` would also find ``'a'``. All the searches share one
    timeout."""
    pat = _pattern(pattern)

    def find_all(timeout: float) -> list[Any]:
        deadline = time.perf_counter() + timeout
        found: list[Any] = []
        pos, n = 0, len(text)
        while pos <= n:
            left = max(0.0005, deadline - time.perf_counter())
            m = pat.search(text, pos, timeout=left)
            if m is None:
                break
            found.append(m)
            if thread is not None:
                thread.charge(1)  # one step per match (split parts, replacements)
                if not len(found) & 1023:
                    thread.check_items(len(found))  # before a million matches pile up
            if count and len(found) >= count:
                break
            pos = m.end() + 1 if m.end() == m.start() else m.end()
        return found

    result: list[Any] = _run(thread, text, find_all)
    return result


def _expand(replacement: str, m: Any) -> str:
    """Java's ``Matcher.appendReplacement`` rules: ``$n`` / ``${name}`` insert a group,
    a backslash makes the next character literal."""
    out: list[str] = []
    i = 0
    n = len(replacement)
    ngroups = len(m.groups())
    while i < n:
        c = replacement[i]
        if c == "\\":
            i += 1
            if i >= n:
                raise java_error(
                    _IAE,
                    "character to be escaped is missing",
                    f"the replacement '{replacement}' ends with a lone backslash",
                )
            out.append(replacement[i])
            i += 1
        elif c == "$":
            i += 1
            if i >= n:
                raise java_error(
                    _IAE,
                    "Illegal group reference: group index is missing",
                    f"the replacement '{replacement}' ends with a lone '$'",
                )
            if replacement[i] == "{":
                end = replacement.find("}", i)
                if end < 0:
                    raise java_error(
                        _IAE,
                        "named capturing group is missing trailing '}'",
                        f"the replacement '{replacement}' has an unclosed '${{'",
                    )
                name = replacement[i + 1 : end]
                try:
                    out.append(m.group(name) or "")
                except IndexError:
                    raise java_error(
                        _IAE,
                        f"No group with name {{{name}}}",
                        f"no group named '{name}' for the replacement '{replacement}'",
                    ) from None
                i = end + 1
            elif replacement[i].isdigit():
                num = int(replacement[i])
                if num > ngroups:
                    raise java_error(
                        "java.lang.IndexOutOfBoundsException",
                        f"No group {num}",
                        f"no group {num} for the replacement '{replacement}'",
                    )
                i += 1
                # Java takes more digits while the group number stays valid
                while (
                    i < n and replacement[i].isdigit() and num * 10 + int(replacement[i]) <= ngroups
                ):
                    num = num * 10 + int(replacement[i])
                    i += 1
                out.append(m.group(num) or "")
            else:
                raise java_error(
                    _IAE,
                    "Illegal group reference",
                    f"illegal group reference in the replacement '{replacement}'"
                    " (write \\$ for a '$')",
                )
        else:
            out.append(c)
            i += 1
    return "".join(out)


def replace(
    pattern: Any, text: str, replacement: str, count: int = 0, thread: Thread | None = None
) -> str:
    """``String.replaceAll`` (count 0) / ``replaceFirst`` (count 1) with Java's replacement
    syntax (``$1``, ``${name}``, ``\\$``). Charges the input length and checks the result
    against the string-length limit."""
    out: list[str] = []
    index = 0
    size = 0
    for m in finditer_list(pattern, text, thread, count):
        out.append(text[index : m.start()])
        out.append(_expand(replacement, m))
        size += m.start() - index + len(out[-1])
        if thread is not None and size > len(text):
            thread.check_string(size + len(text) - m.end())  # growing: stop it early
        index = m.end()
    out.append(text[index:])
    result = "".join(out)
    if thread is not None:
        charge_chars(thread, len(result))
        thread.check_string(len(result))
        thread.alloc(len(result))  # every result: the estimate only grows (members.charge_string)
    return result


def split(pattern: Any, text: str, limit: int = 0, thread: Thread | None = None) -> list[str]:
    """Java's ``String.split(regex, limit)``.

    No match gives ``[text]``; a zero-width match at the start gives no leading empty
    string; ``limit > 0`` caps the number of parts (the last part keeps the rest);
    ``limit == 0`` drops trailing empty strings (``'a,b,,'.split(',')`` -> ``['a', 'b']``,
    ``'a.b'.split('.')`` -> ``[]``); ``limit < 0`` keeps them.
    """
    literal = _literal_separator(pattern)
    if literal is not None:
        # Java's String.split fast path: a one-character separator (or an escaped one) is
        # not a regular expression at all; same results, no regex engine
        if thread is not None:
            charge_chars(thread, len(text))
        if literal not in text:
            return [text]  # no match: the text itself, even when empty (as Java)
        parts = text.split(literal, limit - 1) if limit > 0 else text.split(literal)
        if thread is not None:
            thread.charge(len(parts))
    else:
        found = _split_regex(pattern, text, limit, thread)
        if found is None:
            return [text]
        parts = found
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    if thread is not None:
        thread.check_items(len(parts))
    return parts


#: the characters that make a one-character split pattern a regular expression (Java's
#: String.split fast path tests the same set)
_REGEX_META = frozenset(".$|()[{^?*+\\")


def _literal_separator(pattern: Any) -> str | None:
    """The literal separator Java's ``String.split`` would use without a regex, or None."""
    if type(pattern) is not str:
        return None
    if len(pattern) == 1 and pattern not in _REGEX_META:
        return pattern
    if len(pattern) == 2 and pattern[0] == "\\":
        c = pattern[1]
        if not ("0" <= c <= "9" or "a" <= c <= "z" or "A" <= c <= "Z"):
            return c
    return None


def _split_regex(pattern: Any, text: str, limit: int, thread: Thread | None) -> list[str] | None:
    """The regex path of ``split``; None when nothing matched (the text is the only part)."""
    matches = finditer_list(pattern, text, thread)
    parts: list[str] = []
    index = 0
    for m in matches:
        if limit > 0 and len(parts) >= limit - 1:
            break
        if index == 0 and m.start() == 0 and m.end() == 0:
            continue  # Java 8+: no leading empty string for a zero-width match at 0
        parts.append(text[index : m.start()])
        index = m.end()
    if index == 0 and not parts:
        return None
    parts.append(text[index:])
    return parts


def quote(text: str) -> str:
    """``Pattern.quote``: a Java pattern matching ``text`` literally."""
    return "\\Q" + text.replace("\\E", "\\E\\\\E\\Q") + "\\E"
