"""Local mail sources: a Maildir, an mbox file, a folder of ``.eml`` files.

Each source lists its messages as ``(key, raw bytes)`` with the keys ARCHITECTURE.md
gives (the ledger's unique key per account) and carries out the after-processing
action once the database has committed:

=========  ===============================================  ========================
source     key                                              actions
=========  ===============================================  ========================
Maildir    the file name's unique part, before ``:2,``      ``seen``, ``move:F``,
           (flags change the name, never this part)         ``delete``, ``none``
mbox       SHA-256 (hex) of the raw message                 ``none``
emlfolder  SHA-256 (hex) of the raw message                 ``move:F``, ``delete``,
                                                            ``none``
=========  ===============================================  ========================
"""

from __future__ import annotations

import hashlib
import mailbox
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

__all__ = [
    "EmlFolderSource",
    "LocalSource",
    "MaildirSource",
    "MboxSource",
    "SourceError",
    "open_source",
]

#: The separator of a Maildir file name's info part (":2,FLAGS"); mailbox uses "!" on Windows.
_COLON = mailbox.Maildir.colon


class SourceError(Exception):
    """Raised when a local source cannot be opened or an action cannot be carried out.

    The message names the source's path and what to fix.
    """


class LocalSource(Protocol):
    """What the ingestion runner needs of a local source."""

    #: ``"maildir"``, ``"mbox"`` or ``"emlfolder"`` (MailAccount.sourceKind).
    kind: str
    path: Path

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """Yield ``(key, raw message)`` for every message, in a stable order."""
        ...

    def after(self, key: str, action: str) -> None:
        """Carry out an after-processing action on the message with ``key``."""
        ...


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parse_action(action: str, allowed: tuple[str, ...], where: Path) -> tuple[str, str]:
    """Return (verb, folder) of ``seen`` / ``move:FOLDER`` / ``delete`` / ``none``."""
    verb, _, folder = action.partition(":")
    verb = verb.strip().lower()
    if verb not in allowed or (verb == "move") != bool(folder.strip()):
        listed = ", ".join("move:FOLDER" if a == "move" else a for a in allowed)
        raise SourceError(f"{where}: the action {action!r} is not possible here (use {listed})")
    return verb, folder.strip()


