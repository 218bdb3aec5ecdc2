"""Persistence and mail I/O: models, schema-declared entity types, blobs, MIME, IMAP, SMTP."""
