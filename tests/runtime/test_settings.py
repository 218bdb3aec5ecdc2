"""``runtime.settings``: accounts, credentials and parameters checked and written to the store.

Every test runs on SQLite and, when ``MAILWRIGHT_TEST_DATABASE_URL`` is set, on PostgreSQL.
The ``configured`` fixture (a mailwright.toml over that database, migrated, named by
``MAILWRIGHT_CONFIG``) is shared with the command-line tests of accounts, credentials and
params, which import it from here.
"""

from __future__ import annotations

import datetime as dt
import mailbox
import zoneinfo
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from mailstore.migrate import BUILTIN_VERSION, builtin_version, migrate
from mailstore.sources import open_source
from runtime.settings import (
    AccountEdit,
    AccountSpec,
    CredentialSpec,
    SettingsError,
    add_account,
    add_credential,
    check_account,
    edit_account,
    get_param,
    header_block,
    list_params,
    parse_since,
    remove_account,
    remove_credential,
    rename_account,
    set_account_enabled,
    set_param,
    unset_param,
)
from tests.mailstore.conftest import db_url  # noqa: F401 - SQLite and PostgreSQL

PRAGUE = zoneinfo.ZoneInfo("Europe/Prague")


@pytest.fixture
def configured(
    db_url: str,  # noqa: F811 - the imported fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Return a migrated mailwright.toml over ``db_url``, also set as MAILWRIGHT_CONFIG."""
    monkeypatch.delenv("MAILWRIGHT_SECRET_KEY", raising=False)
    folder = tmp_path / "setup"
    folder.mkdir()
    config = folder / "mailwright.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[storage]\nblobs = "blobs"\n\n'
        '[secrets]\nkeyFile = "secret.key"\n',
        encoding="utf-8",
    )
    Store.open(load_config(config), migrate=True).close()
    monkeypatch.setenv("MAILWRIGHT_CONFIG", str(config))
    return config


def open_store(config: Path) -> Store:
    """Open the configured store (rebinding the built-in models to it)."""
    return Store.open(load_config(config))


@pytest.fixture
def store(configured: Path) -> Iterator[Store]:
    s = open_store(configured)
    try:
        yield s
    finally:
        s.close()


def message(n: int, body: str = "the body") -> bytes:
    """A small e-mail whose body is easy to look for."""
    msg = EmailMessage()
    msg["From"] = "jana@dodavatel.cz"
    msg["To"] = "faktury@example.com"
    msg["Subject"] = f"faktura {n}"
    msg["Message-ID"] = f"<m{n}@dodavatel.cz>"
    msg.set_content(f"{body} {n}\n")
    return bytes(msg)


def make_maildir(path: Path, count: int) -> Path:
    box = mailbox.Maildir(path, create=True)
    for n in range(count):
        box.add(message(n, "BODY-NEVER-STORED"))
    return path


def password(store: Store, name: str = "login", user: str = "faktury@example.com") -> None:
    add_credential(store, CredentialSpec(name, "password", user=user, secret="s3cret-Heslo"))


# --- since and headers ---------------------------------------------------------------


def test_since_without_offset_is_a_time_in_the_configured_zone() -> None:
    assert parse_since("2024-01-31", PRAGUE) == dt.datetime(2024, 1, 30, 23, 0)
    assert parse_since("2024-07-01T08:30", PRAGUE) == dt.datetime(2024, 7, 1, 6, 30)
    assert parse_since("2024-07-01T08:30+00:00", PRAGUE) == dt.datetime(2024, 7, 1, 8, 30)
    with pytest.raises(SettingsError, match=r"--since '31\.1\.2024': not a date"):
        parse_since("31.1.2024", PRAGUE)


@given(st.datetimes(timezones=st.sampled_from([dt.UTC, PRAGUE, zoneinfo.ZoneInfo("Asia/Tokyo")])))
def test_since_with_an_offset_is_that_instant_in_utc(moment: dt.datetime) -> None:
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    assert parse_since(moment.isoformat(), PRAGUE) == utc


_HEADER_LINE = st.from_regex(r"[A-Za-z-]{1,12}: [ -~]{0,40}", fullmatch=True)


