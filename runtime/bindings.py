"""Host functions that every handler script sees (the original product's and mailwright's).

This first cut offers the functions that need no store: ``log`` and ``join``. The
store-backed ones (``createNew``, ``persist``, ``findState``, ...) come with the store
bindings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scriptengine.errors import EvalError
from scriptengine.host import HostFunction
from scriptengine.thread import Thread
from scriptengine.values import to_string


def _log(thread: Thread, *args: Any) -> None:
    """``log(a, b, ...)``: one log line, the arguments' string forms joined by spaces."""
    text = " ".join("null" if a is None else to_string(a) for a in args)
    thread.charge(len(args))
    thread.log(text)


def _join(thread: Thread, items: Any, separator: Any = ", ") -> str:
    """``join(list, separator)``: the items' string forms joined; null items show as ``null``."""
    if items is None:
        return ""
    if isinstance(items, str) or not isinstance(items, Iterable):
        raise EvalError("join expects a list, an array or a set as its first argument")
    sep = "" if separator is None else to_string(separator)
    parts: list[str] = []
    total = 0
    for item in items:
        text = "null" if item is None else to_string(item)
        total += len(text) + len(sep)
        parts.append(text)
    thread.charge(len(parts) + 1)
    thread.check_string(total)
    return sep.join(parts)


def standard_functions() -> list[HostFunction]:
    """The host functions registered on every handler engine."""
    return [
        HostFunction(
            "log",
            _log,
            0,
            None,
            returns=None,
            takes_thread=True,
            doc="log(a, b, ...): adds a line to the run's log",
        ),
        HostFunction(
            "join",
            _join,
            1,
            2,
            returns="String",
            takes_thread=True,
            doc="join(list, separator): the items joined into one String",
        ),
    ]
