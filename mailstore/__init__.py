"""Persistence and mail I/O: models, schema-declared entity types, blobs, MIME, IMAP, SMTP.

The store's API (see `mailstore.api`, and docs/api.md for a worked example)::

    from mailstore import Store, load_config
    store = Store.open(load_config("mailwright.toml"))
    for doc in store.records("SubmittedDocument", note=None):
        ...
    pdf = store.file(attachment.attachedFile.sha256)

The names below are imported on first use, so ``import mailstore.mime`` does not load
the database layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailstore.api import Store, StoreError
    from mailstore.blobs import BlobNotFound, BlobStore
    from mailstore.config import Config, ConfigError, find_config, load_config
    from mailstore.db import open_database
    from mailstore.migrate import MigrationError
    from mailstore.schema import EntitySchema, SchemaError, default_schema, load_schema
    from mailstore.secrets import SecretBox, SecretKeyError, load_secret_box

_EXPORTS = {
    "Store": "api",
    "StoreError": "api",
    "BlobNotFound": "blobs",
    "BlobStore": "blobs",
    "Config": "config",
    "ConfigError": "config",
    "find_config": "config",
    "load_config": "config",
    "open_database": "db",
    "MigrationError": "migrate",
    "EntitySchema": "schema",
    "SchemaError": "schema",
    "default_schema": "schema",
    "load_schema": "schema",
    "SecretBox": "secrets",
    "SecretKeyError": "secrets",
    "load_secret_box": "secrets",
}

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "Config",
    "ConfigError",
    "EntitySchema",
    "MigrationError",
    "SchemaError",
    "SecretBox",
    "SecretKeyError",
    "Store",
    "StoreError",
    "default_schema",
    "find_config",
    "load_config",
    "load_schema",
    "load_secret_box",
    "open_database",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mailstore' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mailstore.{module}"), name)
