"""Tests of ingestion: local sources, IMAP, the e-mail commands, exactly once under faults."""
