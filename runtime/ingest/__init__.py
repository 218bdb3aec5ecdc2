"""Ingestion: one run of ``mailwright ingest`` over the mail accounts, exactly once.

The steps of ARCHITECTURE.md ("Ingestion guarantees"), one function each, in the order
`ingest_account` calls them for an account, under its lease:

1. `claim_account` takes the account's `Lease` (``account:ID``), so overlapping runs
   (cron firing again, several machines) never work on one account at the same time;
2. `load_handler` compiles the account's handler script (a script that does not compile
   is reported: messages are still fetched and stored, but stay RECEIVED, no attempt is
   counted and nothing is flagged, moved or deleted until it is fixed);
3. `due_emails` lists the stored e-mails that are RECEIVED or FAILED and due for a
   retry, and each is handled again first;
4. `new_messages` lists the source's messages not yet in the ledger;
5. `store_message` stores one (raw blob + parsed ReceivedEmail) and commits: SKIPPED with
   its headers only when it is over the size limit, IGNORED when older than ``since``
   (a run parses the next message, and the fetching thread reads the next batch, while
   this one commits and is handled: `store.one_ahead`, ``ImapMailbox.fetch(ahead=True)``);
6. `handle_email` runs the handler on it in its own transaction, which also records the
   ScriptRun and marks the e-mail PROCESSED, so the handler's records and the state
   commit together (a crash before the commit re-runs it, after it never does); a
   runtime failure rolls back and counts an attempt: FAILED with the next attempt after
   the config's backoff, QUARANTINED after the last attempt;
7. `after_action` flags, moves or deletes the message in the source only after that
   commit. A crash between the commit and the action leaves a PROCESSED e-mail still in
   the source: the next run finds it stored and carries the action out then.

One failing account or message never stops the others: errors are collected in the
`AccountReport` and the run goes on. ``dry_run`` writes nothing at all (no lease, no
e-mails, no runs): it reports what a run would store and handle.

Local sources (Maildir, mbox, folder of ``.eml`` files, `mailstore.sources`) and IMAP
folders (`mailstore.imap`, new messages found by UIDVALIDITY and UID) go through the same
steps.

Example::

    with open_context(None) as ctx:
        report = ingest(ctx)
        print(report.ok, [a.summary() for a in report.accounts])

The package, one job a module: `report` (what a run reports, progress), `lease`
(one runner an account), `handle` (the handler on a stored e-mail, failures, backoff),
`store` (what a message becomes, stored one message ahead),
`local` (the Maildir/mbox/``.eml`` path), `imap` (the IMAP path), `rematch` (a changed
UIDVALIDITY: stored e-mails matched again by SHA-256), `dryrun` (``--dry-run`` of an IMAP
account), `account` (one account's run state), `run` (the run over the accounts, and the
account's last run, success and error), `reprocess` (``mailwright reprocess``, with the
after-action on the IMAP server).
"""

from __future__ import annotations

from ..settings import LOCAL_ACTIONS
from .handle import HANDLED_STATES, Handler, due_emails, handle_email, load_handler
from .imap import imap_after_action
from .lease import claim_account, runner_owner
from .local import after_action, maildir_seen_keys, new_messages
from .report import AccountReport, Clock, IngestReport, Progress
from .reprocess import reprocess
from .run import ingest, ingest_account, select_accounts
from .store import store_message

__all__ = [
    "HANDLED_STATES",
    "LOCAL_ACTIONS",
    "AccountReport",
    "Clock",
    "Handler",
    "IngestReport",
    "Progress",
    "after_action",
    "claim_account",
    "due_emails",
    "handle_email",
    "imap_after_action",
    "ingest",
    "ingest_account",
    "load_handler",
    "maildir_seen_keys",
    "new_messages",
    "reprocess",
    "runner_owner",
    "select_accounts",
    "store_message",
]
