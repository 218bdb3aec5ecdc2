"""``mailwright gc [--yes] [--json]``: list, then with ``--yes`` remove, what no record
needs and what the retention settings let go. The logic is ``mailstore.housekeeping``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from mailstore import housekeeping

from ..context import open_context

NAME = "gc"
HELP = "remove stored files no record uses, and what retention lets go (dry run first)"
DESCRIPTION = (
    "Lists what no record needs any more — blobs no file row or e-mail names, file rows "
    "nothing refers to, leftover temporary files — and what [retention] in "
    "mailwright.toml lets go: raw messages of PROCESSED e-mails older than rawMessageDays "
    "(the e-mail's row, parsed fields and attachments stay) and their script runs older "
    "than runDays (the newest run of each e-mail stays). Nothing is removed without "
    "--yes. Blobs and file rows younger than an hour are kept: an ingestion running now "
    "may be about to commit the rows that name them."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="remove what is listed")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def _size(n: int | None) -> str:
    """``512 bytes``, ``1.5 MB``."""
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def _summary(found: housekeeping.GcPlan) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"what": what, "count": count, "bytes": size} for what, count, size in found.rows()
    ]
    return rows


def run(args: argparse.Namespace, console: Console) -> int:
    with open_context(args.config) as ctx:
        config = ctx.config
        found = housekeeping.plan(
            ctx.store, raw_message_days=config.raw_message_days, run_days=config.run_days
        )
        done = housekeeping.apply(ctx.store, found) if args.yes and not found.empty else None
    young_count, young_bytes = found.young_blobs
    if args.json:
        out: dict[str, Any] = {
            "dryRun": not args.yes,
            "candidates": _summary(found),
            "keptYoung": {"count": young_count, "bytes": young_bytes},
            "rawMessageDays": config.raw_message_days,
            "runDays": config.run_days,
        }
        if done is not None:
            out["removed"] = {
                "blobs": done.blobs,
                "blobBytes": done.blob_bytes,
                "rawMessages": done.raw_messages,
                "rawBytes": done.raw_bytes,
                "fileRows": done.file_rows,
                "runs": done.runs,
                "tmpFiles": done.tmp_files,
                "skipped": done.skipped,
            }
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    title = "removed" if args.yes else "would remove (dry run: add --yes to remove)"
    table = Table("what", "count", "size", title=title, title_justify="left")
    for what, count, size in found.rows():
        table.add_row(what, str(count), _size(size) if count else "-")
    console.print(table)
    raw = f"{config.raw_message_days} days" if config.raw_message_days else "forever"
    runs = f"{config.run_days} days" if config.run_days else "forever"
    console.print(
        f"retention: raw messages of PROCESSED e-mails {raw}, their script runs {runs} "
        "(the newest run of each e-mail is kept); [retention] in mailwright.toml",
        markup=False,
    )
    if young_count:
        console.print(
            f"kept: {young_count} unreferenced blobs ({_size(young_bytes)}) younger than "
            f"{int(found.grace.total_seconds() // 60)} minutes (an ingestion may be about to "
            "use them; the next gc looks again)",
            markup=False,
        )
    if found.empty:
        console.print("nothing to remove", markup=False)
    elif done is not None and done.skipped:
        console.print(
            f"{done.skipped} candidates were kept: a record started to use them meanwhile",
            markup=False,
        )
    return 0
