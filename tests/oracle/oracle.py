"""Real JEXL 3.1 as a test oracle: compiles JexlOracle.java once, runs it in one long-lived JVM.

Usage in tests (the fixture is session-scoped, one JVM per pytest worker)::

    from tests.oracle.oracle import jexl_oracle  # noqa: F401  (the fixture)

    def test_something(jexl_oracle):
        result = jexl_oracle.eval("1 + 2", {"x": 5})
        assert result.ok and result.value == JValue("Integer", "number", 3)

Without Java or Debian's JEXL 3.1 jar the fixture FAILS (never skips): the message says to run
the README's test command, ``./scripts/test``, which installs them.
"""

from __future__ import annotations

import atexit
import json
import math
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.oracle.jvalues import JValue, from_oracle

HERE = Path(__file__).resolve().parent
JAVA_SOURCE = HERE / "JexlOracle.java"
JARS = ("/usr/share/java/commons-jexl3.jar", "/usr/share/java/commons-logging.jar")
#: seconds one script may take on the JVM before the oracle is restarted
TIMEOUT = 30.0
INSTALL_HINT = (
    "the JEXL 3.1 oracle needs Java (javac) and Debian's libcommons-jexl3-java "
    "(/usr/share/java/commons-jexl3.jar): run the README's test command, ./scripts/test, "
    "which installs them"
)


class OracleUnavailable(Exception):
    """Java, javac or the JEXL 3.1 jar is missing, or the harness does not compile."""


@dataclass(frozen=True)
class OracleResult:
    """What JEXL 3.1 made of a script: a value, or an error.

    ``value`` is set when ``ok``; otherwise ``error_class`` (the Java exception class),
    ``message`` (JEXL's message, e.g. ``script@1:3 / error``), ``parse`` (a parse or
    tokenization error) and ``line``/``column`` (0 when JEXL gave none) describe the error.
    """

    ok: bool
    value: JValue | None = None
    error_class: str = ""
    message: str = ""
    parse: bool = False
    line: int = 0
    column: int = 0

    def show(self) -> str:
        """The value's readable form, or ``error: <message>``."""
        if self.ok:
            assert self.value is not None
            return self.value.show()
        kind = "parse error" if self.parse else "error"
        return f"{kind}: {self.message} [{self.error_class}]"


def _java_double(x: float) -> str:
    """Text Java's ``Double.valueOf`` reads back to ``x`` (it spells NaN and infinities)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)


def typed(value: Any) -> dict[str, Any]:
    """The typed JSON of a variable for JexlOracle.java (see its header).

    Accepts our engine's representations (docs/internals.md): ``int`` is an Integer,
    ``values.Long``/``values.BigInteger``/``values.Float`` keep their kinds, ``float`` is a
    Double, ``Decimal`` a BigDecimal, ``list`` an ArrayList, ``dict`` a HashMap and
    ``values.JSet`` (or a Python set) a HashSet.
    """
    if value is None:
        return {"t": "null"}
    if isinstance(value, bool):
        return {"t": "Boolean", "v": value}
    if isinstance(value, str):
        return {"t": "String", "v": str(value)}
    if isinstance(value, Decimal):
        return {"t": "BigDecimal", "v": str(value)}
    if isinstance(value, dict):
        return {"t": "Map", "v": [[typed(k), typed(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return {"t": "List", "v": [typed(x) for x in value]}
    if isinstance(value, set | frozenset):
        return {"t": "Set", "v": [typed(x) for x in value]}
    if type(value) is int:
        if not -(2**31) <= value < 2**31:
            raise ValueError(f"{value} does not fit an Integer: use values.Long")
        return {"t": "Integer", "v": str(value)}
    if type(value) is float:
        return {"t": "Double", "v": _java_double(value)}
    from scriptengine import values

    cls = values.java_class_name(value)
    if cls in ("Long", "BigInteger"):
        return {"t": cls, "v": str(int(value))}
    if cls == "Float":
        return {"t": "Float", "v": _java_double(float(value))}
    if cls == "HashSet":
        return {"t": "Set", "v": [typed(x) for x in value]}
    raise ValueError(f"no oracle encoding for a {cls}")


class Oracle:
    """One JVM evaluating scripts with JEXL 3.1 (strict, not silent, ``join`` registered)."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="jexl-oracle-")
        atexit.register(shutil.rmtree, self._dir, True)
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.count = 0  # scripts evaluated, for the summary
        self._compile()
        self._start()

    def _classpath(self) -> str:
        return ":".join((self._dir, *JARS))

    def _compile(self) -> None:
        missing = [jar for jar in JARS if not Path(jar).exists()]
        if missing or shutil.which("java") is None or shutil.which("javac") is None:
            raise OracleUnavailable(f"{INSTALL_HINT} (missing: {', '.join(missing) or 'java'})")
        done = subprocess.run(
            ["javac", "-nowarn", "-d", self._dir, "-cp", self._classpath(), str(JAVA_SOURCE)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise OracleUnavailable(f"JexlOracle.java does not compile:\n{done.stderr}")

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            ["java", "-Xss8m", "-cp", self._classpath(), "JexlOracle"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self._lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self._proc, self._lines), daemon=True).start()

    @staticmethod
    def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def eval(
        self,
        script: str,
        variables: Mapping[str, Any] | None = None,
        *,
        with_assert: bool = False,
    ) -> OracleResult:
        """Evaluate ``script`` with JEXL 3.1 and the given host variables.

        With ``with_assert`` the context also holds the Java ``assert`` object that mirrors the
        one of tests/jexl (equals, isTrue, isFalse, isNull, kind, fails). A script running
        longer than ``TIMEOUT`` seconds gives an error result and a fresh JVM.
        """
        request = {
            "script": script,
            "vars": {name: typed(v) for name, v in (variables or {}).items()},
            "assert": with_assert,
        }
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        self.count += 1
        try:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            line = self._lines.get(timeout=TIMEOUT)
        except (queue.Empty, BrokenPipeError, OSError) as exc:
            self.close()
            self._start()
            return OracleResult(False, error_class="timeout", message=f"oracle: {exc!r}")
        if line is None:
            self.close()
            self._start()
            return OracleResult(False, error_class="crash", message="the oracle's JVM died")
        answer = json.loads(line)
        if answer["ok"]:
            return OracleResult(True, value=from_oracle(answer["value"]))
        err = answer["error"]
        return OracleResult(
            False,
            error_class=err["class"],
            message=err["message"],
            parse=err["parse"],
            line=err["line"],
            column=err["column"],
        )

    def close(self) -> None:
        """Stop the JVM (it also ends when its stdin closes)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


_SHARED: list[Oracle] = []


def shared_oracle() -> Oracle:
    """The process's one Oracle (started on first use, stopped at exit).

    Calls ``pytest.fail`` (never skip) with the install hint when Java or the jar is missing.
    """
    if not _SHARED:
        try:
            _SHARED.append(Oracle())
        except OracleUnavailable as exc:
            pytest.fail(str(exc), pytrace=False)
        atexit.register(_SHARED[0].close)
    return _SHARED[0]


@pytest.fixture(scope="session")
def jexl_oracle() -> Iterator[Oracle]:
    """JEXL 3.1 in a JVM for the whole session; fails (never skips) when it cannot start."""
    yield shared_oracle()
