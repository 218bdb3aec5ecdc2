"""The content-addressed blob store: raw messages and attachment contents, stored once.

A blob's name is the SHA-256 of its content (64 lower-case hex digits), kept at
``ROOT/ab/cd/abcd...``. Writes go to a temporary file under ``ROOT/.tmp``, are fsynced, and
are renamed into place, so a blob is either complete or absent, even after a crash (a
leftover temporary file is garbage, never a blob). Content already present is not
written again. Contents are streamed in chunks: a 30 MB attachment is never held in
memory twice.
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
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        sha = self._hash.hexdigest()
        final = self._store.path(sha)
        if final.exists():
            self._tmp.unlink()  # the same content is already stored
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, final)
            _fsync_dir(final.parent)
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
        if self.exists(sha):
            return sha, len(data)
        with self.writer() as w:
            view = memoryview(data)
            for start in range(0, len(data), CHUNK_SIZE):
                w.write(view[start : start + CHUNK_SIZE])
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
