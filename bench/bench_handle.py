"""Handling a just-stored e-mail: the CPU of ``handle_email`` next to that of storing it.

    python bench/bench_handle.py --messages 300 --runs 3

Stores ``--messages`` invoice e-mails (`bench_ingest.invoice`: two PDF-like attachments
each) with ``mailstore.receive.store_received`` into a fresh SQLite store (or a fresh
schema of the PostgreSQL database of ``--database-url``), then runs the
INVOICES example handler (``examples/invoices/handler.jexl``) on each with
``runtime.ingest.handle_email``, passing the row the store step returned (as the IMAP run
does). Both steps run in this process; no server is involved.

Printed: CPU milliseconds (``time.process_time``, every thread of the process: the
store step's blob writers too) per message of storing and of handling, and the ratio
handle/store (the handler's share of an ingestion's CPU, in the same run); the wall time
of handling is printed too. CPU, not wall time, is the measure: the machine is shared,
and the commit's fsync is the disk's, not ours. Each
figure is the median of ``--runs`` repetitions, each on a fresh store. ``--profile`` prints
the cumulative profile of the handling passes (our code only). To compare two versions of
the code, run a copy of this file in each tree (``git archive`` one into a folder): it
measures the tree it sits in, and the store step is the baseline the ratios share. Never
run by CI.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime as dt
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--attachments", type=int, default=2)
    parser.add_argument("--attachment-kb", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL URL: each run gets a schema of its own there (default: SQLite)",
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (tottime, ...)")
    return parser.parse_args(argv)


#: whether each message must have made one SubmittedDocument (the INVOICES handler)
_check = True


def _one_run(
    args: argparse.Namespace, messages: list[bytes], profile: bool = False
) -> tuple[float, float, float]:
    """CPU seconds of storing and of handling every message, and wall seconds of handling
    them, on a fresh store."""
    import bench_ingest

    from mailstore import models as m
    from mailstore.api import Store
    from mailstore.config import load_config
    from mailstore.db import open_database
    from mailstore.receive import store_received
    from runtime.context import context_for
    from runtime.ingest import handle_email, load_handler

    work = Path(tempfile.mkdtemp(prefix="bench-handle-"))
    schema = None
    try:
        config = load_config(bench_ingest.make_config(work))
        if args.database_url:
            schema = "bench_" + uuid.uuid4().hex[:12]
            admin: Any = open_database(args.database_url)  # peewee is untyped
            admin.execute_sql(f'CREATE SCHEMA "{schema}"')
            admin.close()
            sep = "&" if "?" in args.database_url else "?"
            url = f"{args.database_url}{sep}options={quote('-csearch_path=' + schema)}"
            config = dataclasses.replace(config, database_url=url, blob_dir=work / "blobs")
        store = Store.open(config, migrate=True)
        ctx = context_for(config, store)
        try:
            account = m.MailAccount.create(
                name="bench",
                address="faktury@example.com",
                purpose="INVOICES",
                sourceKind="imap",
                host="127.0.0.1",
                port=993,
                security="ssl",
                afterProcessing="seen",
            )
            handler = load_handler(ctx, account)
            assert handler.script is not None, handler.error
            rows: list[Any] = []
            started = time.process_time()
            for uid, raw in enumerate(messages, 1):
                row, _ = store_received(store, account, raw, folder="INBOX", uidvalidity=1, uid=uid)
                rows.append(row)
            stored = time.process_time() - started
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            profiler = cProfile.Profile() if profile else None
            started, wall = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            states = [handle_email(ctx, handler, row.id, now, row=row) for row in rows]
            if profiler is not None:
                profiler.disable()
            handled, wall = time.process_time() - started, time.perf_counter() - wall
            if profiler is not None:
                stats = pstats.Stats(profiler)
                stats.sort_stats(args.sort).print_stats(
                    r"mailwright|work/main|peewee|sqlite|psycopg", 45
                )
            documents = store.model("SubmittedDocument").select().count()
            if states.count("PROCESSED") != len(messages) or (
                _check and documents != len(messages)
            ):
                raise SystemExit(f"not every message was handled: {states[:5]}, {documents}")
            return stored, handled, wall
        finally:
            ctx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if schema is not None:
            dropper: Any = open_database(args.database_url)
            dropper.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            dropper.close()


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    sys.path[:0] = [str(HERE.parent), str(HERE)]
    import bench_ingest

    rng = random.Random(5)
    messages = [
        bench_ingest.invoice(i, args.attachments, args.attachment_kb, rng)
        for i in range(args.messages)
    ]
    _one_run(args, messages[:20])  # warm-up: imports, compiled SQL, caches
    results = [_one_run(args, messages, args.profile and not k) for k in range(args.runs)]
    store_s = statistics.median(r[0] for r in results)
    handle_s = statistics.median(r[1] for r in results)
    wall_s = statistics.median(r[2] for r in results)
    n = len(messages)
    print(f"tree: {HERE.parent}, database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    print(f"messages: {n}, {args.attachments} attachments of {args.attachment_kb} KB each")
    print(f"store_received: {store_s / n * 1000:6.3f} ms/message CPU")
    print(
        f"handle_email:   {handle_s / n * 1000:6.3f} ms/message CPU "
        f"({wall_s / n * 1000:.3f} ms wall, the commit's fsync and the server included)"
    )
    print(f"ratio handle/store (CPU): {handle_s / store_s:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
