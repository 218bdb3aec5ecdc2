"""The store: constraints behind the ingestion guarantees, the Python API, the config file."""

from __future__ import annotations

import datetime as dt
import decimal
import doctest
import io
import subprocess
import sys
from pathlib import Path

import peewee
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailstore import models as m
from mailstore.api import Store, StoreError
from mailstore.blobs import BlobNotFound
from mailstore.config import Config, ConfigError, find_config, load_config, parse_duration
from mailstore.db import DatabaseUrlError, describe_url, open_database
from mailstore.migrate import BUILTIN_VERSION

SHA = "ab" * 32


def _account(name: str = "inbox") -> m.MailAccount:
    return m.MailAccount.create(name=name, address=f"{name}@example.cz")


def _imap(account: m.MailAccount, uid: int, **kw: object) -> m.ReceivedEmail:
    values: dict[str, object] = dict(
        mailAccount=account, folder="INBOX", uidvalidity=7, uid=uid, sha256=SHA
    )
    values.update(kw)
    return m.ReceivedEmail.create(**values)


def _fails(store: Store, fn: object) -> None:
    with pytest.raises(peewee.IntegrityError):
        with store.atomic():
            fn()  # type: ignore[operator]


# --- constraints ---------------------------------------------------------------------


def test_imap_uid_is_unique_per_account_folder_and_uidvalidity(store: Store) -> None:
    a, b = _account("a"), _account("b")
    _imap(a, 1)
    _fails(store, lambda: _imap(a, 1))
    # the same UID elsewhere is another message
    _imap(a, 1, folder="Archive")
    _imap(a, 1, uidvalidity=8)
    _imap(b, 1)
    assert store.count("ReceivedEmail", mailAccount=a) == 3


def test_local_key_is_unique_per_account(store: Store) -> None:
    a, b = _account("a"), _account("b")
    m.ReceivedEmail.create(mailAccount=a, key="1700000000.M1P2.host", sha256=SHA)
    _fails(
        store, lambda: m.ReceivedEmail.create(mailAccount=a, key="1700000000.M1P2.host", sha256=SHA)
    )
    m.ReceivedEmail.create(mailAccount=b, key="1700000000.M1P2.host", sha256=SHA)


def test_an_email_has_exactly_one_identity(store: Store) -> None:
    a = _account()
    # neither identity: would dodge both unique constraints (NULLs are distinct)
    _fails(store, lambda: m.ReceivedEmail.create(mailAccount=a, sha256=SHA))
    # both identities
    _fails(store, lambda: _imap(a, 1, key="k"))
    # a partial IMAP identity
    _fails(store, lambda: m.ReceivedEmail.create(mailAccount=a, uid=3, uidvalidity=1, sha256=SHA))


def test_message_id_and_sha256_are_not_dedup_keys(store: Store) -> None:
    # the same message delivered to two accounts is two e-mails
    a, b = _account("a"), _account("b")
    _imap(a, 1, messageId="<x@example.cz>")
    _imap(b, 1, messageId="<x@example.cz>")
    assert len(store.records("ReceivedEmail", messageId="<x@example.cz>", sha256=SHA)) == 2


def test_sha256_and_message_id_are_indexed(store: Store) -> None:
    indexed = {tuple(i.columns) for i in store.db.get_indexes("received_email")}
    assert ("sha256",) in indexed
    assert ("message_id",) in indexed
    assert ("sha256",) in {tuple(i.columns) for i in store.db.get_indexes("attached_file")}


def test_sent_email_message_id_is_unique(store: Store) -> None:
    m.SentEmail.create(messageId="<1@robot.example.cz>", to=["a@example.cz"])
    _fails(store, lambda: m.SentEmail.create(messageId="<1@robot.example.cz>"))


