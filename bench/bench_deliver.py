"""Sending speed against a private local SMTP server: ``deliver`` vs a bare smtplib loop.

    python bench/bench_deliver.py --messages 500 --runs 3

Starts the test suite's aiosmtpd (`tests.servers.smtp`, STARTTLS + AUTH PLAIN on a free
loopback port, a self-signed CA) in a process of its own, as a real server is, and measures, for the same N messages (a short Czech text
body, UTF-8 subject and names, one recipient, about 1 KB each):

a. **bare**: one smtplib connection (STARTTLS, login), then ``sendmail`` for each message,
   already built as bytes (by `mailstore.outmessage.build_message`, the same builder
   ``deliver`` uses), then QUIT. Nothing touches a database. Also **bare+build**: the same
   loop building each message just before sending it.
b. **deliver**: N QUEUED SentEmail rows in a fresh SQLite store, then
   `runtime.outbox.deliver` in-process (the store already open): for each message the
   claim, building it from the row, ``dataStarted`` committed before DATA, and SENT
   committed after the answer — three committed UPDATEs per message — on one connection.

Printed: messages per second and CPU milliseconds per message of each (median of
``--runs``), and the ratio deliver/bare (target: at least 0.5). Client and server share one machine, which is shared and noisy: the ratio means
more than the absolute figures. Never run by CI.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mailstore import models as m  # noqa: E402
from mailstore.api import Store  # noqa: E402
from mailstore.config import load_config  # noqa: E402
from mailstore.outmessage import build_message, envelope_recipients, new_message_id  # noqa: E402
from runtime.context import open_context  # noqa: E402
from runtime.outbox import DeliverReport, deliver  # noqa: E402
from runtime.settings import CredentialSpec, add_credential  # noqa: E402
from runtime.smtpaccounts import SmtpAccountSpec, add_smtp_account  # noqa: E402

#: the server process: the test suite's aiosmtpd, answering "count" and "reset" on stdin
SERVER = """
import sys
from pathlib import Path
from tests.servers import TestCA
from tests.servers.smtp import SmtpServer
server = SmtpServer("starttls", TestCA.create(Path(sys.argv[1]))).start()
print(server.port, server.username, server.password, server.ca_file, flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(len(server.messages), flush=True)
    elif line.strip() == "reset":
        server.reset()
        print("ok", flush=True)
server.stop()
"""


@dataclass
class Server:
    """The SMTP server running in its own process (as a real one would)."""

    process: subprocess.Popen[str]
    host: str
    port: int
    username: str
    password: str
    ca_file: str

    @classmethod
    def start(cls, folder: Path) -> Server:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(folder / "ca")],
            cwd=HERE.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        port, username, password, ca_file = process.stdout.readline().split()
        return cls(process, "127.0.0.1", int(port), username, password, ca_file)

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def received(self) -> int:
        return int(self.ask("count"))

    def reset(self) -> None:
        self.ask("reset")

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


FROM = "Podatelna <podatelna@example.test>"
BODY = (
    "Dobrý den,\n\nděkujeme za zaslanou fakturu. Byla zaevidována pod číslem {n} a bude "
    "proplacena v termínu splatnosti.\n\nS pozdravem\nPodatelna\n"
) * 2


def _rows(count: int) -> list[m.SentEmail]:
    return [
        m.SentEmail.create(
            state="QUEUED",
            messageId=new_message_id("example.test"),
            to=[f"Jana Nováková <jana{n}@example.test>"],
            subject=f"Potvrzení přijetí faktury č. {n}",
            body=BODY.format(n=n),
        )
        for n in range(count)
    ]


def _config(folder: Path) -> Path:
    config = folder / "mailwright.toml"
    config.write_text(
        '[database]\nurl = "sqlite:///mw.db"\n[storage]\nblobs = "blobs"\n'
        '[secrets]\nkeyFile = "secret.key"\n',
        encoding="utf-8",
    )
    Store.open(load_config(config), migrate=True).close()
    return config


@dataclass
class Timing:
    """Wall-clock and CPU seconds (this process) of one way of sending the messages."""

    wall: float
    cpu: float


def _timed(work: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def bare_loop(server: Server, rows: list[m.SentEmail], *, build: bool) -> Callable[[], None]:
    """Return the loop that sends *rows* on one smtplib connection (connect to QUIT): each
    message built beforehand as bytes, or built in the loop with the builder ``deliver``
    uses (*build*)."""
    prebuilt = None if build else [_message(r) for r in rows]
    context = ssl.create_default_context(cafile=server.ca_file)

    def loop() -> None:
        conn = smtplib.SMTP(server.host, server.port, timeout=30)
        conn.starttls(context=context)
        conn.login(server.username, server.password)
        for index, row in enumerate(rows):
            recipients, raw = prebuilt[index] if prebuilt else _message(row)
            conn.sendmail("podatelna@example.test", recipients, raw)
        conn.quit()

    return loop


def _message(row: m.SentEmail) -> tuple[list[str], bytes]:
    built = build_message(row, [], from_address=FROM, reply_to=None)
    return envelope_recipients(row), bytes(built)


def run_once(server: Server, count: int) -> dict[str, Timing]:
    """One measurement of the three ways for *count* messages."""
    timings: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory(prefix="mw-bench-deliver-") as folder:
        config = _config(Path(folder))
        with open_context(str(config)) as ctx:
            add_credential(
                ctx.store,
                CredentialSpec(
                    name="login", kind="password", user=server.username, secret=server.password
                ),
            )
            add_smtp_account(
                ctx.store,
                SmtpAccountSpec(
                    name="central", host=server.host, port=server.port, from_address=FROM,
                    credential="login", ca_file=server.ca_file, default=True,
                ),
            )  # fmt: skip
            rows = _rows(count)
            for name, build in (("bare", False), ("bare+build", True)):
                server.reset()
                timings[name] = _timed(bare_loop(server, rows, build=build))
                assert server.received() == count, f"the {name} loop lost messages"
            server.reset()
            reports: list[DeliverReport] = []
            timings["deliver"] = _timed(lambda: reports.append(deliver(ctx)))
            assert len(reports[0].sent) == count and reports[0].connections == 1, reports[0]
            assert server.received() == count
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mw-bench-ca-") as folder:
        server = Server.start(Path(folder))
        try:
            results = [run_once(server, args.messages) for _ in range(args.runs)]
        finally:
            server.stop()
    n = args.messages
    print(f"messages: {n}, runs: {args.runs} (medians); load average {os.getloadavg()[0]:.1f}"
          f" on {os.cpu_count()} CPUs")  # fmt: skip
    rate: dict[str, float] = {}
    for name, label in (
        ("bare", "bare smtplib, prebuilt bytes"),
        ("bare+build", "bare smtplib, building each"),
        ("deliver", "mailwright deliver (SQLite)"),
    ):
        wall = statistics.median(r[name].wall for r in results)
        cpu = statistics.median(r[name].cpu for r in results)
        rate[name] = n / wall
        print(f"{label:30} {rate[name]:7.1f} messages/s, CPU {cpu * 1000 / n:5.2f} ms/message")
    ratio = rate["deliver"] / rate["bare"]
    print(f"ratio deliver / bare (prebuilt): {ratio:.2f} (target >= 0.50: "
          f"{'ok' if ratio >= 0.5 else 'BELOW TARGET'})")  # fmt: skip
    built = rate["deliver"] / rate["bare+build"]
    print(f"ratio deliver / bare (building each): {built:.2f}")
    return 0 if ratio >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
