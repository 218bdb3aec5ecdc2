"""The content-addressed blob store: names, atomic writes, stored once, streamed."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailstore.blobs import CHUNK_SIZE, BlobNotFound, BlobStore


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_blob_is_named_by_its_sha256_in_two_levels(blobs: BlobStore) -> None:
    data = "Faktura č. 1".encode()
    sha, size = blobs.put_bytes(data)
    assert sha == hashlib.sha256(data).hexdigest() and size == len(data)
    assert blobs.path(sha) == blobs.root / sha[:2] / sha[2:4] / sha
    assert blobs.path(sha).read_bytes() == data
    assert blobs.exists(sha) and blobs.size(sha) == size
    with blobs.open(sha) as f:
        assert f.read() == data


def test_the_same_content_is_stored_once(blobs: BlobStore) -> None:
    sha, _ = blobs.put_bytes(b"same")
    first = blobs.path(sha).stat()
    assert blobs.put_stream(io.BytesIO(b"same")) == (sha, 4)
    with blobs.writer() as w:
        w.write(b"sa")
        w.write(b"me")
    assert w.sha256 == sha
    again = blobs.path(sha).stat()
    # the same file, not a rewritten copy; its time refreshed, so gc sees it as young
    assert again.st_ino == first.st_ino and again.st_mtime_ns >= first.st_mtime_ns
    assert _files(blobs.root) == [blobs.path(sha)]  # no temporary files left behind


def test_an_empty_blob(blobs: BlobStore) -> None:
    sha, size = blobs.put_stream(io.BytesIO(b""))
    assert (sha, size) == (hashlib.sha256(b"").hexdigest(), 0)
    assert blobs.read(sha) == b""


class _Failing(io.RawIOBase):
    """A stream that breaks after some bytes, like a connection dropped mid-download."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("connection dropped")
        chunk = b"x" * min(n if n > 0 else self.left, self.left)
        self.left -= len(chunk)
        return chunk


def test_a_failed_write_leaves_nothing(blobs: BlobStore) -> None:
    with pytest.raises(ConnectionResetError):
        blobs.put_stream(_Failing(3 * CHUNK_SIZE + 5))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        with blobs.writer() as w:
            w.write(b"partial")
            raise ValueError("decoder failed")
    assert _files(blobs.root) == []
    assert list(blobs.iter_all()) == []


class _Counting(io.BytesIO):
    """Records the size of every read, to show the store streams."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, n: int | None = -1) -> bytes:
        self.sizes.append(-1 if n is None else n)
        return super().read(n)


def test_put_stream_reads_in_chunks(blobs: BlobStore) -> None:
    data = bytes(range(256)) * (3 * CHUNK_SIZE // 256 + 7)
    source = _Counting(data)
    sha, size = blobs.put_stream(source)
    assert all(0 < n <= CHUNK_SIZE for n in source.sizes)  # never "read everything"
    assert len(source.sizes) == 5  # 4 chunks (the last partial) and the empty read
    assert (sha, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert blobs.read(sha) == data


def test_put_stream_starts_at_the_current_position(blobs: BlobStore) -> None:
    source = io.BytesIO(b"headerBODY")
    source.seek(6)
    sha, size = blobs.put_stream(source, chunk_size=3)
    assert blobs.read(sha) == b"BODY" and size == 4


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "AB" * 32, "ab" * 31, "ab" * 33, "zz" * 32, "", "ab" * 32 + "\n"],
)
def test_a_name_that_is_not_a_sha256_is_refused(blobs: BlobStore, name: str) -> None:
    with pytest.raises(ValueError, match="not a SHA-256"):
        blobs.path(name)
    with pytest.raises(ValueError):
        blobs.open(name)


def test_missing_blobs(blobs: BlobStore) -> None:
    sha = "0" * 64
    assert not blobs.exists(sha)
    with pytest.raises(BlobNotFound, match=f"no stored file has SHA-256 {sha}"):
        blobs.open(sha)
    with pytest.raises(BlobNotFound):
        blobs.size(sha)
    assert blobs.delete(sha) is False


def test_iter_all_lists_blobs_only(blobs: BlobStore) -> None:
    shas = {blobs.put_bytes(bytes([n]) * n)[0] for n in range(20)}
    # a temporary file left by a crash, and a stray file, are not blobs
    (blobs.root / ".tmp" / "blob-crashed").write_bytes(b"half")
    (blobs.root / "README").write_text("x")
    assert set(blobs.iter_all()) == shas
    victim = sorted(shas)[0]
    assert blobs.delete(victim) is True
    assert set(blobs.iter_all()) == shas - {victim}


def test_iter_all_of_a_store_never_written(tmp_path: Path) -> None:
    assert list(BlobStore(tmp_path / "nothing").iter_all()) == []


def test_writers_of_the_same_content_at_once(blobs: BlobStore) -> None:
    data = b"concurrent" * 100_000
    results: list[tuple[str, int]] = []
    threads = [
        threading.Thread(target=lambda: results.append(blobs.put_stream(io.BytesIO(data), 4096)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert _files(blobs.root) == [blobs.path(results[0][0])]
    assert blobs.read(results[0][0]) == data


def test_blob_files_are_private(blobs: BlobStore) -> None:
    sha, _ = blobs.put_bytes(b"mail is personal data")
    assert blobs.path(sha).stat().st_mode & 0o077 == 0


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=5000), st.integers(1, 600))
def test_any_content_round_trips(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, chunk: int
) -> None:
    store = BlobStore(tmp_path_factory.mktemp("b"))
    sha, size = store.put_stream(io.BytesIO(data), chunk_size=chunk)
    assert (sha, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert store.read(sha) == data
    assert store.put_bytes(data) == (sha, size)
    assert list(store.iter_all()) == [sha]


@pytest.mark.parametrize("how", ["put_bytes", "put_stream", "writer"])
def test_storing_old_content_again_makes_it_young(blobs: BlobStore, how: str) -> None:
    # gc keeps blobs younger than its grace period: content stored long ago and brought
    # again by a new message must count as written now, before that message commits
    sha, _ = blobs.put_bytes(b"an old logo")
    old = time.time() - 3 * 86400
    os.utime(blobs.path(sha), (old, old))
    if how == "put_bytes":
        blobs.put_bytes(b"an old logo")
    elif how == "put_stream":
        blobs.put_stream(io.BytesIO(b"an old logo"))
    else:
        with blobs.writer() as w:
            w.write(b"an old logo")
    assert blobs.path(sha).stat().st_mtime > time.time() - 3600
