"""Exactly once under faults: ``mailwright ingest`` killed with SIGKILL at 50 random
wall-clock moments over a mailbox of a few hundred messages, then run to the end by a
fresh ``python -m runtime.cli ingest``; over a Maildir and over an IMAP folder of the test
Dovecot, on SQLite and (with ``MAILWRIGHT_TEST_DATABASE_URL``) on PostgreSQL. Every message
must be stored once, handled once (one SubmittedDocument, one successful ScriptRun) and
flagged seen in the source. And two runners started at the same moment, on both databases.

The killed runs are forked from a warm parent (``tests/ingest/crash_runner.py``) that
imported mailwright once, so a kill costs a run, not a Python start-up. Kill moments are
drawn over the real run length: from the moment of the fork up to the measured start-up
time (config, store, handler, lease, connection) plus twice the time the runner needs,
at the rate measured so far, for its share of the messages still to come (what is left
over the kills left). So some kills land in the start-up, the rest anywhere in the
storing, handling, committing and flagging, spread over the whole mailbox. A killed
runner's lease is expired by the test rather than waited for (``retry.lease`` decides
only how long that would take).

``MAILWRIGHT_CRASH_KILLS`` (default 50) sets the number of kills, ``MAILWRIGHT_CRASH_SECONDS``
(default 150) the time they must fit in, ``MAILWRIGHT_CRASH_SEED`` replays a seed printed
by a failure.
"""

from __future__ import annotations

import json
import mailbox
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import peewee
import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from mailstore.db import open_database
from tests.ingest.test_ingest_local import GOOD, make_maildir, message
from tests.mailstore.conftest import db_url  # noqa: F401
from tests.servers.dovecot import DovecotServer, DovecotUser