def test_states_are_checked_by_the_database(store: Store) -> None:
    a = _account()
    _fails(store, lambda: _imap(a, 1, state="DONE"))
    _fails(store, lambda: m.SentEmail.create(messageId="<2@x>", state="DELIVERED"))
    for n, state in enumerate(m.RECEIVED_STATES):
        _imap(a, 100 + n, state=state)
    for n, state in enumerate(m.SENT_STATES):
        m.SentEmail.create(messageId=f"<s{n}@x>", state=state)


def test_after_processing_action_is_checked(store: Store) -> None:
    m.MailAccount.create(name="a", address="a@x", afterProcessing="move:Done")
    _fails(store, lambda: m.MailAccount.create(name="b", address="b@x", afterProcessing="move:"))
    _fails(store, lambda: m.MailAccount.create(name="c", address="c@x", afterProcessing="archive"))


def test_at_most_one_default_smtp_account(store: Store) -> None:
    m.SmtpAccount.create(name="central", host="smtp.example.cz", isDefault=True)
    m.SmtpAccount.create(name="other", host="smtp2.example.cz")
    m.SmtpAccount.create(name="third", host="smtp3.example.cz")
    _fails(store, lambda: m.SmtpAccount.create(name="x", host="h", isDefault=True))


def test_foreign_keys_are_enforced(store: Store) -> None:
    f = m.AttachedFile.create(name="a.pdf", size=1, sha256=SHA)
    _fails(store, lambda: m.ReceivedEmailAttachment.create(receivedEmail=999, attachedFile=f))


def test_deleting_an_email_deletes_its_parts(store: Store) -> None:
    email = _imap(_account(), 1)
    f = m.AttachedFile.create(name="a.pdf", size=1, sha256=SHA)
    m.ReceivedEmailAttachment.create(receivedEmail=email, attachedFile=f)
    email.delete_instance()
    assert store.count("ReceivedEmailAttachment") == 0
    assert store.count("AttachedFile") == 1  # the file may be used elsewhere


def test_json_fields_keep_lists_and_unicode(store: Store) -> None:
    email = _imap(
        _account(),
        1,
        mailTo=["jana@example.cz", "Petr Novák <petr@example.cz>"],
        headers=[["Subject", "Faktura č. 1"], ["X-Empty", ""]],
        authResults={"spf": "pass", "dkim": None, "dmarc": "fail"},
    )
    again = store.get("ReceivedEmail", email.id)
    assert again.mailTo == ["jana@example.cz", "Petr Novák <petr@example.cz>"]
    assert again.headers == [["Subject", "Faktura č. 1"], ["X-Empty", ""]]
    assert again.authResults == {"spf": "pass", "dkim": None, "dmarc": "fail"}
    assert again.references == []


def test_whatever_an_email_contains_can_be_stored(store: Store) -> None:
    # PostgreSQL text cannot hold NUL and enforces lengths; the message must still be stored
    email = _imap(
        _account(),
        1,
        subject="a\x00b",
        body="tělo\x00",
        messageId="<" + "x" * 3000 + "@example.cz>",
        mailFromName="Ž" * 600,
        headers=[["X-Nul", "\x00"]],
    )
    again = store.get("ReceivedEmail", email.id)
    assert (again.subject, again.body) == ("a\ufffdb", "tělo\ufffd")
    assert again.messageId == "<" + "x" * 499
    assert again.mailFromName == "Ž" * 500
    assert again.headers == [["X-Nul", "\x00"]]
    f = m.AttachedFile.create(name="n" * 2000 + ".pdf", size=0, sha256=SHA)
    assert len(m.AttachedFile.get_by_id(f.id).name) == 1000


def test_dates_are_stored_as_given_in_utc(store: Store) -> None:
    sent = dt.datetime(2024, 3, 31, 0, 30, 15, 123456)
    email = _imap(_account(), 1, sentDate=sent, sentDateOffset=120)
    again = store.get("ReceivedEmail", email.id)
    assert (again.sentDate, again.sentDateOffset) == (sent, 120)


