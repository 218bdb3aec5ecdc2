"""``mailwright deliver`` killed with SIGKILL at the three moments that matter, on SQLite and
PostgreSQL, counting what the server received per Message-ID:

(a) before the data (the server holds its answer to RCPT): the next ``deliver`` sends the
    message, exactly once;
(b) between the final dot and the server's answer (the server has the message and holds
    its answer): never sent twice, the row UNKNOWN;
(c) between the answer and the commit (the test holds a lock on the row, so the commit
    waits): never sent twice, the row UNKNOWN or SENT.

The next ``deliver`` runs in the test's process with a clock past the killed one's claim.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mailstore import models as m
from mailstore.db import open_database
from runtime.context import AppContext
from runtime.outbox import deliver
from tests.outgoing.conftest import queue, reload, use_server
from tests.servers.smtp import SmtpServer

REPO_ROOT = Path(__file__).resolve().parents[2]


def _start(config: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "deliver", "--config", str(config)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "deliver ended before it was killed"


def _kill_at(config: Path, server: SmtpServer, step: str) -> None:
    """Run ``deliver`` in a process of its own, and SIGKILL it while the server holds its
    answer at *step* (``RCPT``: before the data; ``DATA``: after the final dot)."""
    pause = server.pause(step)
    proc = _start(config)
    try:
        assert pause.wait_reached(60), proc.stderr.read() if proc.stderr else ""
        _kill(proc)
    finally:
        server.release_all()


def _later() -> dt.datetime:
    """A clock past the killed deliverer's claim (the config's lease is 5 minutes)."""
    return m.utcnow() + dt.timedelta(minutes=10)


@contextmanager
def _row_locked(db_url: str, row_id: int) -> Iterator[None]:
    """Hold a write lock on the row (PostgreSQL: the row; SQLite: the whole database) so the
    deliverer's commit waits."""
    db: Any = open_database(db_url)  # peewee's execute_sql is untyped
    try:
        with db.atomic():
            placeholder = "?" if db_url.startswith("sqlite") else "%s"
            db.execute_sql(
                f"UPDATE sent_email SET subject = subject WHERE id = {placeholder}", (row_id,)
            )
            yield
    finally:
        db.close()


def test_killed_before_the_data_the_next_deliver_sends_it_once(
    configured: Path, ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    (row,) = queue(ctx, 1)
    _kill_at(configured, smtp_server, "RCPT")
    killed = reload(row)
    assert killed.state == "SENDING" and killed.dataStarted is None
    assert smtp_server.count(row.messageId) == 0
    report = deliver(ctx, now=_later())
    assert report.requeued == [row.id] and report.sent == [row.id]
    assert smtp_server.count(row.messageId) == 1
    assert reload(row).state == "SENT"
    deliver(ctx, now=_later() + dt.timedelta(hours=1))
    assert smtp_server.count(row.messageId) == 1


def test_killed_between_the_dot_and_the_answer_it_is_never_sent_twice(
    configured: Path, ctx: AppContext, smtp_server: SmtpServer
) -> None:
    use_server(ctx, smtp_server)
    (row,) = queue(ctx, 1)
    _kill_at(configured, smtp_server, "DATA")
    assert smtp_server.count(row.messageId) == 1  # the server has it
    killed = reload(row)
    assert killed.state == "SENDING" and killed.dataStarted is not None
    report = deliver(ctx, now=_later())
    assert report.unknown == [row.id] and report.sent == []
    for hours in (1, 24):
        deliver(ctx, now=_later() + dt.timedelta(hours=hours))
    assert smtp_server.count(row.messageId) == 1
    assert reload(row).state == "UNKNOWN"


def test_killed_between_the_answer_and_the_commit_it_is_never_sent_twice(
    configured: Path,
    ctx: AppContext,
    smtp_server: SmtpServer,
    db_url: str,
) -> None:
    use_server(ctx, smtp_server)
    (row,) = queue(ctx, 1)
    pause = smtp_server.pause("DATA")
    proc = _start(configured)
    try:
        assert pause.wait_reached(60), proc.stderr.read() if proc.stderr else ""
        with _row_locked(db_url, row.id):
            pause.release()  # the server answers 250; the deliverer's commit now waits
            # give the answer time to arrive; the outcome asserted below holds either way
            time.sleep(0.5)
            _kill(proc)
    finally:
        smtp_server.release_all()
    assert smtp_server.count(row.messageId) == 1
    # SENT is possible on PostgreSQL: the killed client's server process still runs the
    # UPDATE it was waiting for once the lock is gone
    assert reload(row).state in ("SENDING", "SENT")
    deliver(ctx, now=_later())
    deliver(ctx, now=_later() + dt.timedelta(hours=1))
    assert smtp_server.count(row.messageId) == 1
    assert reload(row).state in ("UNKNOWN", "SENT")
