"""The handler scripts compile and `check` clean, and no account is stale."""

from __future__ import annotations

from pathlib import Path

from mailstore import models as m
from mailstore.config import Config
from mailstore.schema import EntitySchema

from ..health import stale_accounts
from ..runner import check_files
from .report import CheckResult, State, fail, ok, skip, warn

# --- handler scripts -----------------------------------------------------------------


def _resolve(config: Config, setting: str | Path) -> Path:
    """A script path as ingestion resolves it: relative to the config file's folder."""
    p = Path(setting).expanduser()
    if not p.is_absolute() and config.path is not None:
        p = config.path.resolve().parent / p
    return p


def check_handlers(state: State) -> list[CheckResult]:
    """The global handler script and each enabled account's own one compile, `check` clean."""
    config = state.config
    if config is None or state.schema is None:
        return [skip("handler", "needs a readable config file and schema")]
    scripts: dict[Path, list[str]] = {}
    if config.handler_script is not None:
        scripts[_resolve(config, config.handler_script)] = ["global"]
    missing = []
    if state.store is not None:
        enabled = m.MailAccount.enabled == True  # noqa: E712 - peewee builds SQL from ==
        for account in m.MailAccount.select().where(enabled).order_by(m.MailAccount.name):
            if account.handlerScript:
                scripts.setdefault(_resolve(config, account.handlerScript), []).append(
                    f"account {account.name}"
                )
            elif config.handler_script is None:
                missing.append(account.name)
            else:
                scripts[_resolve(config, config.handler_script)].append(f"account {account.name}")
    results = []
    if not scripts and not missing:
        results.append(
            warn(
                "handler",
                "no handler script (handler.script is not set and no account has one)",
                "set handler.script in mailwright.toml",
            )
        )
    for name in missing:
        results.append(
            fail(
                f"handler of {name}",
                "no handler script: its e-mails are stored but never handled",
                f"set handler.script in mailwright.toml or `mailwright accounts edit {name} "
                "--handler SCRIPT`",
            )
        )
    for path, users in scripts.items():
        results.append(_check_script(path, users, state.schema))
    return results


def _check_script(path: Path, users: list[str], schema: EntitySchema) -> CheckResult:
    check = "handler"
    used = f"used by {', '.join(users)}" if users != ["global"] else "global, used by no account"
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        return fail(check, f"{path}: cannot read it ({reason})", "restore the script")
    outcome = check_files({path.name: source}, schema=schema)
    if outcome.errors:
        first = outcome.errors[0].headline()
        more = f" (and {len(outcome.errors) - 1} more)" if len(outcome.errors) > 1 else ""
        return fail(
            check,
            f"{path}: does not compile: {first}{more}",
            f"fix the script (`mailwright check {path}` shows every error); until then its "
            "e-mails wait unhandled",
        )
    if outcome.warnings:
        first = outcome.warnings[0].headline()
        return warn(
            check,
            f"{path}: compiles, {outcome.summary()}: {first}",
            f"`mailwright check {path}` shows them",
        )
    return ok(check, f"{path}: compiles, `check` clean ({used})")


# --- stale accounts ------------------------------------------------------------------


def check_stale(state: State) -> list[CheckResult]:
    """No enabled account is stale (`runtime.health.stale_accounts`)."""
    if state.store is None:
        return [skip("stale accounts", "needs the database")]
    problems = stale_accounts(state.store, state.now)
    if not problems:
        enabled = m.MailAccount.select().where(m.MailAccount.enabled == True).count()  # noqa: E712
        return [ok("stale accounts", f"none of {enabled} enabled account(s)")]
    return [fail(f"stale {p.account}", p.reason, p.advice) for p in problems]
