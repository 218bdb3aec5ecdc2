"""Bringing a database up to date: the versioned built-in schema and the entity schema.

`migrate` runs under `mailstore.db.exclusive_lock`, so two processes never migrate at
once: the second waits, then finds nothing left to do. Everything happens in one
transaction (both SQLite and PostgreSQL roll DDL back), so a failure leaves the database
as it was.

Built-in schema: a fresh database gets the current models' tables and version
`BUILTIN_VERSION`; an older one gets each step of `_STEPS` after its version, in order.
A step brings version n-1 to n with ``playhouse.migrate`` operations; add one (and bump
`BUILTIN_VERSION`) whenever a built-in model changes.

Entity schema: the database remembers the fields it was migrated to (`EntityField`). A
new type becomes a table, a new field a column, new states rows of `State`. Refused, with
a message naming the type and field, and nothing changed: a field whose kind changed
(string to integer, decimal places, a reference's target), a removed field that still
holds data, a removed type that still has records. A removed field or type without data
is dropped (on SQLite an empty reference column is left in place, unused: SQLite cannot
drop a column with a foreign key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import peewee
from playhouse.migrate import SchemaMigrator

from mailstore import models as m
from mailstore.db import exclusive_lock, execute, is_sqlite
from mailstore.models import snake_case
from mailstore.schema import (
    EntityModel,
    EntitySchema,
    FieldSpec,
    build_models,
    creation_order,
    default_schema,
)

__all__ = [
    "BUILTIN_VERSION",
    "MigrationError",
    "MigrationReport",
    "builtin_version",
    "migrate",
    "pending_changes",
]

#: the version of the built-in schema this code expects
BUILTIN_VERSION = 3


def _step_2(db: peewee.Database, migrator: SchemaMigrator) -> None:
    # the settings commands (issue 5): an OAuth2 authority and private CAs
    migrator.add_column(
        "credential", "authority", peewee.CharField(max_length=500, null=True)
    ).run()
    migrator.add_column("credential", "ca_file", peewee.TextField(null=True)).run()
    migrator.add_column("mail_account", "ca_file", peewee.TextField(null=True)).run()


def _step_3(db: peewee.Database, migrator: SchemaMigrator) -> None:
    # health signals (issues 5 and 7): when an account last ran and last succeeded
    migrator.add_column("mail_account", "last_run_at", peewee.DateTimeField(null=True)).run()
    migrator.add_column("mail_account", "last_success_at", peewee.DateTimeField(null=True)).run()
    migrator.add_column("mail_account", "last_error", peewee.TextField(null=True)).run()
    # sending (issue 6): an SMTP server signed by a private CA
    migrator.add_column("smtp_account", "ca_file", peewee.TextField(null=True)).run()
    # the reply-token key (issue 6), encrypted, out of scripts' reach
    with db.bind_ctx([m.InternalSecret], bind_refs=False, bind_backrefs=False):
        db.create_tables([m.InternalSecret])


#: (version, description, step) for databases older than BUILTIN_VERSION
_STEPS: list[tuple[int, str, Callable[[peewee.Database, SchemaMigrator], None]]] = [
    (2, "credential.authority, credential.ca_file, mail_account.ca_file", _step_2),
    (3, "mail_account.last_*, smtp_account.ca_file, internal_secret", _step_3),
]


class MigrationError(Exception):
    """Raised when the schema cannot be migrated safely; ``problems`` lists every reason.

    The message has one line per problem, each naming the type and field, e.g.
    ``SubmittedDocument.note: kind changes from text to integer; ...``.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the schema cannot be migrated safely:\n" + "\n".join(problems))


