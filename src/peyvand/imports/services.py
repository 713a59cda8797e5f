"""Customer import: job creation, and the chunked bulk engine that runs a job.

Transactions: chunked, resumable. A job reads its file in chunks of `CHUNK_ROWS` rows; each
chunk (its new customers, contact points, tags, updates, change-log rows, the job's
counters and `committed_line`) commits in one transaction. A job that fails halfway is
marked failed and says exactly which lines were committed; running it again (the
"resume" action, or `run_import_job`) skips those lines and continues after
`committed_line`. Because every row is matched against existing customers before it is
written (external reference, normalised email, E.164 phone), even importing the whole file
again is idempotent, so no line is ever imported twice. A file that cannot be read at all
(encoding, missing required columns) fails before the first chunk and imports nothing.
Per-chunk commits keep the database's write lock short (SQLite serves the web UI while an
import runs) and let the progress bar read committed counters.

Dry runs parse, validate and match every row exactly like a real run and commit nothing
but the job's own counters.

Matching: a row belongs to an existing customer when its external reference, email or phone
(normalised) is already on an alive customer, or — only for rows with none of those — when
a customer the importing user may change has the same normalised name. A match with a
customer the user may not change is reported as an error, never silently updated or
duplicated. Rows within the file match each other the same way: rows of earlier chunks are
already in the database, rows of the same chunk are merged in memory.

Writing: no model instance per row. New customers get ids reserved up front and go in with
their contact points and tags by `COPY` (PostgreSQL) or one `executemany` (SQLite); their
change-log rows go through `audit.services.append_changes`, with the after-snapshot
serialised once from a per-shape template (`_CustomerTemplate.after_json`; tests keep it equal to
`canonical_json` of the snapshot). The audit rows say exactly what they said before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, BinaryIO

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from peyvand.access.models import Department
from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import (
    COPY_NULL,
    RowChange,
    append_changes,
    canonical_json,
    copy_text,
    diff,
    snapshot,
)
from peyvand.customers.models import ContactPoint, Customer, CustomFieldDefinition, Tag
from peyvand.imports.choices import DuplicatePolicy, ImportKind, ImportStatus
from peyvand.imports.kinds import target_for
from peyvand.imports.mapping import resolve_mapping
from peyvand.imports.models import INLINE_ERROR_LIMIT, ImportJob
from peyvand.imports.readers import ImportFileError, check_size, format_for, open_table
from peyvand.imports.rows import (
    ParsedChunk,
    ParsedRow,
    RowError,
    RowParser,
    name_key,
    normalize,
    parsed_chunks,
)

logger = logging.getLogger(__name__)

CHUNK_ROWS = 5000
# From this many rows on, a second process parses while this one writes (`parsed_chunks`);
# for smaller files starting it costs more than it saves.
PARSE_PROCESS_FROM_ROWS = 20_000
# Rows per write into a streaming COPY: small enough that the server starts on a chunk's
# rows while the importer is still building the rest.
_COPY_BATCH = 500
# SQLite page cache of an import's connection, in KiB as PRAGMA cache_size takes it (negative).
_SQLITE_CACHE_KIB = -96 * 1024
_UPDATABLE = (
    "display_name",
    "first_name",
    "last_name",
    "organization_name",
    "kind",
    "preferred_language",
    "currency",
    "external_ref",
    "notes",
)


# --- creating and starting jobs ------------------------------------------------------------


def create_import_job(
    *,
    file: File,
    filename: str,
    actor: Any,
    kind: str = ImportKind.CUSTOMERS,
) -> ImportJob:
    """Store an uploaded file as a job awaiting its mapping; refuses what cannot be read."""
    fmt = format_for(filename)
    check_size(file.size or 0)
    job = ImportJob(
        kind=kind,
        original_filename=Path(filename).name[:255],
        format=fmt,
        created_by=actor,
        status=ImportStatus.DRAFT,
    )
    job.file.save(f"upload.{fmt}", file, save=False)
    try:
        with open_table(job.file.path, fmt) as table:
            job.mapping = target_for(kind).suggest_mapping(table.headers)
            job.total_rows = table.estimated_rows
    except ImportFileError:
        job.file.delete(save=False)
        raise
    job.save()
    return job


def start_import(
    job: ImportJob,
    *,
    mapping: dict[str, str],
    dry_run: bool,
    on_duplicate: str,
    actor: Any,
) -> ImportJob:
    """Check the mapping against the file's header and queue the run after commit."""
    from peyvand.imports.tasks import run_import

    with open_table(job.file.path, job.format) as table:
        resolve_mapping(table.headers, mapping, kind=job.kind)
    with transaction.atomic():
        job.mapping = {header: target for header, target in mapping.items() if target}
        job.dry_run = dry_run
        job.on_duplicate = on_duplicate
        job.status = ImportStatus.QUEUED
        job.save(update_fields=["mapping", "dry_run", "on_duplicate", "status", "updated_at"])
        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    logger.info("import job %s queued by %s", job.pk, getattr(actor, "pk", None))
    return job


