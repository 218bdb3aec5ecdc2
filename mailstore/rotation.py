"""Rotating the secret key: every stored secret re-encrypted under a new key, proved.

`ENCRYPTED` lists every column that holds a Fernet token of the installation's key; a new
encrypted column is added there and nowhere else (`encrypted_values` and the proof read
it). The secrets' values never change, only their encryption: the reply-token key in
``InternalSecret`` stays the same key, so reply tokens already sent stay valid.

With a key file (`rotate_key_file`), in this order, so that a crash at any point leaves a
key file that opens every stored secret:

1. the current key file is copied to a backup next to it, ``secret.key.old-<UTC time>``
   (mode 0600): database backups made before the rotation need it;
2. the key file is replaced (atomically: a temporary file renamed over it) by the new key
   followed by the old ones, so both open everything while step 3 runs;
3. in one transaction every secret is decrypted with the old keys, encrypted with the
   new key and checked to decrypt with the new key alone to the same value;
4. the secrets are read again and any a concurrent process wrote under the old key
   meanwhile (a refreshed OAuth2 token cache) is re-encrypted too (a few passes);
5. the key file is replaced by the new key alone, read back from disk, and every stored
   secret is decrypted with it (the proof); anything that fails there raises
   `RotationError` and the backup holds the old key.

With ``MAILWRIGHT_SECRET_KEY`` the key is the environment's, which mailwright cannot
change: `rotate_environment` re-encrypts under the variable's first key when it holds
two or more (``NEW,OLD``), and otherwise raises `RotationError` saying what to set.
Trap: a process that loaded the old key before the rotation (an ingestion running at
that moment) cannot open secrets re-encrypted under the new one until it restarts; rotate
between runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailstore import models as m
from mailstore.secrets import (
    ENV_VAR,
    SecretBox,
    SecretKeyError,
    generate_key,
    split_keys,
)

__all__ = [
    "ENCRYPTED",
    "RotationError",
    "RotationReport",
    "StoredSecret",
    "encrypted_values",
    "rotate_environment",
    "rotate_key_file",
    "undecryptable",
]

#: every (model, column) holding a Fernet token of the installation's key
ENCRYPTED: tuple[tuple[type[m.BaseModel], str], ...] = (
    (m.Credential, "secret"),
    (m.Credential, "tokenCache"),
    (m.InternalSecret, "value"),
)
#: passes over secrets written under the old key while the rotation ran (step 4)
_CATCH_UP_PASSES = 3


class RotationError(Exception):
    """Raised when a rotation cannot be done or not proved; the message says what to do."""


@dataclass(frozen=True)
class StoredSecret:
    """One encrypted value: where it is (for messages; never the value) and its token."""

    model: type[m.BaseModel]
    column: str
    row_id: int
    label: str
    token: str


@dataclass
class RotationReport:
    """What a rotation did: secrets re-encrypted per column label, files written."""

    #: ``"Credential.secret"`` -> how many
    counts: dict[str, int] = field(default_factory=dict)
    key_file: Path | None = None
    backup: Path | None = None
    #: secrets re-encrypted again because a process wrote them under the old key meanwhile
    caught_up: int = 0

    @property
    def total(self) -> int:
        """The number of secrets re-encrypted."""
        return sum(self.counts.values())


def _label(row: Any, column: str) -> str:
    name = getattr(row, "name", None)
    kind = "credential" if isinstance(row, m.Credential) else "internal secret"
    return f"{kind} {name!r} ({column})"


def encrypted_values() -> Iterator[StoredSecret]:
    """Yield every stored secret of the bound store (``Store.open`` binds the models), by
    table and id. The token is the stored (encrypted) text; nothing is decrypted here."""
    for model, column in ENCRYPTED:
        fld = model._meta.fields[column]
        for row in model.select().where(fld.is_null(False)).order_by(model.id):
            token = getattr(row, column)
            if token:
                yield StoredSecret(model, column, int(row.id), _label(row, column), str(token))


def undecryptable(box: SecretBox) -> list[str]:
    """Return the labels of the stored secrets *box* cannot open (empty: all open); for
    ``doctor`` and the rotation's proof."""
    bad = []
    for secret in encrypted_values():
        try:
            box.decrypt(secret.token)
        except SecretKeyError:
            bad.append(secret.label)
    return bad


