"""Housekeeping: what ``mailwright gc`` removes, and the retention of raw messages and runs.

`plan` looks and changes nothing; `apply` removes what a plan found, checking each item
again just before it goes. What goes:

- **unreferenced blobs**: contents no ``AttachedFile`` row and no ``ReceivedEmail`` (its raw
  message) names, nor any other built-in column called ``sha256``;
- **unreferenced file rows**: ``AttachedFile`` rows no foreign key points at (found by
  looking at every model, built-in and of the schema, so a new table that references
  files is counted without a change here), e.g. a file a record no longer holds;
- **raw messages past retention** (``[retention] rawMessageDays``): the raw message of a
  PROCESSED e-mail received longer ago than that. Only the blob goes: the ReceivedEmail
  row, its parsed fields and its attachments stay, so the record of what came in, the
  ledger that keeps a message from being stored twice, and reprocessing all keep
  working. A raw message another e-mail still needs (the same message in a second
  account, not processed or not old) stays;
- **script runs past retention** (``runDays``): ScriptRun rows of PROCESSED e-mails that
  started longer ago than that, **except the newest run of each e-mail**: it says how the
  e-mail was handled and which records it made (``records show`` finds a record's e-mail
  through it). Runs of e-mails in other states are kept whatever their age (they are
  what an operator reads to fix a handler);
- leftover temporary files of the blob store (``.tmp``, a day old: a write that crashed).

Safe against a concurrent ingestion: a blob is written before the rows that name it are
committed, so blobs and file rows younger than the grace period (`GRACE`, one hour) are
never removed, and each candidate is looked up again right before it is deleted. A blob
is removed by renaming it into the store's temporary folder first and reading its age
*after* the rename (`_remove_blob`): a writer that refreshed it before the rename shows,
and one that comes after finds the name gone.
The blob store's writers refresh the modification time of content they find already
stored (and store it anew when it vanished meanwhile), so content stored long ago,
unreferenced, and brought again by a new message counts as young from that write on.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peewee

from mailstore import models as m

__all__ = [
    "GRACE",
    "TMP_GRACE",
    "GcPlan",
    "GcResult",
    "apply",
    "file_references",
    "plan",
    "raw_message_status",
]

#: blobs and file rows younger than this are kept: an ingestion may be about to commit
#: the rows that name them
GRACE = dt.timedelta(hours=1)
#: temporary files of the blob store older than this are leftovers of a crashed write
TMP_GRACE = dt.timedelta(days=1)

#: ids or SHA-256s per IN (...) list: well under SQLite's limit of bound parameters
_CHUNK = 500

#: what `raw_message_status` says of a raw message the retention removed
REMOVED_BY_RETENTION = "raw message removed by retention"


@dataclass
class GcPlan:
    """What `apply` would remove (found by `plan`); sizes in bytes."""

    #: (sha256, size) of blobs nothing references
    unreferenced_blobs: list[tuple[str, int]] = field(default_factory=list)
    #: (sha256, size) of raw messages past retention
    expired_raw: list[tuple[str, int]] = field(default_factory=list)
    #: how many e-mails lose their raw message with `expired_raw`
    expired_raw_emails: int = 0
    #: ids of AttachedFile rows nothing references
    orphan_files: list[int] = field(default_factory=list)
    #: ids of ScriptRun rows past retention
    expired_runs: list[int] = field(default_factory=list)
    #: bytes of the log lines and results of `expired_runs` (as the database stores them)
    expired_run_bytes: int = 0
    #: blobs kept only because they are younger than the grace period: (count, bytes)
    young_blobs: tuple[int, int] = (0, 0)
    #: leftover temporary files: (path, size)
    stale_tmp: list[tuple[Path, int]] = field(default_factory=list)
    #: the cut-off dates used (naive UTC), None when that retention is off
    raw_cutoff: dt.datetime | None = None
    run_cutoff: dt.datetime | None = None
    #: blobs and file rows younger than this were kept
    grace: dt.timedelta = GRACE

    def rows(self) -> list[tuple[str, int, int | None]]:
        """Return ``(what, count, bytes or None)`` per kind, for a summary table."""
        return [
            ("unreferenced blobs", len(self.unreferenced_blobs), _total(self.unreferenced_blobs)),
            ("unreferenced file rows", len(self.orphan_files), None),
            ("raw messages past retention", len(self.expired_raw), _total(self.expired_raw)),
            ("script runs past retention", len(self.expired_runs), self.expired_run_bytes),
            ("temporary files", len(self.stale_tmp), sum(s for _, s in self.stale_tmp)),
        ]

    @property
    def empty(self) -> bool:
        """True when there is nothing to remove."""
        return not any(count for _, count, _ in self.rows())


@dataclass
class GcResult:
    """What `apply` removed; ``skipped`` counts candidates that became needed meanwhile."""

    blobs: int = 0
    blob_bytes: int = 0
    raw_messages: int = 0
    raw_bytes: int = 0
    file_rows: int = 0
    runs: int = 0
    tmp_files: int = 0
    skipped: int = 0


def _first(query: Any) -> list[Any]:
    """Return the first column of each row of a peewee *query*."""
    return [row[0] for row in query.tuples()]


def _total(items: list[tuple[str, int]]) -> int:
    return sum(size for _, size in items)


def file_references(models: list[type[m.BaseModel]]) -> list[peewee.ForeignKeyField]:
    """Return every foreign key of *models* that points at ``AttachedFile``."""
    found = []
    for model in models:
        for fld in model._meta.fields.values():
            if isinstance(fld, peewee.ForeignKeyField) and fld.rel_model is m.AttachedFile:
                found.append(fld)
    return found


def _models(store: Any) -> list[type[m.BaseModel]]:
    return list(m.BUILTIN_MODELS) + list(store.entity_models.values())


def _unreferenced(refs: list[peewee.ForeignKeyField]) -> Any:
    """The SQL condition: no foreign key of *refs* points at the AttachedFile row."""
    f = m.AttachedFile
    condition: Any = None
    for ref in refs:
        used = ref.model.select(ref).where(ref.is_null(False))
        part = f.id.not_in(used)
        condition = part if condition is None else (condition & part)
    return condition if condition is not None else (f.id == f.id)


def _expired_raw_condition(cutoff: dt.datetime) -> Any:
    e = m.ReceivedEmail
    return (e.state == "PROCESSED") & (e.receivedDate < cutoff)


def _cutoff(now: dt.datetime, days: int | None) -> dt.datetime | None:
    return None if not days or days <= 0 else now - dt.timedelta(days=days)


def _other_sha_columns() -> list[peewee.Field]:
    # any other built-in column named sha256 names a blob too (a table added later)
    skip = (m.AttachedFile, m.ReceivedEmail)
    return [
        fld
        for model in m.BUILTIN_MODELS
        if model not in skip
        for name, fld in model._meta.fields.items()
        if name == "sha256"
    ]


def _needed_shas(
    store: Any, now: dt.datetime, grace: dt.timedelta, raw_cutoff: dt.datetime | None
) -> tuple[set[str], set[str]]:
    """Return (blobs still needed, raw messages past retention not otherwise needed)."""
    f, e = m.AttachedFile, m.ReceivedEmail
    refs = file_references(_models(store))
    kept_files = (f.created >= now - grace) | ~_unreferenced(refs)
    needed = set(_first(f.select(f.sha256).where(kept_files).distinct()))
    raw = e.select(e.sha256).distinct()
    if raw_cutoff is None:
        needed |= set(_first(raw))
        expired: set[str] = set()
    else:
        old = _expired_raw_condition(raw_cutoff)
        needed |= set(_first(raw.where(~old)))
        expired = set(_first(raw.where(old))) - needed
    for fld in _other_sha_columns():
        needed |= set(_first(fld.model.select(fld).where(fld.is_null(False))))
    return needed, expired


def _expired_runs_query(cutoff: dt.datetime) -> Any:
    """The SQL condition on ScriptRun: started before *cutoff*, of a PROCESSED e-mail, and
    not that e-mail's newest run (a later run of the same e-mail exists)."""
    r, e = m.ScriptRun, m.ReceivedEmail
    later = m.ScriptRun.alias("later")
    # correlated EXISTS on the indexed foreign key: one index probe a row, where a NOT IN
    # over MAX(id) GROUP BY made the database group every run for each statement
    newer = later.select(later.id).where(
        (later.receivedEmail == r.receivedEmail) & (later.id > r.id)
    )
    processed = e.select(e.id).where((e.id == r.receivedEmail) & (e.state == "PROCESSED"))
    return (r.startedAt < cutoff) & peewee.fn.EXISTS(processed) & peewee.fn.EXISTS(newer)


