"""The application: host bindings for scripts, ingestion, outbox, REPL, command line."""

__version__ = "0.1.0"
