"""`mailwright db migrate`: the built-in schema, additive entity changes, refusals, the lock."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import peewee
import pytest

from mailstore import models as m
from mailstore.db import exclusive_lock
from mailstore.migrate import (
    BUILTIN_VERSION,
    MigrationError,
    _migrate_builtin,
    builtin_version,
    migrate,
    pending_changes,
)
from mailstore.schema import EntitySchema, build_models, default_schema, parse_schema

DEFAULT = (Path(__file__).resolve().parents[2] / "mailstore" / "default_schema.toml").read_text()


def _schema(extra: str = "", replace: tuple[str, str] | None = None) -> EntitySchema:
    text = DEFAULT
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    return parse_schema(text + extra, "schema.toml")


def _add_document(db: peewee.Database, note: str = "keep me") -> int:
    models = build_models(default_schema())
    with db.bind_ctx(list(models.values()) + [m.State], bind_refs=False, bind_backrefs=False):
        state = m.State.get(typeName="SubmittedDocument", code="NEW")
        return int(models["SubmittedDocument"].create(note=note, state=state).id)


def _notes(db: peewee.Database) -> list[str]:
    return [r[0] for r in db.execute_sql("SELECT note FROM submitted_document ORDER BY id")]


def test_a_fresh_database_gets_everything(db: peewee.Database) -> None:
    assert builtin_version(db) == 0
    report = migrate(db)
    assert report.builtin_from == 0 and report.builtin_to == BUILTIN_VERSION
    assert report.changes[0] == f"created the built-in tables (version {BUILTIN_VERSION})"
    assert "created type SubmittedDocument (table submitted_document)" in report.changes
    assert "added state SubmittedDocument.REJECTED" in report.changes
    tables = set(db.get_tables())
    assert {model._meta.table_name for model in m.BUILTIN_MODELS} <= tables
    assert {"submitted_document", "submitted_document_attachment"} <= tables
    columns = {c.name for c in db.get_columns("submitted_document")}
    assert {"id", "state_id", "note", "attachment_names"} == columns
    assert {"id", "document_id", "attached_file_id"} == {
        c.name for c in db.get_columns("submitted_document_attachment")
    }
    assert builtin_version(db) == BUILTIN_VERSION


def test_migrating_twice_changes_nothing(db: peewee.Database) -> None:
    migrate(db)
    assert pending_changes(db) == []
    report = migrate(db)
    assert report.changes == [] and report.summary() == "up to date"


def test_states_follow_the_schema(db: peewee.Database) -> None:
    migrate(db)
    schema = _schema(
        replace=('REJECTED = "Rejected"', 'REJECTED = "Zamítnuto", ARCHIVED = "Archived"')
    )
    report = migrate(db, schema)
    assert report.changes == [
        "renamed or moved state SubmittedDocument.REJECTED",
        "added state SubmittedDocument.ARCHIVED",
    ]
    with db.bind_ctx([m.State]):
        rows = (
            m.State.select()
            .where(m.State.typeName == "SubmittedDocument")
            .order_by(m.State.position)
        )
        assert [(s.code, s.name) for s in rows] == [
            ("NEW", "New"),
            ("PROCESSED", "Processed"),
            ("REJECTED", "Zamítnuto"),
            ("ARCHIVED", "Archived"),
        ]


def test_new_type_and_fields_keep_the_rows(db: peewee.Database) -> None:
    migrate(db)
    _add_document(db, "first")
    _add_document(db, "second")
    schema = _schema(
        extra="""
