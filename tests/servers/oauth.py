"""A fake OAuth2 authority over HTTPS on loopback, enough for msal and Dovecot's oauth2 passdb.

Endpoints (``<tenant>`` is any tenant registered with `FakeAuthority.add_client`):

- ``GET /<tenant>/v2.0/.well-known/openid-configuration``: the discovery document msal reads;
- ``POST /<tenant>/oauth2/v2.0/token``: the client-credentials grant; a wrong secret answers
  401 ``invalid_client`` as Entra ID does (msal turns it into an error dict, not an exception);
- ``POST /<tenant>/oauth2/v2.0/devicecode`` and the device-code and refresh-token grants:
  msal's device-code flow for delegated accounts; `FakeAuthority.approve` plays the person
  entering the code, `revoke_refresh_tokens` an administrator revoking sessions;
- ``POST /introspect``: RFC 7662 token introspection, which Dovecot calls
  (``introspection_mode = post``) to validate an XOAUTH2 login; the answer carries the
  mailbox the client was registered for as ``username``, which Dovecot compares with the
  user logging in.

Each client is bound to one mailbox: an app-only token of Microsoft 365 may open many, but
Dovecot needs one user name per token, and one is all the tests need.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers import TestCA

__all__ = ["FakeAuthority", "OAuthClient"]


@dataclass
class OAuthClient:
    """A registered application: its secret, the mailbox its tokens open, token lifetime."""

    tenant: str
    client_id: str
    secret: str
    mailbox: str
    expires_in: int = 3600


@dataclass
class _Token:
    client: OAuthClient
    expires_at: float
    mailbox: str = ""


@dataclass
class _DeviceCode:
    client: OAuthClient
    user_code: str
    mailbox: str | None = None  # set by `FakeAuthority.approve`


@dataclass
class FakeAuthority:
    """The running authority; `url` is ``https://127.0.0.1:<port>``, `authority(tenant)` the
    authority URL msal takes. `token_requests` counts grants asked per client id (to check
    that a cached token is reused)."""

    ca: TestCA
    host: str = "127.0.0.1"
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    tokens: dict[str, _Token] = field(default_factory=dict)
    token_requests: dict[str, int] = field(default_factory=dict)
    introspections: int = 0
    device_codes: dict[str, _DeviceCode] = field(default_factory=dict)
    refresh_tokens: dict[str, _Token] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        """The listening port (after `start`)."""
        assert self._server is not None, "start the authority first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, ``https://127.0.0.1:<port>``."""
        return f"https://{self.host}:{self.port}"

    @property
    def introspection_url(self) -> str:
        """The URL Dovecot's oauth2 passdb posts tokens to."""
        return f"{self.url}/introspect"

    def authority(self, tenant: str) -> str:
        """The authority URL for *tenant*, as msal's ``authority=`` takes it."""
        return f"{self.url}/{tenant}"

    def add_client(
        self,
        mailbox: str,
        *,
        tenant: str | None = None,
        expires_in: int = 3600,
    ) -> OAuthClient:
        """Register a new application whose tokens open *mailbox*; return it (random ids)."""
        client = OAuthClient(
            tenant=tenant or "tenant-" + secrets.token_hex(4),
            client_id=secrets.token_hex(8),
            secret=secrets.token_urlsafe(16),
            mailbox=mailbox,
            expires_in=expires_in,
        )
        with self._lock:
            self.clients[client.client_id] = client
        return client

    def approve(self, user_code: str, mailbox: str) -> None:
        """Play the person who enters *user_code* on the sign-in page as *mailbox*."""
        with self._lock:
            for pending in self.device_codes.values():
                if pending.user_code == user_code:
                    pending.mailbox = mailbox
                    return
        raise KeyError(user_code)

    def revoke_refresh_tokens(self) -> None:
        """Revoke every refresh token (a password reset or an admin's revocation)."""
        with self._lock:
            self.refresh_tokens.clear()

    def revoke(self, token: str) -> None:
        """Forget *token*: it then introspects as inactive, as a revoked token does."""
        with self._lock:
            self.tokens.pop(token, None)

    def start(self) -> FakeAuthority:
        """Start serving HTTPS in a daemon thread; return self."""
        authority = self

        class Handler(_Handler):
            owner = authority

        server = ThreadingHTTPServer((self.host, 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.ca.cert_file, self.ca.key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- request handling (called from the handler's threads)

    def _issue(self, form: dict[str, str], tenant: str) -> tuple[int, dict[str, Any]]:
        client = self.clients.get(form.get("client_id", ""))
        with self._lock:
            key = form.get("client_id", "")
            self.token_requests[key] = self.token_requests.get(key, 0) + 1
        grant = form.get("grant_type")
        if client is None or client.tenant != tenant:
            return 400, _error(
                "unauthorized_client", "AADSTS700016: application not found in the directory"
            )
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            return self._device_grant(client, form.get("device_code", ""))
        if grant == "refresh_token":
            with self._lock:
                previous = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if previous is None or previous.client is not client:
                return 400, _error("invalid_grant", "AADSTS700082: The refresh token has expired")
            return 200, self._delegated_tokens(client, previous.mailbox)
        if grant != "client_credentials":
            return 400, _error("unsupported_grant_type", "AADSTS70003: grant type not supported")
        if not secrets.compare_digest(form.get("client_secret", ""), client.secret):
            return 401, _error("invalid_client", "AADSTS7000215: Invalid client secret provided.")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self.tokens[token] = _Token(client, time.time() + client.expires_in)
        return 200, {
            "token_type": "Bearer",
            "expires_in": client.expires_in,
            "ext_expires_in": client.expires_in,
            "access_token": token,
        }

    def _device_code(self, form: dict[str, str], tenant: str) -> tuple[int, dict[str, Any]]:
        client = self.clients.get(form.get("client_id", ""))
        if client is None or client.tenant != tenant:
            return 400, _error("unauthorized_client", "AADSTS700016: application not found")
        code = _DeviceCode(client, secrets.token_hex(4).upper())
        device_code = secrets.token_urlsafe(24)
        with self._lock:
            self.device_codes[device_code] = code
        verification = f"{self.url}/devicelogin"
        return 200, {
            "device_code": device_code,
            "user_code": code.user_code,
            "verification_uri": verification,
            "expires_in": 900,
            "interval": 1,
            "message": f"To sign in, open {verification} and enter the code {code.user_code}.",
        }

    def _device_grant(self, client: OAuthClient, device_code: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            pending = self.device_codes.get(device_code)
            if pending is None or pending.client is not client:
                return 400, _error("expired_token", "AADSTS70020: The device code expired")
            if pending.mailbox is None:
                return 400, _error("authorization_pending", "AADSTS70016: pending")
            del self.device_codes[device_code]
        return 200, self._delegated_tokens(client, pending.mailbox)

    def _delegated_tokens(self, client: OAuthClient, mailbox: str) -> dict[str, Any]:
        """Access, refresh and ID token for *mailbox* (the ID token is unsigned: msal does
        not check signatures, only issuer, audience and expiry)."""
        token, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at = time.time() + client.expires_in
        with self._lock:
            self.tokens[token] = _Token(client, expires_at, mailbox)
            self.refresh_tokens[refresh] = _Token(client, expires_at + 86400, mailbox)
        oid = hashlib.sha256(mailbox.encode()).hexdigest()[:32]
        claims = {
            "iss": f"{self.authority(client.tenant)}/v2.0",
            "aud": client.client_id,
            "iat": int(time.time()),
            "exp": int(expires_at),
            "sub": oid,
            "oid": oid,
            "tid": client.tenant,
            "preferred_username": mailbox,
            "name": mailbox,
        }
        return {
            "token_type": "Bearer",
            # what the app was granted, as Entra ID answers: IMAP and SMTP of one resource
            "scope": "https://outlook.office365.com/IMAP.AccessAsUser.All"
            " https://outlook.office365.com/SMTP.Send",
            "expires_in": client.expires_in,
            "access_token": token,
            "refresh_token": refresh,
            "id_token": ".".join(
                _b64(part) for part in ({"alg": "none", "typ": "JWT"}, claims, {})
            ),
            "client_info": _b64({"uid": oid, "utid": client.tenant}),
        }

    def _introspect(self, form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.introspections += 1
            issued = self.tokens.get(form.get("token", ""))
        if issued is None or issued.expires_at < time.time():
            return {"active": False}
        return {
            "active": True,
            "username": issued.mailbox or issued.client.mailbox,
            "client_id": issued.client.client_id,
            "exp": int(issued.expires_at),
        }


def _b64(data: dict[str, Any]) -> str:
    if not data:
        return ""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description, "error_codes": [0]}


class _Handler(BaseHTTPRequestHandler):
    owner: FakeAuthority
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        """Stay quiet: pytest shows failures, not every request."""

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            base = f"{self.owner.url}/{parts[0]}"
            self._reply(
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "introspection_endpoint": self.owner.introspection_url,
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "token"],
                    "subject_types_supported": ["pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
            return
        self._reply(404, _error("not_found", self.path))

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path).path.strip("/").split("/")
        form = self._form()
        if parts == ["introspect"]:
            self._reply(200, self.owner._introspect(form))
        elif len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            self._reply(*self.owner._issue(form, parts[0]))
        elif len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "devicecode"]:
            self._reply(*self.owner._device_code(form, parts[0]))
        else:
            self._reply(404, _error("not_found", self.path))