REPO_ROOT = Path(__file__).resolve().parents[2]
#: "a mailbox of a few hundred messages" (issue 5)
MESSAGES = 200
KILLS = int(os.environ.get("MAILWRIGHT_CRASH_KILLS", "50"))
BUDGET_SECONDS = float(os.environ.get("MAILWRIGHT_CRASH_SECONDS", "150"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Ledger:
    """The test's own connection to the runners' database: progress and leases."""

    def __init__(self, url: str) -> None:
        self.db = open_database(url)
        if isinstance(self.db, peewee.PostgresqlDatabase):
            self.db.connection().autocommit = True  # each poll sees the latest commits

    def stored(self) -> int:
        """How many e-mails are stored now (committed)."""
        return int(self.db.execute_sql("SELECT count(*) FROM received_email").fetchone()[0])

    def expire_leases(self) -> None:
        """A killed runner's lease runs out (instead of waiting ``retry.lease`` for it)."""
        self.db.execute_sql("UPDATE lease SET expires = '2000-01-01 00:00:00'")

    def close(self) -> None:
        self.db.close()


class WarmRunner:
    """``crash_runner.py``: forks one ``mailwright ingest`` per `start`."""

    def __init__(self, config: Path, log: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ingest.crash_runner", str(config), str(log)],
            cwd=REPO_ROOT,
            env=_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self) -> int:
        """Fork a run; return its pid."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def ended(self, timeout: float) -> bool:
        """True when the run's exit line is ready to read (it ended)."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return bool(ready)

    def exit_code(self) -> int:
        """Wait for the run's end: its exit status, or minus the signal that killed it."""
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("exit "), line
        return int(line.split()[1])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _config(tmp_path: Path, url: str) -> Path:
    (tmp_path / "handler.jexl").write_text(GOOD, encoding="utf-8")
    config = tmp_path / "mailwright.toml"
    config.write_text(
        f"[database]\nurl = {json.dumps(url)}\n"
        '[handler]\nscript = "handler.jexl"\n'
        '[retry]\nlease = "30s"\n[secrets]\nkeyFile = "secret.key"\n',
        encoding="utf-8",
    )
    return config


def _setup_maildir(tmp_path: Path, url: str) -> tuple[Path, Callable[[], list[str]]]:
    config = _config(tmp_path, url)
    box = make_maildir(tmp_path / "box", MESSAGES)
    with Store.open(load_config(config), migrate=True):
        m.MailAccount.create(
            name="box", address="box@example.com", sourceKind="maildir", path=str(box)
        )
    return config, lambda: [msg.get_flags() for msg in mailbox.Maildir(box, create=False)]


def _setup_imap(
    tmp_path: Path, url: str, dovecot: DovecotServer, user: DovecotUser
) -> tuple[Path, Callable[[], list[str]]]:
    config = _config(tmp_path, url)
    dovecot.append(user, [message(n) for n in range(MESSAGES)])
    with Store.open(load_config(config), migrate=True) as store:
        credential = m.Credential.create(
            name="cred",
            kind="password",
            username=user.name,
            secret=store.secrets.encrypt(user.password),
        )
        m.MailAccount.create(
            name="box", address=user.name, sourceKind="imap", host=dovecot.host,
            port=dovecot.ssl_port, security="ssl", caFile=str(dovecot.ca.ca_file),
            credential=credential, imapKeywords=False,
        )  # fmt: skip

    def flags() -> list[str]:
        client = dovecot.client(user)
        try:
            client.select_folder("INBOX", readonly=True)
            found = client.get_flags(client.search("ALL"))
            return ["S" if b"\\Seen" in f else "" for f in found.values()]
        finally:
            client.logout()

    return config, flags


def test_sigkill_over_a_maildir_loses_and_repeats_nothing(tmp_path: Path, db_url: str) -> None:  # noqa: F811
    config, flags = _setup_maildir(tmp_path, db_url)
    _kill_and_check(tmp_path, config, db_url, flags)


def test_sigkill_over_imap_loses_and_repeats_nothing(
    tmp_path: Path,
    db_url: str,  # noqa: F811
    dovecot: DovecotServer,
    imap_user: DovecotUser,
) -> None:
    config, flags = _setup_imap(tmp_path, db_url, dovecot, imap_user)
    _kill_and_check(tmp_path, config, db_url, flags)


class _Pace:
    """Running estimates of a run's start-up time and storing rate, for the kill moments."""

    def __init__(self) -> None:
        self.startup: float | None = None
        self.rate: float | None = None
        #: the horizon until both are measured: short, so a fast machine does not finish
        #: the whole mailbox in the first run; doubled after each run too short to measure
        self.guess = 0.2
        #: past the start-up, until the rate is measured: how long to let a run store
        self.extra = 0.05

    def horizon(self, remaining: int, kills_left: int) -> float:
        """The latest kill moment of the next run, in seconds after its start."""
        if self.startup is None:
            return self.guess  # not measured yet
        if self.rate is None:
            return self.startup + self.extra
        # twice a run's share on average, never half of what is left: the last kills
        # must still find work (a rate measured on a busy machine may be off by half)
        share = max(remaining, 1) / (max(kills_left, 1) + 1)
        return self.startup + min(2 * share, remaining / 2) / self.rate

    def learn(self, first: float | None, at: float, progress: int) -> None:
        """One run: its first store *first* s after the fork, *progress* stored by *at*."""
        if first is None:
            self.guess *= 2
            return
        self.startup = first if self.startup is None else 0.7 * self.startup + 0.3 * first
        if progress > 1 and at - first > 0.02:
            rate = (progress - 1) / (at - first)
            self.rate = rate if self.rate is None else 0.7 * self.rate + 0.3 * rate
        elif self.rate is None:
            self.extra *= 2


def _kill_and_check(tmp_path: Path, config: Path, url: str, flags: Callable[[], list[str]]) -> None:
    seed = int(os.environ.get("MAILWRIGHT_CRASH_SEED", str(time.time_ns() % 2**32)))
    rng = random.Random(seed)
    ledger = Ledger(url)
    runner = WarmRunner(config, tmp_path / "runs.log")
    pace = _Pace()
    kills = 0
    #: messages stored when each kill landed (how the kills spread over the mailbox)
    landed: list[int] = []
    deadline = time.monotonic() + BUDGET_SECONDS
    try:
        while kills < KILLS and time.monotonic() < deadline:
            before = ledger.stored()
            at = rng.uniform(0.0, pace.horizon(MESSAGES - before, KILLS - kills))
            # whatever the pace guessed (a busy machine fools it while it knows neither the
            # start-up nor the rate), no run stores more than a quarter of what is left:
            # the kills stay spread over the mailbox
            cap = before + max(5, (MESSAGES - before) // 4)
            started = time.monotonic()
            pid = runner.start()
            first: float | None = None
            ended = False
            while (elapsed := time.monotonic() - started) < at:
                if runner.ended(min(0.02, at - elapsed)):
                    ended = True
                    break
                stored = ledger.stored()
                if first is None and stored > before:
                    first = time.monotonic() - started
                if stored >= cap:
                    at = elapsed  # kill now: the pace learns the moment it really was
                    break
            if ended:  # it finished by itself: nothing was left to do
                code = runner.exit_code()
                if code != 0:
                    tail = (tmp_path / "runs.log").read_text(encoding="utf-8")[-3000:]
                    pytest.fail(f"seed {seed}: a run failed ({code}):\n{tail}")
                if ledger.stored() >= MESSAGES:
                    break
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:  # it ended just now
                pass
            if runner.exit_code() == -signal.SIGKILL:
                kills += 1
                landed.append(before)
            pace.learn(first, at, ledger.stored() - before)
            ledger.expire_leases()
    finally:
        runner.close()
        ledger.close()
    final = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "ingest", "--config", str(config)],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        timeout=300,
    )
    assert final.returncode == 0, f"seed {seed}: {final.stdout.decode()}{final.stderr.decode()}"

    where = f"seed {seed}, {kills} kills landing at {landed}"
    with Store.open(load_config(config)) as store:
        emails = list(m.ReceivedEmail.select())
        assert len(emails) == MESSAGES, where
        assert {e.state for e in emails} == {"PROCESSED"}, where
        assert len({(e.key, e.uidvalidity, e.uid) for e in emails}) == MESSAGES, where
        notes = [d.note for d in store.model("SubmittedDocument").select()]
        assert sorted(notes) == sorted(f"message {n}" for n in range(MESSAGES)), (
            f"{where}: each e-mail handled exactly once"
        )
        ok_runs = [r for r in m.ScriptRun.select() if r.outcome == "ok"]
        assert len(ok_runs) == MESSAGES, where
        assert len({r.receivedEmail_id for r in ok_runs}) == MESSAGES, where
    assert flags() == ["S"] * MESSAGES, f"{where}: every message flagged seen once handled"
    assert kills >= KILLS, f"{where}: fewer kills than {KILLS} in {BUDGET_SECONDS:.0f} s"
    # the kills are spread over the mailbox, not all at its start
    assert len(set(landed)) >= KILLS // 5 and max(landed) >= MESSAGES // 2, where
    print(f"{kills} kills, seed {seed}, landing at {landed}")


# --- two runners started at the same moment ------------------------------------------------

ACCOUNTS = 4
PER_ACCOUNT = 25


def test_two_runners_started_at_the_same_moment(tmp_path: Path, db_url: str) -> None:  # noqa: F811
    """Two cron runs at once, on SQLite and on PostgreSQL, over four accounts: each account's
    lease lets one runner work on it at a time, so the second runner takes the next account
    instead of waiting; both finish, and between them every message is stored and handled
    exactly once."""
    config = _config(tmp_path, db_url)
    boxes = []
    with Store.open(load_config(config), migrate=True):
        for a in range(ACCOUNTS):
            box = make_maildir(tmp_path / f"box{a}", PER_ACCOUNT, start=a * PER_ACCOUNT)
            boxes.append(box)
            m.MailAccount.create(
                name=f"box{a}", address=f"box{a}@example.com", sourceKind="maildir", path=str(box)
            )
    logs = [tmp_path / "runner-a.log", tmp_path / "runner-b.log"]
    runners = [WarmRunner(config, log) for log in logs]
    try:
        for runner in runners:  # both warm: the two forks happen within a millisecond
            assert runner.proc.stdin is not None
            runner.proc.stdin.write("run\n")
        for runner in runners:
            assert runner.proc.stdin is not None
            runner.proc.stdin.flush()
        for runner in runners:
            assert runner.proc.stdout is not None
            int(runner.proc.stdout.readline())
        codes = [runner.exit_code() for runner in runners]
    finally:
        for runner in runners:
            runner.close()
    outputs = [log.read_text(encoding="utf-8") for log in logs]
    assert codes == [0, 0], outputs
    count = ACCOUNTS * PER_ACCOUNT
    with Store.open(load_config(config)) as store:
        assert m.ReceivedEmail.select().count() == count
        assert {e.state for e in m.ReceivedEmail.select()} == {"PROCESSED"}
        notes = sorted(d.note for d in store.model("SubmittedDocument").select())
        assert notes == sorted(f"message {n}" for n in range(count))
        assert m.ScriptRun.select().count() == count
        assert m.Lease.select().count() == 0  # both released what they held
    for box in boxes:
        assert [msg.get_flags() for msg in mailbox.Maildir(box, create=False)] == [
            "S"
        ] * PER_ACCOUNT
    # each account was worked on by exactly one runner. Which one, and whether the second
    # met a lease or found the work done ("nothing new"), is timing, not a rule to assert.
    worked = [
        {f"box{a}" for a in range(ACCOUNTS) if f"box{a}: {PER_ACCOUNT} stored" in out}
        for out in outputs
    ]
    assert worked[0] | worked[1] == {f"box{a}" for a in range(ACCOUNTS)}, outputs
    assert not worked[0] & worked[1], outputs