@given(
    st.lists(_HEADER_LINE, min_size=1, max_size=6),
    st.sampled_from([b"\r\n", b"\n"]),
    st.binary(max_size=200),
)
def test_header_block_keeps_the_headers_and_drops_the_body(
    lines: list[str], eol: bytes, body: bytes
) -> None:
    head = eol.join(line.encode("ascii") for line in lines) + eol + eol
    assert header_block(head + body) == head
    assert header_block(eol.join(line.encode("ascii") for line in lines)).count(b"\n") == (
        len(lines) - 1
    )


@given(st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"a", b": "]), max_size=40).map(b"".join))
def test_header_block_ends_at_the_first_blank_line_of_either_kind(raw: bytes) -> None:
    blank = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    if not blank:
        assert header_block(raw) == raw  # no blank line: all headers
        return
    end = min(blank)
    assert header_block(raw) == raw[: end + (4 if raw.startswith(b"\r\n\r\n", end) else 2)]


# --- accounts ------------------------------------------------------------------------


def test_imap_account_takes_its_address_from_the_login_and_its_port_from_security(
    store: Store,
) -> None:
    password(store)
    ssl_account, notes = add_account(
        store, AccountSpec("a", "INVOICES", "imap", host="imap.example.com", credential="login")
    )
    assert notes == []
    assert (ssl_account.address, ssl_account.port, ssl_account.security) == (
        "faktury@example.com",
        993,
        "ssl",
    )
    assert ssl_account.afterProcessing == "seen" and ssl_account.imapKeywords is False
    starttls, _ = add_account(
        store,
        AccountSpec(
            "b", "ROBOT", "imap", host="h", security="starttls", credential="login",
            address="robot@example.com", after=" move: Hotovo ", keywords=True,
        ),
    )  # fmt: skip
    fresh = m.MailAccount.get_by_id(starttls.id)
    assert (fresh.port, fresh.address, fresh.afterProcessing) == (143, "robot@example.com",
                                                                   "move:Hotovo")  # fmt: skip
    assert fresh.imapKeywords is True and fresh.credential.name == "login"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"security": "none"}, "--allow-insecure"),
        ({"credential": None}, "needs --credential"),
        ({"host": None}, "needs --imap HOST"),
        ({"purpose": "invoices"}, "--purpose 'invoices'"),
        ({"address": "not an address"}, "not an e-mail address"),
        ({"port": 70000}, "not a port number"),
        ({"after": "archive"}, "use seen, move:FOLDER, delete or none"),
        ({"after": "move:"}, "needs a folder"),
        ({"quiet_period_hours": 0}, "above 0"),
        ({"ca_file": "/no/such/ca.pem"}, "--ca-file /no/such/ca.pem: no such file"),
        ({"handler": "/no/such.jexl"}, "--handler /no/such.jexl: no such file"),
        ({"since": dt.datetime(2024, 1, 1), "from_now": True}, "not both"),
    ],
)
def test_imap_account_refusals_name_the_option(
    store: Store, changes: dict[str, object], message: str
) -> None:
    password(store)
    spec = AccountSpec("a", "INVOICES", "imap", host="h", credential="login")
    for key, value in changes.items():
        setattr(spec, key, value)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        add_account(store, spec)
    assert m.MailAccount.select().count() == 0


def test_insecure_imap_is_allowed_when_asked(store: Store) -> None:
    password(store)
    spec = AccountSpec("a", "GENERAL", "imap", host="127.0.0.1", credential="login",
                       security="none", allow_insecure=True)  # fmt: skip
    account, _ = add_account(store, spec)
    assert (account.security, account.port) == ("none", 143)


def test_address_is_needed_when_the_login_is_not_one(store: Store) -> None:
    password(store, user="faktury")
    with pytest.raises(SettingsError, match="give --address"):
        add_account(store, AccountSpec("a", "INVOICES", "imap", host="h", credential="login"))
    add_credential(
        store, CredentialSpec("app", "oauth2_client", tenant="t", client_id="c", secret="x")
    )
    with pytest.raises(SettingsError, match="OAuth2: give --address"):
        add_account(store, AccountSpec("b", "INVOICES", "imap", host="h", credential="app"))
    account, _ = add_account(
        store,
        AccountSpec("b", "INVOICES", "imap", host="h", credential="app", address="f@example.com"),
    )
    assert account.address == "f@example.com"