[types.Invoice]
states = ["NEW", "PAID"]
[types.Invoice.fields]
number = { type = "string", length = 30, index = true }
amount = "decimal"
document = { type = "reference", to = "SubmittedDocument" }
""",
        replace=(
            'attachmentNames = "text"',
            'attachmentNames = "text"\nreceived = "datetime"\npages = "integer"\n'
            'urgent = "boolean"\ndue = "date"\ncover = "file"\n'
            'invoices = { type = "list", of = "Invoice", backref = "document" }',
        ),
    )
    assert pending_changes(db, schema)
    report = migrate(db, schema)
    assert "created type Invoice (table invoice)" in report.changes
    assert "added SubmittedDocument.cover (file)" in report.changes
    assert "added SubmittedDocument.received (datetime)" in report.changes
    assert _notes(db) == ["first", "second"]
    columns = {c.name for c in db.get_columns("submitted_document")}
    assert {"received", "pages", "urgent", "due", "cover_id"} <= columns
    assert "invoices" not in columns  # a list lives in the listed table
    assert ("number",) in {tuple(i.columns) for i in db.get_indexes("invoice")}
    # the new columns work, and the new list reads the new type
    models = build_models(schema)
    with db.bind_ctx(list(models.values()), bind_refs=False, bind_backrefs=False):
        Doc, Invoice = models["SubmittedDocument"], models["Invoice"]
        doc = Doc.get(Doc.note == "first")
        assert doc.pages is None
        doc.pages = 3
        doc.save()
        Invoice.create(number="FV-1", document=doc)
        assert [i.number for i in Doc.get_by_id(doc.id).invoices] == ["FV-1"]
    assert pending_changes(db, schema) == []


def test_a_changed_kind_is_refused_naming_the_field(db: peewee.Database) -> None:
    migrate(db)
    _add_document(db)
    schema = _schema(replace=('note = "text"', 'note = "integer"'))
    with pytest.raises(
        MigrationError, match=r"SubmittedDocument\.note: kind changes from text to integer"
    ):
        migrate(db, schema)
    assert _notes(db) == ["keep me"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('note = "text"', 'note = { type = "string", length = 40 }', "from text to string(40)"),
        (
            'attachedFile = "file"',
            'attachedFile = "text"',
            "attachedFile: kind changes from file to text",
        ),
        (
            'document = { type = "reference", to = "SubmittedDocument" }',
            'document = { type = "reference", to = "SubmittedDocumentAttachment" }',
            "document: kind changes from reference to SubmittedDocument to reference to "
            "SubmittedDocumentAttachment",
        ),
    ],
)
def test_other_kind_changes_are_refused(
    db: peewee.Database, old: str, new: str, message: str
) -> None:
    migrate(db)
    if "reference" in new:
        # the list must follow, or the schema itself is inconsistent
        new_text = DEFAULT.replace(old, new).replace(
            'attachments = { type = "list", of = "SubmittedDocumentAttachment", backref = "document" }',
            "",
        )
        schema = parse_schema(new_text)
    else:
        schema = _schema(replace=(old, new))
    with pytest.raises(MigrationError, match=re.escape(message)):
        migrate(db, schema)


def test_decimal_scale_change_is_refused(db: peewee.Database) -> None:
    extra = '\n[types.Invoice.fields]\namount = { type = "decimal", digits = 12, places = 2 }\n'
    migrate(db, _schema(extra))
    with pytest.raises(
        MigrationError,
        match=r"Invoice\.amount: kind changes from decimal\(12,2\) to decimal\(12,3\)",
    ):
        migrate(db, _schema(extra.replace("places = 2", "places = 3")))


def test_a_removed_field_with_data_is_refused(db: peewee.Database) -> None:
    migrate(db)
    _add_document(db)
    schema = _schema(replace=('note = "text"\n', ""))
    with pytest.raises(MigrationError) as info:
        migrate(db, schema)
    assert info.value.problems == [
        "SubmittedDocument.note: the field was removed from the schema but 1 record(s) have "
        "a value; clear it first or keep the field"
    ]
    assert _notes(db) == ["keep me"]


def test_a_removed_empty_field_is_dropped_and_can_come_back(db: peewee.Database) -> None:
    migrate(db)
    _add_document(db)
    schema = _schema(replace=('attachmentNames = "text"\n', ""))
    report = migrate(db, schema)
    assert report.changes == ["dropped the empty field SubmittedDocument.attachmentNames"]
    assert "attachment_names" not in {c.name for c in db.get_columns("submitted_document")}
    assert _notes(db) == ["keep me"]
    assert migrate(db).changes == ["added SubmittedDocument.attachmentNames (text)"]


def test_a_removed_empty_reference_is_dropped(db: peewee.Database) -> None:
    extra = '\n[types.Invoice.fields]\nnumber = "string"\nscan = "file"\n'
    migrate(db, _schema(extra))
    report = migrate(db, _schema(extra.replace('scan = "file"\n', "")))
    assert report.changes == ["dropped the empty field Invoice.scan"]
    models = build_models(_schema(extra.replace('scan = "file"\n', "")))
    with db.bind_ctx(list(models.values()), bind_refs=False, bind_backrefs=False):
        models["Invoice"].create(number="1")  # inserts work without the field
    # and it can come back with its kind (the SQLite column was kept, empty)
    assert migrate(db, _schema(extra)).changes == ["added Invoice.scan (file)"]


def test_a_removed_type_with_records_is_refused(db: peewee.Database) -> None:
    migrate(db)
    _add_document(db)
    schema = parse_schema('[types.Other.fields]\nname = "string"\n')
    with pytest.raises(MigrationError) as info:
        migrate(db, schema)
    assert info.value.problems == [
        "SubmittedDocument: the type was removed from the schema but has 1 record(s); "
        "delete them first or keep the type"
    ]
    assert "other" not in db.get_tables()  # nothing was done, not even the addition


def test_a_removed_empty_type_is_dropped(db: peewee.Database) -> None:
    extra = '\n[types.Invoice.fields]\nnumber = "string"\n'
    migrate(db, _schema(extra))
    assert migrate(db).changes == ["dropped the empty type Invoice"]
    assert "invoice" not in db.get_tables()


def test_all_problems_are_reported_together(db: peewee.Database) -> None:
    migrate(db)
    _add_document(db)
    schema = _schema(replace=('note = "text"\nattachmentNames = "text"', 'note = "date"'))
    db.execute_sql("UPDATE submitted_document SET attachment_names = 'a.pdf'")
    with pytest.raises(MigrationError) as info:
        migrate(db, schema)
    assert [p.split(":")[0] for p in info.value.problems] == [
        "SubmittedDocument.note",
        "SubmittedDocument.attachmentNames",
    ]
    assert str(info.value).startswith("the schema cannot be migrated safely:\n")


def test_a_table_mailwright_did_not_create_is_not_taken_over(db: peewee.Database) -> None:
    migrate(db)
    db.execute_sql("CREATE TABLE invoice (id INTEGER PRIMARY KEY, x TEXT)")
    with pytest.raises(MigrationError, match="Invoice: a table 'invoice' exists"):
        migrate(db, _schema('\n[types.Invoice.fields]\nnumber = "string"\n'))


def test_a_newer_database_is_left_alone(db: peewee.Database) -> None:
    migrate(db)
    with db.bind_ctx([m.SchemaVersion]):
        m.SchemaVersion.create(version=BUILTIN_VERSION + 1)
    with pytest.raises(RuntimeError, match="newer than this mailwright"):
        migrate(db)
    assert pending_changes(db) == [
        f"the database's built-in schema is version {BUILTIN_VERSION + 1}, newer than this mailwright"
    ]


# --- the lock ------------------------------------------------------------------------

_CHILD = """
import json, sys
from mailstore.db import open_database
from mailstore.migrate import migrate
db = open_database(sys.argv[1])
print(json.dumps(migrate(db).changes))
"""


def _start_child(db_url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, db_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(child: subprocess.Popen[str]) -> list[str]:
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    return list(json.loads(out))


def test_a_second_migration_waits_and_finds_it_done(
    db: peewee.Database, db_url: str, subprocess_env: dict[str, str]
) -> None:
    # This process holds the migration lock and creates the built-in tables slowly; the
    # child starts migrating meanwhile. It must wait, then find the tables there. Without
    # the lock it would create them too, and one of the two would fail.
    with exclusive_lock(db, "migrate"):
        child = _start_child(db_url, subprocess_env)
        time.sleep(1.0)  # give an unlocked child every chance to race (not an assertion)
        with db.bind_ctx(m.BUILTIN_MODELS, bind_refs=False, bind_backrefs=False):
            assert _migrate_builtin(db).changes == [
                f"created the built-in tables (version {BUILTIN_VERSION})"
            ]
    changes = _result(child)
    assert not any("built-in" in c for c in changes)
    assert "created type SubmittedDocument (table submitted_document)" in changes
    with db.bind_ctx([m.SchemaVersion]):
        assert m.SchemaVersion.select().count() == 1


def test_processes_migrating_at_once_do_it_once(
    db_url: str, subprocess_env: dict[str, str]
) -> None:
    children = [_start_child(db_url, subprocess_env) for _ in range(3)]
    results = [_result(c) for c in children]
    assert sorted(len(r) > 0 for r in results) == [False, False, True]
    [done] = [r for r in results if r]
    assert done[0] == f"created the built-in tables (version {BUILTIN_VERSION})"


def test_the_lock_refuses_to_start_inside_a_transaction(db: peewee.Database) -> None:
    with db.atomic():
        with pytest.raises(RuntimeError, match="inside a transaction"):
            with exclusive_lock(db):
                pass


def test_a_failed_migration_changes_nothing(db: peewee.Database) -> None:
    migrate(db)
    _add_document(db)
    # one safe addition and one refusal: neither happens
    schema = _schema(
        extra='\n[types.Invoice.fields]\nnumber = "string"\n',
        replace=('note = "text"', 'note = "boolean"'),
    )
    with pytest.raises(MigrationError):
        migrate(db, schema)
    assert "invoice" not in db.get_tables()
    # and an error in the middle of the work rolls back what was done before it
    with pytest.raises(peewee.DatabaseError):
        with exclusive_lock(db):
            db.execute_sql("CREATE TABLE scratch (id INTEGER)")
            db.execute_sql("SELECT * FROM no_such_table")
    assert "scratch" not in db.get_tables()


def test_a_type_that_gains_states_gets_a_state_column(db: peewee.Database) -> None:
    migrate(db)
    schema = _schema(extra="\n[types.SubmittedDocumentAttachment]\nstates = ['OK', 'VIRUS']\n")
    report = migrate(db, schema)
    assert report.changes == [
        "added SubmittedDocumentAttachment.state (state)",
        "added state SubmittedDocumentAttachment.OK",
        "added state SubmittedDocumentAttachment.VIRUS",
    ]
    assert "state_id" in {c.name for c in db.get_columns("submitted_document_attachment")}


def test_built_in_steps_bring_an_older_database_up_to_date(
    db: peewee.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playhouse.migrate import SchemaMigrator

    import mailstore.migrate as mig

    migrate(db)
    _add_document(db)
    applied: list[int] = []

    def add_flag(database: peewee.Database, migrator: SchemaMigrator) -> None:
        migrator.add_column("mail_account", "flagged", peewee.BooleanField(default=False)).run()
        applied.append(BUILTIN_VERSION + 1)

    monkeypatch.setattr(mig, "BUILTIN_VERSION", BUILTIN_VERSION + 1)
    monkeypatch.setattr(mig, "_STEPS", [(BUILTIN_VERSION + 1, "mail_account.flagged", add_flag)])
    assert mig.pending_changes(db) == [
        f"built-in schema version {BUILTIN_VERSION} -> {BUILTIN_VERSION + 1}"
    ]
    report = mig.migrate(db)
    assert report.changes == [
        f"built-in schema version {BUILTIN_VERSION + 1}: mail_account.flagged"
    ]
    assert applied == [BUILTIN_VERSION + 1]
    assert "flagged" in {c.name for c in db.get_columns("mail_account")}
    assert mig.builtin_version(db) == BUILTIN_VERSION + 1
    assert mig.migrate(db).changes == []  # applied once
    assert _notes(db) == ["keep me"]


def test_a_version_1_database_gets_the_real_steps_without_losing_rows(
    db: peewee.Database,
) -> None:
    # A database made by the first release: today's tables minus what steps 2 and 3 added.
    migrate(db)
    with db.bind_ctx(m.BUILTIN_MODELS, bind_refs=False, bind_backrefs=False):
        m.MailAccount.create(name="inbox", address="inbox@example.cz", sourceKind="imap")
    for table, column in (
        ("credential", "authority"),
        ("credential", "ca_file"),
        ("mail_account", "ca_file"),
        ("mail_account", "last_run_at"),
        ("mail_account", "last_success_at"),
        ("mail_account", "last_error"),
        ("smtp_account", "ca_file"),
    ):
        db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    db.execute_sql('DROP TABLE "internal_secret"')
    db.execute_sql("UPDATE schema_version SET version = 1")  # a fresh database has one row
    _add_document(db)
    assert builtin_version(db) == 1
    assert pending_changes(db) == [f"built-in schema version 1 -> {BUILTIN_VERSION}"]

    report = migrate(db)

    assert report.changes[0].startswith("built-in schema version 2: ")
    assert report.changes[1].startswith("built-in schema version 3: ")
    assert {"authority", "ca_file"} <= {c.name for c in db.get_columns("credential")}
    assert {"ca_file", "last_run_at", "last_success_at", "last_error"} <= {
        c.name for c in db.get_columns("mail_account")
    }
    assert "ca_file" in {c.name for c in db.get_columns("smtp_account")}
    assert "internal_secret" in db.get_tables()
    assert builtin_version(db) == BUILTIN_VERSION
    with db.bind_ctx(m.BUILTIN_MODELS, bind_refs=False, bind_backrefs=False):
        [account] = m.MailAccount.select()
        assert (account.name, account.caFile) == ("inbox", None)
    assert _notes(db) == ["keep me"]
    assert pending_changes(db) == []