# --- leases ----------------------------------------------------------------------------


def test_a_lease_has_one_owner_until_it_expires(store: Store) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0)
    account = _account()
    assert m.Lease.claim("account:1", "runner-a", 300, account=account, now=t0)
    assert not m.Lease.claim("account:1", "runner-b", 300, now=t0 + dt.timedelta(seconds=299))
    # the owner may claim again (extends) and renew
    assert m.Lease.claim("account:1", "runner-a", 300, now=t0 + dt.timedelta(seconds=100))
    assert m.Lease.renew("account:1", "runner-a", 300, now=t0 + dt.timedelta(seconds=200))
    assert not m.Lease.claim("account:1", "runner-b", 300, now=t0 + dt.timedelta(seconds=450))
    # expired: taken over, and the old owner can no longer renew or release it
    assert m.Lease.claim("account:1", "runner-b", 300, now=t0 + dt.timedelta(seconds=500))
    assert not m.Lease.renew("account:1", "runner-a", 300)
    assert not m.Lease.release("account:1", "runner-a")
    lease = m.Lease.get(m.Lease.name == "account:1")
    assert (lease.owner, lease.mailAccount_id) == ("runner-b", account.id)
    assert m.Lease.release("account:1", "runner-b")
    assert m.Lease.claim("account:1", "runner-c", 300)
    assert m.Lease.claim("outbox", "runner-a", 300)  # another lease is independent


_CLAIM = """
import sys, time
from pathlib import Path
from mailstore.api import Store
store = Store.open(sys.argv[1], blob_dir=sys.argv[2])
go = Path(sys.argv[2]) / "go"
while not go.exists():
    time.sleep(0.01)
from mailstore.models import Lease
print(Lease.claim("account:1", sys.argv[3], 300))
"""


def test_runners_racing_for_a_lease_one_wins(
    store: Store, db_url: str, tmp_path: Path, subprocess_env: dict[str, str]
) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIM, db_url, str(tmp_path), f"runner-{n}"],
            env=subprocess_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    (tmp_path / "go").touch()
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        outputs.append(out.strip())
    assert sorted(outputs) == ["False", "False", "False", "True"]
    winner = f"runner-{outputs.index('True')}"
    assert m.Lease.get(m.Lease.name == "account:1").owner == winner


# --- business records through the API ------------------------------------------------


def test_document_with_attachments(store: Store) -> None:
    Doc = store.model("SubmittedDocument")
    Att = store.model("SubmittedDocumentAttachment")
    new = store.state("SubmittedDocument", "NEW")
    doc = Doc.create(note="faktura", attachmentNames="a.pdf, b.pdf", state=new)
    sha, size = store.blobs.put_bytes(b"%PDF-1.4 a")
    f = m.AttachedFile.create(name="a.pdf", contentType="application/pdf", size=size, sha256=sha)
    Att.create(document=doc, attachedFile=f)
    Att.create(document=doc, attachedFile=f)
    again = store.get("SubmittedDocument", doc.id)
    assert again.state.code == "NEW"
    assert [a.attachedFile.name for a in again.attachments] == ["a.pdf", "a.pdf"]
    assert store.file(again.attachments[0].attachedFile.sha256) == b"%PDF-1.4 a"
    # the attachments belong to the document
    doc.delete_instance()
    assert store.count("SubmittedDocumentAttachment") == 0


def test_records_filters_in_sql(store: Store) -> None:
    Doc = store.model("SubmittedDocument")
    new = store.state("SubmittedDocument", "NEW")
    done = store.state("SubmittedDocument", "PROCESSED")
    d1 = Doc.create(note="b", state=new)
    d2 = Doc.create(note=None, state=done)
    d3 = Doc.create(note="a", state=new)
    assert store.records("SubmittedDocument", state=new) == [d1, d3]
    assert store.records("SubmittedDocument", state=done.id) == [d2]
    assert store.records("SubmittedDocument", note=None) == [d2]
    assert store.records("SubmittedDocument", state=new, note="a") == [d3]
    assert store.records("SubmittedDocument", order_by="-note", limit=1) == [d1]
    assert store.records("SubmittedDocument", order_by="note") == [d3, d1, d2]  # nulls last
    assert store.count("SubmittedDocument", state=new) == 2


