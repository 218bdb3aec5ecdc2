"""Secrets at rest: passwords, client secrets and token caches encrypted with Fernet.

The key comes from the environment variable ``MAILWRIGHT_SECRET_KEY`` or, without it,
from a key file that is created (mode 0600) on first use. Either may hold several keys,
separated by commas or one per line: the first encrypts, all of them decrypt
(``cryptography``'s MultiFernet), which is how ``mailwright secrets rotate`` will work:
put a new key first, re-encrypt every token with `SecretBox.rotate`, then drop the old key.

A token that none of the keys opens raises `SecretKeyError` naming where the key came
from: a wrong key never yields garbage.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

# cryptography is imported where used (~7 ms): a run with no stored secret never needs it

__all__ = [
    "ENV_VAR",
    "SecretBox",
    "SecretKeyError",
    "SecretKeyWarning",
    "generate_key",
    "load_secret_box",
    "split_keys",
]

#: the environment variable that holds the key (it wins over the key file)
ENV_VAR = "MAILWRIGHT_SECRET_KEY"


class SecretKeyError(Exception):
    """Raised when the key is missing or malformed, or does not open a stored secret."""


class SecretKeyWarning(UserWarning):
    """Warned when the key file can be read by other users."""


def generate_key() -> str:
    """Return a new random Fernet key (URL-safe base64 text)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Encrypts and decrypts text with one or more Fernet keys; the first one encrypts.

    *source* says where the keys came from (``key file /etc/mailwright/secret.key`` or
    ``environment variable MAILWRIGHT_SECRET_KEY``) for error messages.

    >>> box = SecretBox([generate_key()], "a test key")
    >>> box.decrypt(box.encrypt("heslo"))
    'heslo'
    """

    def __init__(self, keys: Sequence[str | bytes], source: str) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        if not keys:
            raise SecretKeyError(f"{source}: holds no key")
        self.source = source
        fernets = []
        for n, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise SecretKeyError(
                    f"{source}: key {n} is not a Fernet key (32 bytes in URL-safe base64; "
                    "make one with `mailwright secrets rotate` or Fernet.generate_key())"
                ) from None
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    def encrypt(self, text: str) -> str:
        """Return *text* encrypted with the first key, as an ASCII token."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the text inside *token*.

        Raises `SecretKeyError` naming the key's source when no key opens it (the wrong
        key file, a rotated-away key, or a damaged token).
        """
        from cryptography.fernet import InvalidToken  # loaded: __init__ imported it

        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise SecretKeyError(
                f"a stored secret cannot be decrypted with the key from {self.source}: "
                "the key is not the one the secret was saved with (restore the right key, "
                f"or set {ENV_VAR}), or the stored value is damaged"
            ) from None

    def rotate(self, token: str) -> str:
        """Return *token* re-encrypted with the first key (for ``secrets rotate``).

        Raises `SecretKeyError` like `decrypt` when no key opens it.
        """
        from cryptography.fernet import InvalidToken  # loaded: __init__ imported it

        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            self.decrypt(token)  # raises the explanatory error
            raise  # pragma: no cover - decrypt always raises here


def split_keys(text: str) -> list[str]:
    """The keys in a key file's text or the environment variable, newest first: separated
    by commas or lines, ``#`` comments ignored."""
    keys: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]  # Fernet keys never contain "#": the rest is a comment
        keys.extend(k.strip() for k in line.split(",") if k.strip())
    return keys


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not each write a different key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(generate_key() + "\n")
        f.flush()
        os.fsync(f.fileno())


def load_secret_box(
    key_file: str | Path | None,
    *,
    create: bool = True,
    environ: Mapping[str, str] | None = None,
) -> SecretBox:
    """Return the `SecretBox` for this installation.

    The keys come from ``MAILWRIGHT_SECRET_KEY`` when it is set (in *environ*, default
    ``os.environ``), else from *key_file*, which is created with a new key and mode 0600
    when it does not exist and *create* is true. A key file that group or others can read
    gives a `SecretKeyWarning` (``chmod 600`` it). Raises `SecretKeyError` naming the
    file or variable when there is no usable key.
    """
    env = os.environ if environ is None else environ
    value = env.get(ENV_VAR)
    if value:
        return SecretBox(split_keys(value), f"environment variable {ENV_VAR}")
    if key_file is None:
        raise SecretKeyError(f"no secret key: set {ENV_VAR} or secrets.keyFile in mailwright.toml")
    path = Path(key_file)
    if not path.exists():
        if not create:
            raise SecretKeyError(f"key file {path}: does not exist")
        _create_key_file(path)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeError) as err:
        raise SecretKeyError(f"key file {path}: cannot be read: {err}") from err
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(
            f"key file {path}: other users can read it (mode {stat.S_IMODE(mode):o}); "
            f"run chmod 600 {path}",
            SecretKeyWarning,
            stacklevel=2,
        )
    return SecretBox(split_keys(text), f"key file {path}")