def _digest(text: str) -> str:
    # the proof compares digests: plaintexts are not kept around longer than needed
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _reencrypt(
    old: SecretBox, new: SecretBox, report: RotationReport
) -> dict[tuple[str, int, str], str]:
    """Re-encrypt with *new* every secret it cannot open yet (reading it with *old*);
    return the digests of their values, for the proof."""
    digests: dict[tuple[str, int, str], str] = {}
    for secret in list(encrypted_values()):
        try:
            new.decrypt(secret.token)
            continue  # already under the new key
        except SecretKeyError:
            pass
        try:
            plain = old.decrypt(secret.token)
        except SecretKeyError:
            raise RotationError(
                f"{secret.label} cannot be decrypted with the current key ({old.source}); "
                "nothing was changed in the database. Restore the key it was saved with, "
                "or set that secret again, then rotate"
            ) from None
        token = new.encrypt(plain)
        if new.decrypt(token) != plain:  # pragma: no cover - Fernet guarantees it
            raise RotationError(f"{secret.label}: the new key does not give the value back")
        fld = secret.model._meta.fields[secret.column]
        # only if nobody changed it since we read it (an OAuth2 refresh renews the token
        # cache): an unconditional write would put the old value back. A value changed
        # meanwhile was written by the other process with the key it holds; the catch-up
        # passes (`_CATCH_UP_PASSES`) read it again
        changed = (
            secret.model.update({fld: token})
            .where((secret.model.id == secret.row_id) & (fld == secret.token))
            .execute()
        )
        if not changed:
            continue
        key = f"{secret.model.__name__}.{secret.column}"
        report.counts[key] = report.counts.get(key, 0) + 1
        digests[(secret.model.__name__, secret.row_id, secret.column)] = _digest(plain)
    return digests


def _prove(box: SecretBox, digests: dict[tuple[str, int, str], str]) -> None:
    """Decrypt every stored secret with *box*; `RotationError` naming any that fails."""
    bad = []
    for secret in encrypted_values():
        try:
            plain = box.decrypt(secret.token)
        except SecretKeyError:
            bad.append(secret.label)
            continue
        want = digests.get((secret.model.__name__, secret.row_id, secret.column))
        if want is not None and want != _digest(plain):
            bad.append(secret.label + " (a different value)")
    if bad:
        raise RotationError(f"the new key ({box.source}) does not open: {', '.join(bad)}")


def rotate_environment(store: Any, environ: Mapping[str, str] | None = None) -> RotationReport:
    """Re-encrypt every secret of *store* under the first key of ``MAILWRIGHT_SECRET_KEY``.

    Only when the variable holds two or more keys (``NEW,OLD``: the new one first); with
    one key raises `RotationError` saying what to set, since mailwright cannot change its
    caller's environment. Proves the result by decrypting everything with the first key
    alone. The caller then sets the variable to the first key only.
    """
    env = os.environ if environ is None else environ
    keys = split_keys(env.get(ENV_VAR, ""))
    if len(keys) < 2:
        raise RotationError(
            f"the key comes from the environment variable {ENV_VAR}, which mailwright "
            "cannot change. To rotate: make a new key (python3 -c 'from cryptography.fernet "
            f"import Fernet; print(Fernet.generate_key().decode())'), set {ENV_VAR}=NEW,OLD "
            "(the new key first, a comma, the current key), run `mailwright secrets rotate` "
            f"again, then set {ENV_VAR}=NEW alone. Nothing was changed"
        )
    source = f"environment variable {ENV_VAR}"
    box = SecretBox(keys, source)
    first = SecretBox(keys[:1], f"the first key of {source}")
    report = RotationReport()
    with store.atomic():
        digests = _reencrypt(box, first, report)
        _prove(first, digests)
    return report