def test_unknown_type_and_field_name_the_closest(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown type 'SubmitedDocument' .*'SubmittedDocument'"):
        store.records("SubmitedDocument")
    with pytest.raises(StoreError, match="SubmittedDocument has no field 'notes' .*'note'"):
        store.records("SubmittedDocument", notes="x")
    with pytest.raises(StoreError, match="has no state 'DONE' .*NEW, PROCESSED, REJECTED"):
        store.state("SubmittedDocument", "DONE")


def test_add_file_stores_the_content_once(store: Store) -> None:
    a = store.add_file("faktura č. 1.pdf", b"%PDF-1.4 x", "application/pdf")
    b = store.add_file("copy.pdf", io.BytesIO(b"%PDF-1.4 x"))
    assert (a.sha256, a.size) == (b.sha256, 10)
    assert (b.name, b.contentType) == ("copy.pdf", "application/octet-stream")
    assert list(store.blobs.iter_all()) == [a.sha256]
    assert store.file_record(a.sha256) == a
    with store.open_file(a.sha256) as f:
        assert f.read() == b"%PDF-1.4 x"


def test_get_and_file_of_what_is_absent(store: Store) -> None:
    assert store.get("SubmittedDocument", 12345) is None
    with pytest.raises(BlobNotFound):
        store.file("0" * 64)


def test_built_in_types_are_readable_like_business_types(store: Store) -> None:
    a = _account()
    _imap(a, 1, state="FAILED", mailFrom="jana@example.cz")
    _imap(a, 2)
    [failed] = store.records("ReceivedEmail", state="FAILED")
    assert failed.mailFrom == "jana@example.cz"
    assert failed.mailAccount.name == "inbox"


def test_a_transaction_is_all_or_nothing(store: Store) -> None:
    Doc = store.model("SubmittedDocument")
    with pytest.raises(RuntimeError):
        with store.atomic():
            Doc.create(note="lost")
            raise RuntimeError("handler failed")
    assert store.count("SubmittedDocument") == 0


def test_open_refuses_a_database_that_needs_migrating(db_url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="mailwright db migrate") as info:
        Store.open(db_url, blob_dir=tmp_path)
    assert f"built-in schema version 0 -> {BUILTIN_VERSION}" in str(info.value)
    with Store.open(db_url, blob_dir=tmp_path, migrate=True):
        pass
    with Store.open(db_url, blob_dir=tmp_path) as again:
        assert again.count("SubmittedDocument") == 0


def test_open_names_a_database_it_cannot_reach(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://mail:s3cret@127.0.0.1:{port}/mailwright?connect_timeout=5"
    with pytest.raises(StoreError) as info:
        Store.open(url, blob_dir=tmp_path)
    message = str(info.value)
    assert message.startswith(f"postgresql://mail:***@127.0.0.1:{port}/mailwright")
    assert "cannot connect to the database" in message and "s3cret" not in message
    (tmp_path / "plain-file").write_text("")
    with pytest.raises(StoreError, match=r"sqlite:///.*plain-file/x.db: cannot connect"):
        Store.open(f"sqlite:///{tmp_path}/plain-file/x.db", blob_dir=tmp_path)


def test_open_with_a_config(tmp_path: Path) -> None:
    (tmp_path / "mailwright.toml").write_text('[storage]\nblobs = "data/blobs"\n')
    config = load_config(tmp_path / "mailwright.toml")
    with Store.open(config, migrate=True) as s:
        sha, _ = s.blobs.put_bytes(b"x")
        assert (tmp_path / "data" / "blobs" / sha[:2] / sha[2:4] / sha).is_file()
    assert (tmp_path / "mailwright.db").is_file()


# --- URLs ------------------------------------------------------------------------------


def test_sqlite_has_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_bad_urls_are_explained() -> None:
    with pytest.raises(DatabaseUrlError, match="three slashes"):
        open_database("sqlite://mail.db")
    with pytest.raises(DatabaseUrlError, match="unknown database kind 'mysql'"):
        open_database("mysql://u:secret@host/db")
    with pytest.raises(DatabaseUrlError, match=r"postgresql://u:\*\*\*@host: .*names no database"):
        open_database("postgresql://u:secret@host")


def test_describe_url_hides_the_password() -> None:
    assert describe_url("postgresql://mail:s3cr:et@db:5432/m") == "postgresql://mail:***@db:5432/m"
    assert describe_url("sqlite:////var/lib/m.db") == "sqlite:////var/lib/m.db"


# --- mailwright.toml -------------------------------------------------------------------


def _config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "mailwright.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_config_defaults_are_next_to_the_file(tmp_path: Path) -> None:
    c = _config(tmp_path, "")
    base = tmp_path.resolve()
    assert c.database_url == f"sqlite:///{base / 'mailwright.db'}"
    assert c.blob_dir == base / "blobs"
    assert c.key_file == base / "secret.key"
    assert (c.attempts, c.retry_delays, c.lease_seconds) == (5, (60, 600, 3600, 21600), 300)
    assert c.max_message_bytes == 50 * 1024 * 1024
    assert c.schema_path is None and c.time_zone is None


def test_config_reads_every_section(tmp_path: Path) -> None:
    c = _config(
        tmp_path,
        """
[database]
url = "sqlite:///db/mail.db"
[storage]
blobs = "/srv/blobs"
schema = "schema.toml"
[handler]
script = "handler.jexl"
[limits]
steps = 1000
seconds = 2.5
memoryMB = 64
maxMessageMB = 10
[time]
zone = "Europe/Prague"
[retry]
attempts = 3
delays = ["30s", "2m", 7200]
lease = "10m"
[secrets]
keyFile = "keys/secret.key"
[log]
file = "mw.log"
level = "debug"
[mail]
trustedAuthservId = "mx.example.cz"
smtpProperties = "mail.properties"
[retention]
rawMessageDays = 30
runDays = 90
""",
    )
    base = tmp_path.resolve()
    assert c.database_url == f"sqlite:///{base / 'db' / 'mail.db'}"
    assert c.blob_dir == Path("/srv/blobs")
    assert c.schema_path == base / "schema.toml"
    assert c.handler_script == base / "handler.jexl"
    assert c.limits == {"steps": 1000, "seconds": 2.5, "memory": 64 * 1024 * 1024}
    assert c.max_message_bytes == 10 * 1024 * 1024
    assert c.time_zone == "Europe/Prague"
    assert (c.attempts, c.retry_delays, c.lease_seconds) == (3, (30, 120, 7200), 600)
    assert c.key_file == base / "keys" / "secret.key"
    assert (c.log_file, c.log_level) == (base / "mw.log", "DEBUG")
    assert c.trusted_authserv_id == "mx.example.cz"
    assert c.smtp_properties == base / "mail.properties"
    assert (c.raw_message_days, c.run_days) == (30, 90)


def test_postgresql_url_is_kept(tmp_path: Path) -> None:
    url = "postgresql://mail:pw@db.example.cz:5432/mailwright"
    assert _config(tmp_path, f'[database]\nurl = "{url}"').database_url == url


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[database]\nurl = "mysql://x/y"',
            "mailwright.toml: database.url: unknown database kind 'mysql'",
        ),
        ('[database]\nurl = "sqlite://x.db"', "mailwright.toml: database.url: .*three slashes"),
        (
            '[database]\nurl = "postgresql://host"',
            "mailwright.toml: database.url: .*names a database",
        ),
        ("[database]\nurl = 5", "mailwright.toml: database.url: must be a non-empty string"),
        (
            '[time]\nzone = "Europe/Brno"',
            "mailwright.toml: time.zone: unknown time zone 'Europe/Brno'",
        ),
        (
            "[retry]\nattempts = 0",
            "mailwright.toml: retry.attempts: must be a whole number, at least 1",
        ),
        (
            '[retry]\ndelays = ["1 minute"]',
            r"mailwright.toml: retry.delays\[0\]: '1 minute' is not a duration",
        ),
        ('[log]\nlevel = "LOUD"', "mailwright.toml: log.level: 'LOUD' is not one of DEBUG"),
        ("[limits]\nsteps = -1", "mailwright.toml: limits.steps: must be a whole number"),
        (
            '[databse]\nurl = "x"',
            r"mailwright.toml: \[databse\]: unknown section \(did you mean \[database\]\?\)",
        ),
        (
            '[database]\nuri = "x"',
            r"mailwright.toml: database.uri: unknown setting \(did you mean database.url\?\)",
        ),
        (
            "[mail]\ntrustedAuthservID = 'x'",
            "mail.trustedAuthservID: unknown setting .*trustedAuthservId",
        ),
        ("database = 1", "mailwright.toml: database: must be a .database. section"),
        ("[database\n", "mailwright.toml: not valid TOML"),
    ],
)
def test_config_errors_name_the_file_and_the_setting(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(tmp_path, text)


def test_config_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.toml").write_text("")
    (tmp_path / "b.toml").write_text("")
    (tmp_path / "mailwright.toml").write_text("")
    env = {"MAILWRIGHT_CONFIG": str(tmp_path / "b.toml")}
    assert find_config(tmp_path / "a.toml", environ=env, cwd=tmp_path) == tmp_path / "a.toml"
    assert find_config(None, environ=env, cwd=tmp_path) == tmp_path / "b.toml"
    assert find_config(None, environ={}, cwd=tmp_path) == tmp_path / "mailwright.toml"
    assert find_config(None, environ={}, cwd=tmp_path / "a.toml.d") is None
    monkeypatch.chdir(tmp_path)
    assert find_config(None, environ={}) == Path("mailwright.toml")


def test_config_named_but_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"nope.toml: no such config file \(given with --config\)"
    ):
        find_config(tmp_path / "nope.toml", environ={})
    env = {"MAILWRIGHT_CONFIG": str(tmp_path / "gone.toml")}
    with pytest.raises(
        ConfigError, match=r"gone.toml: no such config file \(named by MAILWRIGHT_CONFIG\)"
    ):
        find_config(None, environ=env, cwd=tmp_path)


