"""``mailwright.toml``: the installation's settings, read and checked in one place.

Every setting is optional; relative paths are relative to the config file's folder::

    [database]
    url = "sqlite:///mailwright.db"      # or postgresql://user:pw@host/db
    [storage]
    blobs = "blobs"                      # folder of the content-addressed blob store
    schema = "schema.toml"               # entity schema; default: the shipped one
    [handler]
    script = "handler.jexl"              # the global handler script
    [limits]
    steps = 10000000                     # per run; also seconds, depth, items,
    maxMessageMB = 50                    # stringLength, memoryMB; bigger mail is SKIPPED
    [time]
    zone = "Europe/Prague"               # default: the machine's
    [retry]
    attempts = 5
    delays = ["1m", "10m", "1h", "6h"]   # durations: "30s", "10m", "6h", "2d" or seconds
    lease = "5m"
    [secrets]
    keyFile = "secret.key"               # MAILWRIGHT_SECRET_KEY wins over it
    [log]
    file = "mailwright.log"
    level = "INFO"
    [mail]
    trustedAuthservId = "mx.example.cz"
    smtpProperties = "mail.properties"   # the legacy Java .properties file
    autoRepliesPerHour = 10
    [retention]
    rawMessageDays = 365                 # 0: keep forever
    runDays = 90

Errors name the file and the setting: ``mailwright.toml: database.url: unknown database
kind 'mysql' ...``. Unknown sections and settings are errors too (a typo must not be
silently ignored).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_ENV_VAR",
    "Config",
    "ConfigError",
    "DEFAULT_FILE_NAME",
    "find_config",
    "load_config",
    "parse_duration",
]

CONFIG_ENV_VAR = "MAILWRIGHT_CONFIG"
DEFAULT_FILE_NAME = "mailwright.toml"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

#: section -> settings it may hold
_KNOWN: dict[str, set[str]] = {
    "database": {"url"},
    "storage": {"blobs", "schema"},
    "handler": {"script"},
    "limits": {"steps", "seconds", "depth", "items", "stringLength", "memoryMB", "maxMessageMB"},
    "time": {"zone"},
    "retry": {"attempts", "delays", "lease"},
    "secrets": {"keyFile"},
    "log": {"file", "level"},
    "mail": {"trustedAuthservId", "smtpProperties", "autoRepliesPerHour"},
    "retention": {"rawMessageDays", "runDays"},
}


class ConfigError(Exception):
    """Raised for a config file that cannot be found, read or used; names file and setting."""


@dataclass(frozen=True)
class Config:
    """The checked settings; paths are absolute. `Config.defaults` gives a config-less one."""

    #: the file read, or None for built-in defaults
    path: Path | None
    database_url: str
    blob_dir: Path
    #: the entity schema file; None: the shipped default schema
    schema_path: Path | None = None
    handler_script: Path | None = None
    #: per-run limits by `scriptengine.Limits` name (steps, seconds, depth, items,
    #: string_length, memory in bytes); only those the file sets
    limits: dict[str, int | float] = field(default_factory=dict)
    max_message_bytes: int = 50 * 1024 * 1024
    #: an IANA zone name; None: the machine's zone
    time_zone: str | None = None
    attempts: int = 5
    #: seconds to wait before retry 1, 2, ...; the last repeats
    retry_delays: tuple[float, ...] = (60.0, 600.0, 3600.0, 21600.0)
    lease_seconds: float = 300.0
    key_file: Path | None = None
    log_file: Path | None = None
    log_level: str = "INFO"
    trusted_authserv_id: str | None = None
    smtp_properties: Path | None = None
    auto_replies_per_hour: int = 10
    #: days to keep raw messages and script runs; 0: forever
    raw_message_days: int = 0
    run_days: int = 0

    @classmethod
    def defaults(cls, base_dir: str | Path) -> Config:
        """Return the settings used without a config file, with files in *base_dir*."""
        base = Path(base_dir).resolve()
        return cls(
            path=None,
            database_url=f"sqlite:///{base / 'mailwright.db'}",
            blob_dir=base / "blobs",
            key_file=base / "secret.key",
        )


def find_config(
    cli_path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Path | None:
    """Return the config file to use, or None when there is none.

    Order: *cli_path* (``--config FILE``), then ``MAILWRIGHT_CONFIG``, then
    ``./mailwright.toml``. A file named by the first two must exist (`ConfigError`
    otherwise); a missing ``./mailwright.toml`` just means no config.
    """
    env = os.environ if environ is None else environ
    if cli_path is not None:
        p = Path(cli_path)
        if not p.is_file():
            raise ConfigError(f"{p}: no such config file (given with --config)")
        return p
    named = env.get(CONFIG_ENV_VAR)
    if named:
        p = Path(named)
        if not p.is_file():
            raise ConfigError(f"{p}: no such config file (named by {CONFIG_ENV_VAR})")
        return p
    p = Path(cwd if cwd is not None else ".") / DEFAULT_FILE_NAME
    return p if p.is_file() else None


def parse_duration(value: Any, where: str) -> float:
    """Return *value* (``"10m"``, ``"6h"``, ``"2d"``, ``"30s"`` or a number of seconds) in seconds.

    Raises `ConfigError` with *where* (``file: section.key``) in front of the message.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ConfigError(f"{where}: must not be negative")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
    raise ConfigError(f'{where}: {value!r} is not a duration (like "30s", "10m", "6h", "2d")')


