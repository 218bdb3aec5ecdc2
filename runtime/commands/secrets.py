"""``mailwright secrets rotate``: every stored secret re-encrypted under a new key, proved
by decrypting them all with the new key read back from the key file. The logic, and the
order that keeps a crash harmless, are in ``mailstore.rotation``."""

from __future__ import annotations

import argparse
import os

from rich.console import Console

from mailstore.rotation import RotationError, RotationReport, rotate_environment, rotate_key_file
from mailstore.secrets import ENV_VAR

from ..context import open_context
from ._common import UsageError, add_action

NAME = "secrets"
HELP = "rotate the secret key that encrypts stored passwords and tokens"
DESCRIPTION = (
    "`mailwright secrets rotate` makes a new key, re-encrypts every stored secret "
    "(credentials' passwords, client secrets and token caches, mailwright's own keys) under "
    "it in one transaction, writes it to the key file (secrets.keyFile) and keeps the old "
    "key next to it as KEYFILE.old-<time> (mode 0600). Secrets keep their values: reply "
    "tokens stay valid. With MAILWRIGHT_SECRET_KEY set it says what to set instead."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="secrets_command", metavar="ACTION")
    add_action(sub, "rotate", "re-encrypt every stored secret under a new key")


def _counts(report: RotationReport) -> str:
    if not report.total:
        return "no stored secrets"
    parts = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items()))
    return f"{report.total} secrets ({parts})"


def run(args: argparse.Namespace, console: Console) -> int:
    if getattr(args, "secrets_command", None) != "rotate":
        raise UsageError("say what to do: rotate")
    say = console.print
    with open_context(args.config) as ctx:
        try:
            if os.environ.get(ENV_VAR):
                report = rotate_environment(ctx.store)
                say(
                    f"re-encrypted {_counts(report)} under the first key of {ENV_VAR}, and "
                    "decrypted every one with that key alone",
                    markup=False,
                )
                say(
                    f"now set {ENV_VAR} to its first key only (drop the old key after the "
                    "comma) wherever mailwright runs; keep the old key with the database "
                    "backups made before today, apart from them",
                    markup=False,
                )
                return 0
            key_file = ctx.config.key_file
            if key_file is None:  # pragma: no cover - load_config always sets one
                raise UsageError("no secrets.keyFile in the configuration")
            report = rotate_key_file(ctx.store, key_file)
        except RotationError as err:
            say(f"mailwright secrets rotate: {err}", markup=False)
            return 1
    say(f"re-encrypted {_counts(report)} under a new key in {report.key_file}", markup=False)
    if report.caught_up:
        say(
            f"({report.caught_up} written under the old key meanwhile were re-encrypted too)",
            markup=False,
        )
    say(
        f"proved: the new key, read back from {report.key_file}, decrypts every stored secret",
        markup=False,
    )
    say(
        f"the old key is in {report.backup} (mode 0600): database backups made before now "
        "need it; keep it apart from them, like the key itself, and delete it once they "
        "are gone. Restart running mailwright processes (a cron run picks it up by itself)",
        markup=False,
    )
    return 0