def plan(
    store: Any,
    *,
    raw_message_days: int | None = None,
    run_days: int | None = None,
    now: dt.datetime | None = None,
    grace: dt.timedelta = GRACE,
) -> GcPlan:
    """Return what a garbage collection of *store* (a `mailstore.api.Store`) would remove.

    *raw_message_days* and *run_days*: the retention in days (None or 0: keep forever);
    *now* (naive UTC) is for tests, and is also what a blob's age is measured against.
    Reads the database and lists the blob folder; changes nothing.
    """
    now = now or m.utcnow()
    raw_cutoff = _cutoff(now, raw_message_days)
    run_cutoff = _cutoff(now, run_days)
    result = GcPlan(raw_cutoff=raw_cutoff, run_cutoff=run_cutoff, grace=grace)
    f = m.AttachedFile
    refs = file_references(_models(store))
    orphans = f.select(f.id).where((f.created < now - grace) & _unreferenced(refs))
    result.orphan_files = _first(orphans.order_by(f.id))
    needed, expired = _needed_shas(store, now, grace, raw_cutoff)
    young_count = young_bytes = 0
    young_after = _epoch(now - grace)
    for sha in store.blobs.iter_all():
        if sha in needed:
            continue
        try:
            st = store.blobs.path(sha).stat()
        except FileNotFoundError:
            continue
        if st.st_mtime >= young_after:
            young_count, young_bytes = young_count + 1, young_bytes + st.st_size
        elif sha in expired:
            result.expired_raw.append((sha, st.st_size))
        else:
            result.unreferenced_blobs.append((sha, st.st_size))
    result.young_blobs = (young_count, young_bytes)
    if result.expired_raw:
        e = m.ReceivedEmail
        shas = [sha for sha, _ in result.expired_raw]
        result.expired_raw_emails = sum(
            e.select().where(e.sha256.in_(shas[i : i + _CHUNK])).count()
            for i in range(0, len(shas), _CHUNK)
        )
    if run_cutoff is not None:
        r = m.ScriptRun
        query = r.select(r.id).where(_expired_runs_query(run_cutoff))
        result.expired_runs = _first(query.order_by(r.id))
        size = (
            r.select(
                peewee.fn.SUM(
                    peewee.fn.COALESCE(peewee.fn.LENGTH(r.logLines), 0)
                    + peewee.fn.COALESCE(peewee.fn.LENGTH(r.result), 0)
                )
            )
            .where(_expired_runs_query(run_cutoff))
            .scalar()
        )
        result.expired_run_bytes = int(size or 0)
    tmp_before = _epoch(now - TMP_GRACE)
    if store.blobs.tmp_dir.is_dir():
        for path in sorted(store.blobs.tmp_dir.iterdir()):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if path.is_file() and st.st_mtime < tmp_before:
                result.stale_tmp.append((path, st.st_size))
    return result


