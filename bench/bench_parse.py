"""parse_email with runs of base64 lines folded (mailstore.mimefast) vs line by line.

    python bench/bench_parse.py [--messages 200] [--attachments 2] [--attachment-kb 40] [--runs 7]

Parses the invoices of the ingestion benchmark (`bench_ingest.invoice`: a short text body
and ``--attachments`` PDF-like base64 attachments of ``--attachment-kb`` KB each) with
``parse_email`` (folded) and with ``mime._parse_email(..., fast=False)`` (the
feedparser reading every line), timed alternately in the same process, ``--runs`` times
each. Prints messages per second of each (median of the runs), the median of the
per-run ratios slow/fast, and the CPU time the folded parse spends outside
``email.feedparser`` (folding, putting runs back, and building the ParsedEmail),
so that what is left to gain elsewhere is visible. Also checks that both give the same
ParsedEmail. The machine is noisy: the ratio means more than the absolute figures.

Then the same folded parse with the builder's speed-ups switched off
(``mime._FAST_BUILDER = False``: every answer asked of the ``email`` package, as before
they were written), timed alternately with them on: msg/s of each, the median ratio,
and the CPU time of building the ParsedEmail each way.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_ingest import invoice  # noqa: E402

from mailstore import mime, mimefast  # noqa: E402


def _fields(mail: mime.ParsedEmail) -> dict[str, Any]:
    found = {f.name: getattr(mail, f.name) for f in dataclasses.fields(mail)}
    found["headers"] = mail.headers.items()
    return found


def _time(messages: list[bytes], fast: bool) -> float:
    start = time.process_time()
    for raw in messages:
        mime._parse_email(raw, None, fast=fast)
    return time.process_time() - start


def _time_parts(messages: list[bytes]) -> tuple[float, float, float]:
    """Return CPU seconds of (fold, feedparser + putting back, whole parse_email)."""
    fold = tree = whole = 0.0
    for raw in messages:
        start = time.process_time()
        mimefast.fold(raw)
        fold += time.process_time() - start
        start = time.process_time()
        mimefast.parse_folded(raw, mime._new_parser)
        tree += time.process_time() - start
        start = time.process_time()
        mime.parse_email(raw)
        whole += time.process_time() - start
    return fold, tree - fold, whole


def _builder_time(messages: list[bytes], fast: bool) -> float:
    """Return CPU seconds of building the ParsedEmails of already parsed trees."""
    saved = mime._FAST_BUILDER
    mime._FAST_BUILDER = fast
    try:
        trees = [mimefast.parse_folded(raw, mime._new_parser) for raw in messages]
        start = time.process_time()
        for raw, tree in zip(messages, trees, strict=True):
            mime._Builder(tree, mime.ParsedEmail(len(raw), ""), None).build()  # type: ignore[arg-type]
        return time.process_time() - start
    finally:
        mime._FAST_BUILDER = saved


def _compare_builders(messages: list[bytes], runs: int) -> None:
    """Print parse_email's msg/s with the builder's speed-ups on and off, and the builder's CPU."""
    saved = mime._FAST_BUILDER
    plain_runs, fast_runs = [], []
    try:
        for _ in range(runs):
            mime._FAST_BUILDER = False
            plain_runs.append(_time(messages, True))
            mime._FAST_BUILDER = True
            fast_runs.append(_time(messages, True))
    finally:
        mime._FAST_BUILDER = saved
    n = len(messages)
    ratio = statistics.median(s / f for s, f in zip(plain_runs, fast_runs, strict=True))
    print(f"folded, builder as before  {n / statistics.median(plain_runs):7.0f} msg/s")
    print(f"folded, builder speed-ups  {n / statistics.median(fast_runs):7.0f} msg/s")
    print(f"ratio                      {ratio:7.2f}x")
    plain = statistics.median(_builder_time(messages, False) for _ in range(3)) / n * 1e6
    fast = statistics.median(_builder_time(messages, True) for _ in range(3)) / n * 1e6
    print(f"building the ParsedEmail per message: before {plain:.0f} us, now {fast:.0f} us")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--attachments", type=int, default=2)
    parser.add_argument("--attachment-kb", type=int, default=40)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(5)
    messages = [invoice(i, args.attachments, args.attachment_kb, rng) for i in range(args.messages)]
    for raw in messages[:10]:
        if _fields(mime.parse_email(raw)) != _fields(mime._parse_email(raw, None, fast=False)):
            raise SystemExit("the folded parse differs from the line-by-line parse")
        mime._FAST_BUILDER = False
        plain = _fields(mime.parse_email(raw))
        mime._FAST_BUILDER = True
        if _fields(mime.parse_email(raw)) != plain:
            raise SystemExit("the builder's speed-ups change the ParsedEmail")
    _time(messages[:20], True)  # warm-up
    _time(messages[:20], False)
    slow_runs, fast_runs = [], []
    for _ in range(args.runs):
        slow_runs.append(_time(messages, False))
        fast_runs.append(_time(messages, True))
    ratio = statistics.median(s / f for s, f in zip(slow_runs, fast_runs, strict=True))
    n = len(messages)
    size = sum(map(len, messages)) / n / 1024
    print(f"{n} invoices of {size:.0f} KB, {args.attachments} base64 attachments each")
    print(f"line by line  {n / statistics.median(slow_runs):7.0f} msg/s")
    print(f"folded        {n / statistics.median(fast_runs):7.0f} msg/s")
    print(f"ratio         {ratio:7.2f}x")
    fold, tree, whole = _time_parts(messages)
    print(
        f"folded parse per message: fold {fold / n * 1e6:.0f} us, feedparser + putting back "
        f"{tree / n * 1e6:.0f} us, the rest (building the ParsedEmail) "
        f"{(whole - fold - tree) / n * 1e6:.0f} us"
    )
    _compare_builders(messages, args.runs)
    if mimefast.counts.fallbacks:
        raise SystemExit(f"the safety net tripped: {mimefast.counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
