"""A warm parent for the crash tests: imports mailwright once, then forks one
``mailwright ingest --config CONFIG`` per line it reads, so that the test's SIGKILLs cost
a run each, not a Python start-up each (a second or more on a busy machine).

Protocol (one line each, on stdin/stdout): the test writes ``run``; this prints the
child's pid, waits for it (it ends by itself or the test kills it) and prints its wait
status as ``exit N`` (``N`` < 0: killed by signal ``-N``). EOF ends the parent. Each child is
a separate process running ``runtime.cli.main``, with its own database connections
(none are opened before the fork); its output goes to ``LOG`` (appended).

Usage: ``python -m tests.ingest.crash_runner CONFIG LOG``
"""

from __future__ import annotations

import contextlib
import io
import json
import mailbox
import os
import sys
import tempfile
from pathlib import Path

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from runtime.cli import main
from runtime.commands import command_module


def _child(config: str, log: str) -> None:
    """Run ``mailwright ingest`` in the forked child and leave with its exit status."""
    status = 70
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
        status = main(["ingest", "--debug", "--config", config])
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdout.flush()
        os._exit(status)  # no atexit handlers of the parent's


def warm_up(config: str) -> None:
    """Run ``mailwright ingest`` once on a throwaway SQLite copy (one message, the same
    handler): what a first run does once per process (importing lazily imported modules,
    building the script parser) is then done here, before the forks. Every connection of
    that run is closed when it returns: the children share none."""
    handler = load_config(Path(config)).handler_script
    with tempfile.TemporaryDirectory(prefix="mailwright-warm-") as folder:
        root = Path(folder)
        box = mailbox.Maildir(root / "box", create=True)
        box.add(b"From: a@example.com\r\nSubject: warm\r\n\r\nwarm\r\n")
        warm = root / "mailwright.toml"
        warm.write_text(
            '[database]\nurl = "sqlite:///warm.db"\n[secrets]\nkeyFile = "secret.key"\n'
            f"[handler]\nscript = {json.dumps(str(handler))}\n",
            encoding="utf-8",
        )
        with Store.open(load_config(warm), migrate=True):
            m.MailAccount.create(
                name="warm", address="w@example.com", sourceKind="maildir", path=str(root / "box")
            )
        with contextlib.redirect_stdout(io.StringIO()):
            main(["ingest", "--config", str(warm)])


def serve(config: str, log: str) -> None:
    """Fork a run per ``run`` line on stdin; report pid and wait status on stdout."""
    command_module("ingest")  # imported here, once, not in every child
    warm_up(config)
    for line in sys.stdin:
        if line.strip() != "run":
            continue
        pid = os.fork()
        if pid == 0:
            _child(config, log)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"exit {code}", flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
