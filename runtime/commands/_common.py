"""What several commands share: reading input files, the usage error."""

from __future__ import annotations

from pathlib import Path


class UsageError(Exception):
    """Bad usage or unreadable input: the command exits with status 2."""


def read_text(path: str) -> str:
    """The UTF-8 text of ``path``; ``UsageError`` naming the file when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