def rerun_as_import(job: ImportJob, *, actor: Any) -> ImportJob:
    """After a dry run: the same file and mapping, for real, as a new job."""
    from peyvand.imports.tasks import run_import

    with transaction.atomic():
        new = ImportJob.objects.create(
            kind=job.kind,
            file=job.file.name,
            original_filename=job.original_filename,
            format=job.format,
            mapping=job.mapping,
            on_duplicate=job.on_duplicate,
            dry_run=False,
            status=ImportStatus.QUEUED,
            total_rows=job.total_rows,
            created_by=actor,
        )
        transaction.on_commit(lambda: run_import.enqueue(new.pk))
    return new


def resume_import(job: ImportJob, *, actor: Any) -> ImportJob:
    """Queue a failed (or abandoned) job again; it continues after its last committed line."""
    from peyvand.imports.tasks import run_import

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not job.can_resume:
            return job
        job.status = ImportStatus.QUEUED
        job.failure = ""
        job.save(update_fields=["status", "failure", "updated_at"])
        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    logger.info("import job %s resumed by %s", job.pk, getattr(actor, "pk", None))
    return job


# --- running a job -------------------------------------------------------------------------


@dataclass
class _Existing:
    """An existing customer touched by this chunk, with what it has."""

    customer: Customer
    before: dict[str, Any]
    contacts: set[tuple[str, str]]
    tags: set[str]
    new_contacts: list[tuple[str, str, str]] = field(default_factory=list)
    new_tags: list[str] = field(default_factory=list)
    rows: int = 0
    changing_rows: int = 0
    changed: bool = False

    def settle(self) -> None:
        """Whether the rows left the customer different; rows that set a value and rows
        that set it back again leave nothing to write."""
        self.changed = bool(
            self.new_contacts or self.new_tags or diff(self.before, snapshot(self.customer))
        )


@dataclass
class _Chunk:
    new: list[ParsedRow] = field(default_factory=list)
    touched: dict[int, _Existing] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    skipped: int = 0
    last_line: int = 0


Progress = Callable[[ImportJob], None]


