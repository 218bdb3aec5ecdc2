"""The checks of the installation itself: the config file, the database, the secret key."""

from __future__ import annotations

import dataclasses
import stat
import warnings
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import ConfigError, find_config, load_config
from mailstore.db import describe_url, open_database
from mailstore.migrate import BUILTIN_VERSION, builtin_version, pending_changes
from mailstore.schema import SchemaError, default_schema, load_schema
from mailstore.secrets import ENV_VAR, SecretBox, SecretKeyError, SecretKeyWarning

from .report import CheckResult, State, fail, ok, skip, warn

# --- config --------------------------------------------------------------------------


def check_config(state: State, config_path: str | Path | None) -> list[CheckResult]:
    """The config file: found and valid; loads the entity schema into *state*."""
    try:
        path = find_config(config_path, environ=state.environ)
        if path is None:
            return [
                fail(
                    "config",
                    "no mailwright.toml here (no --config, no MAILWRIGHT_CONFIG)",
                    "give --config FILE, set MAILWRIGHT_CONFIG, or make one with "
                    "`mailwright init DIR`",
                )
            ]
        state.config = load_config(path)
    except ConfigError as err:
        return [fail("config", str(err), "correct the file or the setting named")]
    results = [ok("config", f"{path}: read and checked")]
    if state.config.schema_path is not None:
        try:
            state.schema = load_schema(state.config.schema_path)
        except SchemaError as err:
            results.append(fail("entity schema", str(err), "correct the schema file"))
            return results
    else:
        state.schema = default_schema()
    return results


# --- database ------------------------------------------------------------------------


