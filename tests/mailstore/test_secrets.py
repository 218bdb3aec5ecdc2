"""Secrets at rest: Fernet round trips, the key's sources, clear errors for a wrong key."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailstore import models as m
from mailstore.api import Store
from mailstore.secrets import (
    ENV_VAR,
    SecretBox,
    SecretKeyError,
    SecretKeyWarning,
    generate_key,
    load_secret_box,
)

_BOX = SecretBox([generate_key()], "a test key")


@given(st.text())
def test_any_text_round_trips(text: str) -> None:
    token = _BOX.encrypt(text)
    assert token.isascii()
    assert _BOX.decrypt(token) == text


def test_the_same_secret_encrypts_differently_each_time() -> None:
    assert _BOX.encrypt("heslo") != _BOX.encrypt("heslo")


def test_a_key_file_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "secret.key"
    box = load_secret_box(path, environ={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert box.source == f"key file {path}"
    token = box.encrypt("app password")
    # a later run reads the same key
    assert load_secret_box(path, environ={}).decrypt(token) == "app password"


def test_a_missing_key_file_is_not_created_when_asked_not_to(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match=r"key file .*secret.key: does not exist"):
        load_secret_box(tmp_path / "secret.key", create=False, environ={})
    assert not (tmp_path / "secret.key").exists()


def test_the_wrong_key_names_the_key_file(tmp_path: Path) -> None:
    token = load_secret_box(tmp_path / "old.key", environ={}).encrypt("heslo")
    other = tmp_path / "new.key"
    with pytest.raises(SecretKeyError) as info:
        load_secret_box(other, environ={}).decrypt(token)
    message = str(info.value)
    assert f"cannot be decrypted with the key from key file {other}" in message
    assert "heslo" not in message


def test_a_damaged_token_is_an_error_not_garbage() -> None:
    token = _BOX.encrypt("heslo")
    damaged = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (damaged, "not a token", "ž" * 10, ""):
        with pytest.raises(SecretKeyError, match="a test key"):
            _BOX.decrypt(bad)


def test_the_environment_variable_wins(tmp_path: Path) -> None:
    key = generate_key()
    token = SecretBox([key], "x").encrypt("s")
    box = load_secret_box(tmp_path / "secret.key", environ={ENV_VAR: key})
    assert box.decrypt(token) == "s"
    assert box.source == f"environment variable {ENV_VAR}"
    assert not (tmp_path / "secret.key").exists()
    with pytest.raises(SecretKeyError, match=f"environment variable {ENV_VAR}"):
        load_secret_box(None, environ={ENV_VAR: generate_key()}).decrypt(token)


def test_without_any_key_the_error_says_how_to_give_one() -> None:
    with pytest.raises(SecretKeyError, match=f"set {ENV_VAR} or secrets.keyFile"):
        load_secret_box(None, environ={})


def test_a_malformed_key_names_its_source(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("not-a-key\n")
    os.chmod(path, 0o600)
    with pytest.raises(SecretKeyError, match=rf"key file {path}: key 1 is not a Fernet key"):
        load_secret_box(path, environ={})
    path.write_text("# only a comment\n")
    with pytest.raises(SecretKeyError, match=rf"key file {path}: holds no key"):
        load_secret_box(path, environ={})
    with pytest.raises(SecretKeyError, match=f"environment variable {ENV_VAR}: key 2 is not"):
        load_secret_box(None, environ={ENV_VAR: generate_key() + ",short"})


def test_a_key_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text(generate_key())
    os.chmod(path, 0o644)
    with pytest.warns(
        SecretKeyWarning, match=rf"key file {path}: other users can read it .*chmod 600"
    ):
        load_secret_box(path, environ={})
    os.chmod(path, 0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_secret_box(path, environ={})


def test_rotation_with_several_keys(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox([old], "old").encrypt("client secret")
    path = tmp_path / "secret.key"
    path.write_text(f"{new}\n# the previous key, until every secret is rotated\n{old}\n")
    os.chmod(path, 0o600)
    both = load_secret_box(path, environ={})
    assert both.key_count == 2
    assert both.decrypt(token) == "client secret"  # old secrets still open
    rotated = both.rotate(token)
    assert SecretBox([new], "new alone").decrypt(rotated) == "client secret"
    with pytest.raises(SecretKeyError):
        SecretBox([old], "old alone").decrypt(rotated)
    with pytest.raises(SecretKeyError, match="new alone"):
        SecretBox([new], "new alone").rotate(SecretBox([generate_key()], "x").encrypt("y"))
    # new secrets use the first key
    assert SecretBox([new], "new").decrypt(both.encrypt("z")) == "z"


def test_two_processes_creating_the_key_file_agree(tmp_path: Path) -> None:
    # O_EXCL: the second creator reads the first one's key instead of writing its own
    path = tmp_path / "secret.key"
    first = load_secret_box(path, environ={})
    content = path.read_text()
    second = load_secret_box(path, environ={})
    assert path.read_text() == content
    assert second.decrypt(first.encrypt("x")) == "x"


def test_credentials_are_stored_encrypted(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, generate_key())
    box = store.secrets
    cred = m.Credential.create(
        name="imap", kind="password", username="jana", secret=box.encrypt("tajné")
    )
    raw = store.db.execute_sql(
        f"SELECT secret FROM credential WHERE id = {int(cred.id)}"
    ).fetchone()[0]
    assert "tajné" not in raw
    assert box.decrypt(m.Credential.get_by_id(cred.id).secret) == "tajné"
