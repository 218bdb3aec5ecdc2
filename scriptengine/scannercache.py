"""The scanner's tables kept on disk, so that a new process parses without loading Lark.

Loading Lark's own cached parser and building the ``Scanner`` from it take ~0.1 s of every
``mailwright`` process that compiles a handler (Lark rebuilds its parse table, rules and
lexers from its pickle). ``scanner.scanner_tables`` is plain data; written with ``marshal``
it loads in about a millisecond. ``load(key)`` and ``save(key, tables)`` keep one file per
key in this user's private folder of the temporary folder (`cache_dir`, with Lark's own
cache), named after a SHA-256 over everything the tables derive from (``cache_key``): the grammar, Lark's options
and version, the source of ``scanner.py`` and of this module, the Python version. A
grammar or code change is a new key, so a stale file is never read.

Traps: a file that does not load (truncated, another format, not a dict) is ignored and
the tables are built from Lark again; a file is written under a temporary name and renamed,
so a concurrent reader never sees half of one. The temporary folder is shared: the cache
lives in a folder of mode 0700 that this user owns (a planted file could change how
handlers parse, a FIFO would hang the open), and a file is read only when it is a plain
file, not a link, that nobody else may write. ``marshal`` builds plain values only, never
objects of arbitrary classes.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "cache_key", "load", "save"]

#: bump when the layout of the tables changes without a change to scanner.py
FORMAT = 1
#: the keys every tables dict has (a file without them is not ours)
_KEYS = frozenset(
    (
        "actions reductions expected start_states end_states ignored skip blank_starts "
        "multiline lexer_of lexers keywords"
    ).split()
)


def cache_key(grammar_path: Path, options: dict[str, Any], lark_version: str) -> str:
    """The SHA-256 (hex) of what the tables derive from; reads the grammar and the sources."""
    digest = hashlib.sha256()
    digest.update(
        f"{FORMAT} {sys.version_info[:2]} {lark_version} {sorted(options.items())}".encode()
    )
    digest.update(grammar_path.read_bytes())
    here = Path(__file__)
    digest.update(here.with_name("scanner.py").read_bytes())
    digest.update(here.read_bytes())
    return digest.hexdigest()


def cache_dir() -> Path | None:
    """This user's private cache folder (``mailwright-<uid>`` in the temporary folder, mode
    0700), made when missing; None when it cannot be made or is not private.

    Why a folder of its own: names in the shared temporary folder are predictable, so
    another user could put a FIFO there (an open would hang), or a link to an old file of
    ours; inside a folder only we may enter, nobody else can name anything. A folder of
    that name that is not ours, is a link or is open to others means no disk cache."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: per-user temporary folders already
        return Path(tempfile.gettempdir())
    folder = Path(tempfile.gettempdir()) / f"mailwright-{getuid()}"
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        status = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != getuid():
        return None
    if status.st_mode & 0o077:
        return None
    return folder


def _path(key: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / f"scanner-{key}.marshal"


def load(key: str) -> dict[str, Any] | None:
    """The tables saved under ``key``, or None (no private folder, no file, one that does
    not load, or one that is not a plain file of this user's alone)."""
    path = _path(key)
    if path is None:
        return None
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)  # never through a link, never blocking on a FIFO
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1 or _foreign(status):
                return None
            data = marshal.loads(file.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or set(data) != _KEYS:
        return None
    return data


def _foreign(status: os.stat_result) -> bool:
    """True when a file with this ``stat`` is not this user's alone to write."""
    getuid = getattr(os, "getuid", None)  # not on Windows: no owners to compare there
    if getuid is not None and status.st_uid != getuid():
        return True
    return bool(status.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def save(key: str, tables: dict[str, Any]) -> None:
    """Write ``tables`` under ``key``; silently nothing when the folder is not writable."""
    path = _path(key)
    if path is None:
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        data = marshal.dumps(tables)
    except ValueError:  # a value marshal cannot write (a callback Lark made otherwise)
        return
    try:
        # a new file (never through a link someone left there), writable by this user only
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:  # a read-only folder, or the name is taken
        return
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            temporary.unlink()
        except OSError:
            pass