def _with_connect_timeout(url: str, timeout: float) -> str:
    """*url* with ``connect_timeout`` for PostgreSQL (unless it names one): an unreachable
    host must not hang the doctor for minutes. SQLite URLs are returned unchanged."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("postgresql", "postgres"):
        return url
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("connect_timeout", str(max(1, round(timeout))))
    return urlunsplit(parts._replace(query=urlencode(query)))


def check_database(state: State) -> list[CheckResult]:
    """The database: reachable and migrated; opens the store into *state*."""
    config = state.config
    if config is None or state.schema is None:
        return [skip("database", "needs a readable config file and schema")]
    where = describe_url(config.database_url)
    url = _with_connect_timeout(config.database_url, state.timeout)
    try:
        db = open_database(url)
    except Exception as err:  # noqa: BLE001 - driver errors differ by database kind
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return [
            fail(
                "database",
                f"{where}: cannot connect: {first}",
                "start the database server, or correct database.url in the config "
                "(host, port, user, database name, password)",
            )
        ]
    try:
        version = builtin_version(db)
        pending = pending_changes(db, state.schema)
    finally:
        db.close()
    if version > BUILTIN_VERSION:
        return [
            fail(
                "database",
                f"{where}: built-in schema version {version} is newer than this mailwright "
                f"({BUILTIN_VERSION})",
                "upgrade mailwright to the version that last migrated this database",
            )
        ]
    if pending:
        shown = "; ".join(pending[:5]) + (
            f"; and {len(pending) - 5} more" if len(pending) > 5 else ""
        )
        return [
            fail(
                "database",
                f"{where}: reachable, but not up to date: {shown}",
                "run `mailwright db migrate` (back up the database first)",
            )
        ]
    state.store = Store.open(dataclasses.replace(config, database_url=url), schema=state.schema)
    return [ok("database", f"{where}: reachable, built-in schema version {version}, up to date")]


# --- secret key ----------------------------------------------------------------------


def _stored_secrets() -> list[tuple[str, str, str]]:
    """Every encrypted value in the store as (what, token, what to do when it does not open)."""
    found: list[tuple[str, str, str]] = []
    for c in m.Credential.select().order_by(m.Credential.name):
        kind = str(c.kind).replace("_", "-")
        again = (
            "restore the key it was saved with, or store the secret again under a new "
            "credential (`mailwright credentials add`) and point the accounts at it"
        )
        if c.secret:
            what = "password" if c.kind == "password" else "client secret"
            found.append((f"credential {c.name} ({kind}): its {what}", c.secret, again))
        if c.tokenCache:
            relogin = (
                f"restore the key it was saved with, or sign in again: "
                f"`mailwright credentials login {c.name}`"
                if c.kind == "oauth2_delegated"
                else "restore the key it was saved with (a new token is fetched otherwise)"
            )
            found.append((f"credential {c.name} ({kind}): its token cache", c.tokenCache, relogin))
    for s in m.InternalSecret.select().order_by(m.InternalSecret.name):
        found.append(
            (
                f"internal secret {s.name}",
                s.value,
                "restore the key it was saved with (from the backup of the key file)",
            )
        )
    return found


def check_secret_key(state: State) -> list[CheckResult]:
    """The secret key: present, mode 0600, opens every stored secret; sets ``state.key_ok``."""
    config = state.config
    if config is None:
        return [skip("secret key", "needs a readable config file")]
    store = state.store
    secrets = _stored_secrets() if store is not None else []
    from_env = bool(state.environ.get(ENV_VAR))
    results: list[CheckResult] = []
    if from_env:
        source = f"environment variable {ENV_VAR}"
    else:
        path = config.key_file
        if path is None:  # Config always sets one; a hand-made Config may not
            return [fail("secret key", "no key file configured", "set secrets.keyFile")]
        source = f"key file {path}"
        problem = _key_file_problem(path, bool(secrets))
        if problem is not None:
            state.key_problem = f"{source} is not usable"
            return [problem]
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            results.append(
                fail(
                    "secret key",
                    f"{source}: other users may read it (mode {mode:o})",
                    f"chmod 600 {path} (and keep it owned by the user mailwright runs as)",
                )
            )
    if store is None:
        results.append(skip("secret key", "decrypting the stored secrets needs the database"))
        return results
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecretKeyWarning)  # the mode is reported above
            box: SecretBox = store.secrets
    except SecretKeyError as err:
        state.key_problem = f"{source} is not usable"
        results.append(fail("secret key", str(err), "restore the key file from the backup"))
        return results
    state.key_ok = True
    bad = []
    for what, token, fix in secrets:
        try:
            box.decrypt(token)
        except SecretKeyError:
            bad.append(
                fail(
                    "secret key",
                    f"{what} cannot be decrypted with the key from {source}",
                    fix,
                )
            )
    opened = len(secrets) - len(bad)
    if not any(r.status == "FAIL" for r in results) and not bad:
        keys = f", {box.key_count} keys" if box.key_count > 1 else ""
        results.append(ok("secret key", f"{source}{keys}: opens all {opened} stored secret(s)"))
    elif bad:
        results.append(ok("secret key", f"{source}: opens {opened} of {len(secrets)} secrets"))
    return results + bad


def _key_file_problem(path: Path, secrets_stored: bool) -> CheckResult | None:
    """Why the key file cannot be used (missing, a folder, unreadable), or None."""
    if not path.exists():
        detail = f"key file {path}: does not exist"
        if secrets_stored:
            return fail(
                "secret key",
                detail + ", and the store holds encrypted secrets that only it opens",
                f"restore {path} from the backup (or set {ENV_VAR}); a new key cannot "
                "open the stored secrets",
            )
        return warn(
            "secret key",
            detail + " (no secret is stored yet: it is made when the first one is)",
            "back it up once it exists: without it no stored secret can be read",
        )
    if not path.is_file():
        return fail("secret key", f"key file {path}: not a file", "restore the key file")
    try:
        with path.open("rb"):
            pass
    except OSError as err:
        return fail(
            "secret key",
            f"key file {path}: cannot be read ({err.strerror})",
            "run mailwright as the key file's owner, or fix its owner (chmod 600 keeps it private)",
        )
    return None
