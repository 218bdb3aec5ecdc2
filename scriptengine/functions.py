"""Script function values: a JEXL function literal made at run time, with its captured values."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from .values import Invocable


class ScriptFunction(partial[Any], Invocable):
    """A closure: the generated Python function with the captured values bound in front.

    It *is* a ``functools.partial``, so calling it is one C-level call into the generated
    function, whose prologue counts the step and the call depth. JEXL 3.2+ closures capture
    the *values* of the enclosing locals when they are made, and each call starts again
    from them: the captures are passed as leading arguments, so an assignment inside the
    function changes only that call's copy. ``self_index`` names the capture that is the
    function itself (``var f = function(n) { f(n - 1) }``: JEXL's ``Closure.setCaptured``).
    Missing arguments are null, extra ones ignored (the generated parameters default to
    None and a ``*rest`` swallows extras).
    """

    name: str

    def __new__(
        cls,
        pyfn: Callable[..., Any],
        name: str,
        captures: tuple[Any, ...],
        self_index: int = -1,
    ) -> ScriptFunction:
        obj = super().__new__(cls, pyfn, *captures)
        obj.name = name
        if self_index >= 0:
            args = list(captures)
            args[self_index] = obj
            # partial keeps its arguments read-only; __setstate__ is its documented way
            # to rebuild them (pickle), here to let the function capture itself
            obj.__setstate__((pyfn, tuple(args), None, obj.__dict__))  # type: ignore[attr-defined]
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # everything happened in __new__

    def invoke(self, args: list[Any]) -> Any:
        """Call with the script's arguments (the generated prologue charges the run)."""
        return self(*args)

    def jexl_string(self) -> str:
        return f"function {self.name}" if self.name != "lambda" else "function"

    def __repr__(self) -> str:
        return f"<script function {self.name}>"
