"""Ingestion speed against a private local Dovecot: full ``mailwright ingest`` vs a bare fetch.

    python bench/bench_ingest.py --messages 1000 --attachments 2 --idle 10000

Starts its own Dovecot with the test suite's harness (`tests.servers.dovecot`, implicit
TLS on a free loopback port, Maildir storage) in a temporary folder, then measures:

1. **Throughput.** ``--messages`` N e-mails, each with ``--attachments`` PDF-like
   attachments of ``--attachment-kb`` KB, are APPENDed to a fresh user's INBOX. Then

   a. a bare imapclient loop: connect, log in, select, ``UID SEARCH ALL``, ``UID FETCH``
      ``BODY.PEEK[]`` in batches of 50 (nothing parsed, nothing stored);
   b. the full ``mailwright ingest`` on the same mailbox, as a subprocess (what cron runs,
      interpreter start-up included) and, on a second identical mailbox, in-process
      (``runtime.cli.main(["ingest", ...])``, the command without the interpreter start):
      the INVOICES example (``examples/invoices/handler.jexl``) as handler, account purpose
      INVOICES, SQLite, ``--after seen`` with keywords: every message is stored (blob +
      parsed ReceivedEmail + attachments), handled (one SubmittedDocument each) and
      flagged on the server.

   Printed: messages per second of each and the ratio b/a (target: at least 0.5), and
   the CPU time per message of the in-process run (every thread of the process), which
   the load of a shared machine disturbs less than the wall time. The subprocess pays
   the interpreter's start, imports and the handler's compilation (about 0.4 s, see
   ``bench/bench_startup.py``) once per run: with a few hundred messages that alone is
   a large part of (b), hence the default of 1,000.

2. **A run with nothing new** over a mailbox of ``--idle`` messages (10,000 by default),
   all of them already stored as PROCESSED and ``\\Seen`` on the server: the time of one
   ingestion run measured in-process (``runtime.ingest.ingest``, the store already open, as
   between two runs of a long-lived process), next to a bare imapclient session that
   connects, logs in, selects and sends one ``UID SEARCH ALL``. Targets: under one second,
   and within 3x of the bare session.

   Filling: the 10,000 messages are written as files straight into the Dovecot user's
   Maildir (``cur/``, ``:2,S`` = seen, owned by Dovecot's mail user), not APPENDed one by
   one (that would take minutes); one SELECT then lets Dovecot index them before anything
   is timed. The database side is filled the same way: one PROCESSED ReceivedEmail row per
   UID, inserted in bulk (no blobs: a run with nothing new never reads them).

``--profile`` adds where the time of (b) goes: one more in-process run under cProfile, its
own time summed by area (IMAP, MIME parsing, blob store, database, handler, other).

Each timing is the median of ``--runs`` repetitions (fresh mailbox and database for the
throughput runs). The machine is shared and noisy: the ratios mean more than the absolute
figures. Needs Dovecot (``apt-get install -y dovecot-imapd``); never run by CI.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import email.message
import hashlib
import io
import os
import pstats
import pwd
import random
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from imapclient import IMAPClient  # noqa: E402

from mailstore import models as m  # noqa: E402
from mailstore.api import Store  # noqa: E402
from mailstore.config import load_config  # noqa: E402
from runtime import cli  # noqa: E402
from runtime.context import context_for  # noqa: E402
from runtime.ingest import ingest  # noqa: E402
from tests.servers import TestCA  # noqa: E402
from tests.servers.dovecot import DovecotServer, DovecotUser  # noqa: E402

HANDLER = REPO / "examples" / "invoices" / "handler.jexl"
BATCH = 50


# --- messages -------------------------------------------------------------------------------


def invoice(number: int, attachments: int, attachment_kb: int, rng: random.Random) -> bytes:
    """An invoice e-mail with *attachments* PDF-like attachments of *attachment_kb* KB."""
    msg = email.message.EmailMessage()
    msg["From"] = "Jana Dodavatelová <jana@dodavatel.cz>"
    msg["To"] = "faktury@example.com"
    msg["Subject"] = f"Faktura {2026000 + number}"
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0100"
    msg["Message-ID"] = f"<invoice-{number}-{rng.getrandbits(32):08x}@dodavatel.cz>"
    msg.set_content(f"Dobrý den,\n\nv příloze posíláme fakturu č. {number}.\n\nJana\n")
    for n in range(attachments):
        body = b"%PDF-1.4\n" + rng.randbytes(attachment_kb * 1024)
        msg.add_attachment(
            body, maintype="application", subtype="pdf", filename=f"faktura-{number}-{n}.pdf"
        )
    return msg.as_bytes()


def small(number: int) -> bytes:
    """A small plain message for the big idle mailbox."""
    return (
        f"From: alice@example.com\r\nTo: invoices@example.com\r\nSubject: message {number}\r\n"
        f"Date: Mon, 02 Nov 2026 10:00:00 +0100\r\nMessage-ID: <idle-{number}@example.com>\r\n"
        f"\r\nbody {number}\r\n"
    ).encode()


# --- the environment ------------------------------------------------------------------------


def client(server: DovecotServer, user: DovecotUser) -> IMAPClient:
    """A bare imapclient connection over implicit TLS, logged in (what a script would do)."""
    context = ssl.create_default_context(cafile=str(server.ca.ca_file))
    box = IMAPClient(server.host, port=server.ssl_port, ssl=True, ssl_context=context)
    box.login(user.name, user.password)
    return box


def make_config(folder: Path) -> Path:
    """A mailwright.toml in *folder* (SQLite, the INVOICES handler); return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "mailwright.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{folder / "mw.db"}"\n'
        f'[handler]\nscript = "{HANDLER}"\n'
        f'[secrets]\nkeyFile = "{folder / "secret.key"}"\n'
        f'[log]\nfile = "{folder / "ingest.log"}"\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    return config


