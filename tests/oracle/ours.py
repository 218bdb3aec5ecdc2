"""Runs a script on OUR engine the way the oracle runs it on JEXL 3.1.

Same setup on both sides: default options, the product's top-level ``join(list, sep)`` and,
for the language tests, the ``assert`` host object (``AssertHost``; JexlOracle.java has the
same object in Java).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scriptengine.errors import EvalError, ScriptError
from scriptengine.host import HostObject, MethodInfo, TypeInfo
from tests.oracle.jvalues import JValue, assert_equal, from_ours


class AssertionFailed(EvalError):
    """An ``assert.*`` check failed; ``assert.fails`` does not take it for the awaited error."""


def _show(value: Any) -> str:
    return from_ours(value).show()


def _error_message(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)


def _find_assertion(exc: BaseException | None) -> AssertionFailed | None:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, AssertionFailed):
            return exc
        exc = exc.__cause__ or exc.__context__ or getattr(exc, "cause", None)
        if not isinstance(exc, BaseException):
            return None
        seen += 1
    return None


class AssertHost(HostObject):
    """The ``assert`` object of tests/jexl: ``equals``, ``isTrue``, ``isFalse``, ``isNull``,
    ``kind`` and ``fails`` (names from STYLE.md; ``eq`` and ``true`` are JEXL keywords).

    Each check returns true or raises ``AssertionFailed`` naming expected and actual values
    with their Java classes.
    """

    jexl_type = TypeInfo(
        "Assert",
        methods={
            "equals": MethodInfo("equals", 2, 2, "Boolean"),
            "isTrue": MethodInfo("isTrue", 1, 1, "Boolean"),
            "isFalse": MethodInfo("isFalse", 1, 1, "Boolean"),
            "isNull": MethodInfo("isNull", 1, 1, "Boolean"),
            "kind": MethodInfo("kind", 2, 2, "Boolean"),
            "fails": MethodInfo("fails", 2, 2, "Boolean"),
        },
    )

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        return getattr(self, "_" + name)(*args)

    @staticmethod
    def _equals(expected: Any, actual: Any) -> bool:
        if not assert_equal(from_ours(expected), from_ours(actual)):
            raise AssertionFailed(
                f"assertion failed: expected {_show(expected)}, got {_show(actual)}"
            )
        return True

    @staticmethod
    def _isTrue(value: Any) -> bool:  # noqa: N802 - the script-facing name
        if value is not True:
            raise AssertionFailed(f"assertion failed: expected true, got {_show(value)}")
        return True

    @staticmethod
    def _isFalse(value: Any) -> bool:  # noqa: N802
        if value is not False:
            raise AssertionFailed(f"assertion failed: expected false, got {_show(value)}")
        return True

    @staticmethod
    def _isNull(value: Any) -> bool:  # noqa: N802
        if value is not None:
            raise AssertionFailed(f"assertion failed: expected null, got {_show(value)}")
        return True

    @staticmethod
    def _kind(value: Any, name: str) -> bool:
        if from_ours(value).cls != name:
            raise AssertionFailed(f"assertion failed: expected a {name}, got {_show(value)}")
        return True

    @staticmethod
    def _fails(fn: Any, regex: str) -> bool:
        from scriptengine import values

        if not isinstance(fn, values.Invocable):
            raise AssertionFailed("assertion failed: fails() needs a function")
        try:
            fn.invoke([])
        except AssertionFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - any script error is what we wait for
            inner = _find_assertion(exc)
            if inner is not None:
                raise inner from None
            message = _error_message(exc)
            if not re.search(regex, message):
                raise AssertionFailed(
                    f"assertion failed: error '{message}' does not match '{regex}'"
                ) from None
            return True
        raise AssertionFailed(f"assertion failed: no error, expected '{regex}'")


def join(items: Any, sep: Any) -> str:
    """The product's ``join(list, separator)``: each element's Java ``toString``, ``null``
    as ``null``, joined with the separator (what JexlOracle.java's ``join`` does)."""
    from scriptengine import values

    if items is None:
        return ""
    if isinstance(items, dict):
        items = list(items.values())
    return str(sep).join(values.to_string(x) if x is not None else "null" for x in items)


@dataclass(frozen=True)
class Outcome:
    """What our engine made of a script: ``value`` (rendered) or ``error``."""

    ok: bool
    value: JValue | None = None
    raw: Any = None
    error: ScriptError | None = None

    @property
    def parse(self) -> bool:
        """True when the error was found at compile time."""
        from scriptengine.errors import ScriptSyntaxError

        return isinstance(self.error, ScriptSyntaxError)

    def show(self) -> str:
        """The value's readable form, or ``error: <message>``."""
        if self.ok:
            assert self.value is not None
            return self.value.show()
        assert self.error is not None
        kind = "parse error" if self.parse else "error"
        return f"{kind}: {self.error.headline()}"


def make_engine() -> Any:
    """An engine with default options and the product's ``join``."""
    from scriptengine import Engine

    engine = Engine()
    engine.register_function("join", join, 2, 2, returns="String")
    return engine


_ENGINE: list[Any] = []


def run_ours(
    source: str,
    variables: Mapping[str, Any] | None = None,
    *,
    with_assert: bool = False,
    filename: str = "case.jexl",
) -> Outcome:
    """Compile and run ``source`` on our engine (one shared engine per process).

    Only ``ScriptError`` becomes an error outcome: any other exception escaping the engine is
    a bug of the engine and propagates, so the test shows its traceback.
    """
    if not _ENGINE:
        _ENGINE.append(make_engine())
    engine = _ENGINE[0]
    env = dict(variables or {})
    if with_assert:
        env["assert"] = AssertHost()
    try:
        value = engine.compile(source, filename).run(env)
    except ScriptError as exc:
        return Outcome(False, error=exc)
    return Outcome(True, value=from_ours(value), raw=value)
