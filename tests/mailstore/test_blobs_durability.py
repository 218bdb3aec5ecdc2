"""When a BlobStore write returns, the blob is durable: its file and its folder were fsynced.

The guarantee the ledger relies on (ARCHITECTURE.md, "Ingestion guarantees": the raw
blob is durable before the row that names it commits). ``os.fsync`` is wrapped to record
which path each call flushed; the real fsync still runs.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mailstore.blobs import BlobStore


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths fsynced from now on, in order."""
    paths: list[Path] = []
    real = os.fsync

    def recording(fd: int) -> None:
        paths.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return paths


WRITES: dict[str, Callable[[BlobStore, bytes], str]] = {
    "put_bytes": lambda store, data: store.put_bytes(data)[0],
    "put_stream": lambda store, data: store.put_stream(io.BytesIO(data))[0],
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_new_blob_is_fsynced_with_its_folders(
    tmp_path: Path, synced: list[Path], write: Callable[[BlobStore, bytes], str]
) -> None:
    store = BlobStore(tmp_path / "blobs")
    sha = write(store, b"invoice 1")
    final = store.path(sha)
    assert final.read_bytes() == b"invoice 1"
    # the content before its rename (then a temporary name), the folder after it; the
    # two folders made for it are named in their parents, durably too
    assert synced[0].parent == store.tmp_dir
    assert synced[-1] == final.parent
    assert {final.parent.parent, store.root} <= set(synced)


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_stored_content_is_not_written_or_fsynced_again(
    tmp_path: Path, synced: list[Path], write: Callable[[BlobStore, bytes], str]
) -> None:
    store = BlobStore(tmp_path / "blobs")
    sha = write(store, b"the same logo")
    before = store.path(sha).stat()
    synced.clear()
    assert write(store, b"the same logo") == sha
    # only the folder (its name may have been left unflushed by a writer killed after
    # its rename): no file content is flushed
    assert synced == [store.path(sha).parent]
    after = store.path(sha).stat()
    # the same file (not rewritten), with its time refreshed for gc's grace period
    assert after.st_ino == before.st_ino and after.st_mtime_ns >= before.st_mtime_ns
    assert list(store.tmp_dir.iterdir()) == []


def test_a_second_blob_in_an_existing_folder_fsyncs_that_folder_only(
    tmp_path: Path, synced: list[Path]
) -> None:
    store = BlobStore(tmp_path / "blobs")
    first = store.path(store.put_bytes(b"first")[0]).parent
    # other content that lands in the same two-level folder (1 in 65,536: found quickly)
    n = 0
    while store.path(hashlib.sha256(b"other %d" % n).hexdigest()).parent != first:
        n += 1
    data = b"other %d" % n
    synced.clear()
    store.put_bytes(data)
    assert synced[-1] == first
    assert first.parent not in synced and store.root not in synced  # no new folder


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path / "blobs")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        store.put_bytes(b"too late")
    assert list(store.tmp_dir.iterdir()) == []
    assert list(store.iter_all()) == []
