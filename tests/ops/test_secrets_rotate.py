"""``mailwright secrets rotate``: every stored secret re-encrypted under a new key, the
old key kept in a 0600 backup, values (and reply tokens) unchanged, an IMAP login still
working; a secret the key cannot open stops it before anything changes; with the key in
MAILWRIGHT_SECRET_KEY it says what to set, or rotates to the variable's first key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.secrets import SecretBox, SecretKeyError, generate_key, load_secret_box
from runtime import robot
from tests.ops.conftest import Installation, run_cli
from tests.servers import TestCA
from tests.servers.dovecot import DovecotServer, DovecotUser

PASSWORD = "heslo-Žluťoučký-123"


def add_secrets(
    installation: Installation, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """A password credential, an OAuth2 credential with a token cache, and the robot's
    reply-token key; returns the plaintexts by label."""
    monkeypatch.setenv("PW", PASSWORD)
    status, out, err = run_cli(
        capsys, "credentials", "add", "office", "--type", "password", "--user", "u@x.cz",
        "--password-env", "PW",
    )  # fmt: skip
    assert status == 0, out + err
    with installation.open() as store:
        box = store.secrets
        m.Credential.create(
            name="m365", kind="oauth2_client", tenant="t", clientId="c",
            secret=box.encrypt("client-secret"), tokenCache=box.encrypt('{"AccessToken": {}}'),
        )  # fmt: skip
        m.GlobalParameter.create(name="mail.robotAddress", value="robot@odberatel.cz")
        m.GlobalParameter.create(name="mail.robotTokens", value="true")
        sent = m.SentEmail.create(messageId="<s1@odberatel.cz>", to=["jana@dodavatel.cz"])
        address = robot.reply_to_for(store, sent)
        assert address is not None and address.startswith("robot+")
        internal = m.InternalSecret.select().get()
        return {
            "office": PASSWORD,
            "m365": "client-secret",
            "cache": '{"AccessToken": {}}',
            "internal": box.decrypt(internal.value),
            "token": address,
            "sent": str(sent.id),
        }


def stored_tokens() -> list[str]:
    rows = [(c.secret, c.tokenCache) for c in m.Credential.select().order_by(m.Credential.id)]
    return [t for pair in rows for t in pair if t] + [s.value for s in m.InternalSecret.select()]


def test_rotate_reencrypts_everything_keeps_values_and_a_backup(
    installation: Installation, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    values = add_secrets(installation, capsys, monkeypatch)
    key_file = installation.dir / "secret.key"
    old_key = key_file.read_text().strip()
    with installation.open():
        before = stored_tokens()
    status, out, err = run_cli(capsys, "secrets", "rotate")
    assert status == 0, out + err
    assert "re-encrypted 4 secrets" in out and "proved" in out
    new_key = key_file.read_text().strip()
    assert new_key != old_key and "," not in new_key and "\n" not in new_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    backups = list(installation.dir.glob("secret.key.old-*"))
    assert len(backups) == 1 and str(backups[0]) in out
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    assert load_secret_box(backups[0]).encrypt("x")  # a usable key file: the old key
    assert old_key in backups[0].read_text()
    old_box = SecretBox([old_key], "old")
    with installation.open() as store:
        after = stored_tokens()
        assert len(after) == len(before) and not set(after) & set(before)
        for token in after:  # the old key opens none of them any more
            with pytest.raises(SecretKeyError):
                old_box.decrypt(token)
        box = store.secrets  # the key file as it is now
        office = m.Credential.get(m.Credential.name == "office")
        m365 = m.Credential.get(m.Credential.name == "m365")
        assert box.decrypt(str(office.secret)) == values["office"]
        assert box.decrypt(str(m365.secret)) == values["m365"]
        assert box.decrypt(str(m365.tokenCache)) == values["cache"]
        # the reply-token key keeps its value: a token sent before still verifies
        assert box.decrypt(m.InternalSecret.select().get().value) == values["internal"]
        assert robot.token_sent_email(store, values["token"]) == int(values["sent"])
    # a second rotation works from the first one's key, with a backup of its own
    status, out, _ = run_cli(capsys, "secrets", "rotate")
    assert status == 0
    assert len(list(installation.dir.glob("secret.key.old-*"))) == 2


def test_a_secret_the_key_cannot_open_stops_the_rotation_before_any_change(
    installation: Installation, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_secrets(installation, capsys, monkeypatch)
    stranger = SecretBox([generate_key()], "another installation")
    with installation.open():
        m.Credential.create(name="foreign", kind="password", secret=stranger.encrypt("x"))
        before = stored_tokens()
    key_file = installation.dir / "secret.key"
    key_before = key_file.read_text()
    status, out, _ = run_cli(capsys, "secrets", "rotate")
    assert status == 1
    assert "credential 'foreign' (secret)" in out and "nothing was changed" in out
    assert key_file.read_text() == key_before
    assert not list(installation.dir.glob("secret.key.old-*"))
    with installation.open():
        assert stored_tokens() == before


def test_with_the_key_in_the_environment_it_says_what_to_set(
    installation: Installation, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    monkeypatch.setenv("MAILWRIGHT_SECRET_KEY", key)
    add_secrets(installation, capsys, monkeypatch)
    with installation.open():
        before = stored_tokens()
    status, out, _ = run_cli(capsys, "secrets", "rotate")
    assert status == 1
    assert "MAILWRIGHT_SECRET_KEY=NEW,OLD" in out and "Nothing was changed" in out
    assert key not in out  # never printed
    with installation.open():
        assert stored_tokens() == before
    # NEW,OLD: everything moves to NEW, which alone then opens every secret
    new = generate_key()
    monkeypatch.setenv("MAILWRIGHT_SECRET_KEY", f"{new},{key}")
    status, out, _ = run_cli(capsys, "secrets", "rotate")
    assert status == 0 and "now set MAILWRIGHT_SECRET_KEY to its first key only" in out
    monkeypatch.setenv("MAILWRIGHT_SECRET_KEY", new)
    with installation.open() as store:
        for token in stored_tokens():
            store.secrets.decrypt(token)
        office = m.Credential.get(m.Credential.name == "office")
        assert store.secrets.decrypt(str(office.secret)) == PASSWORD


def test_an_imap_login_still_works_after_rotating(
    installation: Installation,
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    servers_ca: TestCA,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMAP_PW", imap_user.password)
    status, out, err = run_cli(
        capsys, "credentials", "add", "login", "--type", "password", "--user", imap_user.name,
        "--password-env", "IMAP_PW",
    )  # fmt: skip
    assert status == 0, out + err
    status, out, err = run_cli(
        capsys, "accounts", "add", "imap", "--purpose", "INVOICES", "--imap", "127.0.0.1",
        "--port", str(dovecot.ssl_port), "--credential", "login",
        "--ca-file", str(servers_ca.ca_file),
    )  # fmt: skip
    assert status == 0, out + err
    assert run_cli(capsys, "secrets", "rotate")[0] == 0
    status, out, err = run_cli(capsys, "accounts", "test", "imap")
    assert status == 0, out + err
    assert f"logged in as {imap_user.name}" in out


def test_no_key_file_is_nothing_to_rotate(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file: Path = installation.dir / "secret.key"
    key_file.unlink(missing_ok=True)
    status, out, _ = run_cli(capsys, "secrets", "rotate")
    assert status == 1 and "does not exist" in out
    assert run_cli(capsys, "secrets")[0] == 2
