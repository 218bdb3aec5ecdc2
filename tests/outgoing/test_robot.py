"""The robot address, its warnings, and the signed reply tokens (mail.robotTokens)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import Config
from mailstore.replylink import TOKEN_KEY_NAME, token_key
from mailstore.rotation import rotate_key_file
from runtime.robot import (
    is_robot_address,
    reply_to_for,
    robot_address,
    robot_warnings,
    token_sent_email,
)
from tests.mailstore.conftest import db_url  # noqa: F401


def _config(db_url: str, tmp_path: Path) -> Config:  # noqa: F811
    return Config(
        path=None,
        database_url=db_url,
        blob_dir=tmp_path / "blobs",
        key_file=tmp_path / "secret.key",
    )


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:  # noqa: F811
    opened = Store.open(_config(db_url, tmp_path), migrate=True)
    try:
        yield opened
    finally:
        opened.close()


def param(name: str, value: str | None) -> None:
    updated = m.GlobalParameter.update(value=value).where(m.GlobalParameter.name == name).execute()
    if not updated:
        m.GlobalParameter.create(name=name, value=value)


def sent(**fields: object) -> m.SentEmail:
    return m.SentEmail.create(messageId=f"<{m.SentEmail.select().count()}@firma.cz>",
                              to=["jana@dodavatel.cz"], **fields)  # fmt: skip


def robot_account(address: str, *, enabled: bool = True, purpose: str = "ROBOT") -> None:
    m.MailAccount.create(name=f"robot-{address}-{purpose}", address=address, purpose=purpose,
                         host="imap.firma.cz", enabled=enabled)  # fmt: skip


def test_the_robot_address_and_what_is_wrong_with_it(store: Store) -> None:
    assert robot_address(store) is None
    [unset] = robot_warnings(store)
    assert "mail.robotAddress is not set" in unset and "without a Reply-To" in unset
    param("mail.robotAddress", "  robot@firma.cz ")
    assert robot_address(store) == "robot@firma.cz"
    robot_account("robot@firma.cz", enabled=False)
    robot_account("robot@firma.cz", purpose="INVOICES")
    [missing] = robot_warnings(store)
    assert "no enabled mail account of purpose ROBOT has that address" in missing
    robot_account("Robot@Firma.cz")
    assert robot_warnings(store) == []


def test_reply_to_is_the_robot_address_or_nothing(store: Store) -> None:
    row = sent()
    assert reply_to_for(store, row) is None
    param("mail.robotAddress", "robot@firma.cz")
    assert reply_to_for(store, row) == "robot@firma.cz"
    assert reply_to_for(store, sent(replyTo="podpora@firma.cz")) == "podpora@firma.cz"
    param("mail.robotTokens", "no")
    assert reply_to_for(store, row) == "robot@firma.cz"
    assert m.InternalSecret.select().count() == 0  # no key until a token is needed


@pytest.mark.parametrize("on", ["true", "1", "yes", "TRUE"])
def test_tokens_carry_the_id_and_a_signature(store: Store, on: str) -> None:
    param("mail.robotAddress", "robot@firma.cz")
    param("mail.robotTokens", on)
    first, second = sent(), sent()
    token = reply_to_for(store, first)
    assert token is not None
    local, _, domain = token.partition("@")
    assert domain == "firma.cz" and local.startswith(f"robot+{first.id}.")
    assert len(local.rpartition(".")[2]) == 16  # 80 bits in base 32
    assert token_sent_email(store, token) == first.id
    assert token_sent_email(store, f"<{token.upper()}>") == first.id  # servers may upcase
    assert reply_to_for(store, first) == token  # stable: one key
    other = reply_to_for(store, second)
    assert other != token and token_sent_email(store, other or "") == second.id
    assert is_robot_address(store, token) and is_robot_address(store, "ROBOT@firma.cz")
    assert not is_robot_address(store, "robotic@firma.cz")


def test_a_token_cannot_be_forged_or_moved_to_another_id(store: Store) -> None:
    param("mail.robotAddress", "robot@firma.cz")
    param("mail.robotTokens", "true")
    row = sent()
    token = reply_to_for(store, row) or ""
    mac = token.partition("@")[0].rpartition(".")[2]
    flipped = ("b" if mac[0] == "a" else "a") + mac[1:]
    for forged in (
        token.replace(mac, flipped),
        token.replace(f"+{row.id}.", f"+{row.id + 1}."),
        f"robot+{row.id}.aaaaaaaaaaaaaaaa@firma.cz",
        f"robot+{row.id}@firma.cz",
        "robot@firma.cz",
        "jana@dodavatel.cz",
    ):
        assert token_sent_email(store, forged) is None, forged


def test_no_key_verifies_nothing(store: Store) -> None:
    assert token_key(store) is None
    assert token_sent_email(store, "robot+1.aaaaaaaaaaaaaaaa@firma.cz") is None
    assert m.InternalSecret.select().count() == 0


def test_the_key_is_stored_encrypted_and_survives_secrets_rotate(
    store: Store,
    db_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    param("mail.robotAddress", "robot@firma.cz")
    param("mail.robotTokens", "true")
    row = sent()
    token = reply_to_for(store, row) or ""
    key = token_key(store)
    assert key is not None and len(key) == 32
    stored = m.InternalSecret.get(m.InternalSecret.name == TOKEN_KEY_NAME).value
    assert key.hex() not in stored and store.secrets.decrypt(stored)  # a Fernet token
    rotate_key_file(store, tmp_path / "secret.key")
    assert m.InternalSecret.get(m.InternalSecret.name == TOKEN_KEY_NAME).value != stored
    store.close()
    with Store.open(_config(db_url, tmp_path)) as again:  # only the new key now
        assert again.secrets.key_count == 1
        assert token_key(again) == key
        assert token_sent_email(again, token) == row.id
