"""OAuth2 access tokens for IMAP XOAUTH2 (Microsoft 365), with msal and an encrypted cache.

App-only access (``credentials add --type oauth2-client``)::

    provider = ClientCredentials.from_credential(credential, load_secret_box(config))
    token = provider.token()                 # AccessToken(value, expires_at)
    mailbox.login_xoauth2(account.address, token.value)
    if provider.cache_changed:               # persist the new token, encrypted
        credential.tokenCache = provider.encrypted_cache()

The client secret and the token cache are stored encrypted (`mailstore.secrets`); a cached
token is reused until five minutes before it expires (msal's rule: a token with less left
is treated as expired and a new one is asked for), so a run never logs in with a token
about to lapse.

Traps (TESTING.md): msal talks HTTP through a `requests.Session` built here with
``trust_env=False`` (``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` in the environment would
override ``verify=``) and ``verify=ca_file`` for a private CA; a refused grant comes back
as an error dict, not an exception; msal discovers the authority when the application
object is built, so an unreachable authority fails there.

Delegated access (a person's mailbox): `Delegated` with msal's device-code flow
(`device_code_login` for ``credentials login``), then silent refreshes; an expired or
revoked refresh token is an `OAuthError` that says to sign in again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from mailstore.secrets import SecretBox

if TYPE_CHECKING:  # msal and requests are imported where used: ~75 ms a process start
    import msal
    import requests

__all__ = [
    "IMAP_SCOPE",
    "MICROSOFT_AUTHORITY",
    "AccessToken",
    "DELEGATED_SCOPE",
    "DELEGATED_SCOPES",
    "SMTP_SEND_SCOPE",
    "ClientCredentials",
    "Delegated",
    "OAuthError",
    "device_code_login",
]

_T = TypeVar("_T")

#: the scope of app-only IMAP access to Exchange Online
IMAP_SCOPE = "https://outlook.office365.com/.default"
#: the scope of delegated IMAP access (msal adds offline_access for the refresh token)
DELEGATED_SCOPE = "https://outlook.office365.com/IMAP.AccessAsUser.All"
#: the scope of delegated SMTP AUTH (sending as the person through the central server)
SMTP_SEND_SCOPE = "https://outlook.office365.com/SMTP.Send"
#: what a delegated login asks for: one token of the same resource serves IMAP and SMTP,
#: so a person's credential can read their mailbox and send through Exchange Online
DELEGATED_SCOPES = (DELEGATED_SCOPE, SMTP_SEND_SCOPE)
#: the authority base when a credential names none; the tenant is appended
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"


class OAuthError(Exception):
    """Getting a token failed; ``str()`` names the credential and the setting to look at.

    ``code`` is the OAuth2 error code (``invalid_client``...) or ``connection``/``tls``.
    """

    def __init__(self, credential: str, message: str, setting: str, code: str = "") -> None:
        self.credential = credential
        self.detail = message
        self.setting = setting
        self.code = code
        super().__init__(f"credential {credential}: {message} ({setting})")


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when it expires (seconds since the epoch)."""

    value: str
    expires_at: float

    def __repr__(self) -> str:
        # never print the token itself (secrets are never shown)
        return f"AccessToken(expires_at={self.expires_at:.0f})"


class _CredentialRow(Protocol):
    """The fields of `mailstore.models.Credential` this module reads."""

    name: str
    tenant: str | None
    clientId: str | None  # noqa: N815 - the model's field name
    secret: str | None
    authority: str | None
    caFile: str | None  # noqa: N815 - the model's field name
    tokenCache: str | None  # noqa: N815 - the model's field name


# what to look at for the error codes an authority answers (Entra ID's codes)
_HINTS = {
    "invalid_client": "check the client secret (--secret-env / --secret-stdin)",
    "unauthorized_client": "check --tenant / --client-id",
    "invalid_request": "check --tenant / --client-id",
    "invalid_scope": "check the application's API permissions",
}


def _session(ca_file: str | None) -> requests.Session:
    import requests

    session = requests.Session()
    session.trust_env = False  # the environment's CA bundle must not override verify=
    session.verify = ca_file if ca_file else True
    return session


