"""Exactly once under faults: ``mailwright ingest`` as a subprocess, killed with SIGKILL
at random wall-clock moments over a Maildir of a few hundred messages, then run to the
end, over a Maildir and over an IMAP folder of the test Dovecot. Every message must be
stored once, handled once (one SubmittedDocument, one successful ScriptRun) and flagged
seen in the source.

Bounded in time: the kills stop once a run finishes by itself (nothing left to do), and
the kills stop after a time budget, so the test stays under a minute;
``MAILWRIGHT_CRASH_KILLS`` and ``MAILWRIGHT_CRASH_SECONDS`` raise them for a longer soak.
"""

from __future__ import annotations

import json
import mailbox
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from tests.ingest.test_ingest_local import GOOD, make_maildir, message
from tests.mailstore.conftest import db_url  # noqa: F401
from tests.servers.dovecot import DovecotServer, DovecotUser

REPO_ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 200
#: at most this many kills, within a time budget: each costs a process start (a second or
#: more on a busy machine), so CI keeps the test under a minute; raise both for a soak
KILLS = int(os.environ.get("MAILWRIGHT_CRASH_KILLS", "60"))
BUDGET_SECONDS = float(os.environ.get("MAILWRIGHT_CRASH_SECONDS", "25"))


def _stored(db: Path) -> int:
    """How many e-mails are stored, read beside the runner (0 while the table is locked)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05) as conn:
            return int(conn.execute("SELECT count(*) FROM received_email").fetchone()[0])
    except sqlite3.Error:
        return -1


def _wait_for_work(proc: subprocess.Popen[bytes], db: Path, before: int) -> bool:
    """Wait until the runner stores something new (True) or exits (False)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _stored(db) > before:
            return True
        time.sleep(0.01)
    return False


def _config(tmp_path: Path) -> Path:
    (tmp_path / "handler.jexl").write_text(GOOD, encoding="utf-8")
    config = tmp_path / "mailwright.toml"
    # a short lease: a killed runner's lease runs out quickly and the next run takes over
    config.write_text(
        '[database]\nurl = "sqlite:///mw.db"\n[handler]\nscript = "handler.jexl"\n'
        '[retry]\nlease = "1s"\n[secrets]\nkeyFile = "secret.key"\n',
        encoding="utf-8",
    )
    return config


def _setup_maildir(tmp_path: Path) -> tuple[Path, Callable[[], list[str]]]:
    config = _config(tmp_path)
    box = make_maildir(tmp_path / "box", MESSAGES)
    with Store.open(load_config(config), migrate=True):
        m.MailAccount.create(
            name="box", address="box@example.com", sourceKind="maildir", path=str(box)
        )
    return config, lambda: [msg.get_flags() for msg in mailbox.Maildir(box, create=False)]


def _setup_imap(
    tmp_path: Path, dovecot: DovecotServer, user: DovecotUser
) -> tuple[Path, Callable[[], list[str]]]:
    config = _config(tmp_path)
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


def _stored(db: Path) -> int:
    """How many e-mails are stored, read beside the runner (0 while the table is locked)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05) as conn:
            return int(conn.execute("SELECT count(*) FROM received_email").fetchone()[0])
    except sqlite3.Error:
        return -1


def _wait_for_work(proc: subprocess.Popen[bytes], db: Path, before: int) -> bool:
    """Wait until the runner stores something new (True) or exits (False)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _stored(db) > before:
            return True
        time.sleep(0.01)
    return False


def _start(config: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "ingest", "--config", str(config)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigkill_over_a_maildir_loses_and_repeats_nothing(tmp_path: Path) -> None:
    config, flags = _setup_maildir(tmp_path)
    _kill_and_check(tmp_path, config, flags)


def test_sigkill_over_imap_loses_and_repeats_nothing(
    tmp_path: Path, dovecot: DovecotServer, imap_user: DovecotUser
) -> None:
    config, flags = _setup_imap(tmp_path, dovecot, imap_user)
    _kill_and_check(tmp_path, config, flags)


def _kill_and_check(tmp_path: Path, config: Path, flags: Callable[[], list[str]]) -> None:
    seed = int(time.time())
    rng = random.Random(seed)
    kills = 0
    db = tmp_path / "mw.db"
    stop = time.monotonic() + BUDGET_SECONDS
    for _ in range(KILLS):
        if time.monotonic() > stop:
            break
        before = max(_stored(db), 0)
        proc = _start(config)
        # a random moment while it works: storing, handling, committing, flagging
        working = _wait_for_work(proc, db, before)
        if working:
            time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is not None:  # finished by itself: nothing left to break
            proc.communicate()
            if _stored(db) >= MESSAGES:
                break
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
        kills += 1
    time.sleep(1.1)  # the last killed runner's lease runs out
    final = _start(config)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, f"seed {seed}: {err.decode()}"

    with Store.open(load_config(config)) as store:
        emails = list(m.ReceivedEmail.select())
        assert len(emails) == MESSAGES, f"seed {seed}, {kills} kills"
        assert {e.state for e in emails} == {"PROCESSED"}, f"seed {seed}"
        assert len({(e.key, e.uidvalidity, e.uid) for e in emails}) == MESSAGES
        notes = [d.note for d in store.model("SubmittedDocument").select()]
        assert sorted(notes) == sorted(f"message {n}" for n in range(MESSAGES)), (
            f"seed {seed}, {kills} kills: each e-mail handled exactly once"
        )
        ok_runs = [r for r in m.ScriptRun.select() if r.outcome == "ok"]
        assert len(ok_runs) == MESSAGES
        assert len({r.receivedEmail_id for r in ok_runs}) == MESSAGES
    assert flags() == ["S"] * MESSAGES, f"seed {seed}: every message flagged seen once handled"
    assert kills >= 5, f"seed {seed}: only {kills} kills landed while the runner worked"
    print(f"{kills} kills, seed {seed}")


def test_two_runners_started_at_the_same_moment(tmp_path: Path, db_url: str) -> None:  # noqa: F811
    """Two cron runs at once, on SQLite and on PostgreSQL: the account's lease lets one
    work at a time; between them every message is stored and handled exactly once."""
    config = _config(tmp_path)
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('url = "sqlite:///mw.db"', f"url = {json.dumps(db_url)}").replace(
            'lease = "1s"', 'lease = "30s"'
        ),
        encoding="utf-8",
    )
    count = 60
    box = make_maildir(tmp_path / "box", count)
    with Store.open(load_config(config), migrate=True):
        m.MailAccount.create(
            name="box", address="box@example.com", sourceKind="maildir", path=str(box)
        )
    runners = [_start(config), _start(config)]
    for proc in runners:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with Store.open(load_config(config)) as store:
        assert m.ReceivedEmail.select().count() == count
        assert {e.state for e in m.ReceivedEmail.select()} == {"PROCESSED"}
        notes = sorted(d.note for d in store.model("SubmittedDocument").select())
        assert notes == sorted(f"message {n}" for n in range(count))
        assert m.ScriptRun.select().count() == count
    assert [msg.get_flags() for msg in mailbox.Maildir(box, create=False)] == ["S"] * count
