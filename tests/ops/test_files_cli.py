"""``mailwright files get``: a stored file by its SHA-256 or a unique prefix, to a path or
to standard output; unknown, ambiguous and too short prefixes are usage errors."""

from __future__ import annotations

import hashlib

import pytest

from mailstore import models as m
from tests.ops.conftest import Installation, run_cli


def an_attachment(installation: Installation) -> tuple[str, str]:
    """(name, sha256) of the first PDF the invoices handler filed."""
    with installation.open() as store:
        att = store.records("SubmittedDocumentAttachment")[0]
        return att.attachedFile.name, att.attachedFile.sha256


def test_get_writes_the_file_to_a_path(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    name, sha = an_attachment(installation)
    target = installation.dir / "out.pdf"
    status, out, err = run_cli(capsys, "files", "get", sha, "-o", str(target))
    assert status == 0, err
    content = target.read_bytes()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == sha
    assert f"wrote {len(content)} bytes to {target}" in out


def test_get_to_stdout_and_by_a_prefix(
    installation: Installation, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    _, sha = an_attachment(installation)
    from runtime.cli import main

    assert main(["files", "get", sha[:10], "-o", "-"]) == 0
    content = capsysbinary.readouterr().out
    assert hashlib.sha256(content).hexdigest() == sha


def test_the_raw_message_is_a_file_too(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    with installation.open():
        email = m.ReceivedEmail.select().order_by(m.ReceivedEmail.id).first()
        sha = email.sha256
    target = installation.dir / "raw.eml"
    assert run_cli(capsys, "files", "get", sha, "-o", str(target))[0] == 0
    assert b"Subject:" in target.read_bytes()


def test_unknown_short_and_ambiguous_hashes_are_usage_errors(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    target = installation.dir / "x"
    status, _, err = run_cli(capsys, "files", "get", "0" * 64, "-o", str(target))
    assert status == 2 and f"no stored file has SHA-256 {'0' * 64}" in err
    status, _, err = run_cli(capsys, "files", "get", "abc", "-o", str(target))
    assert status == 2 and "at least 8 hex digits" in err
    status, _, err = run_cli(capsys, "files", "get", "not-hex!", "-o", str(target))
    assert status == 2 and "is not a SHA-256" in err
    # two stored blobs sharing their first 8 digits cannot be named by those 8
    with installation.open() as store:
        shas = sorted(
            {f.sha256 for f in m.AttachedFile.select()}
            | {e.sha256 for e in m.ReceivedEmail.select()}
        )
        first = shas[0]
        twin = first[:8] + ("0" if first[8] != "0" else "1") * 56
        m.AttachedFile.create(name="twin", size=0, sha256=twin)
        store.blobs.path(twin).parent.mkdir(parents=True, exist_ok=True)
        store.blobs.path(twin).write_bytes(b"")
    status, _, err = run_cli(capsys, "files", "get", first[:8], "-o", str(target))
    assert status == 2 and "several SHA-256s" in err and "give more digits" in err
    assert not target.exists()


def test_a_missing_folder_is_a_usage_error(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    _, sha = an_attachment(installation)
    status, _, err = run_cli(capsys, "files", "get", sha, "-o", str(installation.dir / "no" / "x"))
    assert status == 2 and "its folder does not exist" in err