@given(st.integers(0, 10**6), st.sampled_from(["s", "m", "h", "d"]))
def test_durations(n: int, unit: str) -> None:
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    assert parse_duration(f"{n}{unit}", "x") == n * seconds
    assert parse_duration(n, "x") == n


# --- decimals --------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.decimals(min_value=-(10**13) + 1, max_value=10**13 - 1, places=2, allow_nan=False))
def test_decimals_keep_value_and_scale(value: decimal.Decimal) -> None:
    from mailstore.schema import build_models, parse_schema

    models = build_models(parse_schema('[types.Invoice.fields]\namount = "decimal"'))
    db = open_database("sqlite:///:memory:")
    Invoice = models["Invoice"]
    with db.bind_ctx([Invoice]):
        db.create_tables([Invoice])
        row = Invoice.create(amount=value)
        again = Invoice.get_by_id(row.id).amount
    assert again == value
    assert again.as_tuple().exponent == -2  # 3.1 comes back as 3.10, as BigDecimal keeps it
    db.close()


def test_decimals_are_never_rounded_silently(store: Store) -> None:
    from mailstore.schema import build_models, parse_schema

    models = build_models(
        parse_schema(
            '[types.Invoice.fields]\namount = { type = "decimal", digits = 5, places = 2 }'
        )
    )
    Invoice = models["Invoice"]
    with store.db.bind_ctx([Invoice]):
        store.db.create_tables([Invoice])
        with pytest.raises(
            ValueError, match="Invoice.amount: 1.005 has more than 2 decimal places"
        ):
            Invoice.create(amount=decimal.Decimal("1.005"))
        with pytest.raises(ValueError, match="Invoice.amount: 1234.5 has more than 5 digits"):
            Invoice.create(amount=decimal.Decimal("1234.5"))
        with pytest.raises(ValueError, match="is not a decimal number"):
            Invoice.create(amount=decimal.Decimal("NaN"))
        Invoice.create(amount=decimal.Decimal("999.99"))
        Invoice.create(amount=7)
        assert sorted(i.amount for i in Invoice.select()) == [
            decimal.Decimal("7.00"),
            decimal.Decimal("999.99"),
        ]
        # numeric comparisons happen in SQL
        assert Invoice.select().where(Invoice.amount > 100).count() == 1