def _backup_path(key_file: Path, now: dt.datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    candidate = key_file.with_name(f"{key_file.name}.old-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = key_file.with_name(f"{key_file.name}.old-{stamp}-{n}")
    return candidate


def _write_new_file(path: Path, text: str) -> None:
    """Create *path* (which must not exist) with mode 0600 and *text*, durably."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _replace_file(path: Path, text: str) -> None:
    """Replace *path* by a file holding *text* (mode 0600) in one rename: a reader sees
    the old content or the new one, never a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    _write_new_file(tmp, text)
    os.replace(tmp, path)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def rotate_key_file(
    store: Any,
    key_file: str | Path,
    *,
    now: dt.datetime | None = None,
    new_key: str | None = None,
) -> RotationReport:
    """Rotate the key in *key_file* (steps 1 to 5 of the module's docstring); return what
    was done. *new_key* and *now* (naive UTC) are for tests.

    Raises `RotationError` when the key file is missing or unreadable, when a stored
    secret does not open with the current key (nothing changes then), or when the proof
    fails. Never reads ``MAILWRIGHT_SECRET_KEY`` (see `rotate_environment`).
    """
    path = Path(key_file)
    now = now or m.utcnow()
    try:
        current_text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise RotationError(
            f"key file {path}: does not exist; there is nothing to rotate (a new "
            "installation makes its key with `mailwright init`)"
        ) from None
    except (OSError, UnicodeError) as err:
        raise RotationError(f"key file {path}: cannot be read: {err}") from None
    old_keys = split_keys(current_text)
    try:
        old = SecretBox(old_keys, f"key file {path}")
    except SecretKeyError as err:
        raise RotationError(str(err)) from None
    bad = undecryptable(old)
    if bad:
        raise RotationError(
            f"the current key ({old.source}) does not open {', '.join(bad)}; nothing was "
            "changed. Restore the key those were saved with, or set them again, then rotate"
        )
    fresh = new_key or generate_key()
    report = RotationReport(key_file=path)
    # 1. the backup: the old key, kept for database backups made before today
    backup = _backup_path(path, now)
    _write_new_file(
        backup,
        f"# the key of {path.name} before `mailwright secrets rotate` on "
        f"{now:%Y-%m-%d %H:%M} UTC; keep it apart from the database backups, like the key\n"
        + current_text
        + ("" if current_text.endswith("\n") else "\n"),
    )
    report.backup = backup
    # 2. new key first, old keys after it: every secret opens, rotated or not
    _replace_file(path, "\n".join([fresh, *old_keys]) + "\n")
    both = SecretBox([fresh, *old_keys], f"key file {path}")
    only_new = SecretBox([fresh], f"key file {path} (the new key)")
    # 3. one transaction: re-encrypted, each checked against the new key alone
    with store.atomic():
        digests = _reencrypt(both, only_new, report)
    # 4. secrets a concurrent process wrote under the old key meanwhile
    for _ in range(_CATCH_UP_PASSES):
        if not undecryptable(only_new):
            break
        extra = RotationReport()
        with store.atomic():
            digests.update(_reencrypt(both, only_new, extra))
        report.caught_up += extra.total
    still = undecryptable(only_new)
    if still:
        raise RotationError(
            f"{', '.join(still)} kept being written under the old key; the key file holds "
            "the new key and the old one (both work). Stop the other mailwright processes "
            "and run `mailwright secrets rotate` again"
        )
    # 5. the new key alone, read back from disk, must open everything
    _replace_file(path, fresh + "\n")
    reread = SecretBox(split_keys(path.read_text(encoding="ascii")), f"key file {path}")
    _prove(reread, digests)
    return report
