"""mailstore.oauth: msal client credentials against the fake authority, XOAUTH2 into Dovecot."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mailstore.imap import ImapAuthError, ImapMailbox
from mailstore.oauth import (
    AccessToken,
    ClientCredentials,
    Delegated,
    OAuthError,
    device_code_login,
)
from mailstore.secrets import SecretBox, generate_key
from tests.servers import free_port
from tests.servers.dovecot import DovecotServer, DovecotUser
from tests.servers.oauth import FakeAuthority, OAuthClient


@pytest.fixture
def box() -> SecretBox:
    return SecretBox([generate_key()], "a test key")


def provider(
    authority: FakeAuthority,
    client: OAuthClient,
    box: SecretBox,
    *,
    secret: str | None = None,
    ca_file: str | None = "default",
    cache: str | None = None,
) -> ClientCredentials:
    """A fresh provider (msal caches refused answers per application object: never reuse)."""
    return ClientCredentials(
        "m365",
        tenant=client.tenant,
        client_id=client.client_id,
        secret=client.secret if secret is None else secret,
        box=box,
        authority=authority.url,
        ca_file=str(authority.ca.ca_file) if ca_file == "default" else ca_file,
        encrypted_cache=cache,
    )


def test_token_is_fetched_once_then_served_from_the_cache(
    oauth_authority: FakeAuthority, box: SecretBox
) -> None:
    client = oauth_authority.add_client("shared@example.test")
    tokens = provider(oauth_authority, client, box)
    first = tokens.token()
    assert first.value in oauth_authority.tokens
    assert tokens.token().value == first.value
    assert oauth_authority.token_requests[client.client_id] == 1
    assert tokens.cache_changed


def test_the_encrypted_cache_survives_a_new_process(
    oauth_authority: FakeAuthority, box: SecretBox
) -> None:
    client = oauth_authority.add_client("shared@example.test")
    first_run = provider(oauth_authority, client, box)
    token = first_run.token()
    stored = first_run.encrypted_cache()
    assert token.value not in stored  # the token is never stored in clear
    second_run = provider(oauth_authority, client, box, cache=stored)
    assert second_run.token().value == token.value
    assert oauth_authority.token_requests[client.client_id] == 1


def test_a_token_about_to_expire_is_replaced(
    oauth_authority: FakeAuthority, box: SecretBox
) -> None:
    # two minutes left is under msal's five-minute margin: a new token every time
    client = oauth_authority.add_client("shared@example.test", expires_in=120)
    tokens = provider(oauth_authority, client, box)
    assert tokens.token().value != tokens.token().value
    assert oauth_authority.token_requests[client.client_id] == 2


def test_wrong_secret_is_a_clear_error(oauth_authority: FakeAuthority, box: SecretBox) -> None:
    client = oauth_authority.add_client("shared@example.test")
    with pytest.raises(OAuthError) as caught:
        provider(oauth_authority, client, box, secret="not-the-secret").token()
    assert caught.value.code == "invalid_client"
    assert "check the client secret" in str(caught.value)
    assert "credential m365" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


def test_unknown_client_names_tenant_and_client_id(
    oauth_authority: FakeAuthority, box: SecretBox
) -> None:
    client = oauth_authority.add_client("shared@example.test")
    stranger = OAuthClient(client.tenant, "unknown-id", "s", "x@example.test")
    with pytest.raises(OAuthError, match=r"check --tenant / --client-id") as caught:
        provider(oauth_authority, stranger, box).token()
    assert caught.value.code == "unauthorized_client"


def test_untrusted_authority_certificate(
    oauth_authority: FakeAuthority, box: SecretBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # even with a CA bundle in the environment (requests would let it override verify=)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(oauth_authority.ca.ca_file))
    client = oauth_authority.add_client("shared@example.test")
    with pytest.raises(OAuthError, match=r"not trusted.*check --ca-file") as caught:
        provider(oauth_authority, client, box, ca_file=None).token()
    assert caught.value.code == "tls"


def test_environment_ca_bundle_does_not_override_the_ca_file(
    oauth_authority: FakeAuthority, box: SecretBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/bundle.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/bundle.pem")
    client = oauth_authority.add_client("shared@example.test")
    assert provider(oauth_authority, client, box).token().value


def test_unreachable_authority(box: SecretBox, oauth_authority: FakeAuthority) -> None:
    tokens = ClientCredentials(
        "m365",
        tenant="t",
        client_id="c",
        secret="s",
        box=box,
        authority=f"https://127.0.0.1:{free_port()}",
        ca_file=str(oauth_authority.ca.ca_file),
    )
    with pytest.raises(OAuthError, match=r"cannot reach .*check --authority") as caught:
        tokens.token()
    assert caught.value.code == "connection"


def test_from_credential_decrypts_the_stored_secret(
    oauth_authority: FakeAuthority, box: SecretBox
) -> None:
    client = oauth_authority.add_client("shared@example.test")
    row = SimpleNamespace(
        name="m365",
        tenant=client.tenant,
        clientId=client.client_id,
        secret=box.encrypt(client.secret),
        authority=oauth_authority.url,
        caFile=str(oauth_authority.ca.ca_file),
        tokenCache=None,
    )
    tokens = ClientCredentials.from_credential(row, box)
    assert tokens.authority_url == f"{oauth_authority.url}/{client.tenant}"
    assert tokens.token().value in oauth_authority.tokens


def test_from_credential_without_a_secret_says_what_to_do(box: SecretBox) -> None:
    row = SimpleNamespace(
        name="half",
        tenant="t",
        clientId="c",
        secret=None,
        authority=None,
        caFile=None,
        tokenCache=None,
    )
    with pytest.raises(OAuthError, match=r"credential half: .*credentials add"):
        ClientCredentials.from_credential(row, box)


def test_default_authority_is_microsoft(box: SecretBox) -> None:
    tokens = ClientCredentials("m", tenant="contoso", client_id="c", secret="s", box=box)
    assert tokens.authority_url == "https://login.microsoftonline.com/contoso"


def test_token_repr_hides_the_token(oauth_authority: FakeAuthority, box: SecretBox) -> None:
    client = oauth_authority.add_client("shared@example.test")
    token = provider(oauth_authority, client, box).token()
    assert token.value not in repr(token)


def delegated(
    authority: FakeAuthority, client: OAuthClient, box: SecretBox, cache: str | None = None
) -> Delegated:
    return Delegated(
        "person",
        tenant=client.tenant,
        client_id=client.client_id,
        box=box,
        authority=authority.url,
        ca_file=str(authority.ca.ca_file),
        encrypted_cache=cache,
    )


def sign_in(authority: FakeAuthority, tokens: Delegated, mailbox: str) -> AccessToken:
    """The device-code flow, with the fake authority playing the person at the browser."""
    shown: list[str] = []

    def show(message: str) -> None:
        shown.append(message)
        # the person opens the page and types the code shown
        authority.approve(message.rsplit(" ", 1)[-1].rstrip("."), mailbox)

    token = device_code_login(tokens, show)
    assert "enter the code" in shown[0]
    return token


def test_device_code_sign_in_then_silent_tokens(
    oauth_authority: FakeAuthority, box: SecretBox
) -> None:
    client = oauth_authority.add_client("", expires_in=120)  # public client: no secret used
    login = delegated(oauth_authority, client, box)
    first = sign_in(oauth_authority, login, "person@example.test")
    stored = login.encrypted_cache()
    assert first.value not in stored
    # a later run: short-lived token, so msal refreshes it with the stored refresh token
    later = delegated(oauth_authority, client, box, cache=stored)
    second = later.token()
    assert second.value != first.value
    assert oauth_authority.tokens[second.value].mailbox == "person@example.test"
    assert later.cache_changed  # the rotated refresh token must be persisted


def test_delegated_token_before_any_sign_in(oauth_authority: FakeAuthority, box: SecretBox) -> None:
    client = oauth_authority.add_client("")
    with pytest.raises(OAuthError, match=r"credentials login person") as caught:
        delegated(oauth_authority, client, box).token()
    assert caught.value.code == "login_required"


def test_revoked_refresh_token_says_sign_in_again(
    oauth_authority: FakeAuthority, box: SecretBox
) -> None:
    client = oauth_authority.add_client("", expires_in=120)
    login = delegated(oauth_authority, client, box)
    sign_in(oauth_authority, login, "person@example.test")
    stored = login.encrypted_cache()
    oauth_authority.revoke_refresh_tokens()
    with pytest.raises(OAuthError, match=r"no longer valid.*credentials login person") as caught:
        delegated(oauth_authority, client, box, cache=stored).token()
    assert caught.value.code == "invalid_grant"


# ------------------------------------------------------------------ XOAUTH2 into Dovecot


def xoauth2_box(dovecot: DovecotServer) -> ImapMailbox:
    return ImapMailbox.connect(dovecot.host, dovecot.ssl_port, ca_file=str(dovecot.ca.ca_file))


def test_xoauth2_login_is_validated_by_introspection(
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    oauth_authority: FakeAuthority,
    box: SecretBox,
) -> None:
    dovecot.append(imap_user, [b"Subject: hi\r\n\r\nhello\r\n"])
    client = oauth_authority.add_client(imap_user.name)
    token = provider(oauth_authority, client, box).token()
    before = oauth_authority.introspections
    with xoauth2_box(dovecot) as mailbox:
        mailbox.login_xoauth2(imap_user.name, token.value)
        assert mailbox.select("INBOX").exists == 1
    assert oauth_authority.introspections > before


def test_xoauth2_with_a_bad_token_is_an_auth_error(
    dovecot: DovecotServer, imap_user: DovecotUser
) -> None:
    with xoauth2_box(dovecot) as mailbox:
        with pytest.raises(ImapAuthError, match=r"XOAUTH2 login .* refused.*check the credential"):
            mailbox.login_xoauth2(imap_user.name, "forged-token")


def test_xoauth2_token_for_another_mailbox_is_refused(
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    oauth_authority: FakeAuthority,
    box: SecretBox,
) -> None:
    other = dovecot.add_user()
    client = oauth_authority.add_client(other.name)
    token = provider(oauth_authority, client, box).token()
    with xoauth2_box(dovecot) as mailbox:
        with pytest.raises(ImapAuthError):
            mailbox.login_xoauth2(imap_user.name, token.value)


def test_delegated_token_opens_the_persons_mailbox(
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    oauth_authority: FakeAuthority,
    box: SecretBox,
) -> None:
    client = oauth_authority.add_client("")
    token = sign_in(oauth_authority, delegated(oauth_authority, client, box), imap_user.name)
    with xoauth2_box(dovecot) as mailbox:
        mailbox.login_xoauth2(imap_user.name, token.value)
        assert mailbox.select("INBOX").exists == 0
