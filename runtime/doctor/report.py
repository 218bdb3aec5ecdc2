"""What doctor reports: one `CheckResult` per thing checked, the `DoctorReport`, and the
state the checks share."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mailstore.api import Store
from mailstore.config import Config
from mailstore.schema import EntitySchema

__all__ = ["DEFAULT_TIMEOUT", "CheckResult", "DoctorReport", "State", "fail", "ok", "skip", "warn"]

#: seconds each network step (database, IMAP, SMTP, OAuth2 authority) may take
DEFAULT_TIMEOUT = 10.0
#: statuses, from good to bad; ``skip``: not checked because something it needs is broken
STATUSES = ("ok", "warn", "skip", "FAIL")


@dataclass(frozen=True)
class CheckResult:
    """One thing checked: ``status`` (``ok``, ``warn``, ``skip`` or ``FAIL``), ``check``
    (what: ``config``, ``database``, ``account faktury``, ...), ``detail`` (what was seen)
    and ``fix`` (what to do; set for ``warn`` and ``FAIL``)."""

    status: str
    check: str
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object with the same four keys."""
        return dataclasses.asdict(self)


@dataclass
class DoctorReport:
    """Every `CheckResult`, in the order checked; ``ok`` when none is ``FAIL``."""

    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings and skips do not fail)."""
        return not any(r.status == "FAIL" for r in self.results)

    def count(self, status: str) -> int:
        """How many results have *status*."""
        return sum(1 for r in self.results if r.status == status)

    def summary(self) -> str:
        """``2 failed, 1 warning, 9 ok`` (skips only when there are some)."""
        parts = [f"{self.count('FAIL')} failed", f"{self.count('warn')} warning(s)"]
        if self.count("skip"):
            parts.append(f"{self.count('skip')} skipped")
        parts.append(f"{self.count('ok')} ok")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """``{"ok": bool, "summary": str, "checks": [result, ...]}``."""
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "checks": [r.to_json() for r in self.results],
        }


def ok(check: str, detail: str) -> CheckResult:
    """A passed check."""
    return CheckResult("ok", check, detail)


def fail(check: str, detail: str, fix: str) -> CheckResult:
    """A failed check and what to do about it."""
    return CheckResult("FAIL", check, detail, fix)


def warn(check: str, detail: str, fix: str) -> CheckResult:
    """A check that works but needs a look, and what to do."""
    return CheckResult("warn", check, detail, fix)


def skip(check: str, why: str) -> CheckResult:
    """A check not made because something it needs is broken (*why*)."""
    return CheckResult("skip", check, f"not checked: {why}")


@dataclass
class State:
    """What the checks found so far, for the checks that need it."""

    timeout: float
    now: dt.datetime
    environ: Mapping[str, str]
    config: Config | None = None
    schema: EntitySchema | None = None
    store: Store | None = None
    #: a key that opens secrets is loaded into ``store.secrets`` (else decrypting is skipped:
    #: touching ``store.secrets`` without a key file would create a new, wrong key)
    key_ok: bool = False
    key_problem: str = "the secret key is not usable"
