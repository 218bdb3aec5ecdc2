"""``mailwright gc``: a dry run lists, ``--yes`` removes; unreferenced blobs and file rows
go, referenced and young ones stay; retention removes old raw messages of PROCESSED
e-mails (the e-mail stays, shows why and can be reprocessed) and old runs but the newest
of each e-mail; a blob that becomes referenced between the plan and the removal stays."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mailstore import housekeeping
from mailstore import models as m
from mailstore.receive import store_received
from tests.ops.conftest import Installation, age_files, run_cli


def summary(
    installation: Installation, capsys: pytest.CaptureFixture[str], *args: str
) -> dict[str, int]:
    status, out, err = run_cli(capsys, "gc", "--json", *args)
    assert status == 0, err
    data = json.loads(out)
    return {row["what"]: row["count"] for row in data["candidates"]} | {
        "young": data["keptYoung"]["count"]
    }


def test_dry_run_lists_then_yes_removes_only_what_nothing_uses(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    with installation.open() as store:
        orphan, _ = store.blobs.put_bytes(b"written by a run that rolled back")
        referenced = store.records("SubmittedDocumentAttachment")[0].attachedFile.sha256
        raw = store.records("ReceivedEmail")[0].sha256
    age_files(installation.blobs, hours=2)
    with installation.open() as store:
        young, _ = store.blobs.put_bytes(b"an ingestion is about to commit its rows")
    status, out, _ = run_cli(capsys, "gc")
    assert status == 0
    assert "would remove (dry run: add --yes to remove)" in out
    assert "unreferenced blobs" in out and "kept: 1 unreferenced blobs" in out
    counts = summary(installation, capsys)
    assert counts["unreferenced blobs"] == 1 and counts["young"] == 1
    with installation.open() as store:  # the dry run removed nothing
        assert store.blobs.exists(orphan) and store.blobs.exists(young)
    status, out, _ = run_cli(capsys, "gc", "--yes")
    assert status == 0 and "removed" in out
    with installation.open() as store:
        assert not store.blobs.exists(orphan)
        assert store.blobs.exists(young)  # younger than the grace period
        assert store.blobs.exists(referenced) and store.blobs.exists(raw)
    assert summary(installation, capsys)["unreferenced blobs"] == 0
    # the records and their files are all still there
    target = installation.dir / "doc.pdf"
    assert run_cli(capsys, "files", "get", referenced, "-o", str(target))[0] == 0


def test_file_rows_nothing_refers_to_go_with_their_blob_unless_shared(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    old = m.utcnow() - dt.timedelta(hours=2)
    with installation.open() as store:
        lonely = store.add_file("lonely.txt", b"a file nobody keeps")
        # a copy of an e-mail's PDF a record held and dropped: its row is orphaned, but
        # the content is the e-mail attachment's too, so the blob stays
        att = store.records("SubmittedDocumentAttachment")[0]
        shared = att.attachedFile
        copy = store.add_file("copy.pdf", store.file(shared.sha256), "application/pdf")
        m.AttachedFile.update(created=old).where(
            m.AttachedFile.id.in_([lonely.id, copy.id])
        ).execute()
        # the record lets go of the file row it shares with the e-mail: that row stays
        att.attachedFile = None
        att.save()
    age_files(installation.blobs, hours=2)
    counts = summary(installation, capsys)
    assert counts["unreferenced file rows"] == 2
    assert counts["unreferenced blobs"] == 1
    assert run_cli(capsys, "gc", "--yes")[0] == 0
    with installation.open() as store:
        assert m.AttachedFile.get_or_none(m.AttachedFile.id == lonely.id) is None
        assert m.AttachedFile.get_or_none(m.AttachedFile.id == copy.id) is None
        assert not store.blobs.exists(lonely.sha256)
        assert m.AttachedFile.get_or_none(m.AttachedFile.id == shared.id) is not None
        assert store.blobs.exists(shared.sha256)
        # every file an e-mail or a record refers to is still readable
        for f in m.AttachedFile.select():
            assert store.blobs.exists(f.sha256)


def test_retention_removes_old_raw_messages_and_runs_but_keeps_the_email(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    installation.write_config(raw_days=30, run_days=30)
    long_ago = m.utcnow() - dt.timedelta(days=40)
    with installation.open() as store:
        emails = store.records("ReceivedEmail")
        old, failed, recent = emails[0], emails[1], emails[2]
        for e in (old, failed):
            m.ReceivedEmail.update(receivedDate=long_ago).where(
                m.ReceivedEmail.id == e.id
            ).execute()
        m.ReceivedEmail.update(state="FAILED").where(m.ReceivedEmail.id == failed.id).execute()
        # the old e-mail was handled twice: a failed run, then the one that made the records
        r = m.ScriptRun
        first_run = r.create(
            receivedEmail=old.id, scriptSha256="0" * 64, outcome="runtime", startedAt=long_ago,
            logLines=["x" * 100], committed=False,
        )  # fmt: skip
        # ... so the successful run, which made the records, becomes the newer one
        ok_run = r.get(r.receivedEmail == old.id, r.committed == True)  # noqa: E712
        newest = r.create(**{k: v for k, v in ok_run.__data__.items() if k != "id"})
        ok_run.delete_instance()
        r.update(startedAt=long_ago).where(r.receivedEmail.in_([old.id, failed.id])).execute()
        # the same message as the old one came to a second account too, and is not old
        other = m.MailAccount.create(name="second", address="b@x.cz", sourceKind="emlfolder",
                                     path=str(installation.dir), afterProcessing="none")  # fmt: skip
        twin_raw = store.blobs.read(emails[3].sha256)
        m.ReceivedEmail.update(receivedDate=long_ago, state="PROCESSED").where(
            m.ReceivedEmail.id == emails[3].id
        ).execute()
        store_received(store, other, twin_raw, key="twin")
    age_files(installation.blobs, hours=2)
    counts = summary(installation, capsys)
    assert counts["raw messages past retention"] == 1
    assert counts["script runs past retention"] == 1
    status, out, _ = run_cli(capsys, "gc", "--yes")
    assert status == 0
    assert "raw messages of PROCESSED e-mails 30 days" in out
    with installation.open() as store:
        assert not store.blobs.exists(old.sha256)  # the raw message went
        assert store.blobs.exists(failed.sha256)  # not PROCESSED: kept whatever its age
        assert store.blobs.exists(recent.sha256)
        assert store.blobs.exists(emails[3].sha256)  # the second account still needs it
        row = m.ReceivedEmail.get_by_id(old.id)  # the e-mail, its fields and files stay
        parts = list(
            m.ReceivedEmailAttachment.select().where(
                m.ReceivedEmailAttachment.receivedEmail == row.id
            )
        )
        assert row.subject == old.subject and len(parts) == 2
        assert all(store.blobs.exists(p.attachedFile.sha256) for p in parts)
        assert m.ScriptRun.get_or_none(m.ScriptRun.id == first_run.id) is None
        assert m.ScriptRun.get_or_none(m.ScriptRun.id == newest.id) is not None
        assert m.ScriptRun.select().where(m.ScriptRun.receivedEmail == failed.id).count() == 1
    # emails show says why the raw message is gone; the record still finds its e-mail
    status, out, _ = run_cli(capsys, "emails", "show", str(old.id))
    assert status == 0 and "raw message removed by retention" in out
    status, out, _ = run_cli(capsys, "emails", "show", str(recent.id))
    assert "raw message removed" not in out
    status, out, _ = run_cli(capsys, "records", "show", "SubmittedDocument", "1")
    assert f"e-mail #{old.id}" in out
    status, _, err = run_cli(capsys, "files", "get", old.sha256, "-o", "raw.eml")
    assert status == 2 and "raw message removed by retention" in err
    # reprocessing works from the stored fields and attachments
    status, out, err = run_cli(capsys, "reprocess", str(old.id))
    assert status == 0, out + err
    with installation.open():
        assert m.ReceivedEmail.get_by_id(old.id).state == "PROCESSED"
    # a second gc finds nothing more of it
    assert summary(installation, capsys)["raw messages past retention"] == 0


def test_a_blob_referenced_after_the_plan_is_kept(installation: Installation) -> None:
    with installation.open() as store:
        sha, _ = store.blobs.put_bytes(b"stored by a transaction still open")
    age_files(installation.blobs, hours=2)
    with installation.open() as store:
        found = housekeeping.plan(store)
        assert [s for s, _ in found.unreferenced_blobs] == [sha]
        store.add_file("late.txt", b"stored by a transaction still open")  # it commits now
        done = housekeeping.apply(store, found)
        assert done.skipped == 1 and done.blobs == 0
        assert store.blobs.exists(sha)


def test_a_blob_stored_again_after_the_plan_is_kept(installation: Installation) -> None:
    """A new message bringing content gc is about to remove refreshes the blob's time (the
    rows naming it are not committed yet): gc keeps it; the others go, leaving nothing
    behind in the temporary folder."""
    with installation.open() as store:
        again, _ = store.blobs.put_bytes(b"content a new message brings again")
        gone, _ = store.blobs.put_bytes(b"content nothing brings again")
    age_files(installation.blobs, hours=2)
    with installation.open() as store:
        found = housekeeping.plan(store)
        assert sorted(s for s, _ in found.unreferenced_blobs) == sorted([again, gone])
        store.blobs.put_bytes(b"content a new message brings again")  # a new message
        done = housekeeping.apply(store, found)
        assert (done.blobs, done.skipped) == (1, 1)
        assert store.blobs.exists(again) and not store.blobs.exists(gone)
        assert store.blobs.read(again) == b"content a new message brings again"
        assert list(store.blobs.tmp_dir.glob("gc-*")) == []


def test_leftover_temporary_files_go(
    installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = installation.blobs / ".tmp"
    tmp.mkdir(exist_ok=True)
    (tmp / "blob-crashed").write_bytes(b"half a write")
    age_files(tmp, hours=30)
    (tmp / "blob-writing").write_bytes(b"a write going on now")
    assert summary(installation, capsys)["temporary files"] == 1
    assert run_cli(capsys, "gc", "--yes")[0] == 0
    assert not (tmp / "blob-crashed").exists() and (tmp / "blob-writing").exists()


def test_nothing_to_remove(installation: Installation, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(capsys, "gc", "--yes")
    assert status == 0 and "nothing to remove" in out
