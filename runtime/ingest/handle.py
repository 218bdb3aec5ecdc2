"""Running an account's handler on a stored e-mail, and recording the outcome.

The handler's records, its ScriptRun and the e-mail's new state commit together; a failure
counts an attempt (FAILED with backoff, QUARANTINED after the last)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peewee

from mailstore import models as m
from mailstore.db import is_postgresql
from scriptengine import Script, ScriptError, ScriptRuntimeError
from scriptengine.errors import EvalError

from ..context import AppContext
from ..records import get_row
from ..session import RunSession, json_value, write_script_run

log = logging.getLogger("mailwright.ingest")

#: states whose e-mails a run hands to the handler (FAILED only when due)
HANDLED_STATES = ("RECEIVED", "FAILED")


@dataclass
class Handler:
    """An account's handler: the compiled script, or why there is none."""

    name: str
    source: str = ""
    script: Script | None = None
    #: why the handler cannot run (missing file, compile error), else None
    error: str | None = None


def _resolve(ctx: AppContext, path: str | Path) -> Path:
    """A path from the config or an account, relative to the config file's folder."""
    p = Path(path).expanduser()
    if not p.is_absolute() and ctx.config.path is not None:
        p = ctx.config.path.resolve().parent / p
    return p


def load_handler(
    ctx: AppContext, account: m.MailAccount, cache: dict[Path, Handler] | None = None
) -> Handler:
    """The account's handler (its own script, else ``handler.script`` of the config),
    compiled; a `Handler` with ``error`` set when there is none, it cannot be read or it
    does not compile. ``cache`` (path -> Handler) compiles each file once per run."""
    setting = account.handlerScript or ctx.config.handler_script
    if not setting:
        return Handler(
            name="(none)",
            error="no handler script: set handler.script in mailwright.toml or give the "
            "account one (mailwright accounts add --handler SCRIPT)",
        )
    path = _resolve(ctx, setting)
    if cache is not None and path in cache:
        return cache[path]
    handler = Handler(name=str(path))
    try:
        handler.source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        handler.error = f"handler script {path}: cannot read it ({reason})"
    else:
        try:
            handler.script = ctx.engine.compile(handler.source, filename=path.name)
        except ScriptError as exc:
            handler.error = f"handler script does not compile: {exc.render()}"
        except Exception as exc:  # a bug of the compiler: the run goes on without handling
            log.exception("compiling %s", path)
            handler.error = (
                f"handler script {path}: internal error while compiling it (a bug in "
                f"mailwright, not in the script): {type(exc).__name__}: {exc}"
            )
    if cache is not None:
        cache[path] = handler
    return handler


# --- step 3: what is due ----------------------------------------------------------------------


def due_emails(account: m.MailAccount, now: dt.datetime) -> list[int]:
    """Ids of the account's stored e-mails to handle before fetching: RECEIVED ones, and
    FAILED ones whose next attempt is due, oldest first."""
    e = m.ReceivedEmail
    due = (e.state == "RECEIVED") | (
        (e.state == "FAILED") & (e.nextAttempt.is_null() | (e.nextAttempt <= now))
    )
    query = e.select(e.id).where((e.mailAccount == account.id) & due).order_by(e.id)
    return [row.id for row in query]


def _backoff(ctx: AppContext, attempts: int) -> float:
    """Seconds before attempt ``attempts + 1`` (the config's delays; the last repeats)."""
    delays = ctx.config.retry_delays or (0.0,)
    return delays[min(attempts, len(delays)) - 1]


def handle_email(
    ctx: AppContext,
    handler: Handler,
    email_id: int,
    now: dt.datetime,
    *,
    states: tuple[str, ...] = HANDLED_STATES,
    row: m.ReceivedEmail | None = None,
) -> str | None:
    """Run the handler on the stored e-mail ``email_id``; return its new state
    (PROCESSED, FAILED or QUARANTINED), or None when it was not in one of ``states``
    any more (another runner handled it: nothing was done).

    One transaction holds what the script wrote, the ScriptRun row and the state change,
    guarded by ``state IN states``: two runners that both ran the script cannot both
    commit (the second's update finds no row and it rolls back). A script failure rolls
    that back and records, in a transaction of its own, the failed ScriptRun and the
    attempt. An exception of mailwright's own code counts an attempt too (`InternalError`).
    Database errors are raised. ``handler.script`` must be set.

    ``row``: the e-mail's row when the caller has it (as ``store_received`` returned it),
    which saves reading it again; its state is checked as a read one's would be, and the
    guarded update above still decides. Trap: a failed run may leave it changed in memory.

    On SQLite all of it holds the write lock from the start (`Store.atomic` begins
    IMMEDIATE), so another runner's commit meanwhile makes this one wait, not fail."""
    assert handler.script is not None, "handle_email needs a compiled handler"
    with ctx.store.atomic():
        return _handle(ctx, handler, email_id, now, states, row)


#: the text of `_processed`, by (PostgreSQL or not, number of states)
_PROCESSED_SQL: dict[tuple[bool, int], str] = {}