def run_import_job(job_id: int, *, progress: Progress | None = None) -> ImportJob:
    """Run (or resume) a queued job to the end; never raises for bad data, only records it."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("created_by").get(pk=job_id)
        if job.status not in {ImportStatus.QUEUED, ImportStatus.FAILED}:
            return job
        job.status = ImportStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at", "updated_at"])
    actor = job.created_by
    with translation.override(actor.language or None):
        try:
            target_for(job.kind).run(job, actor=actor, progress=progress)
        except ImportFileError as exc:
            _fail(job, str(exc), file_error=True)
        except Exception as exc:
            logger.exception("import job %s failed", job.pk)
            _fail(job, gettext("The import stopped: %s.") % exc.__class__.__name__)
    return job


def _fail(job: ImportJob, reason: str, *, file_error: bool = False) -> None:
    """Record why the run stopped and exactly which lines are in the database."""
    if job.dry_run or not job.committed_line:
        done = gettext("Nothing was imported.")
    else:
        done = gettext(
            "Lines 2 to %(line)d were imported; resume the job to continue after line %(line)d."
        ) % {"line": job.committed_line}
    job.status = ImportStatus.FAILED
    job.failure = f"{reason} {done}"
    job.finished_at = timezone.now()
    if file_error:
        if len(job.errors) < INLINE_ERROR_LIMIT:
            job.errors = [*job.errors, [job.committed_line + 1, "", reason]]
        job.error_count += 1
    job.save()


class _Importer:
    def __init__(self, job: ImportJob, *, actor: Any, progress: Progress | None) -> None:
        self.job = job
        self.actor = actor
        self.progress = progress
        self.update = job.on_duplicate == DuplicatePolicy.UPDATE
        self.department_id = actor.departments.order_by("pk").values_list("pk", flat=True).first()
        self.changeable = Customer.objects.visible_to(actor, "change")
        self.searchable_keys = set(
            CustomFieldDefinition.objects.filter(searchable=True, is_active=True).values_list(
                "key", flat=True
            )
        )
        self.tag_ids: dict[str, int] = {}
        # Dry runs write nothing, so rows of earlier chunks are remembered here instead.
        self.dry_seen: set[int] = set()
        self.writer = _writer_for_connection()

    # -- the loop --

    def run(self) -> None:
        job = self.job
        with open_table(job.file.path, job.format) as table:
            columns = resolve_mapping(table.headers, job.mapping)
            parser = RowParser(table.headers, columns)
            if job.total_rows is None or job.committed_line == 0:
                job.total_rows = table.estimated_rows
            rows: Iterator[tuple[int, list[str]]] = (
                (line, cells) for line, cells in table.rows if line > job.committed_line
            )
            in_child = (table.estimated_rows or 0) - job.committed_line >= PARSE_PROCESS_FROM_ROWS
            with (
                self.writer.session(),
                error_report(job) as report,
                parsed_chunks(parser, rows, size=CHUNK_ROWS, in_child=in_child) as chunks,
            ):
                for chunk in chunks:
                    self._chunk(chunk, report)
        finish_job(job, self.progress)

    def _chunk(self, parsed_chunk: ParsedChunk, report: BinaryIO) -> None:
        last_line, parsed, errors = parsed_chunk
        chunk = _Chunk(last_line=last_line, errors=errors)
        with transaction.atomic():
            self.writer.begin_chunk()
            self._match(parsed, chunk)
            if not self.job.dry_run:
                self._write(chunk)
            record_chunk(
                self.job,
                report,
                created=chunk.created,
                updated=chunk.updated,
                skipped=chunk.skipped,
                errors=chunk.errors,
                last_line=chunk.last_line,
                progress=self.progress,
            )

    # -- matching --

    def _match(self, rows: list[ParsedRow], chunk: _Chunk) -> None:
        emails = {r.email for r in rows if r.email}
        phones = {r.phone_e164 for r in rows if r.phone_e164}
        refs = {r.values["external_ref"] for r in rows if "external_ref" in r.values}
        names = {r.name_key for r in rows if not _has_strong_key(r)}
        by_email: dict[str, int] = {}
        by_phone: dict[str, int] = {}
        if emails or phones:
            for kind, normalized, customer_id in self.writer.contact_owners(emails, phones):
                (by_email if kind == "email" else by_phone).setdefault(normalized, customer_id)
        by_ref = dict(self.writer.ref_owners(refs) if refs else ())
        by_name = dict(
            self.changeable.alive()
            .filter(name_key__in=names)
            .order_by("-pk")
            .values_list("name_key", "pk")
            if names
            else ()
        )
        matched_ids = {*by_email.values(), *by_phone.values(), *by_ref.values(), *by_name.values()}
        allowed = set(self.changeable.filter(pk__in=matched_ids).values_list("pk", flat=True))
        if matched_ids:
            self._load_existing(matched_ids & allowed, chunk)
        pending: dict[tuple[str, str], ParsedRow] = {}
        for row in rows:
            target, column = _find(row, by_ref, by_email, by_phone, by_name)
            if target is not None and target not in allowed:
                chunk.errors.append(
                    (
                        row.line,
                        column,
                        gettext(
                            "This matches a customer you may not change; ask its owner or "
                            "a manager to import it."
                        ),
                    )
                )
                continue
            if target is not None:
                self._apply_to_existing(row, chunk.touched[target], chunk)
                continue
            keys = _row_keys(row)
            earlier = next((pending[k] for k in keys if k in pending), None)
            if earlier is not None:
                self._merge_into_pending(row, earlier, chunk)
                for key in keys:
                    pending.setdefault(key, earlier)
                continue
            if self.job.dry_run and self._seen_in_earlier_chunk(keys):
                chunk.updated += self.update
                chunk.skipped += not self.update
                continue
            for key in keys:
                pending[key] = row
            chunk.new.append(row)
            chunk.created += 1
        for existing in chunk.touched.values():
            if not existing.rows:
                continue
            existing.settle()
            changing = existing.changing_rows if existing.changed else 0
            chunk.updated += changing
            chunk.skipped += existing.rows - changing

    def _seen_in_earlier_chunk(self, keys: list[tuple[str, str]]) -> bool:
        hashes = [hash(k) for k in keys]
        seen = any(h in self.dry_seen for h in hashes)
        self.dry_seen.update(hashes)
        return seen

    def _load_existing(self, ids: set[int], chunk: _Chunk) -> None:
        customers = Customer.objects.filter(pk__in=ids)
        contacts: dict[int, set[tuple[str, str]]] = {pk: set() for pk in ids}
        for customer_id, kind, normalized in ContactPoint.objects.filter(
            customer_id__in=ids
        ).values_list("customer_id", "kind", "normalized"):
            contacts[customer_id].add((kind, normalized))
        tags: dict[int, set[str]] = {pk: set() for pk in ids}
        for customer_id, name in Customer.tags.through.objects.filter(
            customer_id__in=ids
        ).values_list("customer_id", "tag__name"):
            tags[customer_id].add(name)
        for customer in customers:
            chunk.touched[customer.pk] = _Existing(
                customer=customer,
                before=snapshot(customer),
                contacts=contacts[customer.pk],
                tags=tags[customer.pk],
            )

    def _apply_to_existing(self, row: ParsedRow, existing: _Existing, chunk: _Chunk) -> None:
        if not self.update:
            chunk.skipped += 1
            return
        existing.rows += 1
        customer = existing.customer
        changed = False
        for name in _UPDATABLE:
            value = row.values.get(name)
            if value is not None and getattr(customer, name) != value:
                setattr(customer, name, value)
                changed = True
        if row.custom:
            merged = {**(customer.custom or {}), **row.custom}
            if merged != customer.custom:
                customer.custom = merged
                changed = True
        for kind, value, normalized in row.contacts():
            if (kind, normalized) not in existing.contacts:
                existing.contacts.add((kind, normalized))
                existing.new_contacts.append((kind, value, normalized))
                changed = True
        for tag in row.tags:
            if tag not in existing.tags:
                existing.tags.add(tag)
                existing.new_tags.append(tag)
                changed = True
        existing.changing_rows += changed

    def _merge_into_pending(self, row: ParsedRow, earlier: ParsedRow, chunk: _Chunk) -> None:
        if not self.update:
            chunk.skipped += 1
            return
        before = (dict(earlier.values), earlier.email, earlier.phone_e164, earlier.address)
        before_tags, before_custom = list(earlier.tags), dict(earlier.custom)
        earlier.values.update(row.values)
        earlier.display_name = earlier.values["display_name"]
        earlier.name_key = name_key(earlier.display_name)
        earlier.email = earlier.email or row.email
        if not earlier.phone_e164:
            earlier.phone, earlier.phone_e164 = row.phone, row.phone_e164
        earlier.address = earlier.address or row.address
        earlier.tags.extend(t for t in row.tags if t not in earlier.tags)
        earlier.custom.update(row.custom)
        after = (earlier.values, earlier.email, earlier.phone_e164, earlier.address)
        if before != after or before_tags != earlier.tags or before_custom != earlier.custom:
            chunk.updated += 1
        else:
            chunk.skipped += 1

    # -- writing --

    def _write(self, chunk: _Chunk) -> None:
        now = timezone.now()
        changes: list[RowChange] = []
        changed = [e for e in chunk.touched.values() if e.changed]
        tag_ids = self._tag_ids(
            {t for r in chunk.new for t in r.tags} | {t for e in changed for t in e.new_tags}
        )
        self.writer.hold_references(
            [
                (get_user_model(), [self.actor.pk]),
                (Department, [self.department_id] if self.department_id else []),
                (ContentType, [ContentType.objects.get_for_model(Customer).pk]),
                (Tag, list(tag_ids.values())),
                (Customer, [e.customer.pk for e in changed]),
            ]
        )
        if chunk.new:
            changes.extend(self._insert_new(chunk.new, now))
        if changed:
            changes.extend(self._update_existing(changed, now))
        append_changes(Customer, changes, actor=self.actor)

    def _tag_ids(self, names: Iterable[str]) -> dict[str, int]:
        missing = {n for n in names if n not in self.tag_ids}
        if missing:
            Tag.objects.bulk_create([Tag(name=n) for n in missing], ignore_conflicts=True)
            self.tag_ids.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
        return self.tag_ids

    def _search_text(
        self, values: dict[str, Any], contacts: Iterable[str], tags: Iterable[str], custom: Any
    ) -> str:
        """`customers.search.search_text_for`, with the importer's cached normaliser (a test
        keeps the two equal): normalising is most of the cost of a new row."""
        searchable = self.searchable_keys
        parts = [
            values.get("display_name", ""),
            values.get("first_name", ""),
            values.get("last_name", ""),
            values.get("organization_name", ""),
            *contacts,
            *tags,
            *(
                str(v)
                for k, v in (custom or {}).items()
                if k in searchable and v not in (None, "") and not isinstance(v, bool)
            ),
        ]
        return " ".join(dict.fromkeys(text for part in parts if part and (text := normalize(part))))

    def _insert_new(self, rows: list[ParsedRow], now: Any) -> list[RowChange]:
        writer = self.writer
        ids = writer.reserve_ids(len(rows))
        template = _CustomerTemplate(
            now=now, owner_id=self.actor.pk, dept_id=self.department_id, writer=writer
        )
        contact_rows: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[Any, Any]] = []
        changes: list[RowChange] = []
        tag_ids = {
            name: writer.number(pk)
            for name, pk in self._tag_ids({t for r in rows for t in r.tags}).items()
        }
        db_now, text, number = template.db_now, writer.text, writer.number
        primary = writer.flag(True)

        def customer_rows() -> Iterator[list[Any]]:
            # Consumed by the customers' insert as it goes (PostgreSQL's COPY streams), so the
            # server maintains the customers' indexes while the next rows are built; the
            # other rows are collected on the way.
            for pk, row in zip(ids, rows, strict=True):
                contacts = row.contacts()
                search_text = self._search_text(
                    row.values, [c[2] for c in contacts], row.tags, row.custom
                )
                custom_json = json.dumps(row.custom, ensure_ascii=False) if row.custom else "{}"
                yield template.row(pk, row, search_text, custom_json)
                pk_value = number(pk)
                # A row carries at most one contact point of each kind: each is its kind's
                # primary.
                for kind, value, normalized in contacts:
                    contact_rows.append(
                        (db_now, db_now, pk_value, kind, "", text(value), text(normalized), primary)
                    )
                tag_rows.extend((pk_value, tag_ids[t]) for t in row.tags)
                changes.append(
                    RowChange(
                        ChangeAction.CREATE,
                        pk,
                        row.display_name,
                        pk,
                        None,
                        template.after_json(pk, row, contacts),
                    )
                )

        writer.insert(Customer, template.columns, customer_rows())
        writer.insert(ContactPoint, _CONTACT_COLUMNS, contact_rows)
        writer.insert(Customer.tags.through, ("customer_id", "tag_id"), tag_rows)
        return changes

    def _update_existing(self, touched: list[_Existing], now: Any) -> list[RowChange]:
        changes: list[RowChange] = []
        tag_ids = self._tag_ids({t for e in touched for t in e.new_tags})
        new_points: list[ContactPoint] = []
        for existing in touched:
            customer = existing.customer
            added = {(k, n) for k, _v, n in existing.new_contacts}
            had_kinds = {k for k, n in existing.contacts if (k, n) not in added}
            for kind, value, normalized in existing.new_contacts:
                primary = kind not in had_kinds
                had_kinds.add(kind)
                new_points.append(
                    ContactPoint(
                        customer_id=customer.pk,
                        kind=kind,
                        value=value,
                        normalized=normalized,
                        is_primary=primary,
                        created_at=now,
                    )
                )
            customer.name_key = name_key(customer.display_name)
            customer.search_text = self._search_text(
                {f: getattr(customer, f) for f in _UPDATABLE},
                [n for _k, n in existing.contacts],
                existing.tags,
                customer.custom,
            )
            customer.updated_at = now
            after = snapshot(customer)
            if existing.new_tags:
                existing.before["tags"] = sorted(existing.tags - set(existing.new_tags))
                after["tags"] = sorted(existing.tags)
            if existing.new_contacts:
                after["contact_points_added"] = [[k, v] for k, v, _n in existing.new_contacts]
            changes.append(
                RowChange(
                    ChangeAction.UPDATE,
                    customer.pk,
                    str(customer),
                    customer.pk,
                    canonical_json(existing.before),
                    canonical_json(after),
                )
            )
        Customer.objects.bulk_update(
            [e.customer for e in touched],
            [*_UPDATABLE, "custom", "name_key", "search_text", "updated_at"],
            batch_size=500,
        )
        ContactPoint.objects.bulk_create(new_points, batch_size=1000)
        Customer.tags.through.objects.bulk_create(
            [
                Customer.tags.through(customer_id=e.customer.pk, tag_id=tag_ids[t])
                for e in touched
                for t in e.new_tags
            ],
            batch_size=1000,
        )
        return changes


def _has_strong_key(row: ParsedRow) -> bool:
    return bool(row.email or row.phone_e164 or "external_ref" in row.values)


def _row_keys(row: ParsedRow) -> list[tuple[str, str]]:
    keys = []
    if "external_ref" in row.values:
        keys.append(("ref", row.values["external_ref"]))
    if row.email:
        keys.append(("email", row.email))
    if row.phone_e164:
        keys.append(("phone", row.phone_e164))
    if not keys:
        keys.append(("name", row.name_key))
    return keys


def _find(
    row: ParsedRow,
    by_ref: dict[str, int],
    by_email: dict[str, int],
    by_phone: dict[str, int],
    by_name: dict[str, int],
) -> tuple[int | None, str]:
    """The existing customer a row belongs to, and the key column that matched."""
    ref = row.values.get("external_ref")
    if ref and ref in by_ref:
        return by_ref[ref], "external_ref"
    if row.email and row.email in by_email:
        return by_email[row.email], "email"
    if row.phone_e164 and row.phone_e164 in by_phone:
        return by_phone[row.phone_e164], "phone"
    if not _has_strong_key(row) and row.name_key in by_name:
        return by_name[row.name_key], "display_name"
    return None, ""


_CONTACT_COLUMNS = (
    "created_at",
    "updated_at",
    "customer_id",
    "kind",
    "label",
    "value",
    "normalized",
    "is_primary",
)


class _CustomerTemplate:
    """Column order, constant values and the audit snapshot shape of new customers, with the
    constant values already encoded for the writer."""

    _FROM_ROW = (
        "kind",
        "display_name",
        "first_name",
        "last_name",
        "organization_name",
        "preferred_language",
        "currency",
        "notes",
        "external_ref",
    )

    def __init__(self, *, now: Any, owner_id: int, dept_id: int | None, writer: _Writer) -> None:
        fields = Customer._meta.concrete_fields
        self.writer = writer
        self.columns = tuple(str(f.column) for f in fields)
        prototype = Customer(
            created_at=now, updated_at=now, owner_id=owner_id, department_id=dept_id
        )
        self.db_now = writer.value(
            Customer._meta.get_field("created_at").get_db_prep_save(now, connection)
        )
        self.defaults: list[Any] = []
        for f in fields:
            if f.attname == "custom":
                value = writer.text("{}")
            elif f.attname in ("created_at", "updated_at"):
                value = self.db_now
            else:
                value = writer.value(f.get_db_prep_save(f.value_from_object(prototype), connection))
            self.defaults.append(value)
        self.index = {f.attname: i for i, f in enumerate(fields)}
        self.base_snapshot = snapshot(prototype)
        # The canonical JSON of `snapshot()` as a format string per shape (with or without
        # contact points and tags): constant keys are encoded once, not once per row.
        variable = {"id", "custom", "name_key", "contact_points", "tags", *self._FROM_ROW}
        self.layouts: dict[tuple[bool, bool], str] = {}
        for contacts in (False, True):
            for tags in (False, True):
                shape = {
                    **self.base_snapshot,
                    **dict.fromkeys(["contact_points"] * contacts + ["tags"] * tags),
                }
                self.layouts[contacts, tags] = (
                    "{{"
                    + ",".join(
                        encode_basestring(key)
                        + ":"
                        + (
                            "{" + key + "}"
                            if key in variable
                            else canonical_json(value).replace("{", "{{").replace("}", "}}")
                        )
                        for key, value in sorted(shape.items())
                    )
                    + "}}"
                )
        self.row_defaults = {
            name: canonical_json(self.base_snapshot[name]) for name in self._FROM_ROW
        }

    def row(self, pk: int, parsed: ParsedRow, search_text: str, custom_json: str) -> list[Any]:
        values = self.defaults.copy()
        index, text = self.index, self.writer.text
        values[index["id"]] = self.writer.number(pk)
        for name, value in parsed.values.items():
            values[index[name]] = text(value)
        values[index["custom"]] = text(custom_json)
        values[index["search_text"]] = text(search_text)
        values[index["name_key"]] = text(parsed.name_key)
        return values

    def snapshot(
        self, pk: int, parsed: ParsedRow, contacts: list[tuple[str, str, str]]
    ) -> dict[str, Any]:
        """What the change log says about a new customer."""
        after = self.base_snapshot.copy()
        after["id"] = pk
        after.update(parsed.values)
        after["custom"] = parsed.custom
        after["name_key"] = parsed.name_key
        if contacts:
            after["contact_points"] = [[c[0], c[1]] for c in contacts]
        if parsed.tags:
            after["tags"] = sorted(parsed.tags)
        return after

    def after_json(self, pk: int, parsed: ParsedRow, contacts: list[tuple[str, str, str]]) -> str:
        """`canonical_json(self.snapshot(...))`, several times faster."""
        values = parsed.values
        if not values.keys() <= self.row_defaults.keys():
            return canonical_json(self.snapshot(pk, parsed, contacts))
        fields = self.row_defaults.copy()
        for name, value in values.items():
            fields[name] = encode_basestring(value)
        fields["id"] = str(pk)
        fields["custom"] = canonical_json(parsed.custom) if parsed.custom else "{}"
        fields["name_key"] = encode_basestring(parsed.name_key)
        if contacts:
            fields["contact_points"] = (
                "["
                + ",".join(
                    f"[{encode_basestring(k)},{encode_basestring(v)}]" for k, v, _n in contacts
                )
                + "]"
            )
        if parsed.tags:
            fields["tags"] = "[" + ",".join(map(encode_basestring, sorted(parsed.tags))) + "]"
        return self.layouts[bool(contacts), bool(parsed.tags)].format_map(fields)


class _Writer:
    """What differs between databases on the hot path: bulk inserts with ids chosen up front
    (so child rows can point at new customers), the encoding of the values of those rows,
    and the key lookups of matching, whose `IN` lists of thousands of values cost more to
    build through the ORM than to run."""

    def text(self, value: str) -> Any:
        return value

    def flag(self, value: bool) -> Any:
        return value

    def number(self, value: int) -> Any:
        return value

    def value(self, value: Any) -> Any:
        return value

    @contextmanager
    def session(self) -> Iterator[None]:
        """Connection settings for the whole run."""
        yield

    def begin_chunk(self) -> None:
        """Session settings for the chunk's transaction."""

    def hold_references(self, references: list[tuple[Any, list[int]]]) -> None:
        """Before the chunk writes rows pointing at these (model, primary keys): keep them
        from being deleted until the chunk commits, where the database's own per-row
        foreign-key checks are switched off (`_PostgresWriter`)."""

    def reserve_ids(self, count: int) -> list[int]:
        raise NotImplementedError

    def insert(self, model: Any, columns: tuple[str, ...], rows: Iterable[Any]) -> None:
        raise NotImplementedError

    # How the key lookups test membership in one list parameter (`= ANY(array)` on
    # PostgreSQL), and that parameter's value.
    member_of = "= ANY(%s)"

    def key_list(self, values: set[str]) -> Any:
        return list(values)

    def contact_owners(self, emails: set[str], phones: set[str]) -> Iterable[tuple[str, str, int]]:
        """(kind, normalized, customer id) of alive customers' emails and phones, primary first."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT p.kind, p.normalized, p.customer_id
                FROM {ContactPoint._meta.db_table} p
                JOIN {Customer._meta.db_table} c ON c.id = p.customer_id
                WHERE c.deleted_at IS NULL AND (
                    (p.kind = 'email' AND p.normalized {self.member_of})
                    OR (p.kind = 'phone' AND p.normalized {self.member_of}))
                ORDER BY p.kind, p.is_primary DESC, p.id""",
                [self.key_list(emails), self.key_list(phones)],
            )
            return cursor.fetchall()

    def ref_owners(self, refs: set[str]) -> Iterable[tuple[str, int]]:
        """(external reference, customer id) of alive customers, oldest first."""
        # Alive is tested here, not in SQL: given `deleted_at IS NULL`, both planners (without
        # fresh statistics, as during a big import) walk the deleted_at index, i.e. every
        # alive customer once per chunk, instead of looking the references up.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT external_ref, id, deleted_at FROM {Customer._meta.db_table}
                WHERE external_ref {self.member_of} ORDER BY id""",
                [self.key_list(refs)],
            )
            return [(ref, pk) for ref, pk, deleted_at in cursor.fetchall() if deleted_at is None]


class _PostgresWriter(_Writer):
    """Rows as COPY text; key lookups as `= ANY(array)` with one parameter each."""

    text = staticmethod(copy_text)

    def flag(self, value: bool) -> str:
        return "t" if value else "f"

    def number(self, value: int) -> str:
        return str(value)

    def value(self, value: Any) -> str:
        if value is None:
            return COPY_NULL
        if isinstance(value, bool):
            return self.flag(value)
        if isinstance(value, dt.datetime):
            return value.isoformat()
        return copy_text(str(value))

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            self.skip_fk_triggers = bool(cursor.fetchone()[0])

    @contextmanager
    def session(self) -> Iterator[None]:
        yield
        # Merge what the run left in the GIN indexes' pending lists (see begin_chunk) now,
        # rather than make every search scan it until autovacuum gets there.
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT c.oid::regclass::text FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
                WHERE i.indrelid = %s::regclass AND a.amname = 'gin'""",
                [Customer._meta.db_table],
            )
            for (index,) in cursor.fetchall():
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])

    def begin_chunk(self) -> None:
        # A chunk commits together with the job's committed_line, so a chunk lost to a server
        # crash in the instant after its commit is simply imported again on resume; not
        # waiting for each commit's WAL flush is a large share of a chunk's time.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # New trigram entries queue in the GIN index's pending list and are merged when
            # it outgrows this limit: merging in fewer, larger batches made inserting 30,000
            # customers into a 1M-customer table ~1.6x faster here (bench/results/import.md).
            cursor.execute("SET LOCAL gin_pending_list_limit TO '64MB'")
            if self.skip_fk_triggers:
                # Every imported row points at a customer reserved and written in this same
                # transaction or at a row `hold_references` locked, so the foreign-key
                # triggers (one deferred check per row and key, ~15% of a chunk) would only
                # find what is known to be there. Replica mode skips them, as pg_restore
                # --disable-triggers does; the constraints stay. Only a superuser may.
                cursor.execute("SET LOCAL session_replication_role = replica")

    def hold_references(self, references: list[tuple[Any, list[int]]]) -> None:
        if not self.skip_fk_triggers:
            return
        # The lock each skipped trigger would have taken, once per referenced row: a
        # concurrent delete waits for this commit and then fails its own foreign-key check.
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model, pks in references:
                if pks:
                    cursor.execute(
                        f"SELECT 1 FROM {quote(model._meta.db_table)} "
                        f"WHERE {quote(model._meta.pk.column)} = ANY(%s) FOR KEY SHARE",
                        [pks],
                    )

    def reserve_ids(self, count: int) -> list[int]:
        table = Customer._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [r[0] for r in cursor.fetchall()]

    def insert(self, model: Any, columns: tuple[str, ...], rows: Iterable[Any]) -> None:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        quote = connection.ops.quote_name
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
        )
        lines = ["\t".join(first) + "\n"]
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                lines.append("\t".join(row) + "\n")
                if len(lines) >= _COPY_BATCH:
                    copy.write("".join(lines).encode())
                    lines.clear()
            copy.write("".join(lines).encode())