class MaildirSource:
    """A Maildir (``cur``, ``new``, ``tmp``); ``move:F`` targets the Maildir++ folder ``.F``.

    A ``move:`` target with a slash is taken as the path of another Maildir instead
    (relative to this one: ``move:../Done`` is a sibling). Moved messages keep their file
    name, so their key stays the same.
    """

    kind = "maildir"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not (self.path / "cur").is_dir() or not (self.path / "new").is_dir():
            raise SourceError(f"{self.path}: not a Maildir (it needs 'cur' and 'new' folders)")
        self._box = mailbox.Maildir(self.path, factory=None, create=False)

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """Yield (unique part of the file name, raw bytes), oldest delivery first.

        ``mailbox.Maildir`` keys are exactly the unique part; a file that vanished
        between listing and reading (another client moved it) is skipped.
        """
        self._box = mailbox.Maildir(self.path, factory=None, create=False)
        for key in sorted(self._box.iterkeys()):
            try:
                yield key, self._box.get_bytes(key)
            except (KeyError, FileNotFoundError):
                continue

    def _locate(self, key: str) -> Path:
        for sub in ("new", "cur"):
            folder = self.path / sub
            for name in os.listdir(folder):
                if name.split(_COLON, 1)[0] == key:
                    return folder / name
        raise SourceError(f"{self.path}: no message with the key {key!r} (moved or deleted?)")

    def after(self, key: str, action: str) -> None:
        """``seen`` adds the S flag (and moves a message from ``new`` to ``cur``), ``move:F``
        moves the file, ``delete`` removes it, ``none`` does nothing."""
        verb, folder = _parse_action(action, ("seen", "move", "delete", "none"), self.path)
        if verb == "none":
            return
        current = self._locate(key)
        if verb == "delete":
            current.unlink()
        elif verb == "seen":
            _, _, flags = current.name.partition(_COLON + "2,")
            flags = "".join(sorted(set(flags) | {"S"}))
            # Maildir spec: a message leaves "new" once seen; the info part lists flags
            # in ASCII order.
            current.rename(self.path / "cur" / f"{key}{_COLON}2,{flags}")
        else:
            target = self._target(folder)
            sub = current.parent.name
            os.rename(current, target / sub / current.name)

    def _target(self, folder: str) -> Path:
        if "/" in folder or os.sep in folder:
            root = (self.path / folder).resolve()
        else:
            root = self.path / f".{folder}"
        for sub in ("cur", "new", "tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        return root


class MboxSource:
    """An mbox file, read only: its messages cannot be flagged, moved or deleted one by one."""

    kind = "mbox"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such mbox file")

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """Yield (SHA-256 of the raw message, raw bytes) in file order.

        The raw message is what follows the ``From `` separator line, as stored (a
        ``>From`` quoted line stays quoted). Two identical messages share a key and are
        yielded once.
        """
        box = mailbox.mbox(self.path, factory=None, create=False)
        seen: set[str] = set()
        try:
            for key in box.iterkeys():
                raw = box.get_bytes(key)
                digest = _sha256(raw)
                if digest not in seen:
                    seen.add(digest)
                    yield digest, raw
        finally:
            box.close()

    def after(self, key: str, action: str) -> None:
        """Only ``none`` is possible: anything else is a SourceError."""
        _parse_action(action, ("none",), self.path)


class EmlFolderSource:
    """A folder of ``.eml`` files (not its subfolders), each one raw message."""

    kind = "emlfolder"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise SourceError(f"{self.path}: no such folder")
        self._files: dict[str, Path] = {}

    def _listing(self) -> list[Path]:
        return sorted(p for p in self.path.iterdir() if p.suffix.lower() == ".eml" and p.is_file())

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """Yield (SHA-256 of the file's bytes, the bytes), in file name order.

        Identical files share a key and are yielded once.
        """
        self._files = {}
        for file in self._listing():
            try:
                raw = file.read_bytes()
            except FileNotFoundError:
                continue
            digest = _sha256(raw)
            if digest not in self._files:
                self._files[digest] = file
                yield digest, raw

    def _locate(self, key: str) -> Path:
        known = self._files.get(key)
        if known is not None and known.exists():
            return known
        for file in self._listing():
            if _sha256(file.read_bytes()) == key:
                return file
        raise SourceError(f"{self.path}: no .eml file with the key {key!r} (moved or deleted?)")

    def after(self, key: str, action: str) -> None:
        """``move:F`` moves the file into folder F (relative to this folder, created if
        missing; an existing name gets ``-2``, ``-3``...), ``delete`` removes it."""
        verb, folder = _parse_action(action, ("move", "delete", "none"), self.path)
        if verb == "none":
            return
        current = self._locate(key)
        if verb == "delete":
            current.unlink()
        else:
            target_dir = self.path / folder
            target_dir.mkdir(parents=True, exist_ok=True)
            target = target_dir / current.name
            number = 1
            while target.exists():
                number += 1
                target = target_dir / f"{current.stem}-{number}{current.suffix}"
            os.rename(current, target)
        self._files.pop(key, None)


def open_source(kind: str, path: str | os.PathLike[str]) -> LocalSource:
    """Return the source of ``kind`` at ``path``.

    ``kind`` is a MailAccount.sourceKind: ``maildir``, ``mbox`` or ``emlfolder`` (also
    spelled ``eml``), in any case.

    Raises SourceError when the kind is unknown or the path is not such a source.
    """
    sources: dict[str, type[MaildirSource] | type[MboxSource] | type[EmlFolderSource]] = {
        "maildir": MaildirSource,
        "mbox": MboxSource,
        "emlfolder": EmlFolderSource,
        "eml": EmlFolderSource,
    }
    try:
        factory = sources[kind.lower()]
    except KeyError:
        raise SourceError(
            f"{path}: unknown kind of local source {kind!r} (use maildir, mbox or emlfolder)"
        ) from None
    return factory(path)