class _Reader:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.name = str(path)
        self.data = data
        self.base = path.resolve().parent

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.name}: {key}: {message}")

    def get(self, section: str, key: str) -> Any:
        return self.data.get(section, {}).get(key)

    def string(self, section: str, key: str) -> str | None:
        value = self.get(section, key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.fail(f"{section}.{key}", "must be a non-empty string")
        return value

    def path_(self, section: str, key: str) -> Path | None:
        value = self.string(section, key)
        return None if value is None else (self.base / Path(value).expanduser()).resolve()

    def integer(self, section: str, key: str, default: int, minimum: int = 0) -> int:
        value = self.get(section, key)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.fail(f"{section}.{key}", f"must be a whole number, at least {minimum}")
        return value

    def number(self, section: str, key: str) -> float | None:
        value = self.get(section, key)
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise self.fail(f"{section}.{key}", "must be a positive number")
        return float(value)


def _check_keys(r: _Reader) -> None:
    for section, values in r.data.items():
        if section not in _KNOWN:
            close = difflib.get_close_matches(section, list(_KNOWN), n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            raise ConfigError(f"{r.name}: [{section}]: unknown section{hint}")
        if not isinstance(values, dict):
            raise ConfigError(f"{r.name}: {section}: must be a [{section}] section")
        for key in values:
            if key not in _KNOWN[section]:
                close = difflib.get_close_matches(key, sorted(_KNOWN[section]), n=1)
                hint = f" (did you mean {section}.{close[0]}?)" if close else ""
                raise ConfigError(f"{r.name}: {section}.{key}: unknown setting{hint}")


def _database_url(r: _Reader) -> str:
    url = r.string("database", "url")
    if url is None:
        return f"sqlite:///{r.base / 'mailwright.db'}"
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise r.fail(
            "database.url", f"{url!r} is not a URL (sqlite:///file.db or postgresql://...)"
        )
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise r.fail("database.url", "a SQLite URL takes three slashes: sqlite:///file.db")
        name = rest[1:]
        if name != ":memory:" and not os.path.isabs(name):
            # relative to the config file, not to wherever cron starts us
            return f"sqlite:///{(r.base / name).resolve()}"
        return url
    if scheme in ("postgresql", "postgres"):
        if "/" not in rest or not rest.split("/", 1)[1].split("?")[0]:
            raise r.fail("database.url", "a PostgreSQL URL names a database: postgresql://host/db")
        return url
    raise r.fail(
        "database.url",
        f"unknown database kind {scheme!r} (use sqlite:///file.db or postgresql://host/db)",
    )


def _limits(r: _Reader) -> tuple[dict[str, int | float], int]:
    limits: dict[str, int | float] = {}
    for key, name in (
        ("steps", "steps"),
        ("depth", "depth"),
        ("items", "items"),
        ("stringLength", "string_length"),
    ):
        if r.get("limits", key) is not None:
            limits[name] = r.integer("limits", key, 0, minimum=1)
    seconds = r.number("limits", "seconds")
    if seconds is not None:
        limits["seconds"] = seconds
    if r.get("limits", "memoryMB") is not None:
        limits["memory"] = r.integer("limits", "memoryMB", 0, minimum=1) * 1024 * 1024
    max_mb = r.number("limits", "maxMessageMB")
    max_bytes = int((max_mb if max_mb is not None else 50) * 1024 * 1024)
    return limits, max_bytes


def load_config(path: str | Path) -> Config:
    """Return the settings in the TOML file *path*, checked; raise `ConfigError` naming
    the file and the setting (``mailwright.toml: retry.attempts: must be a whole number``).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{p}: cannot read the config file: {err.strerror or err}") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{p}: not valid TOML: {err}") from err
    r = _Reader(p, data)
    _check_keys(r)

    zone = r.string("time", "zone")
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise r.fail("time.zone", f"unknown time zone {zone!r} (like Europe/Prague)") from None

    delays_raw = r.get("retry", "delays")
    delays: tuple[float, ...] = (60.0, 600.0, 3600.0, 21600.0)
    if delays_raw is not None:
        if not isinstance(delays_raw, list) or not delays_raw:
            raise r.fail("retry.delays", 'must be a list of durations like ["1m", "10m"]')
        delays = tuple(
            parse_duration(d, f"{r.name}: retry.delays[{i}]") for i, d in enumerate(delays_raw)
        )
    lease_raw = r.get("retry", "lease")
    lease = 300.0 if lease_raw is None else parse_duration(lease_raw, f"{r.name}: retry.lease")

    level = r.string("log", "level") or "INFO"
    if level.upper() not in _LOG_LEVELS:
        raise r.fail("log.level", f"{level!r} is not one of {', '.join(_LOG_LEVELS)}")

    limits, max_bytes = _limits(r)
    blob_dir = r.path_("storage", "blobs") or r.base / "blobs"
    return Config(
        path=p,
        database_url=_database_url(r),
        blob_dir=blob_dir,
        schema_path=r.path_("storage", "schema"),
        handler_script=r.path_("handler", "script"),
        limits=limits,
        max_message_bytes=max_bytes,
        time_zone=zone,
        attempts=r.integer("retry", "attempts", 5, minimum=1),
        retry_delays=delays,
        lease_seconds=lease,
        key_file=r.path_("secrets", "keyFile") or r.base / "secret.key",
        log_file=r.path_("log", "file"),
        log_level=level.upper(),
        trusted_authserv_id=r.string("mail", "trustedAuthservId"),
        smtp_properties=r.path_("mail", "smtpProperties"),
        auto_replies_per_hour=r.integer("mail", "autoRepliesPerHour", 10),
        raw_message_days=r.integer("retention", "rawMessageDays", 0),
        run_days=r.integer("retention", "runDays", 0),
    )
