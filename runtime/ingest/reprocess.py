"""``mailwright reprocess``: the handler again on stored e-mails, after the script is fixed."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from mailstore import models as m
from mailstore.imap import ImapError
from mailstore.oauth import OAuthError
from mailstore.sources import SourceError

from ..context import AppContext
from ..settings import SettingsError, connect_account
from .account import _Run
from .handle import Handler, handle_email, load_handler
from .imap import imap_after_action
from .lease import _release, claim_account, runner_owner
from .local import _open_local
from .report import AccountReport, Clock, Progress, _Quiet


def reprocess(
    ctx: AppContext,
    email_ids: Iterable[int],
    *,
    clock: Clock = m.utcnow,
    owner: str | None = None,
    progress: Progress | None = None,
) -> list[AccountReport]:
    """Run the handler again on stored e-mails (after the script was fixed), whatever
    their state except SKIPPED; each account's e-mails under its lease, then the
    after-action. A failure starts counting attempts afresh. Returns one report per
    account."""
    owner = owner or runner_owner()
    progress = progress or _Quiet()
    by_account: dict[int, list[int]] = {}
    for email_id in email_ids:
        row = m.ReceivedEmail.get_or_none(m.ReceivedEmail.id == email_id)
        if row is None:
            raise ValueError(f"no e-mail #{email_id} in the store")
        by_account.setdefault(int(row.__data__["mailAccount"]), []).append(int(email_id))
    reports = []
    handlers: dict[Path, Handler] = {}
    states = ("RECEIVED", "FAILED", "QUARANTINED", "PROCESSED", "IGNORED")
    for account_id, ids in by_account.items():
        account = m.MailAccount.get_by_id(account_id)
        report = AccountReport(account.name)
        reports.append(report)
        run = _Run(
            ctx, account, load_handler(ctx, account, handlers), owner, clock, progress, report
        )
        if run.handler.script is None:
            run.error(f"{account.name}: {run.handler.error}")
            continue
        if not claim_account(ctx, account, owner, clock()):
            report.busy = True
            run.error(f"{account.name}: another runner is working on it; try again later")
            continue
        try:
            if account.sourceKind != "imap":
                try:
                    run.source = _open_local(ctx, account)
                except SourceError as exc:
                    run.note(f"{exc} (the after-action is left out)")
            outcomes: dict[int, str] = {}
            for email_id in ids:
                # a long reprocess must hold the account like ingest does: a lost lease
                # means an ingest took over and may handle these same e-mails now
                if not run.keep_lease():
                    break
                run.guarded(email_id, functools.partial(_reprocess_one, run, states, outcomes))
            if account.sourceKind == "imap":
                act_on_server(run, outcomes)
        finally:
            _release(ctx, account, owner)
    return reports


def _reprocess_one(
    run: _Run, states: tuple[str, ...], outcomes: dict[int, str], email_id: int
) -> None:
    e = m.ReceivedEmail
    with run.ctx.store.atomic():  # a fresh start: attempts count from zero again
        e.update(attempts=0, nextAttempt=None).where(e.id == email_id).execute()
    state = handle_email(run.ctx, run.handler, email_id, run.clock(), states=states)
    if state is not None:
        outcomes[email_id] = state
    if state == "PROCESSED":
        run.report.processed += 1
        run.act(email_id)
    elif state is None:
        run.error(f"e-mail #{email_id} cannot be reprocessed (it was SKIPPED: too big)")
    else:
        run.report.failed += state == "FAILED"
        run.report.quarantined += state == "QUARANTINED"
        run.error(f"e-mail #{email_id} {state}: {e.get_by_id(email_id).lastError}")


def act_on_server(run: _Run, outcomes: dict[int, str]) -> None:
    """Write the outcomes of reprocessed IMAP e-mails on the server, as ingestion does
    (`imap_after_action`: the account's action and ``$MailwrightDone`` for PROCESSED ones,
    ``$MailwrightFailed`` for the others), after their commits, over one connection.

    Only messages still in their folder under the stored UIDVALIDITY are touched (a
    message moved or deleted earlier is not there any more). A connection that fails is
    an error of the report; the next ``mailwright ingest`` finishes the action of
    PROCESSED e-mails still in the account's folder."""
    if not outcomes:
        return
    account = run.account
    e = m.ReceivedEmail
    rows = list(
        e.select(e.id, e.folder, e.uidvalidity, e.uid).where(
            e.id.in_(list(outcomes)) & e.uid.is_null(False) & e.folder.is_null(False)
        )
    )
    by_folder: dict[str, list[m.ReceivedEmail]] = {}
    for row in rows:
        by_folder.setdefault(str(row.folder), []).append(row)
    if not by_folder:
        return
    try:
        with connect_account(run.ctx.store, account) as box:
            for folder, in_folder in sorted(by_folder.items()):
                uidvalidity = box.select(folder).uidvalidity
                stale = [r.id for r in in_folder if r.uidvalidity != uidvalidity]
                if stale:
                    run.note(
                        f"{account.name}: folder {folder} has a new UIDVALIDITY: e-mail(s) "
                        f"{', '.join(f'#{i}' for i in stale)} left as they are on the server "
                        "(the next ingest matches them again)"
                    )
                # (uid, new state) of the messages of this folder under its UIDVALIDITY
                current = [
                    (int(str(r.uid)), outcomes[r.id])
                    for r in in_folder
                    if r.uidvalidity == uidvalidity
                ]
                present = set(box.flags(uid for uid, _ in current))
                for state in ("PROCESSED", "FAILED", "QUARANTINED"):
                    uids = sorted(u for u, s in current if s == state and u in present)
                    run.report.actions += imap_after_action(box, account, uids, state)
    except (ImapError, OAuthError, SettingsError) as exc:
        run.error(
            f"{account.name}: the after-action on the server is left out ({exc}); the next "
            "`mailwright ingest` carries it out"
        )