def add_account(config: Path, server: DovecotServer, user: DovecotUser) -> None:
    """Migrate the store and add the IMAP account of *user* (purpose INVOICES)."""
    with Store.open(load_config(config), migrate=True) as store:
        credential = m.Credential.create(
            name="cred",
            kind="password",
            username=user.name,
            secret=store.secrets.encrypt(user.password),
        )
        m.MailAccount.create(
            name="bench",
            address=user.name,
            purpose="INVOICES",
            sourceKind="imap",
            host=server.host,
            port=server.ssl_port,
            security="ssl",
            caFile=str(server.ca.ca_file),
            credential=credential,
            afterProcessing="seen",
            imapKeywords=True,
        )


def check_ingested(config: Path, expected: int) -> None:
    """Fail loudly when the run did not store and handle every message."""
    with Store.open(load_config(config)) as store:
        states = [r.state for r in m.ReceivedEmail.select(m.ReceivedEmail.state)]
        documents = store.model("SubmittedDocument").select().count()
    if states.count("PROCESSED") != expected or documents != expected:
        raise SystemExit(
            f"the run did not finish: {len(states)} stored, {states.count('PROCESSED')} "
            f"processed, {documents} documents, {expected} expected (see {config.parent})"
        )


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# --- 1. throughput --------------------------------------------------------------------------


def bare_fetch(server: DovecotServer, user: DovecotUser) -> int:
    """Fetch every message of INBOX with BODY.PEEK[] in batches; return how many."""
    box = client(server, user)
    try:
        box.select_folder("INBOX")
        uids = box.search("ALL")
        count = 0
        for start in range(0, len(uids), BATCH):
            got = box.fetch(uids[start : start + BATCH], ["BODY.PEEK[]"])
            count += sum(1 for data in got.values() if data.get(b"BODY[]"))
        return count
    finally:
        box.logout()


