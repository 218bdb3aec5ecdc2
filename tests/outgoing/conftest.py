"""Fixtures of the outgoing-mail tests: a configured store (SQLite and PostgreSQL), the
central SMTP server pointed at a test server, and queued messages.

``configured`` is a migrated mailwright.toml (also ``MAILWRIGHT_CONFIG``) with a retry
policy of 3 attempts and known delays; ``ctx`` the open `AppContext` over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from mailstore.outmessage import new_message_id
from runtime.context import AppContext, open_context
from tests.mailstore.conftest import db_url  # noqa: F401 - SQLite and PostgreSQL
from tests.servers.smtp import SmtpServer

#: the retry policy of the test config: 3 attempts, after 1 minute, then 10 minutes
ATTEMPTS = 3
DELAYS = (60.0, 600.0)


def write_config(folder: Path, url: str, *, lease: str = "5m", extra: str = "") -> Path:
    """Write and migrate a mailwright.toml over *url* in *folder*; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "mailwright.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n\n[storage]\nblobs = "blobs"\n\n'
        '[secrets]\nkeyFile = "secret.key"\n\n'
        f'[retry]\nattempts = {ATTEMPTS}\ndelays = ["1m", "10m"]\nlease = "{lease}"\n' + extra,
        encoding="utf-8",
    )
    Store.open(load_config(config), migrate=True).close()
    return config


@pytest.fixture
def configured(
    db_url: str,  # noqa: F811 - the imported fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Return a migrated mailwright.toml over ``db_url``, also set as MAILWRIGHT_CONFIG."""
    monkeypatch.delenv("MAILWRIGHT_SECRET_KEY", raising=False)
    config = write_config(tmp_path / "setup", db_url)
    monkeypatch.setenv("MAILWRIGHT_CONFIG", str(config))
    return config


@pytest.fixture
def ctx(configured: Path) -> Iterator[AppContext]:
    """Yield the open context of ``configured``."""
    context = open_context(str(configured))
    try:
        yield context
    finally:
        context.close()


def use_server(
    ctx: AppContext,
    server: SmtpServer,
    *,
    name: str = "central",
    security: str = "starttls",
    login: bool = True,
    password: str | None = None,
    ca_file: bool = True,
    from_address: str = "Podatelna <podatelna@example.test>",
) -> m.SmtpAccount:
    """Make *server* the central SMTP server (a default SmtpAccount with a password
    credential unless *login* is false); return the account."""
    from runtime.settings import CredentialSpec, add_credential
    from runtime.smtpaccounts import SmtpAccountSpec, add_smtp_account

    credential = None
    if login:
        credential = f"{name}-login"
        add_credential(
            ctx.store,
            CredentialSpec(
                name=credential,
                kind="password",
                user=server.username,
                secret=password if password is not None else server.password,
            ),
        )
    account, _warnings = add_smtp_account(
        ctx.store,
        SmtpAccountSpec(
            name=name,
            host=server.host,
            port=server.port,
            security=security,
            allow_insecure=True,
            credential=credential,
            ca_file=server.ca_file if ca_file else None,
            default=True,
            from_address=from_address,
        ),
    )
    return account


def queue(ctx: AppContext, count: int = 1, **fields: Any) -> list[m.SentEmail]:
    """Write *count* QUEUED messages (to jana@example.test unless *fields* say otherwise)."""
    rows = []
    for n in range(count):
        values: dict[str, Any] = {
            "to": ["Jana Nováková <jana@example.test>"],
            "subject": f"Potvrzení {n}",
            "body": f"Dobrý den, zpráva {n}.",
        }
        values.update(fields)
        rows.append(
            m.SentEmail.create(state="QUEUED", messageId=new_message_id("example.test"), **values)
        )
    return rows


def reload(row: m.SentEmail) -> m.SentEmail:
    """The row as the database has it now."""
    return m.SentEmail.get_by_id(row.id)