class _SQLiteWriter(_Writer):
    @contextmanager
    def session(self) -> Iterator[None]:
        # SQLite's default page cache is 2 MB: past a few hundred thousand customers every
        # index insert of a chunk reads its B-tree pages back through the OS. A bigger cache
        # for the import's connection keeps them; its own setting comes back afterwards.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            cache_size = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA cache_size = {_SQLITE_CACHE_KIB}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {cache_size}")

    # One JSON parameter per key list: thousands of placeholders cost more than the query.
    member_of = "IN (SELECT value FROM json_each(%s))"

    def key_list(self, values: set[str]) -> Any:
        return json.dumps(list(values))

    def reserve_ids(self, count: int) -> list[int]:
        # Runs inside the chunk's IMMEDIATE transaction, which holds SQLite's write lock.
        table = Customer._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
            highest = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            seq = cursor.fetchone()
        start = max(highest, seq[0] if seq else 0) + 1
        return list(range(start, start + count))

    def insert(self, model: Any, columns: tuple[str, ...], rows: Iterable[Any]) -> None:
        rows = list(rows)
        if not rows:
            return
        quote = connection.ops.quote_name
        table = model._meta.db_table
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            if table != Customer._meta.db_table:
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)
                return
            # The customers table feeds its FTS5 mirror by trigger, and FTS5 writes its
            # pending terms to disk at every statement savepoint: row by row that is one
            # tiny index segment per customer (~10x the cost of the row). Staged in a
            # temporary table and copied with one INSERT … SELECT, the chunk is one segment.
            stage = quote(f"import_stage_{table}")
            cursor.execute(
                f"CREATE TEMP TABLE {stage} AS SELECT {names} FROM {quote(table)} WHERE 0"
            )
            cursor.executemany(f"INSERT INTO temp.{stage} ({names}) VALUES ({marks})", rows)
            cursor.execute(f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM temp.{stage}")
            cursor.execute(f"DROP TABLE temp.{stage}")


# --- what every kind of import shares: the error report, progress, the end -----------------


def _csv_line(cells: list[Any]) -> bytes:
    from peyvand.imports.export import neutralize

    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralize(str(c)) for c in cells])
    return buffer.getvalue().encode()