def test_an_account_name_is_unique_and_a_credential_must_exist(store: Store) -> None:
    password(store)
    add_account(store, AccountSpec("a", "INVOICES", "imap", host="h", credential="login"))
    with pytest.raises(SettingsError, match="an account named 'a' exists"):
        add_account(store, AccountSpec("a", "INVOICES", "imap", host="h", credential="login"))
    with pytest.raises(SettingsError, match=r"no credential named 'nope' \(credentials: login\)"):
        add_account(store, AccountSpec("b", "INVOICES", "imap", host="h", credential="nope"))


def test_local_sources_get_an_action_they_can_carry_out(store: Store, tmp_path: Path) -> None:
    maildir = make_maildir(tmp_path / "md", 0)
    mbox_file = tmp_path / "box.mbox"
    mbox_file.write_bytes(b"")
    eml_dir = tmp_path / "eml"
    eml_dir.mkdir()
    md, _ = add_account(store, AccountSpec("md", "INVOICES", "maildir", path=str(maildir)))
    mb, _ = add_account(store, AccountSpec("mb", "INVOICES", "mbox", path=str(mbox_file)))
    em, _ = add_account(store, AccountSpec("em", "INVOICES", "emlfolder", path=str(eml_dir)))
    assert [md.afterProcessing, mb.afterProcessing, em.afterProcessing] == ["seen", "none", "none"]
    assert md.path == str(maildir.resolve()) and md.host is None and md.port is None
    with pytest.raises(SettingsError, match=r"not possible for a mbox \(use none\)"):
        add_account(store, AccountSpec("x", "GENERAL", "mbox", path=str(mbox_file), after="seen"))
    with pytest.raises(SettingsError, match=r"not possible for a emlfolder"):
        add_account(
            store, AccountSpec("x", "GENERAL", "emlfolder", path=str(eml_dir), after="seen")
        )
    moved, _ = add_account(
        store, AccountSpec("x", "GENERAL", "emlfolder", path=str(eml_dir), after="move:done")
    )
    assert moved.afterProcessing == "move:done"


