"""The content-addressed blob store: raw messages and attachment contents, stored once.

A blob's name is the SHA-256 of its content (64 lower-case hex digits), kept at
``ROOT/ab/cd/abcd...``. Writes go to a temporary file under ``ROOT/.tmp``, are fsynced, and
are renamed into place, so a blob is either complete or absent, even after a crash (a
leftover temporary file is garbage, never a blob). Content already present is not
written again. Contents are streamed in chunks: a 30 MB attachment is never held in
memory twice.

Durability: when a write method returns, the blob is on disk, its content (the file's
fsync) and its name (the folder's fsync after the rename), so a database row naming it
may commit (ARCHITECTURE.md, "Ingestion guarantees"). Content found already stored
costs no write and no fsync of its own, only a fsync of its folder (its writer may have
been killed between its rename and that fsync; on a clean folder it costs microseconds).
The calls are thread-safe: writing several blobs from several threads lets the file
system join their fsyncs into one journal commit (``mailstore.receive`` does that).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

__all__ = ["BlobNotFound", "BlobStore", "BlobWriter", "CHUNK_SIZE"]

#: bytes read or written at a time when streaming
CHUNK_SIZE = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


class BlobNotFound(KeyError):
    """Raised by `BlobStore.open` and friends for a SHA-256 the store does not hold."""

    def __str__(self) -> str:
        return f"no stored file has SHA-256 {self.args[0]}"


def _fsync_dir(path: Path) -> None:
    # the rename is durable only once the directory entry is on disk
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _refresh(final: Path) -> bool:
    """Mark stored content as just written again; False when it is gone after all.

    ``gc`` keeps blobs younger than its grace period: content that was stored long ago,
    became unreferenced and now arrives again would otherwise look old enough to remove
    between this write and the commit of the rows that use it again."""
    try:
        os.utime(final)
    except FileNotFoundError:  # gc removed it just now: the caller writes it anew
        return False
    return True


def _install(tmp: Path, final: Path) -> None:
    """Rename the fsynced temporary file *tmp* to *final* and make the name durable."""
    try:
        os.replace(tmp, final)
    except FileNotFoundError:
        # the blob's folder is new (os.replace fails fast; no stat on the common path):
        # its own name in the folder above must be durable too
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        # the folders' names must be durable too: always both levels on this rare path,
        # since another thread may have made a folder and not yet flushed its parent
        # (telling "made by us" apart would race with it)
        _fsync_dir(final.parent.parent)
        _fsync_dir(final.parent.parent.parent)
    _fsync_dir(final.parent)


class BlobWriter:
    """Receives a blob's content chunk by chunk; `BlobStore.writer` makes one.

    Use as a context manager: on a clean exit the content is committed (``sha256`` and
    ``size`` are set); on an exception the temporary file is removed and nothing is
    stored. Trap: ``sha256`` is None until the block has ended.
    """

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="blob-")
        self._tmp = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self.sha256: str | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append *data*; return its length."""
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def commit(self) -> tuple[str, int]:
        """Store the content written so far; return ``(sha256, size)``."""
        sha = self._hash.hexdigest()
        final = self._store.path(sha)
        if final.exists() and _refresh(final):
            # the same content is already stored (and was fsynced by its writer): this
            # copy needs no fsync, only the folder's name of the stored one may
            self._file.close()
            self._tmp.unlink()
            _fsync_dir(final.parent)
        else:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            _install(self._tmp, final)
        self.sha256 = sha
        return sha, self.size

    def abort(self) -> None:
        """Forget the content written so far."""
        self._file.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class BlobStore:
    """Files named by their SHA-256 under one folder.

    >>> import tempfile, io
    >>> store = BlobStore(tempfile.mkdtemp())
    >>> sha, size = store.put_bytes(b"hello")
    >>> sha[:12], size, store.read(sha)
    ('2cf24dba5fb0', 5, b'hello')
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / ".tmp"

    def path(self, sha256: str) -> Path:
        """Return where the blob *sha256* is (or would be) stored.

        Raises ``ValueError`` for anything but 64 lower-case hex digits, so a name taken
        from a record or a command line can never point outside the store.
        """
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 (64 lower-case hex digits): {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """Return True when the store holds *sha256*."""
        return self.path(sha256).is_file()

    def size(self, sha256: str) -> int:
        """Return the blob's size in bytes; raise `BlobNotFound` when absent."""
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def writer(self) -> BlobWriter:
        """Return a `BlobWriter` for content produced piece by piece (a decoder's output)."""
        return BlobWriter(self)

    def put_stream(self, fileobj: BinaryIO, chunk_size: int = CHUNK_SIZE) -> tuple[str, int]:
        """Store everything *fileobj* yields from its current position; return (sha256, size).

        Reads *chunk_size* bytes at a time, so memory use does not grow with the content.
        """
        with self.writer() as w:
            while True:
                chunk = fileobj.read(chunk_size)
                if not chunk:
                    break
                w.write(chunk)
        assert w.sha256 is not None
        return w.sha256, w.size

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        """Store *data*; return (sha256, size). Nothing is written when it is already there."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path(sha)
        if final.is_file() and _refresh(final):
            _fsync_dir(final.parent)  # as in BlobWriter.commit: the name may be recent
            return sha, len(data)
        # the hash is known: written straight to a temporary file, not through a
        # BlobWriter (that would hash the content a second time)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="blob-")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                view = memoryview(data)
                for start in range(0, len(data), CHUNK_SIZE):
                    f.write(view[start : start + CHUNK_SIZE])
                f.flush()
                os.fsync(f.fileno())
            _install(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return sha, len(data)

    def open(self, sha256: str) -> BinaryIO:
        """Return the blob opened for binary reading; raise `BlobNotFound` when absent."""
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def read(self, sha256: str) -> bytes:
        """Return the blob's whole content (prefer `open` for large ones)."""
        with self.open(sha256) as f:
            return f.read()

    def iter_all(self) -> Iterator[str]:
        """Yield the SHA-256 of every stored blob (temporary files excluded), for ``gc``."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                if not second.is_dir():
                    continue
                for blob in sorted(second.iterdir()):
                    if _SHA256.match(blob.name) and blob.name[:4] == first.name + second.name:
                        yield blob.name

    def delete(self, sha256: str) -> bool:
        """Remove the blob; return False when it was not there. Only ``gc`` should call this."""
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True