def _processed(email_id: int, states: tuple[str, ...]) -> int:
    """Mark ``email_id`` PROCESSED if its state is one of *states*; return rows changed.

    The UPDATE every handled e-mail costs, as SQL text built once per database kind: making
    it with peewee's query builder costs more CPU than running it (as in runtime/outbox.py).
    """
    e = m.ReceivedEmail
    db: Any = e._meta.database  # peewee's execute_sql is untyped
    pg = is_postgresql(db)
    sql = _PROCESSED_SQL.get((pg, len(states)))
    if sql is None:
        p = "%s" if pg else "?"
        sql = (
            f'UPDATE "{e._meta.table_name}" SET "{e.state.column_name}" = {p}, '
            f'"{e.nextAttempt.column_name}" = NULL, "{e.lastError.column_name}" = NULL '
            f'WHERE "{e.id.column_name}" = {p} AND "{e.state.column_name}" IN '
            f"({', '.join([p] * len(states))})"
        )
        _PROCESSED_SQL[(pg, len(states))] = sql
    return int(db.execute_sql(sql, ["PROCESSED", email_id, *states]).rowcount)


def _handle(
    ctx: AppContext,
    handler: Handler,
    email_id: int,
    now: dt.datetime,
    states: tuple[str, ...],
    given: m.ReceivedEmail | None,
) -> str | None:
    e = m.ReceivedEmail
    script = handler.script
    assert script is not None
    thread = ctx.engine.thread(limits=ctx.limits)
    session = RunSession(ctx.store, commit=True, zone=ctx.zone, thread=thread)
    error: ScriptError | None = None
    ok = False
    started = time.perf_counter()
    session.begin()
    try:
        row = given if given is not None else get_row(e, email_id)
        if row is None or row.state not in states:
            return None
        account = row.__rel__.get("mailAccount")
        if isinstance(account, m.MailAccount) and account.id == row.__data__["mailAccount"]:
            # the run's own account row, which stored the e-mail (read-only to scripts):
            # ``entity.mailAccount`` then costs no query
            session.wrap(account)
        try:
            result = script.run({"entity": session.wrap(row)}, thread=thread)
            session.flush()
        except ScriptError as exc:
            error = exc
        except EvalError as exc:  # raised by flush: a changed record cannot be saved
            error = ScriptRuntimeError(exc.message, filename=handler.name, hint=exc.hint)
        if error is None:
            if not _processed(email_id, states):
                return None
            created, changed = session.touched()
            write_script_run(
                ctx.store,
                email_id=email_id,
                script_name=handler.name,
                source=handler.source,
                outcome="ok",
                duration_ms=(time.perf_counter() - started) * 1000,
                steps=thread.steps,
                result=json_value(result),
                created=created,
                changed=changed,
                logs=list(thread.logs),
                email_stored=True,  # the update above found it
            )
            ok = True
    except (peewee.OperationalError, peewee.InterfaceError):
        raise  # the database itself is in trouble: nothing can be recorded, the next run retries
    except Exception as exc:  # a bug of ours, not the script's: still an attempt, never lost
        log.exception("internal error handling e-mail #%s with %s", email_id, handler.name)
        error, ok = internal_error(handler, exc), False
    finally:
        if session.is_open:
            session.end(ok, flushed=ok)  # a run that went well was flushed above
    if ok:
        return "PROCESSED"
    assert error is not None
    return _record_failure(
        ctx, handler, email_id, error, thread.steps, list(thread.logs), now, states, started
    )


class InternalError(ScriptRuntimeError):
    """Recorded when mailwright's own code (not the script) failed while handling an
    e-mail; ``cause`` is the Python exception. The ScriptRun's outcome is ``internal``."""


def internal_error(handler: Handler, exc: Exception) -> InternalError:
    """The `InternalError` for *exc*: ``internal error (a bug in mailwright, not in the
    script): TypeError: ...`` (the first line of the exception's text)."""
    detail = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    return InternalError(
        f"internal error (a bug in mailwright, not in the script): {text}",
        filename=Path(handler.name).name,  # as the script's own errors name it
        cause=exc,
    )


def _record_failure(
    ctx: AppContext,
    handler: Handler,
    email_id: int,
    error: ScriptError,
    steps: int,
    logs: list[str],
    now: dt.datetime,
    states: tuple[str, ...],
    started: float,
) -> str | None:
    """Count the failed attempt and write the failed ScriptRun, in one transaction."""
    e = m.ReceivedEmail
    with ctx.store.atomic():
        row = e.get_or_none(e.id == email_id)
        if row is None or row.state not in states:
            return None
        attempts = row.attempts + 1
        if attempts >= ctx.config.attempts:
            state, next_attempt = "QUARANTINED", None
        else:
            state = "FAILED"
            next_attempt = now + dt.timedelta(seconds=_backoff(ctx, attempts))
        e.update(
            state=state, attempts=attempts, nextAttempt=next_attempt, lastError=error.headline()
        ).where(e.id == email_id).execute()
        write_script_run(
            ctx.store,
            email_id=email_id,
            script_name=handler.name,
            source=handler.source,
            outcome=_outcome(error),
            duration_ms=(time.perf_counter() - started) * 1000,
            steps=steps,
            error=(error.message, error.line, error.column),
            logs=logs,
            committed=False,
        )
    return state


def _outcome(error: ScriptError) -> str:
    """The ScriptRun outcome of a failure: ``compile``, ``limit``, ``runtime``, or
    ``internal`` (an `InternalError`)."""
    if isinstance(error, InternalError):
        return "internal"
    return error.kind if error.kind in ("compile", "limit") else "runtime"
