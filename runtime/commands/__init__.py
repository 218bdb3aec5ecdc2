"""One module per ``mailwright`` command (or group of commands).

Each module is named after its command and defines ``NAME`` (the sub-command), ``HELP``
(one line), ``add_arguments(parser)`` and ``run(args, console) -> int`` (the exit status).
``cli.py`` finds them here, so a new command is a new module and nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_names() -> list[str]:
    """The command names, from the module files alone (nothing is imported)."""
    return sorted(i.name for i in pkgutil.iter_modules(__path__) if not i.name.startswith("_"))


def command_module(name: str) -> ModuleType | None:
    """The module of command ``name``, imported now; None when there is no such command.

    Importing one command instead of all keeps a cron run's start-up short: the commands
    between them import the store, the engine, IMAP, OAuth2 and the REPL."""
    if name not in command_names():
        return None
    module = importlib.import_module(f"{__name__}.{name}")
    return module if hasattr(module, "NAME") and hasattr(module, "run") else None


def command_modules() -> list[ModuleType]:
    """Every command module of this package, sorted by command name."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            found.append(module)
    return sorted(found, key=lambda m: m.NAME)
