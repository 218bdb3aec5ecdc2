"""A run's limits and its accounting: steps, time, call depth, sizes, memory; cancellation.

Generated code and helpers charge work here. Steps are counted down in chunks so the hot
path is one integer decrement and one comparison; the clock is read only when a chunk runs
out (every ``CHUNK`` steps), so limit accounting stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import LimitExceeded

MiB = 1024 * 1024

#: Steps between two looks at the clock and the cancel flag.
CHUNK = 4096


@dataclass(frozen=True)
class Limits:
    """Per-run limits; ``None`` switches a limit off. Defaults from LANGUAGE.md section 4."""

    steps: int | None = 10_000_000
    seconds: float | None = 30.0
    depth: int | None = 200
    items: int | None = 1_000_000
    string_length: int | None = 10 * MiB
    memory: int | None = 256 * MiB

    @classmethod
    def unlimited(cls) -> Limits:
        """No limit at all (benchmarks' baseline; never for untrusted scripts)."""
        return cls(None, None, None, None, None, None)


_BIG = 1 << 62


@dataclass
class Thread:
    """The state of one run: limits, counters, warnings, the ``log``/print callback.

    Helpers call ``charge(n)`` for work proportional to ``n`` (a ``join`` of n items),
    ``check_items(n)`` before a collection grows to ``n`` items, ``check_string(n)``
    before making a string of ``n`` characters and ``alloc(nbytes)`` for memory estimates.
    Each raises ``LimitExceeded`` naming the limit.
    """

    limits: Limits = field(default_factory=Limits)
    print: Callable[[str], None] | None = None
    name: str = "main"
    #: steps left in the current chunk; generated code does ``t.budget -= 1`` then
    #: ``if t.budget < 0: t.refill()``
    budget: int = 0
    depth: int = 0
    memory: int = 0
    warnings: list[Any] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    _used: int = 0  # steps charged in completed chunks
    _chunk: int = 0
    _deadline: float | None = None
    _started: float = 0.0
    _cancelled: str | None = None

    def __post_init__(self) -> None:
        self.start()

    # --- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Reset the counters and start the clock (called by ``Script.run``)."""
        self._used = 0
        self.depth = 0
        self.memory = 0
        self._cancelled = None
        self._started = time.perf_counter()
        sec = self.limits.seconds
        self._deadline = None if sec is None else self._started + sec
        self._next_chunk()

    def _next_chunk(self) -> None:
        lim = self.limits.steps
        if lim is None:
            self._chunk = CHUNK if self._deadline is not None else _BIG
        else:
            self._chunk = max(0, min(CHUNK, lim - self._used))
        self.budget = self._chunk

    @property
    def steps(self) -> int:
        """Steps charged so far in this run."""
        return self._used + (self._chunk - self.budget)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self._started

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the run to stop at its next check (safe to call from another thread)."""
        self._cancelled = reason
        self.budget = -(1 << 40)

    # --- accounting -----------------------------------------------------------------------
    def refill(self) -> None:
        """Called when ``budget`` went negative: check the limits, then start a new chunk."""
        overdraft = -self.budget if self.budget < 0 else 0
        if self._cancelled is not None:
            raise LimitExceeded("cancel", None, f"run cancelled: {self._cancelled}")
        self._used += self._chunk + overdraft
        lim = self.limits.steps
        if lim is not None and self._used > lim:
            raise LimitExceeded("steps", lim, f"step limit exceeded ({lim:,} steps)")
        if self._deadline is not None and time.perf_counter() > self._deadline:
            raise LimitExceeded(
                "seconds", self.limits.seconds, f"time limit exceeded ({self.limits.seconds} s)"
            )
        self._next_chunk()
        if self._chunk == 0:
            # exactly at the limit: the next step overdraws
            self.budget = 0

    def charge(self, n: int) -> None:
        """Charge ``n`` steps of host work (n >= 0)."""
        self.budget -= n
        if self.budget < 0:
            self.refill()

    def check_items(self, n: int) -> None:
        """Refuse a list, set or map that would hold more than the items limit."""
        lim = self.limits.items
        if lim is not None and n > lim:
            raise LimitExceeded("items", lim, f"collection size limit exceeded ({lim:,} items)")

    def check_string(self, n: int) -> None:
        """Refuse a string longer than the string-length limit."""
        lim = self.limits.string_length
        if lim is not None and n > lim:
            raise LimitExceeded(
                "string_length", lim, f"string length limit exceeded ({lim:,} characters)"
            )

    def alloc(self, nbytes: int) -> None:
        """Add an estimate of memory held by values the run made."""
        self.memory += nbytes
        lim = self.limits.memory
        if lim is not None and self.memory > lim:
            raise LimitExceeded("memory", lim, f"memory limit exceeded ({lim // MiB} MiB)")

    def enter(self) -> None:
        """A script function call begins (call depth)."""
        self.depth += 1
        lim = self.limits.depth
        if lim is not None and self.depth > lim:
            self.depth -= 1
            raise LimitExceeded("depth", lim, f"call depth limit exceeded ({lim} calls)")

    def leave(self) -> None:
        """A script function call ends."""
        self.depth -= 1

    def log(self, text: str) -> None:
        """Record a ``log(...)`` line and pass it to ``print`` if given."""
        self.logs.append(text)
        if self.print is not None:
            self.print(text)

    def warn(self, warning: Any) -> None:
        """Record a run-time warning (a ``Diagnostic``)."""
        self.warnings.append(warning)