def ingest_subprocess(config: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "ingest", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"mailwright ingest failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )


#: CPU seconds of the last `ingest_in_process` (every thread of this process)
LAST_CPU = [0.0]


def ingest_in_process(config: Path) -> None:
    cpu = time.process_time()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        status = cli.main(["ingest", "--config", str(config)])
    LAST_CPU[0] = time.process_time() - cpu
    if status != 0:
        raise SystemExit(f"mailwright ingest failed in-process ({status}):\n{out.getvalue()}")


#: where the time of an ingestion run goes: (area, substrings of the code's file name)
AREAS = [
    (
        "IMAP (imapclient, TLS, mailstore.imap)",
        ("imapclient", "imaplib", "ssl.py", "socket.py", "mailstore/imap.py", "_ssl"),
    ),
    (
        "MIME parsing (mailstore.mime, email)",
        (
            "mailstore/mime.py",
            "mailstore/htmltext",
            "mailstore/tnef",
            "/email/",
            "base64",
            "quopri",
        ),
    ),
    (
        "blob store (files, fsync)",
        (
            "mailstore/blobs.py",
            "posix.fsync",
            "posix.open",
            "posix.mkdir",
            "posix.replace",
            "posix.rename",
            "hashlib",
        ),
    ),
    (
        "database (peewee, sqlite3/psycopg2)",
        (
            "peewee",
            "sqlite3",
            "psycopg2",
            "mailstore/db",
            "mailstore/models",
            "mailstore/receive.py",
        ),
    ),
    (
        "handler (scriptengine, runtime.session)",
        (
            "scriptengine",
            "<jexl:",
            "runtime/session",
            "runtime/bindings",
            "runtime/records",
            "runtime/email",
            "runtime/functions",
        ),
    ),
]


def profile_areas(server: DovecotServer, work: Path, messages: list[bytes]) -> None:
    """Profile one in-process run and print the share of each `AREAS` (own time)."""
    user = server.add_user()
    server.append(user, messages)
    bare_fetch(server, user)
    config = make_config(work / "profile")
    add_account(config, server, user)
    profiler = cProfile.Profile()
    profiler.enable()
    ingest_in_process(config)
    profiler.disable()
    check_ingested(config, len(messages))
    totals: dict[str, float] = {}
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in stats.items():
        where = f"{filename} {name}"
        area = next((a for a, keys in AREAS if any(k in where for k in keys)), "other")
        totals[area] = totals.get(area, 0.0) + own
    whole = sum(totals.values())
    print(f"  where the time of (b) goes (cProfile, own time, {whole:.2f} s in all):")
    for area, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        per = seconds / len(messages) * 1000
        print(f"    {area:42s} {seconds / whole:6.1%}  {per:6.2f} ms/message")


def timed_ingest(
    server: DovecotServer, user: DovecotUser, folder: Path, expected: int, in_process: bool
) -> float:
    """Seconds of one full ``mailwright ingest`` of *user*'s INBOX into a fresh store."""
    config = make_config(folder)
    add_account(config, server, user)
    started = time.perf_counter()
    if in_process:
        ingest_in_process(config)
    else:
        ingest_subprocess(config)
    seconds = time.perf_counter() - started
    check_ingested(config, expected)
    return seconds


def throughput(server: DovecotServer, work: Path, args: argparse.Namespace) -> None:
    rng = random.Random(5)
    messages = [invoice(n, args.attachments, args.attachment_kb, rng) for n in range(args.messages)]
    size = sum(len(raw) for raw in messages) / len(messages)
    print(
        f"throughput: {args.messages} messages of {size / 1024:.0f} KB "
        f"({args.attachments} attachments of {args.attachment_kb} KB), median of {args.runs}"
    )
    bare: list[float] = []
    full: list[float] = []
    inproc: list[float] = []
    cpu: list[float] = []
    for run in range(args.runs):
        first, second = server.add_user(), server.add_user()
        for user in (first, second):
            server.append(user, messages)
            # a first fetch warms Dovecot's caches for both, as a previous run would have
            count = bare_fetch(server, user)
            if count != args.messages:
                raise SystemExit(f"the bare loop fetched {count} of {args.messages} messages")
        started = time.perf_counter()
        bare_fetch(server, first)
        bare.append(time.perf_counter() - started)
        full.append(timed_ingest(server, first, work / f"run{run}-sub", args.messages, False))
        inproc.append(timed_ingest(server, second, work / f"run{run}-in", args.messages, True))
        cpu.append(LAST_CPU[0])
    a = args.messages / statistics.median(bare)
    b = args.messages / statistics.median(full)
    c = args.messages / statistics.median(inproc)
    print(f"  (a) bare imapclient fetch      {a:8.1f} msg/s  ({statistics.median(bare):.3f} s)")
    print(f"  (b) mailwright ingest          {b:8.1f} msg/s  ({statistics.median(full):.3f} s)")
    print(f"      ... in-process (no start)  {c:8.1f} msg/s  ({statistics.median(inproc):.3f} s)")
    print(f"  ratio b/a = {b / a:.2f} (in-process {c / a:.2f}; target >= 0.5)")
    per = statistics.median(cpu) / args.messages * 1000
    print(f"  CPU of the in-process run: {per:.2f} ms/message (all threads)")
    if args.profile:
        profile_areas(server, work, messages)


# --- 2. nothing new in a big mailbox --------------------------------------------------------


def fill_maildir(server: DovecotServer, user: DovecotUser, count: int) -> None:
    """Write *count* seen messages straight into the user's INBOX Maildir (see the docstring)."""
    home = server.root / "mail" / user.name  # maildir:<root>/mail/%u:LAYOUT=fs: INBOX is here
    owner = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    for sub in ("cur", "new", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    stamp = int(time.time()) - count
    for n in range(count):
        raw = small(n)
        name = f"{stamp + n}.M{n}P1.bench,S={len(raw)}:2,S"
        (home / "cur" / name).write_bytes(raw)
    if os.geteuid() == 0:
        for path in [home, *home.rglob("*")]:
            os.chown(path, owner.pw_uid, owner.pw_gid)


def fill_database(config: Path, server: DovecotServer, user: DovecotUser) -> int:
    """One PROCESSED ReceivedEmail per message in INBOX; return how many."""
    box = client(server, user)
    try:
        uidvalidity = int(box.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"])
        uids = sorted(box.search("ALL"))
    finally:
        box.logout()
    with Store.open(load_config(config)) as store:
        account = m.MailAccount.get(m.MailAccount.name == "bench")
        rows = [
            {
                "mailAccount": account.id,
                "folder": "INBOX",
                "uidvalidity": uidvalidity,
                "uid": uid,
                "sha256": hashlib.sha256(b"%d" % uid).hexdigest(),
                "subject": f"message {uid}",
                "state": "PROCESSED",
            }
            for uid in uids
        ]
        with store.atomic():
            for start in range(0, len(rows), 500):
                m.ReceivedEmail.insert_many(rows[start : start + 500]).execute()
    return len(uids)


def bare_search(server: DovecotServer, user: DovecotUser) -> int:
    box = client(server, user)
    try:
        box.select_folder("INBOX")
        return len(box.search("ALL"))
    finally:
        box.logout()


def idle(server: DovecotServer, work: Path, args: argparse.Namespace) -> None:
    user = server.add_user()
    fill_maildir(server, user, args.idle)
    found = bare_search(server, user)  # Dovecot indexes the new files here, untimed
    if found != args.idle:
        raise SystemExit(f"Dovecot sees {found} of the {args.idle} messages written")
    config = make_config(work / "idle")
    add_account(config, server, user)
    stored = fill_database(config, server, user)
    print(f"nothing new: a mailbox of {stored} messages, all stored, median of {args.runs}")
    config_data = load_config(config)
    store = Store.open(config_data)
    ctx = context_for(config_data, store)
    try:
        # the first run writes $MailwrightDone on every message (the files have no keywords,
        # as after a crash before any outcome was written) and warms the handler cache
        started = time.perf_counter()
        first = ingest(ctx).accounts[0]
        print(
            f"  first run: $MailwrightDone written on {first.actions} message(s) "
            f"in {time.perf_counter() - started:.2f} s"
        )
        bare: list[float] = []
        full: list[float] = []
        for _ in range(args.runs):
            bare.append(timed(lambda: bare_search(server, user)))
            started = time.perf_counter()
            report = ingest(ctx)
            full.append(time.perf_counter() - started)
            account = report.accounts[0]
            if not account.ok or account.stored or account.actions:
                raise SystemExit(f"a run with nothing new did something: {account}")
    finally:
        ctx.close()
    command = statistics.median(timed(lambda: ingest_subprocess(config)) for _ in range(args.runs))
    b, f = statistics.median(bare), statistics.median(full)
    print(f"  bare connect+login+select+UID SEARCH ALL  {b * 1000:8.1f} ms")
    print(f"  mailwright ingestion run (in-process)     {f * 1000:8.1f} ms  (target < 1000 ms)")
    print(f"  ratio run/bare = {f / b:.2f} (target <= 3)")
    print(f"  (the whole command, interpreter start included: {command * 1000:.0f} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages to ingest")
    parser.add_argument("--attachments", type=int, default=2, help="attachments per message")
    parser.add_argument("--attachment-kb", type=int, default=40, help="size of each attachment")
    parser.add_argument("--idle", type=int, default=10_000, help="messages of the idle mailbox")
    parser.add_argument("--runs", type=int, default=3, help="repetitions (the median counts)")
    parser.add_argument("--only", choices=("throughput", "idle"), help="one part only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--profile", action="store_true", help="also show where the time of (b) goes"
    )
    args = parser.parse_args(argv)
    if shutil.which("dovecot") is None:
        print("dovecot is not installed (apt-get install -y dovecot-imapd)", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="mailwright-bench-"))
    root.chmod(0o755)
    server = DovecotServer.start(root / "dovecot", TestCA.create(root / "ca"), tls=True)
    try:
        if args.only in (None, "throughput"):
            throughput(server, root / "work", args)
        if args.only in (None, "idle"):
            idle(server, root / "work", args)
    finally:
        server.stop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
