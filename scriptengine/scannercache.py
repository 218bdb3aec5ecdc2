"""The scanner's tables kept on disk, so that a new process parses without loading Lark.

Loading Lark's own cached parser and building the ``Scanner`` from it take ~0.1 s of every
``mailwright`` process that compiles a handler (Lark rebuilds its parse table, rules and
lexers from its pickle). ``scanner.scanner_tables`` is plain data; written with ``marshal``
it loads in about a millisecond. ``load(key)`` and ``save(key, tables)`` keep one file per
key in the temporary folder (as Lark keeps its own cache), named after the user and a
SHA-256 over everything the tables derive from (``cache_key``): the grammar, Lark's options
and version, the source of ``scanner.py`` and of this module, the Python version. A
grammar or code change is a new key, so a stale file is never read.

Traps: a file that does not load (truncated, another format, not a dict) is ignored and
the tables are built from Lark again; a file is written under a temporary name and renamed,
so a concurrent reader never sees half of one. The temporary folder is shared: a file is
read only when it belongs to this user and nobody else may write it (a planted file could
change how handlers parse), and ``marshal`` builds plain values only, never objects of
arbitrary classes (Lark's own cache is a pickle).
"""

from __future__ import annotations

import getpass
import hashlib
import marshal
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["cache_key", "load", "save"]

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


def _path(key: str) -> Path:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name (a container): the uid will do
        user = str(os.getuid())
    return Path(tempfile.gettempdir()) / f".mailwright_scanner_{user}_{key}.marshal"


def load(key: str) -> dict[str, Any] | None:
    """The tables saved under ``key``, or None (no file, one that does not load, or one
    that another user owns or may write)."""
    path = _path(key)
    try:
        with path.open("rb") as file:
            status = os.fstat(file.fileno())
            if _foreign(status):
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