def _epoch(naive_utc: dt.datetime) -> float:
    return naive_utc.replace(tzinfo=dt.UTC).timestamp()


def apply(store: Any, found: GcPlan, *, now: dt.datetime | None = None) -> GcResult:
    """Remove what *found* lists from *store*; return what was removed.

    Every candidate is checked again first: runs and file rows are deleted by statements
    that repeat the plan's conditions, and each blob is kept when a row names it by now
    or it was written within the grace period. Database deletions are committed before
    any blob is removed, so a crash leaves at worst an unreferenced blob (the next gc
    takes it), never a row whose content is gone.
    """
    now = now or m.utcnow()
    done = GcResult()
    r, f = m.ScriptRun, m.AttachedFile
    with store.atomic():
        if found.expired_runs and found.run_cutoff is not None:
            for i in range(0, len(found.expired_runs), _CHUNK):
                chunk = found.expired_runs[i : i + _CHUNK]
                done.runs += (
                    r.delete()
                    .where(r.id.in_(chunk) & _expired_runs_query(found.run_cutoff))
                    .execute()
                )
        if found.orphan_files:
            refs = file_references(_models(store))
            for i in range(0, len(found.orphan_files), _CHUNK):
                chunk = found.orphan_files[i : i + _CHUNK]
                done.file_rows += f.delete().where(f.id.in_(chunk) & _unreferenced(refs)).execute()
    young_after = _epoch(now - found.grace)
    expired = {sha for sha, _ in found.expired_raw}
    candidates = found.unreferenced_blobs + found.expired_raw
    for i in range(0, len(candidates), _CHUNK):
        batch = candidates[i : i + _CHUNK]
        # the plan may be minutes old: a row committed since then keeps its blob
        needed = _still_needed(store, [sha for sha, _ in batch], found.raw_cutoff)
        for sha, size in batch:
            if sha in needed:
                done.skipped += 1
                continue
            outcome = _remove_blob(store.blobs, sha, young_after)
            if outcome == "kept":
                done.skipped += 1
                continue
            if outcome == "absent":
                continue
            if sha in expired:
                done.raw_messages += 1
                done.raw_bytes += size
            else:
                done.blobs += 1
                done.blob_bytes += size
    for path, _size in found.stale_tmp:
        try:
            path.unlink()
            done.tmp_files += 1
        except FileNotFoundError:
            pass
    return done


