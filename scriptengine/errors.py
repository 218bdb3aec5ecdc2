"""The engine's error hierarchy: what scripts and embedders see when something goes wrong.

Public (raised out of ``Script.run`` and ``Engine.compile``)::

    ScriptError                 base: message, filename, line, column, source line, stack
      ScriptSyntaxError         the source does not parse or breaks a static rule (compile)
      ScriptRuntimeError        the script failed while running (runtime)
      ScriptLimitError          a run limit was exceeded (limit); ``catch`` cannot swallow it

Internal (raised by the runtime helpers, without a position; the engine turns them into the
public classes above, taking the position from the generated code's traceback)::

    EvalError                   a JEXL runtime error: the message in the language's terms
      ThrowSignal               ``throw value`` from a script
    LimitExceeded               BaseException, so a script's ``catch`` never sees it
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StackFrame:
    """One entry of a script call stack: the function's name and the call's position."""

    function: str
    filename: str
    line: int
    column: int


class ScriptError(Exception):
    """Base of every error the engine reports for a script.

    ``line`` and ``column`` are 1-based and count characters (0 when unknown).
    ``render()`` gives ``file:line:col: message``, the source line and a caret.
    """

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        filename: str = "<script>",
        line: int = 0,
        column: int = 0,
        source_line: str | None = None,
        hint: str | None = None,
        stack: list[StackFrame] | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.source_line = source_line
        self.hint = hint
        self.stack: list[StackFrame] = list(stack or [])
        self.cause = cause

    @property
    def location(self) -> str:
        """``file:line:col`` (or less, when the position is unknown)."""
        if self.line <= 0:
            return self.filename
        if self.column <= 0:
            return f"{self.filename}:{self.line}"
        return f"{self.filename}:{self.line}:{self.column}"

    def headline(self) -> str:
        """``file:line:col: message`` with the hint appended in parentheses."""
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def render(self) -> str:
        """The full report: headline, source line, caret, then the call stack if any."""
        lines = [self.headline()]
        if self.source_line is not None and self.line > 0:
            src = self.source_line.rstrip("\n")
            lines.append("    " + src.expandtabs(1) if "\t" in src else "    " + src)
            if self.column > 0:
                lines.append("    " + " " * (self.column - 1) + "^")
        if self.stack:
            lines.append("call stack (most recent call last):")
            for frame in self.stack:
                lines.append(f"  {frame.filename}:{frame.line}:{frame.column}: in {frame.function}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.headline()

    def to_json(self) -> dict[str, Any]:
        """The ``error`` object of ``mailwright run --json``."""
        return {
            "type": self.kind,
            "message": self.message if not self.hint else f"{self.message} ({self.hint})",
            "file": self.filename,
            "line": self.line,
            "column": self.column,
        }


class ScriptSyntaxError(ScriptError):
    """The source does not parse, or breaks a rule JEXL checks when it parses.

    The exception describes the first error; ``errors`` lists every one found (as
    ``Diagnostic``), so a caller can report them all at once."""

    kind = "compile"

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors: list[Diagnostic] = []


class ScriptRuntimeError(ScriptError):
    """The script failed while running; ``value`` is what a ``throw`` threw, if any."""

    kind = "runtime"

    def __init__(self, message: str, *, value: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.value = value


class ScriptLimitError(ScriptError):
    """A run limit was exceeded; ``limit`` names it and ``value`` is its setting."""

    kind = "limit"

    def __init__(self, message: str, *, limit: str = "", value: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit
        self.value = value


@dataclass
class Diagnostic:
    """A warning or error found by ``check`` (or a warning recorded at run time)."""

    severity: str  # "error" | "warning"
    message: str
    filename: str
    line: int
    column: int
    source_line: str | None = None
    hint: str | None = None
    code: str = ""  # a short stable name, e.g. "undefined-variable"
    extra: dict[str, Any] = field(default_factory=dict)

    def headline(self) -> str:
        """``file:line:col: message`` (severity prefix for warnings)."""
        prefix = "warning: " if self.severity == "warning" else ""
        text = f"{self.filename}:{self.line}:{self.column}: {prefix}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def render(self) -> str:
        """Headline, source line and caret."""
        lines = [self.headline()]
        if self.source_line is not None and self.line > 0:
            lines.append("    " + self.source_line.rstrip("\n"))
            lines.append("    " + " " * max(self.column - 1, 0) + "^")
        return "\n".join(lines)


# --- internal signals ---------------------------------------------------------------------


class EvalError(Exception):
    """A runtime error raised by a helper; the engine adds the position.

    ``message`` is in the language's terms (``variable 'n' is null``, ``division by zero``),
    never a Python type name. ``cause`` is an optional underlying error value that a script's
    ``catch (e)`` sees as ``e.cause``.
    """

    def __init__(self, message: str, *, cause: Any = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        self.hint = hint


class ThrowSignal(EvalError):
    """``throw value``: carries the thrown value."""

    def __init__(self, value: Any, message: str) -> None:
        super().__init__(message)
        self.value = value


class LimitExceeded(BaseException):
    """A limit was exceeded. BaseException on purpose: generated ``try``/``catch`` code
    catches ``Exception`` subclasses only, so a script cannot swallow this."""

    def __init__(self, limit: str, value: Any, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.message = message
