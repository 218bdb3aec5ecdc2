"""mailstore.imap against a real private Dovecot (tests/servers): TLS, login, UIDs, actions."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailstore.imap import (
    KEYWORD_DONE,
    KEYWORD_FAILED,
    ImapAuthError,
    ImapConnectError,
    ImapFolderError,
    ImapMailbox,
    ImapTimeoutError,
    ImapTLSError,
    ImapUnavailableError,
)
from tests.servers import TestCA, free_port
from tests.servers.dovecot import DovecotServer, DovecotUser


def message(n: int, body: bytes = b"") -> bytes:
    """Return a small RFC 5322 message numbered *n* (CRLF line ends, as IMAP keeps them)."""
    return (
        f"From: sender@example.test\r\nTo: box@example.test\r\nSubject: message {n}\r\n"
        f"Message-ID: <m{n}@example.test>\r\n\r\nbody {n}\r\n"
    ).encode() + body


def open_box(server: DovecotServer, user: DovecotUser, folder: str = "INBOX") -> ImapMailbox:
    box = ImapMailbox.connect(
        server.host, server.ssl_port, security="ssl", ca_file=str(server.ca.ca_file)
    )
    box.login(user.name, user.password)
    box.select(folder)
    return box


@pytest.fixture
def box(dovecot: DovecotServer, imap_user: DovecotUser) -> Iterator[ImapMailbox]:
    with open_box(dovecot, imap_user) as mailbox:
        yield mailbox


# ------------------------------------------------------------------ connecting and TLS


@pytest.mark.parametrize("security", ["ssl", "starttls", "none"])
def test_each_security_mode_logs_in_and_selects(
    dovecot: DovecotServer, imap_user: DovecotUser, security: str
) -> None:
    uids = dovecot.append(imap_user, [message(1), message(2)])
    port = dovecot.ssl_port if security == "ssl" else dovecot.port
    with ImapMailbox.connect(
        dovecot.host,
        port,
        security=security,
        ca_file=str(dovecot.ca.ca_file),  # type: ignore[arg-type]
    ) as mailbox:
        mailbox.login(imap_user.name, imap_user.password)
        status = mailbox.select("INBOX")
    assert status.exists == 2
    assert status.uidnext == uids[-1] + 1
    assert status.uidvalidity > 0
    assert status.keywords_allowed


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_certificate_is_verified_without_the_private_ca(
    dovecot: DovecotServer, security: str
) -> None:
    # the system trust store does not know the test CA: the connection must be refused
    port = dovecot.ssl_port if security == "ssl" else dovecot.port
    with pytest.raises(ImapTLSError) as caught:
        ImapMailbox.connect(dovecot.host, port, security=security)  # type: ignore[arg-type]
    assert caught.value.port == port
    assert "check --security / --ca-file" in str(caught.value)
    assert "not trusted" in str(caught.value)


def test_implicit_tls_against_a_plain_port_is_a_tls_error(dovecot: DovecotServer) -> None:
    with pytest.raises(ImapTLSError):
        ImapMailbox.connect(
            dovecot.host, dovecot.port, security="ssl", ca_file=str(dovecot.ca.ca_file), timeout=5
        )


def test_missing_ca_file_names_the_setting(dovecot: DovecotServer) -> None:
    with pytest.raises(ImapTLSError, match=r"check --ca-file"):
        ImapMailbox.connect(
            dovecot.host, dovecot.ssl_port, security="ssl", ca_file="/nonexistent/ca.pem"
        )


def test_connection_refused_names_host_and_port() -> None:
    port = free_port()
    with pytest.raises(ImapConnectError) as caught:
        ImapMailbox.connect("127.0.0.1", port, security="none", timeout=5)
    assert str(caught.value).startswith(f"127.0.0.1:{port}: ")
    assert "check --imap / --port" in str(caught.value)


def test_a_server_that_never_greets_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # the kernel accepts the connection; nobody ever writes
        port = listener.getsockname()[1]
        with pytest.raises(ImapTimeoutError) as caught:
            ImapMailbox.connect("127.0.0.1", port, security="none", timeout=0.3)
    assert caught.value.port == port


def test_unknown_security_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="ssl, starttls or none"):
        ImapMailbox.connect("127.0.0.1", 1, security="tls")  # type: ignore[arg-type]


# ------------------------------------------------------------------ login and folders


def test_wrong_password_is_an_auth_error(dovecot: DovecotServer, imap_user: DovecotUser) -> None:
    with ImapMailbox.connect(
        dovecot.host, dovecot.ssl_port, ca_file=str(dovecot.ca.ca_file)
    ) as mailbox:
        with pytest.raises(ImapAuthError) as caught:
            mailbox.login(imap_user.name, imap_user.password + "x")
    text = str(caught.value)
    assert "check the credential" in text
    assert imap_user.name in text
    assert imap_user.password not in text
    # the server's own words, not the repr of the bytes imapclient got
    assert "[AUTHENTICATIONFAILED]" in text and "b'" not in text


def test_selecting_a_missing_folder_is_a_folder_error(box: ImapMailbox) -> None:
    with pytest.raises(ImapFolderError, match=r"cannot select folder Nope.*check --folder"):
        box.select("Nope")


def test_create_folder_only_once(box: ImapMailbox) -> None:
    assert not box.folder_exists("Archive.2024")
    assert box.create_folder("Archive.2024") is True
    assert box.create_folder("Archive.2024") is False
    assert box.folder_exists("Archive.2024")


def test_actions_need_a_selected_folder(dovecot: DovecotServer, imap_user: DovecotUser) -> None:
    with ImapMailbox.connect(
        dovecot.host, dovecot.ssl_port, ca_file=str(dovecot.ca.ca_file)
    ) as mailbox:
        mailbox.login(imap_user.name, imap_user.password)
        assert mailbox.status is None
        with pytest.raises(RuntimeError, match="select a folder first"):
            mailbox.new_uids(0)


# ------------------------------------------------------------------ finding new messages


def test_new_uids_filters_the_star_trap(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    assert box.new_uids(0) == []
    uids = dovecot.append(imap_user, [message(n) for n in range(5)])
    assert box.new_uids(0) == uids
    assert box.new_uids(uids[2]) == uids[3:]
    # UID SEARCH UID n:* with n above every UID still matches the last message: filtered
    assert box.new_uids(uids[-1]) == []
    assert box.new_uids(uids[-1] + 100) == []


@pytest.fixture(scope="module")
def gappy_mailbox(dovecot: DovecotServer) -> tuple[DovecotUser, list[int]]:
    """A user whose INBOX has UIDs with gaps (some messages expunged)."""
    user = dovecot.add_user()
    uids = dovecot.append(user, [message(n) for n in range(12)])
    client = dovecot.client(user)
    client.select_folder("INBOX")
    gone = [uids[1], uids[4], uids[5], uids[11]]
    client.delete_messages(gone)
    client.expunge()
    client.logout()
    return user, [u for u in uids if u not in gone]


@given(after=st.integers(min_value=0, max_value=20))
def test_new_uids_is_exactly_the_uids_above(
    dovecot: DovecotServer, gappy_mailbox: tuple[DovecotUser, list[int]], after: int
) -> None:
    user, remaining = gappy_mailbox
    with open_box(dovecot, user) as mailbox:
        assert mailbox.new_uids(after) == [u for u in remaining if u > after]


# ------------------------------------------------------------------ fetching


def test_fetch_in_batches_returns_every_message_in_order_unseen(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    raws = [message(n, b"x" * n) for n in range(7)]
    uids = dovecot.append(imap_user, raws)
    box.refresh()  # delivered after SELECT: the session must be told
    fetched = list(box.fetch(uids, batch_size=3))
    assert [m.uid for m in fetched] == uids
    assert [m.raw for m in fetched] == raws
    assert all(m.complete and m.size == len(m.raw) for m in fetched)
    # BODY.PEEK: fetching does not mark anything read (flags come only after the commit)
    assert all("\\Seen" not in flags for flags in box.flags(uids).values())
    assert all("\\Seen" not in m.flags for m in fetched)


@given(data=st.data(), batch_size=st.integers(min_value=1, max_value=9))
def test_fetch_yields_exactly_the_uids_asked_in_their_order(
    dovecot: DovecotServer,
    gappy_mailbox: tuple[DovecotUser, list[int]],
    data: st.DataObject,
    batch_size: int,
) -> None:
    user, remaining = gappy_mailbox
    # any subset, in any order, with UIDs that no longer exist mixed in
    asked = data.draw(st.permutations(remaining + [2, 5, 6, 12, 99]))[
        : data.draw(st.integers(0, 13))
    ]
    with open_box(dovecot, user) as mailbox:
        fetched = list(mailbox.fetch(asked, batch_size=batch_size))
    assert [m.uid for m in fetched] == [u for u in asked if u in remaining]
    assert all(m.raw == message(m.uid - 1) for m in fetched)


def test_fetch_keeps_only_the_header_of_an_oversize_message(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    small, big = message(1), message(2, b"y" * 5000)
    uids = dovecot.append(imap_user, [small, big])
    box.refresh()  # delivered after SELECT: the session must be told
    first, second = box.fetch(uids, max_size=1000)
    assert (first.complete, first.raw) == (True, small)
    assert second.complete is False
    assert second.size == len(big)
    assert second.raw == big.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert box.sizes(uids) == {uids[0]: len(small), uids[1]: len(big)}


def test_refresh_counts_mail_delivered_and_expunged_elsewhere(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    uids = dovecot.append(imap_user, [message(n) for n in range(3)])
    assert box.refresh() == 3
    other = dovecot.client(imap_user)
    other.select_folder("INBOX")
    other.delete_messages([uids[0]])
    other.expunge()
    other.logout()
    assert box.refresh() == 2
    assert box.status is not None and box.status.exists == 2


def test_fetch_skips_a_message_expunged_meanwhile(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    uids = dovecot.append(imap_user, [message(n) for n in range(3)])
    box.refresh()  # delivered after SELECT: the session must be told
    box.delete([uids[1]])
    assert [m.uid for m in box.fetch(uids)] == [uids[0], uids[2]]
    assert list(box.fetch([])) == []


def test_fetch_reports_existing_flags(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    (uid,) = dovecot.append(imap_user, [message(1)], flags=["\\Flagged"])
    box.refresh()  # delivered after SELECT: the session must be told
    (fetched,) = box.fetch([uid])
    assert "\\Flagged" in fetched.flags


def test_fetch_rejects_a_zero_batch(box: ImapMailbox) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        list(box.fetch([1], batch_size=0))


# ------------------------------------------------------------------ actions after the commit


def test_set_seen_and_keywords(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    uids = dovecot.append(imap_user, [message(1), message(2)])
    box.refresh()  # delivered after SELECT: the session must be told
    box.set_seen([uids[0]])
    assert box.supports_keywords()
    assert box.add_keywords(uids, [KEYWORD_DONE, KEYWORD_FAILED]) is True
    assert box.remove_keywords([uids[1]], [KEYWORD_FAILED]) is True
    flags = box.flags(uids)
    assert set(flags[uids[0]]) == {"\\Seen", KEYWORD_DONE, KEYWORD_FAILED}
    assert set(flags[uids[1]]) == {KEYWORD_DONE}
    # what a mail client sees from another connection
    client = dovecot.client(imap_user)
    client.select_folder("INBOX", readonly=True)
    seen_elsewhere = client.get_flags(uids)
    client.logout()
    assert KEYWORD_DONE.encode() in seen_elsewhere[uids[1]]


def test_empty_uid_lists_do_nothing(box: ImapMailbox) -> None:
    box.set_seen([])
    box.move([], "Never")
    box.delete([])
    assert box.sizes([]) == {}
    assert box.flags([]) == {}
    assert not box.folder_exists("Never")


@pytest.mark.parametrize("with_move_command", [True, False])
def test_move_creates_the_folder_and_moves(
    dovecot: DovecotServer,
    imap_user: DovecotUser,
    box: ImapMailbox,
    monkeypatch: pytest.MonkeyPatch,
    with_move_command: bool,
) -> None:
    if not with_move_command:
        # a server without MOVE: COPY + \Deleted + UID EXPUNGE must give the same result
        real = box.capabilities()
        monkeypatch.setattr(box, "capabilities", lambda: real - {"MOVE"})
    raws = [message(n) for n in range(3)]
    uids = dovecot.append(imap_user, raws)
    box.refresh()  # delivered after SELECT: the session must be told
    box.move(uids[:2], "Processed/2024")
    assert dovecot.uids(imap_user) == [uids[2]]
    assert len(dovecot.uids(imap_user, "Processed/2024")) == 2
    assert box.new_uids(0) == [uids[2]]


def test_delete_expunges_only_the_given_uids(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    uids = dovecot.append(imap_user, [message(n) for n in range(3)])
    box.refresh()  # delivered after SELECT: the session must be told
    # someone marked message 3 deleted in a mail client without expunging: UID EXPUNGE
    # (UIDPLUS) must leave it alone
    other = dovecot.client(imap_user)
    other.select_folder("INBOX")
    other.add_flags([uids[2]], ["\\Deleted"])
    other.logout()
    box.delete([uids[0]])
    assert dovecot.uids(imap_user) == uids[1:]


# ------------------------------------------------------------------ server-side events


def test_uidvalidity_change_on_the_server_is_visible(
    dovecot: DovecotServer, imap_user: DovecotUser
) -> None:
    dovecot.append(imap_user, [message(1)])
    with open_box(dovecot, imap_user) as mailbox:
        before = mailbox.status
    new = dovecot.change_uidvalidity(imap_user)
    with open_box(dovecot, imap_user) as mailbox:
        after = mailbox.status
    assert before is not None and after is not None
    assert after.uidvalidity == new != before.uidvalidity
    assert after.exists == 1


def test_dropped_connection_is_a_connect_error(
    dovecot: DovecotServer, imap_user: DovecotUser, box: ImapMailbox
) -> None:
    uids = dovecot.append(imap_user, [message(1)])
    box.refresh()  # delivered after SELECT: the session must be told
    dovecot.kick(imap_user)
    with pytest.raises(ImapConnectError, match="connection lost during"):
        list(box.fetch(uids))
    box.close()  # closing a dead connection never raises


# ------------------------------------------------------------------ a server without TLS


@pytest.fixture(scope="module")
def plain_dovecot(servers_root: Path, servers_ca: TestCA) -> Iterator[DovecotServer]:
    """A Dovecot without TLS whose token introspection endpoint is down."""
    server = DovecotServer.start(
        Path(tempfile.mkdtemp(dir=servers_root)),
        servers_ca,
        tls=False,
        oauth_introspection_url=f"http://127.0.0.1:{free_port()}/introspect",
    )
    yield server
    server.stop()


def test_starttls_refused_when_the_server_does_not_offer_it(
    plain_dovecot: DovecotServer,
) -> None:
    with pytest.raises(ImapTLSError, match=r"does not offer STARTTLS.*check --security"):
        ImapMailbox.connect(
            plain_dovecot.host,
            plain_dovecot.port,
            security="starttls",
            ca_file=str(plain_dovecot.ca.ca_file),
        )


def test_login_not_checked_is_not_blamed_on_the_credential(
    plain_dovecot: DovecotServer,
) -> None:
    user = plain_dovecot.add_user()
    with ImapMailbox.connect(plain_dovecot.host, plain_dovecot.port, security="none") as mailbox:
        with pytest.raises(ImapUnavailableError) as caught:
            mailbox.login_xoauth2(user.name, "some-token")
    assert "try again later" in str(caught.value)
    assert "check the credential" not in str(caught.value)