@contextmanager
def error_report(job: ImportJob) -> Iterator[BinaryIO]:
    """The job's CSV error report, opened for appending after the last committed chunk."""
    if not job.error_report:
        job.error_report.name = f"imports/reports/job-{job.pk}-errors.csv"
        path = Path(job.error_report.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        job.error_report_bytes = 0
    with Path(job.error_report.path).open("r+b") as handle:
        # Errors past the last committed chunk belong to a run that did not finish.
        handle.truncate(job.error_report_bytes)
        handle.seek(job.error_report_bytes)
        if job.error_report_bytes == 0:
            handle.write(
                "\ufeff".encode()
                + _csv_line([gettext("line"), gettext("column"), gettext("error")])
            )
        yield handle


def record_chunk(
    job: ImportJob,
    report: BinaryIO,
    *,
    created: int,
    updated: int,
    skipped: int,
    errors: list[RowError],
    last_line: int,
    progress: Progress | None,
) -> None:
    """Write a chunk's errors to the report and its counters to the job; call it inside the
    chunk's transaction, so the counters and `committed_line` commit with the chunk's rows."""
    report.write(b"".join(_csv_line(list(e)) for e in errors))
    report.flush()
    job.processed_rows += created + updated + skipped + len({e[0] for e in errors})
    job.created_rows += created
    job.updated_rows += updated
    job.skipped_rows += skipped
    job.error_count += len(errors)
    fields = [
        "processed_rows",
        "created_rows",
        "updated_rows",
        "skipped_rows",
        "error_count",
        "committed_line",
        "error_report",
        "error_report_bytes",
        "total_rows",
        "updated_at",
    ]
    room = INLINE_ERROR_LIMIT - len(job.errors)
    if errors and room > 0:
        job.errors = [*job.errors, *([list(e) for e in errors[:room]])]
        fields.append("errors")
    job.committed_line = last_line
    job.error_report_bytes = report.tell()
    if job.total_rows is not None and job.processed_rows > job.total_rows:
        job.total_rows = job.processed_rows
    job.save(update_fields=fields)
    if progress:
        progress(job)


def finish_job(job: ImportJob, progress: Progress | None) -> None:
    job.status = ImportStatus.DONE
    job.total_rows = job.processed_rows
    job.finished_at = timezone.now()
    job.save()
    if progress:
        progress(job)


def run_customer_import(job: ImportJob, *, actor: Any, progress: Progress | None) -> None:
    _Importer(job, actor=actor, progress=progress).run()


def _writer_for_connection() -> _Writer:
    return _PostgresWriter() if connection.vendor == "postgresql" else _SQLiteWriter()


def import_file(
    path: Path | str,
    *,
    actor: Any,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    on_duplicate: str = DuplicatePolicy.UPDATE,
    progress: Progress | None = None,
    kind: str = ImportKind.CUSTOMERS,
) -> ImportJob:
    """Import a file synchronously (the CLI and benchmarks); the job records the outcome."""
    path = Path(path)
    with open_table(path, format_for(path.name)) as table:
        chosen = mapping if mapping is not None else target_for(kind).suggest_mapping(table.headers)
        resolve_mapping(table.headers, chosen, kind=kind)
    with path.open("rb") as handle:
        job = create_import_job(
            file=File(handle, name=path.name), filename=path.name, actor=actor, kind=kind
        )
    job.mapping = chosen
    job.dry_run = dry_run
    job.on_duplicate = on_duplicate
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["mapping", "dry_run", "on_duplicate", "status", "updated_at"])
    return run_import_job(job.pk, progress=progress)
