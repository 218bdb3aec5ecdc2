"""``mailwright ingest --dry-run`` on an IMAP account, against the test Dovecot: it logs in,
examines the folder and lists what a run would fetch (count, UIDs, sizes), and changes
nothing, neither in the store nor on the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailstore import models as m
from mailstore.api import Store
from mailstore.config import load_config
from runtime.cli import main
from tests.ingest.test_ingest_local import GOOD, message
from tests.servers.dovecot import DovecotServer, DovecotUser


def _server_state(dovecot: DovecotServer, user: DovecotUser) -> tuple[object, ...]:
    """Flags of every message and the folder's modification sequence: any STORE, EXPUNGE
    or even a \\Recent change on the server moves HIGHESTMODSEQ (RFC 7162)."""
    client = dovecot.client(user)
    try:
        status = client.folder_status("INBOX", ["MESSAGES", "UIDNEXT", "HIGHESTMODSEQ", "RECENT"])
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search("ALL"))
        return tuple(sorted(status.items())), tuple(sorted(flags.items()))
    finally:
        client.logout()


@pytest.fixture
def config(tmp_path: Path, dovecot: DovecotServer, imap_user: DovecotUser, monkeypatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "handler.jexl").write_text(GOOD, encoding="utf-8")
    path = tmp_path / "mailwright.toml"
    path.write_text(
        '[database]\nurl = "sqlite:///mw.db"\n[handler]\nscript = "handler.jexl"\n'
        '[secrets]\nkeyFile = "secret.key"\n[limits]\nmaxMessageMB = 1\n',
        encoding="utf-8",
    )
    with Store.open(load_config(path), migrate=True) as store:
        credential = m.Credential.create(
            name="cred", kind="password", username=imap_user.name,
            secret=store.secrets.encrypt(imap_user.password),
        )  # fmt: skip
        m.MailAccount.create(
            name="imap", address=imap_user.name, sourceKind="imap", host=dovecot.host,
            port=dovecot.ssl_port, security="ssl", caFile=str(dovecot.ca.ca_file),
            credential=credential, afterProcessing="delete",
        )  # fmt: skip
    return path


def test_dry_run_lists_uids_and_sizes_and_changes_nothing(
    config, dovecot, imap_user, capsys
) -> None:
    big = message(9).replace(b"body 9", b"x" * 1_100_000)  # over maxMessageMB = 1
    dovecot.append(imap_user, [message(1), big, message(2)])
    uids = dovecot.uids(imap_user)
    before = _server_state(dovecot, imap_user)

    status = main(["ingest", "--dry-run", "--config", str(config)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "imap: 3 new message(s) would be fetched from INBOX" in out
    assert "1 over the size limit" in out
    assert "imap: 3 new, 1 skipped" in out and "dry run: nothing was stored" in out
    for uid in uids:  # the table: each UID with its size
        assert str(uid) in out
    assert "1.1 MB" in out

    assert _server_state(dovecot, imap_user) == before  # EXAMINE: not even \Recent changed
    with Store.open(load_config(config)):
        assert m.ReceivedEmail.select().count() == 0
        assert m.Lease.select().count() == 0 and m.ScriptRun.select().count() == 0
        assert m.MailAccount.get().lastRunAt is None

    # a real run afterwards does what the dry run listed; then a dry run finds nothing new
    assert main(["ingest", "--config", str(config)]) == 0
    dovecot.append(imap_user, [message(3)])
    capsys.readouterr()
    assert main(["ingest", "--dry-run", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "imap: 1 new message(s) would be fetched" in out
    with Store.open(load_config(config)):
        assert m.ReceivedEmail.select().count() == 3


def test_dry_run_reports_a_failed_login(config, dovecot, imap_user, capsys) -> None:
    with Store.open(load_config(config)) as store:
        m.Credential.update(secret=store.secrets.encrypt("wrong")).execute()
    status = main(["ingest", "--dry-run", "--config", str(config)])
    out = capsys.readouterr().out
    assert status == 1
    assert f"{dovecot.host}:{dovecot.ssl_port}" in out and "check the credential" in out


def test_dry_run_counts_what_the_real_run_fetches_below_the_highest_uid(
    config, dovecot, imap_user, capsys
) -> None:
    # a message the ledger lacks under the highest stored UID (a store that failed in an
    # earlier run) is fetched by the next real run: the dry run must list it too
    with Store.open(load_config(config)):
        m.MailAccount.update(afterProcessing="none").execute()
    dovecot.append(imap_user, [message(1), message(2), message(3)])
    assert main(["ingest", "--config", str(config)]) == 0
    first = min(dovecot.uids(imap_user))
    with Store.open(load_config(config)):
        m.ReceivedEmail.delete().where(m.ReceivedEmail.uid == first).execute()
    capsys.readouterr()
    assert main(["ingest", "--dry-run", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "imap: 1 new message(s) would be fetched" in out and str(first) in out