class ClientCredentials:
    """App-only tokens (OAuth2 client credentials grant) for one credential.

    *encrypted_cache* is the stored ``tokenCache`` (or None); *box* encrypts and decrypts it.
    """

    def __init__(
        self,
        name: str,
        *,
        tenant: str,
        client_id: str,
        secret: str,
        box: SecretBox,
        authority: str | None = None,
        ca_file: str | None = None,
        encrypted_cache: str | None = None,
        scope: str = IMAP_SCOPE,
        timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.tenant = tenant
        self.client_id = client_id
        self._secret = secret
        self._box = box
        self.authority_url = f"{(authority or MICROSOFT_AUTHORITY).rstrip('/')}/{tenant}"
        self.ca_file = ca_file
        self.scope = scope
        self.timeout = timeout
        self._cache = _load_cache(box, encrypted_cache)
        self._app: msal.ConfidentialClientApplication | None = None

    @classmethod
    def from_credential(cls, credential: _CredentialRow, box: SecretBox) -> ClientCredentials:
        """Build the provider from a stored ``Credential`` of kind oauth2-client.

        Raises `OAuthError` when the row lacks the tenant, client id or secret.
        """
        if not (credential.tenant and credential.clientId and credential.secret):
            raise OAuthError(
                credential.name,
                "an oauth2-client credential needs a tenant, a client id and a secret",
                "run `mailwright credentials add` again",
                "incomplete",
            )
        return cls(
            credential.name,
            tenant=credential.tenant,
            client_id=credential.clientId,
            secret=box.decrypt(credential.secret),
            box=box,
            authority=credential.authority,
            ca_file=credential.caFile,
            encrypted_cache=credential.tokenCache,
        )

    @property
    def cache_changed(self) -> bool:
        """True when the token cache holds something new to persist (`encrypted_cache`)."""
        return bool(self._cache.has_state_changed)

    def encrypted_cache(self) -> str:
        """Return the token cache serialized and encrypted, for ``Credential.tokenCache``."""
        return self._box.encrypt(self._cache.serialize())

    def token(self) -> AccessToken:
        """Return a token valid for at least five more minutes, from the cache or the authority.

        Raises `OAuthError`: refused grant (wrong secret, unknown client or tenant),
        authority unreachable, certificate not trusted.
        """
        app = self._application()
        result = _guarded(
            self.name, self.authority_url, lambda: app.acquire_token_for_client([self.scope])
        )
        return _access_token(self.name, result)

    def _application(self) -> msal.ConfidentialClientApplication:
        import msal

        if self._app is None:
            self._app = _guarded(
                self.name,
                self.authority_url,
                lambda: msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._secret,
                    authority=self.authority_url,
                    token_cache=self._cache,
                    http_client=_session(self.ca_file),
                    instance_discovery=False,
                    timeout=self.timeout,
                ),
            )
        return self._app


