"""``mailwright files get SHA256 -o PATH``: a stored file (an attachment, a record's file
or a raw message) out of the blob store, by its SHA-256 or a unique prefix of it."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

from rich.console import Console

from mailstore import models as m
from mailstore.api import Store
from mailstore.housekeeping import raw_message_status

from ..context import open_context
from ._common import UsageError, add_action

NAME = "files"
HELP = "get a stored file by its SHA-256"
DESCRIPTION = (
    "`mailwright files get SHA256 -o PATH` writes the stored file with that SHA-256 (as "
    "`records show`, `records --csv` and `emails show --json` give it; 8 or more leading "
    "hex digits do when they are unique) to PATH, or to standard output with -o -."
)

#: the shortest prefix accepted: fewer digits would too often name several files
MIN_PREFIX = 8
_HEX = re.compile(r"[0-9a-f]+\Z")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="files_command", metavar="ACTION")
    get = add_action(sub, "get", "write a stored file to a path or to standard output")
    get.add_argument("sha256", metavar="SHA256", help="the SHA-256, or 8+ of its first digits")
    get.add_argument(
        "-o", "--output", required=True, metavar="PATH", help="where to write it (- : stdout)"
    )


def resolve_sha(store: Store, text: str) -> str:
    """Return the full SHA-256 that *text* (all 64 digits, or a prefix of 8 or more) names.

    Known SHA-256s are those of file rows and raw messages, and blobs in the store; a
    prefix matching none or several raises `UsageError` saying so."""
    sha = text.strip().lower()
    if not _HEX.match(sha) or len(sha) > 64:
        raise UsageError(f"{text!r} is not a SHA-256 (64 hex digits) or a prefix of one")
    if len(sha) == 64:
        return sha
    if len(sha) < MIN_PREFIX:
        raise UsageError(f"give at least {MIN_PREFIX} hex digits of the SHA-256, not {len(sha)}")
    found: set[str] = set()
    for fld in (m.AttachedFile.sha256, m.ReceivedEmail.sha256):
        query = fld.model.select(fld).where(fld.startswith(sha)).distinct().limit(3)
        found.update(row[0] for row in query.tuples())
    if not found:  # an unreferenced blob still counts: gc has not removed it yet
        folder = store.blobs.root / sha[:2] / sha[2:4]
        if folder.is_dir():
            found.update(p.name for p in folder.iterdir() if p.name.startswith(sha))
    if not found:
        raise UsageError(f"no stored file has a SHA-256 starting with {sha}")
    if len(found) > 1:
        raise UsageError(
            f"{sha} is the start of several SHA-256s ({', '.join(sorted(found)[:3])}"
            f"{', ...' if len(found) > 2 else ''}); give more digits"
        )
    return found.pop()


def _missing(store: Store, sha: str) -> str:
    email = m.ReceivedEmail.get_or_none(m.ReceivedEmail.sha256 == sha)
    if email is not None:
        why = raw_message_status(store, email) or "raw message missing from the blob store"
        return f"{sha} is the raw message of e-mail #{email.id}: {why}"
    if m.AttachedFile.get_or_none(m.AttachedFile.sha256 == sha) is not None:
        return f"{sha}: the file is recorded but its content is missing from the blob store"
    return f"no stored file has SHA-256 {sha}"


def _write(store: Store, sha: str, output: str) -> int:
    with store.open_file(sha) as src:
        if output == "-":
            shutil.copyfileobj(src, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return store.blobs.size(sha)
        target = Path(output)
        if target.is_dir():
            raise UsageError(f"{output}: is a folder; give a file name")
        # a temporary file renamed into place: PATH is never left half-written
        tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
        try:
            with tmp.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(tmp, target)
        except FileNotFoundError:
            tmp.unlink(missing_ok=True)
            raise UsageError(f"{output}: its folder does not exist") from None
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise UsageError(f"{output}: cannot write ({err.strerror})") from None
        return target.stat().st_size


def run(args: argparse.Namespace, console: Console) -> int:
    if getattr(args, "files_command", None) != "get":
        raise UsageError("say what to do: get SHA256 -o PATH")
    with open_context(args.config) as ctx:
        sha = resolve_sha(ctx.store, args.sha256)
        if not ctx.store.blobs.exists(sha):
            raise UsageError(_missing(ctx.store, sha))
        size = _write(ctx.store, sha, args.output)
    if args.output != "-":
        console.print(f"wrote {size} bytes to {args.output}", markup=False)
    return 0
