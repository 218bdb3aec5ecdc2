"""The mailbox checks: each enabled account logs in (or its local source is readable), and
the robot address has its ROBOT mailbox."""

from __future__ import annotations

import os
from pathlib import Path

from mailstore import models as m
from mailstore.api import Store
from mailstore.imap import ImapAuthError, ImapError
from mailstore.oauth import OAuthError
from mailstore.secrets import SecretKeyError
from mailstore.sources import SourceError, open_source

from ..settings import ROBOT_ADDRESS, SettingsError, connect_account
from .outgoing import smtp_configured
from .report import CheckResult, State, fail, ok, skip, warn

# --- mail accounts -------------------------------------------------------------------


def check_accounts(state: State) -> list[CheckResult]:
    """Each enabled mail account: IMAP login and folder, or a readable local source."""
    store = state.store
    if store is None:
        return [skip("accounts", "needs the database")]
    accounts = list(
        m.MailAccount.select()
        .where(m.MailAccount.enabled == True)  # noqa: E712 - peewee builds SQL from ==
        .order_by(m.MailAccount.name)
    )
    if not accounts:
        return [
            warn(
                "accounts",
                "no enabled mail account: nothing is ingested",
                "add one with `mailwright accounts add`",
            )
        ]
    results = []
    for account in accounts:
        if account.sourceKind == "imap":
            results.append(_check_imap(state, store, account))
        else:
            results.append(_check_local(account))
    return results


def _check_local(account: m.MailAccount) -> CheckResult:
    check = f"account {account.name}"
    path = Path(str(account.path))
    fix = f"restore {path}, or point the account elsewhere (`mailwright accounts edit`)"
    try:
        open_source(account.sourceKind, path)
    except SourceError as err:
        return fail(check, str(err), fix)
    # a folder must be listable (X) as well as readable
    need = os.R_OK | (os.X_OK if path.is_dir() else 0)
    if not os.access(path, need):
        return fail(check, f"{path}: not readable by this user", f"give read access to {path}")
    return ok(check, f"{account.sourceKind} {path}: exists and is readable")


def _check_imap(state: State, store: Store, account: m.MailAccount) -> CheckResult:
    check = f"account {account.name}"
    where = f"{account.host}:{account.port} ({account.security}), folder {account.folder}"
    credential = account.credential
    if credential is not None and not state.key_ok:
        return skip(check, state.key_problem)
    try:
        with connect_account(store, account, timeout=state.timeout) as box:
            status = box.select(account.folder, readonly=True)
    except ImapAuthError as err:
        return fail(check, f"{err.host}:{err.port}: {err.detail}", _login_fix(account, credential))
    except ImapError as err:
        return fail(check, f"{err.host}:{err.port}: {err.detail}", err.setting)
    except OAuthError as err:
        fix = err.setting
        if credential is not None and err.code in ("invalid_grant", "login_required"):
            fix = f"sign in again: `mailwright credentials login {credential.name}`"
        return fail(check, f"no token for the login: {err.detail}", fix)
    except (SettingsError, SecretKeyError) as err:
        return fail(check, str(err), "correct the account's credential")
    detail = f"{where}: logged in, {status.exists} message(s)"
    if account.lastError:
        first = str(account.lastError).strip().splitlines()[0]
        return warn(
            check,
            f"{detail}; but its last run reported: {first}",
            f"run `mailwright ingest --account {account.name}` and read what it says",
        )
    return ok(check, detail)


def _login_fix(account: m.MailAccount, credential: m.Credential | None) -> str:
    if credential is None:
        return "give the account a credential"
    if credential.kind == "password":
        return (
            f"the server refused the password of credential {credential.name} (user "
            f"{credential.username}): store the current one as a new credential "
            f"(`mailwright credentials add`) and `mailwright accounts edit {account.name} "
            "--credential NEW`"
        )
    return (
        f"the server refused the OAuth2 token of credential {credential.name} for "
        f"{account.address}: check the application's mailbox permission, or sign in again"
    )


# --- robot address -------------------------------------------------------------------


def check_robot(state: State) -> list[CheckResult]:
    """``mail.robotAddress`` is set and an enabled ROBOT account has that address."""
    if state.store is None:
        return [skip("robot address", "needs the database")]
    row = m.GlobalParameter.get_or_none(m.GlobalParameter.name == ROBOT_ADDRESS)
    address = (row.value or "").strip() if row is not None else ""
    if not address:
        fix = f"`mailwright params set {ROBOT_ADDRESS} ADDRESS` (the ROBOT mailbox's address)"
        detail = f"{ROBOT_ADDRESS} is not set"
        if smtp_configured(state.config):
            return [fail("robot address", f"{detail}: replies to sent mail go nowhere", fix)]
        return [warn("robot address", f"{detail} (no mail is sent yet)", fix)]
    wanted = address.casefold()
    robots = m.MailAccount.select().where(m.MailAccount.purpose == "ROBOT")
    matching = [a for a in robots if str(a.address).strip().casefold() == wanted]
    if not matching:
        return [
            fail(
                "robot address",
                f"{address}: no ROBOT mail account has this address, so replies and bounces "
                "are never read",
                f"`mailwright accounts add NAME --purpose ROBOT --address {address} ...`",
            )
        ]
    enabled = [a for a in matching if a.enabled]
    if not enabled:
        return [
            fail(
                "robot address",
                f"{address}: its ROBOT account {matching[0].name} is disabled",
                f"`mailwright accounts enable {matching[0].name}`",
            )
        ]
    return [ok("robot address", f"{address}: read by ROBOT account {enabled[0].name}")]