def _remove_blob(blobs: Any, sha: str, young_after: float) -> str:
    """Remove blob *sha* of *blobs* (a `mailstore.blobs.BlobStore`) unless it was written
    or refreshed at *young_after* (epoch seconds) or later; return ``"removed"``,
    ``"kept"`` or ``"absent"``.

    The blob is renamed into the store's temporary folder first and its age read there:
    a writer that refreshed it before the rename shows in that age (the blob is put back),
    and a writer that comes after the rename finds no blob and must store it anew. A
    crash between the rename and the unlink leaves a temporary file, which a later gc
    removes after a day.
    """
    path = blobs.path(sha)
    trash = blobs.tmp_dir / f"gc-{sha}-{os.getpid()}"
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        try:
            blobs.tmp_dir.mkdir(parents=True, exist_ok=True)
            os.rename(path, trash)
        except FileNotFoundError:
            return "absent"
    if trash.stat().st_mtime >= young_after:
        os.replace(trash, path)  # back in place (a writer may have stored it anew: same bytes)
        return "kept"
    trash.unlink()
    return "removed"


def _still_needed(store: Any, shas: list[str], raw_cutoff: dt.datetime | None) -> set[str]:
    """Return those of *shas* a committed row names now (one query per kind of row)."""
    f, e = m.AttachedFile, m.ReceivedEmail
    needed = set(_first(f.select(f.sha256).where(f.sha256.in_(shas))))
    raw = e.select(e.sha256).where(e.sha256.in_(shas))
    if raw_cutoff is not None:
        raw = raw.where(~_expired_raw_condition(raw_cutoff))
    needed.update(_first(raw))
    for fld in _other_sha_columns():
        needed.update(_first(fld.model.select(fld).where(fld.in_(shas))))
    return needed


def raw_message_status(store: Any, email: m.ReceivedEmail) -> str | None:
    """Return None when the raw message of *email* is in the blob store, else why not:
    ``"raw message removed by retention"`` for a PROCESSED e-mail (what ``gc`` does to
    old ones), ``"raw message missing from the blob store"`` otherwise (a damaged or
    partly restored blob folder). The parsed fields and attachments are in the database
    either way, so showing and reprocessing the e-mail still work."""
    try:
        if store.blobs.exists(email.sha256):
            return None
    except ValueError:  # not a SHA-256 at all: nothing was stored under it
        pass
    if email.state == "PROCESSED":
        return REMOVED_BY_RETENTION
    return "raw message missing from the blob store"
