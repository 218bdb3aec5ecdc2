"""What several commands share: the options every command takes, reading input files, the
usage error."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


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


def add_common_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """``--config FILE`` and ``--debug``. After the command's words (``after_command``) they
    default to SUPPRESS, so they never reset a value given before the command name
    (``mailwright --config F run ...`` and ``mailwright run --config F ...`` both work)."""
    keep: dict[str, Any] = {"default": argparse.SUPPRESS} if after_command else {}
    parser.add_argument("--config", metavar="FILE", help="the mailwright.toml to use", **keep)
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors", **keep)


def add_action(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """An action of a command group (``accounts add``), taking the common options too."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    add_common_options(parser, after_command=True)
    return parser
