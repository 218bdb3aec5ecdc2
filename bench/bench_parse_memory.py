"""Peak memory of parsing a message with a 30 MB attachment, as a multiple of its size.

Run: ``python bench/bench_parse_memory.py [--mb 30]``. Prints one line per way of
handing the message over (bytes in memory, a file object, a file object stored with
``mailstore.receive.store_received`` into a SQLite store and its blob folder) with the
peak that tracemalloc saw, divided by the raw message size. The target is under 4x.
The bytes case counts the message itself (the caller holds it); the file cases do not.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailstore.mime import ParsedEmail, parse_email  # noqa: E402


def build_message(megabytes: int) -> bytes:
    """Return a raw message with a short text body and one ``megabytes`` MB PDF."""
    msg = EmailMessage()
    msg["From"] = "Jana Nováková <jana@example.cz>"
    msg["To"] = "faktury@example.cz"
    msg["Subject"] = "Velká příloha"
    msg.set_content("Dobrý den,\nv příloze je velký soubor.\n")
    msg.add_attachment(
        os.urandom(megabytes * 1024 * 1024),
        maintype="application",
        subtype="pdf",
        filename="velký soubor.pdf",
    )
    return msg.as_bytes()


def measure(label: str, raw_size: int, held: int, run: Callable[[], ParsedEmail]) -> float:
    """Run ``run()`` under tracemalloc; print and return (peak + ``held``) / ``raw_size``.

    ``held`` is memory the caller already holds for the message (the bytes it passes).
    """
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if not result.attachments or result.attachments[0].filename != "velký soubor.pdf":
        raise SystemExit(f"{label}: the attachment was not found: {result.parse_errors}")
    ratio = (peak + held) / raw_size
    print(
        f"{label:<20} message {raw_size / 1e6:6.1f} MB  peak {(peak + held) / 1e6:7.1f} MB"
        f"  {ratio:4.2f}x"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mb", type=int, default=30, help="attachment size in MB (default 30)")
    args = parser.parse_args()
    raw = build_message(args.mb)
    size = len(raw)
    # Warm up: modules imported on first use must not count as the message's memory.
    parse_email(build_message(0))
    ratios = [measure("parse from bytes", size, size, lambda: parse_email(raw))]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.eml"
        path.write_bytes(raw)

        def from_file() -> ParsedEmail:
            with path.open("rb") as handle:
                return parse_email(handle)

        ratios.append(measure("parse from a file", size, 0, from_file))
        ratios.append(store_ratio(path, Path(tmp) / "store", size))
    print(f"target under 4x: {'met' if max(ratios) < 4 else 'NOT met'}")
    return 0


def store_ratio(path: Path, folder: Path, size: int) -> float:
    """Peak of ``store_received`` on a file object (raw and attachment to blobs, rows)."""
    from mailstore import models
    from mailstore.api import Store
    from mailstore.receive import store_received

    store = Store.open(f"sqlite:///{folder / 'bench.db'}", blob_dir=folder / "blobs", migrate=True)
    try:
        account = models.MailAccount.create(name="bench", address="bench@example.cz")
        store_received(store, account, build_message(0), key="warm-up")
        tracemalloc.start()
        tracemalloc.reset_peak()
        with path.open("rb") as handle:
            row, _ = store_received(store, account, handle, key="big")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stored = models.ReceivedEmailAttachment.select().where(
            models.ReceivedEmailAttachment.receivedEmail == row
        )
        if stored.count() != 1:
            raise SystemExit("parse and store: the attachment was not stored")
    finally:
        store.close()
    ratio = peak / size
    label = "parse and store"
    print(f"{label:<20} message {size / 1e6:6.1f} MB  peak {peak / 1e6:7.1f} MB  {ratio:4.2f}x")
    return ratio


if __name__ == "__main__":
    raise SystemExit(main())