class Delegated:
    """Delegated tokens for a person's mailbox (``--type oauth2-delegated``), msal device code.

    ``credentials login NAME`` calls `start_login` (show ``flow["message"]``: a URL and a
    code), then `finish_login`, which waits until the person has signed in. Later runs call
    `token`: from the cache, or refreshed with the cached refresh token. When that token
    has expired or was revoked, `token` raises `OAuthError` (code ``invalid_grant`` or
    ``login_required``) telling to run ``mailwright credentials login NAME`` again.
    Persist `encrypted_cache` whenever `cache_changed` (a refresh token rotates).
    """

    def __init__(
        self,
        name: str,
        *,
        tenant: str,
        client_id: str,
        box: SecretBox,
        authority: str | None = None,
        ca_file: str | None = None,
        encrypted_cache: str | None = None,
        scopes: tuple[str, ...] = DELEGATED_SCOPES,
        timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.client_id = client_id
        self._box = box
        self.authority_url = f"{(authority or MICROSOFT_AUTHORITY).rstrip('/')}/{tenant}"
        self.ca_file = ca_file
        self.scopes = list(scopes)
        self.timeout = timeout
        self._cache = _load_cache(box, encrypted_cache)
        self._app: msal.PublicClientApplication | None = None

    @classmethod
    def from_credential(cls, credential: _CredentialRow, box: SecretBox) -> Delegated:
        """Build the provider from a stored ``Credential`` of kind oauth2-delegated."""
        if not (credential.tenant and credential.clientId):
            raise OAuthError(
                credential.name,
                "an oauth2-delegated credential needs a tenant and a client id",
                "run `mailwright credentials add` again",
                "incomplete",
            )
        return cls(
            credential.name,
            tenant=credential.tenant,
            client_id=credential.clientId,
            box=box,
            authority=credential.authority,
            ca_file=credential.caFile,
            encrypted_cache=credential.tokenCache,
        )

    @property
    def cache_changed(self) -> bool:
        """True when the token cache holds something new to persist (`encrypted_cache`)."""
        return bool(self._cache.has_state_changed)

    def encrypted_cache(self) -> str:
        """Return the token cache serialized and encrypted, for ``Credential.tokenCache``."""
        return self._box.encrypt(self._cache.serialize())

    def start_login(self) -> dict[str, Any]:
        """Begin the device-code flow; return msal's flow (show its ``message`` to the person).

        Raises `OAuthError` when the authority refuses (unknown client or tenant).
        """
        app = self._application()
        flow: dict[str, Any] = self._http(lambda: app.initiate_device_flow(scopes=self.scopes))
        if "user_code" not in flow:
            raise _refused(self.name, flow)
        return flow

    def finish_login(self, flow: dict[str, Any]) -> AccessToken:
        """Wait until the person has signed in with *flow*'s code; return the first token.

        Trap: this polls the authority every few seconds until the code expires
        (15 minutes at Microsoft): run it only in ``credentials login``, never under cron.
        """
        app = self._application()
        result = self._http(lambda: app.acquire_token_by_device_flow(flow))
        return _access_token(self.name, result)

    def token(self) -> AccessToken:
        """Return a token valid for five more minutes: cached, or refreshed silently.

        Raises `OAuthError` ``login_required`` when nobody has signed in yet, or the
        authority's code (``invalid_grant``) when the refresh token expired or was revoked;
        both say to run ``mailwright credentials login NAME``.
        """
        app = self._application()
        accounts = app.get_accounts()
        again = f"run `mailwright credentials login {self.name}`"
        if not accounts:
            raise OAuthError(self.name, "nobody has signed in yet", again, "login_required")
        result = self._http(
            lambda: app.acquire_token_silent_with_error(self.scopes, account=accounts[0])
        )
        if not result:
            raise OAuthError(self.name, "the sign-in has expired", again, "login_required")
        if "access_token" not in result:
            error = _refused(self.name, result)
            raise OAuthError(
                self.name, f"the sign-in is no longer valid: {error.detail}", again, error.code
            )
        return _access_token(self.name, result)

    def _application(self) -> msal.PublicClientApplication:
        import msal

        if self._app is None:
            self._app = self._http(
                lambda: msal.PublicClientApplication(
                    self.client_id,
                    authority=self.authority_url,
                    token_cache=self._cache,
                    http_client=_session(self.ca_file),
                    instance_discovery=False,
                    timeout=self.timeout,
                )
            )
        return self._app

    def _http(self, call: Callable[[], _T]) -> _T:
        return _guarded(self.name, self.authority_url, call)


def device_code_login(provider: Delegated, show: Callable[[str], None]) -> AccessToken:
    """Run the whole device-code sign-in: *show* the instructions, wait, return the token."""
    flow = provider.start_login()
    show(str(flow["message"]))
    return provider.finish_login(flow)


def _load_cache(box: SecretBox, encrypted: str | None) -> msal.SerializableTokenCache:
    import msal

    cache = msal.SerializableTokenCache()
    if encrypted:
        # a cache that does not decrypt raises SecretKeyError (wrong key): never ignored
        cache.deserialize(box.decrypt(encrypted))
    return cache


def _guarded(name: str, authority_url: str, call: Callable[[], _T]) -> _T:
    """Run an msal *call*, turning transport failures into `OAuthError`."""
    import requests  # already loaded by msal: the call made the application first

    try:
        return call()
    except requests.exceptions.SSLError:
        raise OAuthError(
            name,
            f"the certificate of {authority_url} is not trusted",
            "check --ca-file / --authority",
            "tls",
        ) from None
    except requests.exceptions.RequestException as error:
        raise OAuthError(
            name,
            f"cannot reach {authority_url}: {type(error).__name__}",
            "check --authority and the network",
            "connection",
        ) from None
    except ValueError as error:
        # msal's "Unable to get authority configuration" (404, not an authority)
        raise OAuthError(
            name,
            f"no OAuth2 authority at {authority_url}: {error}",
            "check --authority / --tenant",
            "authority",
        ) from None


def _refused(name: str, result: dict[str, Any] | None) -> OAuthError:
    result = result or {}
    code = str(result.get("error", "no_token"))
    description = str(result.get("error_description", "no access token in the answer"))
    return OAuthError(
        name,
        f"the authority refused the token request: {code}: {description.splitlines()[0]}",
        _HINTS.get(code, "check --tenant / --client-id / the secret"),
        code,
    )


def _access_token(name: str, result: dict[str, Any] | None) -> AccessToken:
    if not result or "access_token" not in result:
        raise _refused(name, result)
    return AccessToken(
        value=str(result["access_token"]),
        expires_at=time.time() + int(result.get("expires_in", 0)),
    )
