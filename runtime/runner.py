"""Running and checking handler scripts once: the run against the store and the report
that ``mailwright run`` prints (ARCHITECTURE.md, "run --json").

`run_file` parses an ``.eml`` as ingestion would (``mailstore.receive.store_received``
into the run's database), runs the script with it as ``entity`` in one transaction
(`runtime.session.RunSession`), and reports what the run created, changed, queued,
logged and returned. A dry run (the default) rolls everything back; ``commit=True``
keeps it, and writes the run's ScriptRun row (which survives a failed run).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailstore import models as m
from mailstore.config import Config
from mailstore.receive import store_received
from mailstore.schema import EntitySchema
from scriptengine import Engine, Limits, ScriptError, ScriptRuntimeError
from scriptengine.errors import Diagnostic, EvalError
from scriptengine.values import JArray, dumps_json, to_json, to_string

from .bindings import handler_engine
from .context import AppContext, context_for, open_context, throwaway_context
from .session import RunSession, json_value, write_script_run

__all__ = ["CheckOutcome", "RunReport", "check_files", "handler_engine", "run_file"]

#: purposes are upper-case names (ARCHITECTURE.md): INVOICES, ROBOT, GENERAL, the user's own
PURPOSE = re.compile(r"[A-Z][A-Z0-9_]*\Z")
#: the address of the accounts ``run`` makes for ``--purpose``
RUN_ACCOUNT_ADDRESS = "handler@mailwright.invalid"


@dataclass
class RunReport:
    """What one run did: the object ``run --json`` prints (`to_json_obj`)."""

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
    #: the ReceivedEmail the script saw (its id inside the transaction), or None
    email_id: int | None = None
    #: True when the run's transaction was committed
    committed: bool = False
    #: the ScriptRun row written for a committed or failed ``--commit`` run, or None
    script_run_id: int | None = None
    _result_json: Any = None
    _result_ready: bool = False

    def freeze_result(self) -> None:
        """Compute the result's JSON now (before the transaction ends: records in the
        result still know their rows)."""
        self._result_json = to_json(self.result)
        self._result_ready = True

    def result_json(self) -> Any:
        """The result as JSON (`to_json`)."""
        return self._result_json if self._result_ready else to_json(self.result)

    def to_json_obj(self) -> dict[str, Any]:
        """The JSON object of ARCHITECTURE.md, keys in its order."""
        return {
            "result": self.result_json(),
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
        """Lines for a person: logs, warnings, what was created, changed and queued, then
        the result or the error with a caret, and whether anything was kept."""
        lines = [f"log: {line}" for line in self.logs]
        lines += [f"warning: {w}" for w in self.warnings]
        for entry in self.created:
            lines.append(f"created {entry['type']} #{entry['id']}: {_fields_text(entry['fields'])}")
        for entry in self.changed:
            if entry.get("removed"):
                lines.append(f"removed {entry['type']} #{entry['id']}")
            else:
                lines.append(
                    f"changed {entry['type']} #{entry['id']}: {_fields_text(entry['fields'])}"
                )
        for mail in self.queued:
            lines.append(f"queued mail to {', '.join(mail['to'])}: {mail['subject']}")
        if self.error is not None:
            lines.append(self.error.render())
        else:
            lines.append(f"result: {result_text(self.result)}")
        lines.append(
            f"({self.steps} steps, compiled in {self.compile_ms:.1f} ms, "
            f"ran in {self.duration_ms:.1f} ms)"
        )
        return lines


def result_text(value: Any) -> str:
    """A run's result for a person: Java's ``toString`` (``null``, ``[1, 2]``, ``{a=1}``),
    except an array, whose ``toString`` is an identity hash (``[Ljava.lang.Object;@1b6d``):
    it shows its items as Java's ``Arrays.toString`` does (``[1, 2]``)."""
    if value is None:
        return "null"
    if isinstance(value, JArray):
        return "[" + ", ".join(to_string(item) for item in value) + "]"
    return to_string(value)


def _fields_text(fields: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={dumps_json(v)}" for k, v in fields.items())


def run_file(
    filename: str,
    source: str,
    *,
    variables: Mapping[str, Any] | None = None,
    eml: bytes | str | Path | None = None,
    purpose: str | None = None,
    account: str | None = None,
    commit: bool = False,
    config: Config | str | Path | None = None,
    context: AppContext | None = None,
    limits: Limits | None = None,
    engine: Engine | None = None,
) -> RunReport:
    """Compile and run ``source`` once against a store; script errors are captured in
    the report, never raised.

    ``eml``: the raw message (bytes) or a path to an ``.eml`` file, stored as ingestion
    would and given to the script as ``entity`` (null without one). ``account`` names a
    MailAccount of the store; else an account of ``purpose`` (default ``GENERAL``) is
    used, made when missing. ``commit``: keep what the run wrote (else it is rolled
    back). ``context``: an open store to run against (it stays open); else ``config``
    (a `Config` or a config file) is opened, else a throwaway store is made, and closed
    after the run. Raises ``ValueError`` for a bad purpose or an unknown account and
    ``OSError`` for an unreadable ``.eml``.
    """
    if purpose is not None and not PURPOSE.match(purpose):
        raise ValueError(f"purpose {purpose!r}: an upper-case name like INVOICES or GENERAL")
    raw = Path(eml).read_bytes() if isinstance(eml, str | Path) else eml
    own = context is None
    if context is None:
        if isinstance(config, Config):
            from mailstore.api import Store

            context = context_for(config, Store.open(config))
        elif config is not None:
            context = open_context(config)
        else:
            context = throwaway_context()
    try:
        return _run(
            context,
            filename,
            source,
            variables=variables,
            raw=raw,
            purpose=purpose,
            account=account,
            commit=commit,
            limits=limits or context.limits,
            engine=engine or context.engine,
        )
    finally:
        if own:
            context.close()


def _run(
    ctx: AppContext,
    filename: str,
    source: str,
    *,
    variables: Mapping[str, Any] | None,
    raw: bytes | None,
    purpose: str | None,
    account: str | None,
    commit: bool,
    limits: Limits,
    engine: Engine,
) -> RunReport:
    report = RunReport()
    began = m.utcnow()  # the ScriptRun's start: its row is written after the run
    started = time.perf_counter()
    try:
        script = engine.compile(source, filename=filename)
    except ScriptError as exc:
        report.compile_ms = (time.perf_counter() - started) * 1000
        report.error = exc
        if commit:
            _record(ctx, report, filename, source, began=began)
        return report
    report.compile_ms = (time.perf_counter() - started) * 1000
    # what `mailwright check` would warn about (an unknown field, a wrong argument count)
    # comes first, then what the run itself warned about (ARCHITECTURE.md: "warnings")
    static = [_warning_text(d) for d in script.check() if d.severity == "warning"]
    thread = engine.thread(limits=limits)
    session = RunSession(ctx.store, commit=commit, zone=ctx.zone, thread=thread)
    session.begin()
    ok = False
    try:
        env: dict[str, Any] = {"entity": None}
        if raw is not None:
            mail_account = _account(account, purpose)
            row, _ = store_received(
                ctx.store,
                mail_account,
                raw,
                key=hashlib.sha256(raw).hexdigest(),
                trusted_authserv_id=ctx.config.trusted_authserv_id,
            )
            report.email_id = int(row.id)
            env["entity"] = session.wrap(row)
        elif account is not None:
            _account(account, purpose)  # an unknown account is an error even without mail
        env.update(variables or {})
        started = time.perf_counter()
        try:
            report.result = script.run(env, thread=thread)
            session.flush()
            ok = True
        except ScriptError as exc:
            report.error = exc
        except EvalError as exc:  # raised by flush: a changed record cannot be saved
            report.error = ScriptRuntimeError(exc.message, filename=filename, hint=exc.hint)
        report.duration_ms = (time.perf_counter() - started) * 1000
        report.steps = thread.steps
        report.logs = list(thread.logs)
        report.warnings = static + [_warning_text(w) for w in thread.warnings]
        report.freeze_result()
        if ok:
            report.created = session.created_json()
            report.changed = session.changed_json()
            report.queued = session.queued_json()
            if commit:
                if report.email_id is not None:
                    # handled and kept, as ingestion marks it in the same transaction: a
                    # RECEIVED e-mail would be handled again by the next `ingest`
                    m.ReceivedEmail.update(
                        state="PROCESSED", nextAttempt=None, lastError=None
                    ).where(m.ReceivedEmail.id == report.email_id).execute()
                _record(ctx, report, filename, source, session, began=began)
    finally:
        report.committed = session.end(ok)
    if commit and not ok:
        _record(ctx, report, filename, source, began=began)  # after the rollback: it survives
    return report


def _account(name: str | None, purpose: str | None) -> m.MailAccount:
    """The account a run's e-mail arrives at: the named one, else one of ``purpose``."""
    if name is not None:
        found = m.MailAccount.get_or_none(m.MailAccount.name == name)
        if found is None:
            names = [a.name for a in m.MailAccount.select().order_by(m.MailAccount.name)]
            known = f"its accounts: {', '.join(names)}" if names else "it has no accounts"
            raise ValueError(f"no mail account named {name!r} in the store ({known})")
        return found
    code = purpose or "GENERAL"
    run_name = f"run-{code.lower()}"
    found = m.MailAccount.get_or_none(m.MailAccount.name == run_name)
    if found is not None:
        if found.purpose != code:
            found.purpose = code
            found.save()
        return found
    return m.MailAccount.create(
        name=run_name,
        address=RUN_ACCOUNT_ADDRESS,
        purpose=code,
        sourceKind="emlfolder",
        enabled=False,  # never fetched: it only receives what `run --eml` gives it
    )


def _record(
    ctx: AppContext,
    report: RunReport,
    filename: str,
    source: str,
    session: RunSession | None = None,
    *,
    began: dt.datetime | None = None,
) -> None:
    err = report.error
    if err is None:
        outcome, error = "ok", None
    else:
        outcome = {"compile": "compile", "limit": "limit"}.get(_error_type(err), "runtime")
        error = (err.message, err.line, err.column)
    created, changed = session.touched() if session is not None else ([], [])
    row = write_script_run(
        ctx.store,
        email_id=report.email_id,
        script_name=filename,
        source=source,
        outcome=outcome,
        duration_ms=report.duration_ms,
        steps=report.steps,
        result=json_value(report.result) if err is None else None,
        error=error,
        created=created,
        changed=changed,
        logs=report.logs,
        committed=err is None,
        started_at=began,
    )
    report.script_run_id = int(row.id)


def _error_type(err: ScriptError) -> str:
    data = err.to_json()
    return str(data.get("type", "runtime"))


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


def check_files(
    sources: Mapping[str, str],
    engine: Engine | None = None,
    schema: EntitySchema | None = None,
) -> CheckOutcome:
    """Check every script (all errors and warnings of each, in one pass per file) against
    the types of ``schema`` (the shipped default schema when None)."""
    engine = engine or handler_engine(schema)
    engine.declare_variable("entity", "ReceivedEmail")
    outcome = CheckOutcome()
    for filename, source in sources.items():
        outcome.diagnostics.extend(engine.check(source, filename=filename))
    return outcome
