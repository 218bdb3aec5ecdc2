"""The run over the accounts: select them, then each one under its lease."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from mailstore import models as m

from ..context import AppContext
from .account import _Run
from .dryrun import dry_run_imap
from .handle import Handler, load_handler
from .imap import work_imap
from .lease import _release, claim_account, runner_owner
from .local import dry_run_local, work_local
from .report import AccountReport, Clock, IngestReport, Progress, _Quiet

log = logging.getLogger("mailwright.ingest")


def select_accounts(name: str | None = None) -> list[m.MailAccount]:
    """The enabled accounts by name, or the one named (enabled or not: asking for it by
    name is asking for it). ``ValueError`` listing the accounts for an unknown name."""
    if name is None:
        query = m.MailAccount.select().where(m.MailAccount.enabled == True)  # noqa: E712
        return list(query.order_by(m.MailAccount.name))
    found = m.MailAccount.get_or_none(m.MailAccount.name == name)
    if found is None:
        names = [a.name for a in m.MailAccount.select().order_by(m.MailAccount.name)]
        known = f"the accounts are: {', '.join(names)}" if names else "there are no accounts"
        raise ValueError(f"no mail account named {name!r} ({known}; see `mailwright accounts`)")
    return [found]


def ingest(
    ctx: AppContext,
    *,
    account: str | None = None,
    dry_run: bool = False,
    clock: Clock = m.utcnow,
    owner: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """One ingestion run over the enabled accounts (or the one named); see the module's
    docstring for the steps. ``clock`` gives naive UTC (tests control retries with it);
    ``owner`` names the runner in leases (default: `runner_owner`). ``ValueError`` for
    an unknown account name; everything else is reported, not raised."""
    owner = owner or runner_owner()
    report = IngestReport(dry_run=dry_run)
    handlers: dict[Path, Handler] = {}
    for mail_account in select_accounts(account):
        result = ingest_account(
            ctx,
            mail_account,
            owner=owner,
            clock=clock,
            dry_run=dry_run,
            progress=progress,
            handlers=handlers,
        )
        report.accounts.append(result)
        log.info("%s", result.summary(dry_run=dry_run))
    return report


def ingest_account(
    ctx: AppContext,
    account: m.MailAccount,
    *,
    owner: str,
    clock: Clock = m.utcnow,
    dry_run: bool = False,
    progress: Progress | None = None,
    handlers: dict[Path, Handler] | None = None,
) -> AccountReport:
    """Fetch, store, handle and act for one account, under its lease; never raises for
    what goes wrong with the account or a message (it is in the report's errors)."""
    report = AccountReport(account.name)
    progress = progress or _Quiet()
    handler = load_handler(ctx, account, handlers)
    run = _Run(ctx, account, handler, owner, clock, progress, report)
    if dry_run:
        _dry_run(run)
        return report
    claimed_at = clock()
    if not claim_account(ctx, account, owner, claimed_at):
        report.busy = True
        run.note(report.summary())
        return report
    run.renewed = claimed_at
    progress.start(account.name)
    try:
        _work(run)
    except Exception as exc:  # one account's failure never stops the others
        log.exception("account %s", account.name)
        run.error(f"{account.name}: {exc}")
    finally:
        try:
            record_health(ctx, account, report, claimed_at)
        except Exception:  # a health note is not worth failing the run for
            log.exception("recording the last run of %s", account.name)
        try:
            _release(ctx, account, owner)
        except Exception:  # the lease expires anyway
            log.exception("releasing the lease of %s", account.name)
    return report


def record_health(
    ctx: AppContext, account: m.MailAccount, report: AccountReport, started: dt.datetime
) -> None:
    """Write the run on the account (``doctor`` and ``emails --stale`` read it):
    ``lastRunAt`` = *started*; when the report is ok, ``lastSuccessAt`` = *started* and
    ``lastError`` null; else ``lastError`` = the run's first problem in one line (with how
    many more there were). One short transaction of its own; only the three columns are
    written, so an ``accounts edit`` meanwhile is not undone."""
    values: dict[str, Any] = {"lastRunAt": started}
    if report.ok:
        values.update(lastSuccessAt=started, lastError=None)
    else:
        values["lastError"] = first_problem(report)
    a = m.MailAccount
    with ctx.store.atomic():
        a.update(**values).where(a.id == account.id).execute()


def first_problem(report: AccountReport) -> str:
    """The report's first error as one line, ``(and N more)`` appended when there are
    more; for a report without errors but with failed e-mails, their count."""
    if not report.errors:
        return f"{report.failed} e-mail(s) failed, {report.quarantined} quarantined"
    lines = report.errors[0].strip().splitlines() or ["(no detail)"]
    text = lines[0]
    if len(report.errors) > 1:
        text += f" (and {len(report.errors) - 1} more)"
    return text


def _work(run: _Run) -> None:
    if run.account.sourceKind == "imap":
        work_imap(run)
    else:
        work_local(run)


def _dry_run(run: _Run) -> None:
    """Count what a run would do, writing nothing."""
    if run.account.sourceKind == "imap":
        dry_run_imap(run)
    else:
        dry_run_local(run)