def test_strings_and_integers_out_of_range_fail_alike_everywhere(store: Store) -> None:
    from mailstore.schema import build_models, parse_schema

    schema = parse_schema(
        '[types.Invoice.fields]\nnumber = { type = "string", length = 5 }\nn = "integer"'
    )
    Invoice = build_models(schema)["Invoice"]
    with store.db.bind_ctx([Invoice]):
        store.db.create_tables([Invoice])
        with pytest.raises(
            ValueError,
            match="Invoice.number: a string of 6 characters is longer than the field's 5",
        ):
            Invoice.create(number="FV-001")
        with pytest.raises(ValueError, match=f"Invoice.n: {2**63} does not fit in 64 bits"):
            Invoice.create(n=2**63)
        row = Invoice.create(number="čřžýá", n=-(2**63))
        assert (Invoice.get_by_id(row.id).number, Invoice.get_by_id(row.id).n) == (
            "čřžýá",
            -(2**63),
        )


def test_decimals_beyond_sqlite_precision(store: Store) -> None:
    from mailstore.schema import build_models, parse_schema

    Invoice = build_models(parse_schema('[types.Invoice.fields]\namount = "decimal"'))["Invoice"]
    big = decimal.Decimal("112653298269264.49")  # 17 significant digits
    with store.db.bind_ctx([Invoice]):
        store.db.create_tables([Invoice])
        Invoice.create(amount=decimal.Decimal("10000000000000000.00"))  # 1E+16: exact anywhere
        if isinstance(store.db, peewee.SqliteDatabase):
            with pytest.raises(ValueError, match="Invoice.amount: .* more than 15 significant"):
                Invoice.create(amount=big)
        else:
            row = Invoice.create(amount=big)
            assert Invoice.get_by_id(row.id).amount == big


@pytest.mark.parametrize("module", ["api", "blobs", "db", "migrate", "schema", "secrets"])
def test_docstring_examples_run(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    monkeypatch.chdir(tmp_path)
    mod = importlib.import_module(f"mailstore.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_package_exports_the_api() -> None:
    import mailstore

    for name in mailstore.__all__:
        assert getattr(mailstore, name).__module__.startswith("mailstore.")
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        mailstore.Nope  # noqa: B018


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    c = Config.defaults(tmp_path)
    assert c.path is None
    assert c.database_url == f"sqlite:///{tmp_path.resolve() / 'mailwright.db'}"
    with Store.open(c, migrate=True) as s:
        assert s.blobs.root == tmp_path.resolve() / "blobs"
        assert s.schema.types.keys() == {"SubmittedDocument", "SubmittedDocumentAttachment"}
