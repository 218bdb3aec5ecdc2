"""``mailwright doctor``: every check of an installation, one result per thing checked.

`run_doctor` checks, in order: the config file; the database (reachable, migrated); the
secret key (present, mode 0600, opens every stored secret); the OAuth2 credentials in use
(a new token now, the refresh token's expiry where it can be known); each enabled mail
account (log in and select the folder, or open the local source); the central SMTP server
(connect, STARTTLS, AUTH, QUIT: no message is sent); the robot address and its ROBOT
mailbox; the handler scripts (compile, ``check`` clean); the stale accounts
(`runtime.health`). Each check is independent: one that fails, or breaks, never stops the
others; a check that needs something an earlier one found broken (no config, no database,
no key) is reported as ``skip`` with the reason.

Results say what was checked and, for each problem, what to fix. No secret is ever part of
a result: the checks show names, hosts, files and setting names, never a password, token or
key.

Traps: getting an OAuth2 token asks the authority for a new one (the cached access token is
not trusted, so a revoked sign-in or a changed client secret shows now, not in an hour) and
saves the renewed token cache, as an ingestion run would; nothing else is written.

Example::

    report = run_doctor(None, timeout=5)
    for result in report.results:
        print(result.status, result.check, result.detail, result.fix or "")
    sys.exit(0 if report.ok else 1)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from mailstore import models as m

from .handlers import check_handlers, check_stale
from .installation import check_config, check_database, check_secret_key
from .mailboxes import check_accounts, check_robot
from .outgoing import check_smtp
from .report import DEFAULT_TIMEOUT, CheckResult, DoctorReport, State, fail
from .tokens import check_tokens

__all__ = ["DEFAULT_TIMEOUT", "CheckResult", "DoctorReport", "run_doctor"]


def run_doctor(
    config_path: str | Path | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    now: dt.datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> DoctorReport:
    """Run every check; return the `DoctorReport` (never raises for what it finds).

    *config_path* is ``--config`` (None: ``MAILWRIGHT_CONFIG``, else ``./mailwright.toml``).
    *timeout* bounds each network step in seconds. *now* (naive UTC) is for tests, as is
    *environ* (default ``os.environ``; it decides where the secret key comes from). The
    store is opened and closed here: the built-in models are bound to it meanwhile.
    """
    state = State(timeout, now or m.utcnow(), os.environ if environ is None else environ)
    report = DoctorReport()
    steps: list[tuple[str, Callable[[State], Iterable[CheckResult]]]] = [
        ("config", lambda s: check_config(s, config_path)),
        ("database", check_database),
        ("secret key", check_secret_key),
        ("OAuth2 tokens", check_tokens),
        ("accounts", check_accounts),
        ("SMTP server", check_smtp),
        ("robot address", check_robot),
        ("handler scripts", check_handlers),
        ("stale accounts", check_stale),
    ]
    try:
        for name, step in steps:
            report.results.extend(_guarded(name, step, state))
    finally:
        if state.store is not None:
            state.store.close()
    return report


def _guarded(
    name: str, step: Callable[[State], Iterable[CheckResult]], state: State
) -> list[CheckResult]:
    """Run one check; a check that breaks is a FAIL of its own, and the others still run."""
    try:
        return list(step(state))
    except Exception as err:  # noqa: BLE001 - one broken check must not stop the rest
        # our exceptions name settings and files, never secrets; first line only
        text = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return [
            fail(
                name,
                f"the check itself failed: {type(err).__name__}: {text}",
                "a bug in this check: report it with this line",
            )
        ]
