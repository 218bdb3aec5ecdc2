"""The OAuth2 check: a new token for each credential in use, and what is known of the
refresh token's expiry."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from mailstore import models as m
from mailstore.api import Store
from mailstore.oauth import MICROSOFT_AUTHORITY, ClientCredentials, Delegated, OAuthError
from mailstore.secrets import SecretBox, SecretKeyError

from .report import CheckResult, State, fail, ok, skip

#: how long Entra ID keeps a refresh token that is not used (it renews on every use)
MICROSOFT_REFRESH_DAYS = 90


# --- OAuth2 --------------------------------------------------------------------------


@dataclass
class _CredentialCopy:
    """The fields the token providers read, with the token cache replaced."""

    name: str
    tenant: str | None
    clientId: str | None  # noqa: N815 - the model's field name
    secret: str | None
    authority: str | None
    caFile: str | None  # noqa: N815 - the model's field name
    tokenCache: str | None  # noqa: N815 - the model's field name


def _in_use() -> dict[int, list[str]]:
    """Credential id -> the enabled mail and SMTP accounts that use it."""
    users: dict[int, list[str]] = {}
    enabled = m.MailAccount.enabled == True  # noqa: E712 - peewee builds SQL from ==
    for a in m.MailAccount.select().where(enabled & m.MailAccount.credential.is_null(False)):
        users.setdefault(a.__data__["credential"], []).append(a.name)
    smtp_enabled = m.SmtpAccount.enabled == True  # noqa: E712
    for s in m.SmtpAccount.select().where(smtp_enabled & m.SmtpAccount.credential.is_null(False)):
        users.setdefault(s.__data__["credential"], []).append(f"SMTP {s.name}")
    return users


def _without_access_tokens(box: SecretBox, encrypted: str | None) -> str | None:
    """The token cache without its access tokens, encrypted again: the provider must then
    ask the authority, which proves the refresh token or the client secret still works."""
    if not encrypted:
        return None
    cache = json.loads(box.decrypt(encrypted))
    cache.pop("AccessToken", None)
    return box.encrypt(json.dumps(cache))


def _refresh_expiry(box: SecretBox, encrypted: str, authority: str | None) -> str:
    """What can be said about the refresh token's expiry, from the renewed cache."""
    cache = json.loads(box.decrypt(encrypted))
    renewed = [
        int(rt.get("last_modification_time") or 0) for rt in cache.get("RefreshToken", {}).values()
    ]
    if not renewed or not max(renewed):
        return "the authority gave no refresh token (sign in again when the token stops)"
    last = dt.datetime.fromtimestamp(max(renewed), dt.UTC).replace(tzinfo=None)
    microsoft = (authority or MICROSOFT_AUTHORITY).rstrip("/") == MICROSOFT_AUTHORITY
    if not microsoft:
        return (
            f"refresh token renewed {last:%Y-%m-%d %H:%M} UTC; its expiry is unknown (the "
            "authority does not tell)"
        )
    left = MICROSOFT_REFRESH_DAYS - (m.utcnow() - last).days
    return (
        f"refresh token renewed {last:%Y-%m-%d %H:%M} UTC: about {left} day(s) left (Entra ID "
        f"ends one unused for {MICROSOFT_REFRESH_DAYS} days; a policy may end it sooner)"
    )


def check_tokens(state: State) -> list[CheckResult]:
    """Each OAuth2 credential an enabled account uses gets a new token from its authority."""
    store = state.store
    if store is None:
        return [skip("OAuth2 tokens", "needs the database")]
    users = _in_use()
    creds = m.Credential.select().where(m.Credential.kind != "password").order_by(m.Credential.name)
    results = []
    for credential in creds:
        check = f"credential {credential.name}"
        if credential.id not in users:
            results.append(skip(check, "no enabled account uses it"))
        elif not state.key_ok:
            results.append(skip(check, state.key_problem))
        else:
            results.append(_check_token(state, store, credential, users[credential.id]))
    return results


def _check_token(
    state: State, store: Store, credential: m.Credential, users: list[str]
) -> CheckResult:
    check = f"credential {credential.name}"
    box = store.secrets
    delegated = credential.kind == "oauth2_delegated"
    try:
        copy = _CredentialCopy(
            credential.name,
            credential.tenant,
            credential.clientId,
            credential.secret,
            credential.authority,
            credential.caFile,
            _without_access_tokens(box, credential.tokenCache),
        )
        provider: ClientCredentials | Delegated = (
            Delegated.from_credential(copy, box)
            if delegated
            else ClientCredentials.from_credential(copy, box)
        )
        provider.timeout = state.timeout
        token = provider.token()
        if provider.cache_changed:
            # a delegated refresh rotated the refresh token: the old one may be spent now
            credential.tokenCache = provider.encrypted_cache()
            credential.updated = m.utcnow()
            # only the cache, never a stale copy of the secret (secrets rotate)
            credential.save(only=[m.Credential.tokenCache, m.Credential.updated])
    except OAuthError as err:
        fix = err.setting
        if delegated and err.code in ("invalid_grant", "login_required", "interaction_required"):
            fix = f"sign in again: `mailwright credentials login {credential.name}`"
        return fail(check, f"no token: {err.detail}", fix)
    except SecretKeyError as err:
        return fail(check, str(err), "restore the key file from the backup")
    minutes = max(0, round((token.expires_at - dt.datetime.now(dt.UTC).timestamp()) / 60))
    used = ", ".join(users)
    detail = f"a new token, valid {minutes} min (used by {used})"
    if delegated and credential.tokenCache:
        detail += "; " + _refresh_expiry(box, credential.tokenCache, credential.authority)
    return ok(check, detail)
