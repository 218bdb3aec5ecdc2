"""Running and checking handler scripts once: the engine set up for handlers, and the report
that ``mailwright run`` prints (ARCHITECTURE.md, "run --json")."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scriptengine import Engine, Limits, ScriptError
from scriptengine.errors import Diagnostic
from scriptengine.values import dumps_json, to_json, to_string

from .bindings import standard_functions


def handler_engine() -> Engine:
    """An engine with every host function handler scripts see."""
    engine = Engine()
    for function in standard_functions():
        engine.register_function(
            function.name,
            function.fn,
            function.min_args,
            function.max_args,
            returns=function.returns,
            takes_thread=function.takes_thread,
        )
    return engine


@dataclass
class RunReport:
    """What one run did: the object ``run --json`` prints."""

    result: Any = None
    logs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    queued: list[dict[str, Any]] = field(default_factory=list)
    error: ScriptError | None = None
    steps: int = 0
    compile_ms: float = 0.0
    duration_ms: float = 0.0

    def to_json_obj(self) -> dict[str, Any]:
        """The JSON object of ARCHITECTURE.md, keys in its order."""
        return {
            "result": to_json(self.result),
            "logs": list(self.logs),
            "warnings": list(self.warnings),
            "created": self.created,
            "changed": self.changed,
            "queued": self.queued,
            "error": None if self.error is None else self.error.to_json(),
            "steps": self.steps,
            "compile_ms": round(self.compile_ms, 3),
            "duration_ms": round(self.duration_ms, 3),
        }

    def to_json_text(self) -> str:
        """One line of UTF-8 JSON (non-ASCII not escaped)."""
        return dumps_json(self.to_json_obj())

    def render_text(self) -> list[str]:
        """Lines for a person: logs, warnings, then the result or the error with a caret."""
        lines = [f"log: {line}" for line in self.logs]
        lines += [f"warning: {w}" for w in self.warnings]
        if self.error is not None:
            lines.append(self.error.render())
        else:
            shown = "null" if self.result is None else to_string(self.result)
            lines.append(f"result: {shown}")
        lines.append(
            f"({self.steps} steps, compiled in {self.compile_ms:.1f} ms, "
            f"ran in {self.duration_ms:.1f} ms)"
        )
        return lines


def run_file(
    filename: str,
    source: str,
    *,
    variables: Mapping[str, Any] | None = None,
    purpose: str | None = None,
    limits: Limits | None = None,
    engine: Engine | None = None,
) -> RunReport:
    """Compile and run ``source`` once; errors are captured in the report, never raised.

    ``entity`` is null until e-mails can be loaded (``purpose`` is accepted for the
    command line's sake and used once accounts exist).
    """
    engine = engine or handler_engine()
    report = RunReport()
    env: dict[str, Any] = {"entity": None}
    env.update(variables or {})
    started = time.perf_counter()
    try:
        script = engine.compile(source, filename=filename)
    except ScriptError as exc:
        report.compile_ms = (time.perf_counter() - started) * 1000
        report.error = exc
        return report
    report.compile_ms = (time.perf_counter() - started) * 1000
    thread = engine.thread(limits=limits or Limits())
    started = time.perf_counter()
    try:
        report.result = script.run(env, thread=thread)
    except ScriptError as exc:
        report.error = exc
    report.duration_ms = (time.perf_counter() - started) * 1000
    report.steps = thread.steps
    report.logs = list(thread.logs)
    report.warnings = [_warning_text(w) for w in thread.warnings]
    return report


def _warning_text(warning: Any) -> str:
    if isinstance(warning, Diagnostic):
        return f"{warning.filename}:{warning.line}:{warning.column}: {warning.message}" + (
            f" ({warning.hint})" if warning.hint else ""
        )
    return str(warning)


@dataclass
class CheckOutcome:
    """Diagnostics of ``mailwright check`` over several files."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def summary(self) -> str:
        """``2 errors, 1 warning in 3 files`` or ``no problems found``."""
        e, w = len(self.errors), len(self.warnings)
        if not e and not w:
            return "no problems found"
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"


def check_files(sources: Mapping[str, str], engine: Engine | None = None) -> CheckOutcome:
    """Check every script (all errors and warnings of each, in one pass per file)."""
    engine = engine or handler_engine()
    engine.declare_variable("entity", "ReceivedEmail")
    outcome = CheckOutcome()
    for filename, source in sources.items():
        outcome.diagnostics.extend(engine.check(source, filename=filename))
    return outcome
