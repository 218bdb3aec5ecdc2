"""What a command needs to work: the config, the open store, the handler engine, the limits.

Every command takes ``--config FILE``, else ``MAILWRIGHT_CONFIG``, else
``./mailwright.toml`` (`mailstore.config.find_config`). ``run``, ``check``, ``repl`` and
``test`` also work with none: `open_context` then makes a throwaway store (a SQLite
database with the default schema in a temporary folder, removed by `AppContext.close`).

Example::

    with open_context(args.config, throwaway_ok=True) as ctx:
        report = run_file("h.jexl", source, context=ctx, eml=raw)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from mailstore.api import Store
from mailstore.config import Config, ConfigError, find_config, load_config
from scriptengine import Engine, Limits

from .bindings import handler_engine
from .commands._common import UsageError
from .dates import resolve_zone


@dataclass
class AppContext:
    """An open store with its config, engine, time zone and per-run limits."""

    config: Config
    store: Store
    engine: Engine
    zone: dt.tzinfo
    limits: Limits
    #: the temporary folder of a throwaway store (removed on close), else None
    throwaway: tempfile.TemporaryDirectory[str] | None = None

    @property
    def is_throwaway(self) -> bool:
        """True for a store that disappears on close (no configuration was found)."""
        return self.throwaway is not None

    def close(self) -> None:
        """Close the store and remove a throwaway folder."""
        self.store.close()
        if self.throwaway is not None:
            self.throwaway.cleanup()
            self.throwaway = None

    def __enter__(self) -> AppContext:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def resolve_config(cli_path: str | Path | None) -> Config | None:
    """The config named by ``--config``, ``MAILWRIGHT_CONFIG`` or ``./mailwright.toml``,
    loaded and checked; None when there is none. ``UsageError`` (exit 2) for a named file
    that is missing or a file that cannot be used."""
    try:
        path = find_config(cli_path)
        return None if path is None else load_config(path)
    except ConfigError as err:
        raise UsageError(str(err)) from None


def run_limits(config: Config) -> Limits:
    """The per-run limits: the defaults with what the config's ``[limits]`` sets."""
    allowed = {f.name for f in dataclasses.fields(Limits)}
    chosen: dict[str, Any] = {k: v for k, v in config.limits.items() if k in allowed}
    return dataclasses.replace(Limits(), **chosen)


def context_for(
    config: Config, store: Store, throwaway: tempfile.TemporaryDirectory[str] | None = None
) -> AppContext:
    """An `AppContext` over an already open ``store``."""
    zone = resolve_zone(config.time_zone)
    engine = handler_engine(store.schema, zone)
    return AppContext(config, store, engine, zone, run_limits(config), throwaway)


def throwaway_context() -> AppContext:
    """A store that lives for one command: SQLite in a temporary folder, default schema,
    migrated."""
    folder = tempfile.TemporaryDirectory(prefix="mailwright-")
    try:
        config = Config.defaults(folder.name)
        store = Store.open(config, migrate=True)
    except BaseException:
        folder.cleanup()
        raise
    return context_for(config, store, folder)


def open_context(
    cli_path: str | Path | None, *, throwaway_ok: bool = False, migrate: bool = False
) -> AppContext:
    """The context of a command: the configured store, else (``throwaway_ok``) a throwaway
    one, else ``UsageError`` saying how to make a config (``mailwright init``).

    ``migrate``: bring the configured database up to date first; without it a database
    that needs ``mailwright db migrate`` is an error saying so."""
    config = resolve_config(cli_path)
    if config is None:
        if throwaway_ok:
            return throwaway_context()
        raise UsageError(
            "no mailwright.toml here: give --config FILE, set MAILWRIGHT_CONFIG, "
            "or make one with `mailwright init DIR`"
        )
    store = Store.open(config, migrate=migrate)
    try:
        return context_for(config, store)
    except BaseException:
        store.close()
        raise
