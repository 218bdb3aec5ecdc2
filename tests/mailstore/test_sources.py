"""Local mail sources: Maildir, mbox and a folder of .eml files, their keys and actions."""

from __future__ import annotations

import hashlib
import mailbox
from pathlib import Path

import pytest

from mailstore.sources import (
    EmlFolderSource,
    MaildirSource,
    MboxSource,
    SourceError,
    open_source,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    """A Maildir with one new message and one seen, replied message in cur."""
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1700000001.M1P1.host").write_bytes(raw("cz_windows1250.eml"))
    (root / "cur" / "1700000000.M2P2.host:2,RS").write_bytes(raw("en_plain_auth.eml"))
    return root


def test_maildir_keys_are_the_unique_part(maildir: Path) -> None:
    source = MaildirSource(maildir)
    assert list(source.messages()) == [
        ("1700000000.M2P2.host", raw("en_plain_auth.eml")),
        ("1700000001.M1P1.host", raw("cz_windows1250.eml")),
    ]


def test_maildir_seen_sets_the_flag_and_keeps_the_key(maildir: Path) -> None:
    source = MaildirSource(maildir)
    source.after("1700000001.M1P1.host", "seen")
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1700000000.M2P2.host:2,RS",
        "1700000001.M1P1.host:2,S",
    ]
    assert list((maildir / "new").iterdir()) == []
    source.after("1700000000.M2P2.host", "seen")  # already seen: unchanged
    assert (maildir / "cur" / "1700000000.M2P2.host:2,RS").exists()
    # mailbox agrees that the message is seen, and the key did not change with the flags.
    box = mailbox.Maildir(maildir, create=False)
    assert "S" in box.get_message("1700000001.M1P1.host").get_flags()
    assert sorted(k for k, _ in source.messages()) == [
        "1700000000.M2P2.host",
        "1700000001.M1P1.host",
    ]


def test_maildir_move_into_a_subfolder(maildir: Path) -> None:
    source = MaildirSource(maildir)
    source.after("1700000001.M1P1.host", "move:Archive")
    source.after("1700000000.M2P2.host", "move:Archive")
    archive = maildir / ".Archive"
    assert [p.name for p in (archive / "new").iterdir()] == ["1700000001.M1P1.host"]
    assert [p.name for p in (archive / "cur").iterdir()] == ["1700000000.M2P2.host:2,RS"]
    assert list(source.messages()) == []
    moved = MaildirSource(archive)
    assert sorted(k for k, _ in moved.messages()) == [
        "1700000000.M2P2.host",
        "1700000001.M1P1.host",
    ]


def test_maildir_move_to_another_maildir_path(maildir: Path) -> None:
    MaildirSource(maildir).after("1700000001.M1P1.host", "move:../Done")
    assert (maildir.parent / "Done" / "new" / "1700000001.M1P1.host").exists()


def test_maildir_delete_and_none(maildir: Path) -> None:
    source = MaildirSource(maildir)
    source.after("1700000001.M1P1.host", "none")
    source.after("1700000001.M1P1.host", "delete")
    assert [k for k, _ in source.messages()] == ["1700000000.M2P2.host"]
    with pytest.raises(SourceError, match="no message with the key"):
        source.after("1700000001.M1P1.host", "seen")


@pytest.mark.parametrize("action", ["move:", "archive", "move", "seen:x"])
def test_maildir_rejects_unknown_actions(maildir: Path, action: str) -> None:
    with pytest.raises(SourceError, match="is not possible here"):
        MaildirSource(maildir).after("1700000001.M1P1.host", action)


def test_not_a_maildir(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a Maildir"):
        MaildirSource(tmp_path)


def test_mbox_keys_are_sha256_and_only_none_is_possible(tmp_path: Path) -> None:
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(path)
    first, second = raw("cz_windows1250.eml"), raw("inline_images.eml")
    for message in (first, second, first):  # a duplicate is yielded once
        box.add(message)
    box.flush()
    box.close()
    found = list(MboxSource(path).messages())
    assert [k for k, _ in found] == [sha(v) for _, v in found]
    assert len(found) == 2
    assert (found[0][1], found[1][1]) == (first, second)
    MboxSource(path).after(found[0][0], "none")
    with pytest.raises(SourceError, match="use none"):
        MboxSource(path).after(found[0][0], "seen")


def test_missing_mbox(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such mbox file"):
        MboxSource(tmp_path / "nope")


@pytest.fixture
def eml_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "b.eml").write_bytes(raw("cz_filenames.eml"))
    (folder / "a.EML").write_bytes(raw("smime_signed.eml"))
    (folder / "copy.eml").write_bytes(raw("smime_signed.eml"))  # same bytes, same key
    (folder / "notes.txt").write_text("not a message")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.eml").write_bytes(raw("malformed.eml"))
    return folder


def test_eml_folder_keys_are_sha256(eml_folder: Path) -> None:
    found = list(EmlFolderSource(eml_folder).messages())
    assert found == [
        (sha(raw("smime_signed.eml")), raw("smime_signed.eml")),
        (sha(raw("cz_filenames.eml")), raw("cz_filenames.eml")),
    ]


def test_eml_folder_move_and_delete(eml_folder: Path) -> None:
    source = EmlFolderSource(eml_folder)
    keys = [k for k, _ in source.messages()]
    source.after(keys[1], "move:done")
    assert (eml_folder / "done" / "b.eml").read_bytes() == raw("cz_filenames.eml")
    (eml_folder / "b.eml").write_bytes(raw("cz_filenames.eml"))  # the same file again
    source.after(keys[1], "move:done")
    assert (eml_folder / "done" / "b-2.eml").exists()
    source.after(keys[0], "delete")
    assert not (eml_folder / "a.EML").exists()
    with pytest.raises(SourceError, match="use move:FOLDER, delete, none"):
        source.after(keys[0], "seen")


def test_eml_folder_finds_a_key_without_a_listing(eml_folder: Path) -> None:
    EmlFolderSource(eml_folder).after(sha(raw("cz_filenames.eml")), "delete")
    assert not (eml_folder / "b.eml").exists()
    with pytest.raises(SourceError, match="no .eml file with the key"):
        EmlFolderSource(eml_folder).after(sha(b"nothing"), "delete")


def test_open_source(maildir: Path, eml_folder: Path) -> None:
    assert isinstance(open_source("maildir", maildir), MaildirSource)
    assert isinstance(open_source("EML", eml_folder), EmlFolderSource)
    source = open_source("emlfolder", eml_folder)
    assert source.kind == "emlfolder" and source.path == eml_folder
    with pytest.raises(SourceError, match="unknown kind of local source"):
        open_source("pop3", maildir)