def test_a_local_source_must_exist_and_takes_no_credential(store: Store, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not a Maildir"):
        add_account(store, AccountSpec("x", "GENERAL", "maildir", path=str(tmp_path)))
    password(store)
    maildir = make_maildir(tmp_path / "md", 0)
    with pytest.raises(SettingsError, match="takes no --credential"):
        add_account(
            store, AccountSpec("x", "GENERAL", "maildir", path=str(maildir), credential="login")
        )
    assert m.MailAccount.select().count() == 0


def test_from_now_records_what_is_there_as_ignored_headers_only(
    store: Store, tmp_path: Path
) -> None:
    maildir = make_maildir(tmp_path / "md", 3)
    account, notes = add_account(
        store, AccountSpec("md", "INVOICES", "maildir", path=str(maildir), from_now=True)
    )
    assert notes == ["--from-now: 3 message(s) already there recorded as IGNORED"]
    rows = list(m.ReceivedEmail.select().where(m.ReceivedEmail.mailAccount == account))
    assert sorted(r.subject for r in rows) == ["faktura 0", "faktura 1", "faktura 2"]
    assert {r.state for r in rows} == {"IGNORED"}
    assert all("--from-now" in r.reason for r in rows)
    # the ledger's keys are the source's, so ingestion will not take them again
    keys = {key for key, _ in open_source("maildir", maildir).messages()}
    assert {r.key for r in rows} == keys
    for r in rows:  # headers only: the body is neither in the row nor in the blob store
        assert not r.body
        assert b"BODY-NEVER-STORED" not in store.file(r.sha256)
    assert account.since is None  # every message present is recorded: no date cut-off
    # a message that arrives later is not in the ledger
    mailbox.Maildir(maildir).add(message(9))
    later = {key for key, _ in open_source("maildir", maildir).messages()} - keys
    assert len(later) == 1


def test_from_now_on_an_empty_mbox(store: Store, tmp_path: Path) -> None:
    mbox_file = tmp_path / "empty.mbox"
    mbox_file.write_bytes(b"")
    _, notes = add_account(
        store, AccountSpec("mb", "INVOICES", "mbox", path=str(mbox_file), from_now=True)
    )
    assert notes == ["--from-now: 0 message(s) already there recorded as IGNORED"]


def test_check_account_counts_a_local_source(store: Store, tmp_path: Path) -> None:
    maildir = make_maildir(tmp_path / "md", 2)
    add_account(store, AccountSpec("md", "INVOICES", "maildir", path=str(maildir)))
    result = check_account(store, "md")
    assert result.ok and result.lines == [f"md: maildir {maildir.resolve()}: 2 message(s)"]
    for sub in ("cur", "new", "tmp"):
        for f in (maildir / sub).iterdir():
            f.unlink()
        (maildir / sub).rmdir()
    result = check_account(store, "md")
    assert not result.ok and "not a Maildir" in result.lines[0]
    with pytest.raises(SettingsError, match=r"no account named 'x' \(accounts: md\)"):
        check_account(store, "x")


def test_remove_is_refused_while_e_mails_are_stored(store: Store, tmp_path: Path) -> None:
    maildir = make_maildir(tmp_path / "md", 1)
    add_account(store, AccountSpec("md", "INVOICES", "maildir", path=str(maildir), from_now=True))
    with pytest.raises(SettingsError, match="has 1 stored e-mail"):
        remove_account(store, "md")
    assert set_account_enabled(store, "md", False).enabled is False
    empty = make_maildir(tmp_path / "empty", 0)
    account, _ = add_account(store, AccountSpec("e", "INVOICES", "maildir", path=str(empty)))
    assert m.Lease.claim(f"account:{account.id}", "runner-1", 60, account=account)
    remove_account(store, "e")
    assert m.MailAccount.get_or_none(m.MailAccount.name == "e") is None
    assert m.Lease.select().count() == 0


# --- credentials ---------------------------------------------------------------------


def test_a_password_is_stored_encrypted(store: Store) -> None:
    password(store)
    row = m.Credential.get(m.Credential.name == "login")
    assert row.kind == "password" and row.username == "faktury@example.com"
    assert "s3cret-Heslo" not in row.secret
    assert store.secrets.decrypt(row.secret) == "s3cret-Heslo"


def test_an_oauth2_client_keeps_its_authority_and_ca(store: Store, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    add_credential(
        store,
        CredentialSpec(
            "app", "oauth2_client", tenant="contoso", client_id="cid", secret="client-Secret",
            authority="https://127.0.0.1:8443", ca_file=str(ca),
        ),
    )  # fmt: skip
    row = m.Credential.get(m.Credential.name == "app")
    assert (row.tenant, row.clientId, row.authority, row.caFile) == (
        "contoso", "cid", "https://127.0.0.1:8443", str(ca.resolve()),
    )  # fmt: skip
    assert store.secrets.decrypt(row.secret) == "client-Secret"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (CredentialSpec("c", "password", secret="x"), "needs --user"),
        (CredentialSpec("c", "password", user="u"), "needs the password"),
        (CredentialSpec("c", "oauth2_client", tenant="t", secret="x"), "needs --client-id"),
        (CredentialSpec("c", "oauth2_client", tenant="t", client_id="c"), "the client secret"),
        (CredentialSpec("c", "oauth2_delegated", client_id="c"), "needs --tenant"),
        (
            CredentialSpec("c", "oauth2_delegated", tenant="t", client_id="c", secret="x"),
            "has no secret",
        ),
        (
            CredentialSpec(
                "c",
                "oauth2_client",
                tenant="t",
                client_id="c",
                secret="x",
                authority="http://127.0.0.1",
            ),  # fmt: skip
            "give an https:// URL",
        ),
        (CredentialSpec("c", "password", user="u", secret="x", tenant="t"), "are for OAuth2"),
        (CredentialSpec("c", "ldap", user="u", secret="x"), "--type 'ldap'"),
    ],
)
def test_credential_refusals_never_quote_the_secret(
    store: Store, spec: CredentialSpec, message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        add_credential(store, spec)
    assert spec.secret is None or spec.secret not in str(caught.value).split("'")
    assert m.Credential.select().count() == 0


def test_a_credential_in_use_is_not_removed(store: Store) -> None:
    password(store)
    add_account(store, AccountSpec("a", "INVOICES", "imap", host="h", credential="login"))
    with pytest.raises(SettingsError, match="is used by a"):
        remove_credential(store, "login")
    password(store, name="spare")
    remove_credential(store, "spare")
    assert [c.name for c in m.Credential.select()] == ["login"]


# --- parameters ----------------------------------------------------------------------


def test_parameters_set_get_list_unset(store: Store) -> None:
    assert set_param(store, "invoice.prefix", "FA") == []
    set_param(store, "invoice.prefix", "FV")
    set_param(store, "a.first", "")
    assert get_param(store, "invoice.prefix") == "FV"
    assert list_params(store) == [("a.first", ""), ("invoice.prefix", "FV")]
    unset_param(store, "a.first")
    with pytest.raises(SettingsError, match="no parameter named 'a.first'"):
        get_param(store, "a.first")
    with pytest.raises(SettingsError, match="no parameter named 'a.first'"):
        unset_param(store, "a.first")


def test_robot_address_warns_without_an_enabled_robot_account(store: Store, tmp_path: Path) -> None:
    (warning,) = set_param(store, "mail.robotAddress", "robot@example.com")
    assert "is robot@example.com, but no enabled mail account of purpose ROBOT" in warning
    maildir = make_maildir(tmp_path / "md", 0)
    add_account(store, AccountSpec("r", "ROBOT", "maildir", path=str(maildir),
                                   address="Robot@Example.com"))  # fmt: skip
    assert set_param(store, "mail.robotAddress", "robot@example.com") == []
    set_account_enabled(store, "r", False)
    assert len(set_param(store, "mail.robotAddress", "robot@example.com")) == 1
    set_account_enabled(store, "r", True)
    assert len(set_param(store, "mail.robotAddress", "other@example.com")) == 1
    # the value is set even when it warns
    assert get_param(store, "mail.robotAddress") == "other@example.com"


# --- the schema step these settings added --------------------------------------------


def test_a_version_1_database_gets_the_new_columns(store: Store) -> None:
    from playhouse.migrate import SchemaMigrator

    db = store.db
    migrator = SchemaMigrator.from_database(db)
    with db.atomic():
        migrator.drop_column("credential", "authority").run()
        migrator.drop_column("credential", "ca_file").run()
        migrator.drop_column("mail_account", "ca_file").run()
        migrator.drop_column("smtp_account", "ca_file").run()
        # what version 3 added, so the database is really at version 1
        for column in ("last_run_at", "last_success_at", "last_error"):
            migrator.drop_column("mail_account", column).run()
        db.drop_tables([m.InternalSecret])
        # a fresh database records only the current version: make it look like version 1
        m.SchemaVersion.update(version=1).execute()
    assert builtin_version(db) == 1
    report = migrate(db, store.schema)
    assert report.changes == [
        "built-in schema version 2: credential.authority, credential.ca_file, mail_account.ca_file",
        "built-in schema version 3: mail_account.last_*, smtp_account.ca_file, internal_secret",
    ]
    assert builtin_version(db) == BUILTIN_VERSION
    assert {"authority", "ca_file"} <= {c.name for c in db.get_columns("credential")}
    assert "ca_file" in {c.name for c in db.get_columns("mail_account")}


def test_an_imap_account_without_a_credential_fails_its_check(store: Store) -> None:
    # made by hand (accounts add refuses it), as an older setup or a script might
    m.MailAccount.create(name="bare", address="a@example.com", host="127.0.0.1", port=1)
    result = check_account(store, "bare")
    assert not result.ok and result.lines == [
        "bare: account 'bare' has no credential (add one with --credential)"
    ]


# --- accounts edit and rename ------------------------------------------------------------


def test_edit_changes_only_what_is_given_and_says_what_changed(
    store: Store, tmp_path: Path
) -> None:
    password(store)
    add_credential(store, CredentialSpec("app", "oauth2_client", tenant="t", client_id="c",
                                         secret="x"))  # fmt: skip
    add_account(store, AccountSpec("a", "INVOICES", "imap", host="h", credential="login"))
    script = tmp_path / "own.jexl"
    script.write_text("1", encoding="utf-8")
    ca = tmp_path / "ca.pem"
    ca.write_text("-", encoding="utf-8")
    account, lines = edit_account(
        store, "a",
        AccountEdit(handler=str(script), after="move: Hotovo", quiet_period_hours=24,
                    credential="app", folder="Faktury", address="inbox@example.com",
                    keywords=True, ca_file=str(ca)),
    )  # fmt: skip
    fresh = m.MailAccount.get_by_id(account.id)
    assert fresh.handlerScript == str(script.resolve()) and fresh.caFile == str(ca.resolve())
    assert (fresh.afterProcessing, fresh.quietPeriodHours, fresh.folder) == (
        "move:Hotovo",
        24,
        "Faktury",
    )
    assert (fresh.address, fresh.imapKeywords, fresh.credential.name) == (
        "inbox@example.com",
        True,
        "app",
    )
    assert fresh.host == "h" and fresh.port == 993  # untouched
    assert "after: seen -> move:Hotovo" in lines
    assert "credential: login -> app" in lines and "keywords: no -> yes" in lines
    assert "handler: (the global one) -> " + str(script.resolve()) in lines
    assert any("fetches the messages of Faktury" in line for line in lines)
    assert not any("s3cret" in line or "x" == line for line in lines)
    # back: no own handler, no quiet period, no keywords
    _, lines = edit_account(store, "a", AccountEdit(handler="", quiet_period_hours=0,
                                                    keywords=False))  # fmt: skip
    fresh = m.MailAccount.get_by_id(account.id)
    assert (fresh.handlerScript, fresh.quietPeriodHours, fresh.imapKeywords) == (None, None, False)
    assert "quiet period: 24 -> -" in lines


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (AccountEdit(), "nothing to change"),
        (AccountEdit(after="archive"), "use seen, move:FOLDER, delete or none"),
        (AccountEdit(after="move:"), "needs a folder"),
        (AccountEdit(quiet_period_hours=-1), "above 0"),
        (AccountEdit(address="nope"), "not an e-mail address"),
        (AccountEdit(credential="missing"), "no credential named 'missing'"),
        (AccountEdit(handler="/no/such.jexl"), "--handler /no/such.jexl: no such file"),
        (AccountEdit(ca_file="/no/ca.pem"), "--ca-file /no/ca.pem: no such file"),
        (AccountEdit(folder=" "), "--folder"),
    ],
)
def test_edit_refusals_name_the_option_and_change_nothing(
    store: Store, edit: AccountEdit, message: str
) -> None:
    password(store)
    add_account(store, AccountSpec("a", "INVOICES", "imap", host="h", credential="login"))
    before = dict(m.MailAccount.get().__data__)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        edit_account(store, "a", edit)
    assert dict(m.MailAccount.get().__data__) == before