@dataclass
class MigrationReport:
    """What `migrate` did: ``changes`` in words, one line each; empty when up to date."""

    builtin_from: int
    builtin_to: int
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return the changes one per line, or ``"up to date"``."""
        return "\n".join(self.changes) if self.changes else "up to date"


def builtin_version(db: peewee.Database) -> int:
    """Return the built-in schema version of *db*: 0 for a database mailwright never set up."""
    if not db.table_exists(m.SchemaVersion._meta.table_name):
        return 0
    with db.bind_ctx([m.SchemaVersion]):
        version = m.SchemaVersion.select(peewee.fn.MAX(m.SchemaVersion.version)).scalar()
    return int(version or 0)


def migrate(db: peewee.Database, schema: EntitySchema | None = None) -> MigrationReport:
    """Bring *db* up to date with the built-in schema and *schema*; return what was done.

    *schema* defaults to the shipped one (`default_schema`). Raises `MigrationError`
    (nothing changed) for changes that could lose data, and ``RuntimeError`` when the
    database is newer than this code (an older mailwright must not touch it).
    Safe to call from several processes at once.

    >>> from mailstore.db import open_database
    >>> db = open_database("sqlite:///:memory:")
    >>> migrate(db).builtin_to == BUILTIN_VERSION
    True
    """
    schema = schema if schema is not None else default_schema()
    with exclusive_lock(db, "migrate"):
        with db.bind_ctx(m.BUILTIN_MODELS, bind_refs=False, bind_backrefs=False):
            report = _migrate_builtin(db)
            entity_models = build_models(schema)
            with db.bind_ctx(entity_models.values(), bind_refs=False, bind_backrefs=False):
                plan = _plan_entities(db, schema, entity_models)
                if plan.problems:
                    raise MigrationError(plan.problems)
                for description, action in plan.actions:
                    action()
                    report.changes.append(description)
                report.changes.extend(_sync_states(schema))
    return report


def pending_changes(db: peewee.Database, schema: EntitySchema | None = None) -> list[str]:
    """Return what `migrate` would change, one line each (problems included); [] when current.

    Takes no lock and changes nothing: ``Store.open`` uses it to refuse a database that
    needs ``mailwright db migrate``.
    """
    schema = schema if schema is not None else default_schema()
    version = builtin_version(db)
    if version > BUILTIN_VERSION:
        return [f"the database's built-in schema is version {version}, newer than this mailwright"]
    if version < BUILTIN_VERSION:
        return [f"built-in schema version {version} -> {BUILTIN_VERSION}"]
    with db.bind_ctx(m.BUILTIN_MODELS, bind_refs=False, bind_backrefs=False):
        entity_models = build_models(schema)
        with db.bind_ctx(entity_models.values(), bind_refs=False, bind_backrefs=False):
            plan = _plan_entities(db, schema, entity_models)
            lines = plan.problems + [d for d, _ in plan.actions]
            lines.extend(_sync_states(schema, dry_run=True))
    return lines


def _migrate_builtin(db: peewee.Database) -> MigrationReport:
    version = builtin_version(db)
    if version > BUILTIN_VERSION:
        raise RuntimeError(
            f"the database's built-in schema is version {version}, newer than this "
            f"mailwright's ({BUILTIN_VERSION}); upgrade mailwright"
        )
    report = MigrationReport(version, BUILTIN_VERSION)
    if version == 0:
        existing = set(db.get_tables())
        clash = [t._meta.table_name for t in m.BUILTIN_MODELS if t._meta.table_name in existing]
        if clash:
            raise RuntimeError(
                f"the database has tables mailwright did not create ({', '.join(clash)}); "
                "use an empty database"
            )
        db.create_tables(m.BUILTIN_MODELS)
        m.SchemaVersion.create(version=BUILTIN_VERSION, description="built-in tables created")
        report.changes.append(f"created the built-in tables (version {BUILTIN_VERSION})")
        return report
    migrator = SchemaMigrator.from_database(db)
    for step_version, description, step in _STEPS:
        if step_version > version:
            step(db, migrator)
            m.SchemaVersion.create(version=step_version, description=description)
            report.changes.append(f"built-in schema version {step_version}: {description}")
    return report


@dataclass
class _Plan:
    actions: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _column_of(field_name: str, kind: str) -> str | None:
    if kind == "list":
        return None
    return snake_case(field_name) + ("_id" if kind in ("reference", "file", "state") else "")


def _register(type_name: str, f: FieldSpec) -> None:
    m.EntityField.create(typeName=type_name, fieldName=f.name, kind=f.kind, detail=f.detail)


def _plan_entities(
    db: peewee.Database, schema: EntitySchema, models: dict[str, type[EntityModel]]
) -> _Plan:
    plan = _Plan()
    migrator = SchemaMigrator.from_database(db)
    registered: dict[str, dict[str, m.EntityField]] = {}
    if db.table_exists(m.EntityField._meta.table_name):
        for row in m.EntityField.select().order_by(m.EntityField.id):
            registered.setdefault(row.typeName, {})[row.fieldName] = row
    tables = set(db.get_tables())
    creates: list[tuple[str, Callable[[], None]]] = []
    adds: list[tuple[str, Callable[[], None]]] = []
    drops: list[tuple[str, Callable[[], None]]] = []

    for t in creation_order(schema):
        model = models[t.name]
        known = registered.get(t.name)
        if known is None:
            if t.table in tables:
                plan.problems.append(
                    f"{t.name}: a table {t.table!r} exists that mailwright did not create "
                    "for this type; rename the type or drop the table"
                )
                continue

            def create(
                model: type[EntityModel] = model,
                spec: tuple[FieldSpec, ...] = t.fields,
                name: str = t.name,
            ) -> None:
                model.create_table(safe=False)
                for f in spec:
                    _register(name, f)

            creates.append((f"created type {t.name} (table {t.table})", create))
            continue
        columns = {c.name for c in db.get_columns(t.table)}
        for f in t.fields:
            seen = known.get(f.name)
            if seen is None:
                adds.append(_add_field(migrator, model, t.name, f, columns))
            elif (seen.kind, seen.detail) != (f.kind, f.detail):
                if seen.kind == "list" and f.kind == "list":
                    adds.append(_update_list(seen, f))
                    continue
                old = _old_spec(f.name, seen.kind, seen.detail)
                plan.problems.append(
                    f"{t.name}.{f.name}: kind changes from {old.describe()} to {f.describe()}; "
                    "a changed kind cannot be migrated safely (add a new field, copy the data "
                    "with a script, then remove the old one)"
                )
        declared = {f.name for f in t.fields}
        for name, row in known.items():
            if name not in declared:
                _plan_drop_field(db, migrator, plan, drops, t.table, t.name, row)

    for type_name in registered:
        if type_name in schema.types:
            continue
        table = snake_case(type_name)
        count = _count(db, table, None) if table in tables else 0
        if count:
            plan.problems.append(
                f"{type_name}: the type was removed from the schema but has {count} "
                "record(s); delete them first or keep the type"
            )
            continue

        def drop_type(name: str = type_name, table: str = table) -> None:
            if table in tables:
                migrator.drop_table(table).run()
            m.EntityField.delete().where(m.EntityField.typeName == name).execute()

        drops.append((f"dropped the empty type {type_name}", drop_type))
    plan.actions = creates + adds + drops
    return plan


def _old_spec(name: str, kind: str, detail: str) -> FieldSpec:
    # the FieldSpec a registered field had, rebuilt from its kind and detail
    if kind == "string" and detail.isdigit():
        return FieldSpec(name, kind, length=int(detail))
    if kind == "decimal" and "," in detail:
        digits, places = detail.split(",", 1)
        return FieldSpec(name, kind, digits=int(digits), places=int(places))
    if kind in ("reference", "list"):
        target, _, backref = detail.partition(".")
        return FieldSpec(name, kind, target=target, backref=backref or None)
    return FieldSpec(name, kind)


def _update_list(row: m.EntityField, f: FieldSpec) -> tuple[str, Callable[[], None]]:
    # a list has no column of its own: pointing it elsewhere loses nothing
    def update() -> None:
        row.detail = f.detail
        row.save()

    return (f"{row.typeName}.{f.name}: now {f.describe()}", update)


def _add_field(
    migrator: SchemaMigrator,
    model: type[EntityModel],
    type_name: str,
    f: FieldSpec,
    columns: set[str],
) -> tuple[str, Callable[[], None]]:
    def add() -> None:
        if f.column is not None and f.column not in columns:
            field_obj = model._meta.fields[f.name]
            migrator.add_column(model._meta.table_name, f.column, field_obj).run()
        _register(type_name, f)

    return (f"added {type_name}.{f.name} ({f.describe()})", add)


def _count(db: peewee.Database, table: str, column: str | None) -> int:
    sql = f'SELECT COUNT(*) FROM "{table}"'
    if column is not None:
        sql += f' WHERE "{column}" IS NOT NULL'
    return int(execute(db, sql).fetchone()[0])


def _plan_drop_field(
    db: peewee.Database,
    migrator: SchemaMigrator,
    plan: _Plan,
    drops: list[tuple[str, Callable[[], None]]],
    table: str,
    type_name: str,
    row: m.EntityField,
) -> None:
    column = _column_of(row.fieldName, row.kind)
    present = column is not None and column in {c.name for c in db.get_columns(table)}
    if present and column is not None:
        count = _count(db, table, column)
        if count:
            plan.problems.append(
                f"{type_name}.{row.fieldName}: the field was removed from the schema but "
                f"{count} record(s) have a value; clear it first or keep the field"
            )
            return

    def drop() -> None:
        if present and column is not None:
            _drop_column(db, migrator, table, column, row.kind)
        row.delete_instance()

    drops.append((f"dropped the empty field {type_name}.{row.fieldName}", drop))


def _drop_column(
    db: peewee.Database, migrator: SchemaMigrator, table: str, column: str, kind: str
) -> None:
    if not is_sqlite(db):
        migrator.drop_column(table, column).run()  # CASCADE takes its indexes along
        return
    if kind in ("reference", "file", "state"):
        # SQLite's ALTER TABLE DROP COLUMN refuses foreign-key columns, and rebuilding the
        # table under enforced foreign keys could cascade: leave the empty column
        return
    for index in db.get_indexes(table):
        if column in index.columns:
            migrator.drop_index(table, index.name).run()
    migrator.drop_column(table, column).run()


def _sync_states(schema: EntitySchema, dry_run: bool = False) -> list[str]:
    # States are rows, not schema: add the new ones and keep names and order current.
    # States dropped from the schema stay (records may still be in them).
    changes: list[str] = []
    for t in schema.types.values():
        existing = {s.code: s for s in m.State.select().where(m.State.typeName == t.name)}
        for position, spec in enumerate(t.states):
            row = existing.get(spec.code)
            if row is None:
                changes.append(f"added state {t.name}.{spec.code}")
                if not dry_run:
                    m.State.create(
                        typeName=t.name, code=spec.code, name=spec.name, position=position
                    )
            elif (row.name, row.position) != (spec.name, position):
                changes.append(f"renamed or moved state {t.name}.{spec.code}")
                if not dry_run:
                    row.name, row.position = spec.name, position
                    row.save()
    return changes