def test_edit_of_a_local_account_keeps_to_what_it_can_do(store: Store, tmp_path: Path) -> None:
    mailbox.mbox(tmp_path / "a.mbox", create=True).close()
    add_account(store, AccountSpec("box", "GENERAL", "mbox", path=str(tmp_path / "a.mbox")))
    password(store)
    for edit, message in [
        (AccountEdit(after="seen"), "not possible for a mbox"),
        (AccountEdit(credential="login"), "--credential is for IMAP accounts"),
        (AccountEdit(folder="INBOX"), "--folder is for IMAP accounts"),
        (AccountEdit(keywords=True), "--keywords is for IMAP accounts"),
    ]:
        with pytest.raises(SettingsError, match=message):
            edit_account(store, "box", edit)
    _, lines = edit_account(store, "box", AccountEdit(quiet_period_hours=48))
    assert lines == ["quiet period: - -> 48"]
    with pytest.raises(SettingsError, match="no account named 'nope'"):
        edit_account(store, "nope", AccountEdit(quiet_period_hours=1))


def test_rename_keeps_the_emails_with_the_account(store: Store, tmp_path: Path) -> None:
    box = make_maildir(tmp_path / "md", 2)
    add_account(store, AccountSpec("old", "INVOICES", "maildir", path=str(box), from_now=True))
    add_account(store, AccountSpec("other", "GENERAL", "maildir", path=str(box)))
    account = rename_account(store, "old", "new")
    assert account.name == "new"
    assert m.ReceivedEmail.select().where(m.ReceivedEmail.mailAccount == account).count() == 2
    for old, new, message in [
        ("new", "other", "an account named 'other' exists"),
        ("new", " ", "needs a name"),
        ("new", "new", "already named 'new'"),
        ("old", "x", "no account named 'old'"),
    ]:
        with pytest.raises(SettingsError, match=message):
            rename_account(store, old, new)
    assert [a.name for a in m.MailAccount.select().order_by(m.MailAccount.name)] == [
        "new",
        "other",
    ]
