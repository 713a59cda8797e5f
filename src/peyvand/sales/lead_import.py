"""Lead import from CSV or XLSX: the imports app's machinery with lead fields.

Upload, readers, mapping step, background job, progress, resume and the error report with
line numbers are `peyvand.imports`'; this module brings the lead fields and the engine.
Every row goes through `capture_lead` with channel "import", exactly like a lead typed in
by staff: the same validation, assignment rules (else round robin in the importer's
department), rule and learned scores, first-response deadline and change-log row.

Transactions: the file is read in chunks of `CHUNK_ROWS`; a chunk's leads, the job's
counters and `committed_line` commit together, so a job that stops halfway says which
lines are in and resumes after them. A bad row is reported and writes nothing; its good
neighbours are imported. A dry run captures each chunk inside a savepoint that is rolled
back, so it checks exactly what a real run would and leaves nothing behind.

Duplicates: a row whose email or phone (normalised) is already on an open lead, or on an
earlier row of the file, is skipped, so importing a file twice imports nothing twice. A row
matching an existing customer is still captured, as on every channel: a person decides
(the lead page lists its possible duplicates).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department
from peyvand.catalog.models import Product
from peyvand.core.problems import ServiceError
from peyvand.core.text import normalize_email, normalize_phone, normalize_text
from peyvand.imports.choices import ImportKind
from peyvand.imports.kinds import ImportTarget
from peyvand.imports.mapping import guess_mapping, resolve_mapping, spelling_lookup
from peyvand.imports.models import ImportJob
from peyvand.imports.readers import open_table
from peyvand.imports.rows import LANGUAGES, RowError, clean_cell
from peyvand.imports.services import Progress, error_report, finish_job, record_chunk
from peyvand.sales.assignment import Assigner
from peyvand.sales.capture import capture_lead
from peyvand.sales.choices import OPEN_LEAD_STATUSES, LeadChannel
from peyvand.sales.leads import UTM_FIELDS, round_robin_members
from peyvand.sales.models import Lead, LeadSource

# capture_lead costs a few queries per row; small chunks keep the progress bar moving and
# each transaction short.
CHUNK_ROWS = 200

FIELDS: dict[str, Any] = {
    "name": _("Name"),
    "company": _("Company"),
    "email": _("Email"),
    "phone": _("Phone"),
    "source": _("Lead source (name or code)"),
    "city": _("City"),
    "language": _("Language (en or fa)"),
    "product": _("Product of interest (SKU)"),
    "notes": _("Notes"),
    "referrer": _("Referrer"),
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
}

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "fullname",
        "contact",
        "contactname",
        "person",
        "leadname",
        "نام",
        "نام کامل",
        "نام و نام خانوادگی",
        "نام مخاطب",
    ),
    "company": (
        "organization",
        "organisation",
        "companyname",
        "account",
        "شرکت",
        "سازمان",
        "نام شرکت",
    ),
    "email": ("mail", "emailaddress", "ایمیل", "پست الکترونیک", "رایانامه"),
    "phone": (
        "mobile",
        "tel",
        "telephone",
        "cell",
        "phonenumber",
        "تلفن",
        "موبایل",
        "شماره تلفن",
        "شماره موبایل",
        "تلفن همراه",
    ),
    "source": ("leadsource", "channel", "منبع", "منبع سرنخ"),
    "city": ("town", "شهر"),
    "language": ("lang", "preferredlanguage", "زبان"),
    "product": ("sku", "productsku", "interest", "محصول", "کد محصول"),
    "notes": ("note", "comment", "comments", "description", "یادداشت", "توضیحات"),
    "referrer": ("referer", "referrerurl", "ارجاع دهنده"),
}

_TEXT_FIELDS = frozenset({"name", "company", "email", "phone", "city", "notes", "referrer"})


def field_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in FIELDS.items()]


def suggest_mapping(headers: Sequence[str]) -> dict[str, str]:
    return guess_mapping(headers, spelling_lookup(_SYNONYMS))


def missing_required(columns: Sequence[str]) -> list[str]:
    present = set(columns)
    missing = []
    if not present & {"name", "company"}:
        missing.append(gettext("a name or a company"))
    if not present & {"email", "phone"}:
        missing.append(gettext("an email or a phone"))
    return missing


def import_target() -> ImportTarget:
    return ImportTarget(
        kind=ImportKind.LEADS,
        object_type="lead",
        title=_("Import leads"),
        home="sales:lead_list",
        field_choices=field_choices,
        suggest_mapping=suggest_mapping,
        missing_required=missing_required,
        run=run_lead_import,
        has_duplicate_policy=False,
        duplicate_help=_(
            "Rows whose email or phone is already on an open lead, or on an earlier row, "
            "are skipped. Rows matching a customer are imported and flagged as possible "
            "duplicates, as on every channel."
        ),
    )


def default_department(actor: Any) -> Department | None:
    """Where rows no assignment rule takes are shared round robin: the importer's first
    department whose members work leads, else the first such department (a manager's own
    department usually has no reps)."""
    own = list(actor.departments.filter(is_active=True).order_by("pk"))
    others = Department.objects.filter(is_active=True).exclude(pk__in=[d.pk for d in own])
    for department in [*own, *others.order_by("pk")]:
        if round_robin_members(department):
            return department
    return own[0] if own else None


class _Rollback(Exception):
    """Leaves a dry run's savepoint without keeping anything."""


@dataclass
class _Chunk:
    last_line: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)


class _LeadImporter:
    def __init__(self, job: ImportJob, *, actor: Any, progress: Progress | None) -> None:
        self.job = job
        self.actor = actor
        self.progress = progress
        self.department = default_department(actor)
        self.sources = _by_spelling(LeadSource.objects.all(), ("name", "name_fa", "code"))
        self.products = {p.sku.lower(): p for p in Product.objects.sellable().only("pk", "sku")}
        # Email and phone keys of rows taken in this run (a dry run does not write them).
        self.seen: set[tuple[str, str]] = set()

    def run(self) -> None:
        job = self.job
        with open_table(job.file.path, job.format) as table:
            columns = resolve_mapping(table.headers, job.mapping, kind=ImportKind.LEADS)
            self.plan = [
                (index, target, table.headers[index])
                for index, target in enumerate(columns)
                if target
            ]
            self.header_of = {target: header for _i, target, header in self.plan}
            if job.total_rows is None or job.committed_line == 0:
                job.total_rows = table.estimated_rows
            rows: Iterator[tuple[int, list[str]]] = (
                (line, cells) for line, cells in table.rows if line > job.committed_line
            )
            with error_report(job) as report:
                while batch := list(islice(rows, CHUNK_ROWS)):
                    self._chunk(batch, report)
        finish_job(job, self.progress)

    def _chunk(self, batch: list[tuple[int, list[str]]], report: Any) -> None:
        chunk = _Chunk(last_line=batch[-1][0])
        parsed = [(line, self._parse(line, cells, chunk.errors)) for line, cells in batch]
        good = [(line, values) for line, values in parsed if values is not None]
        with transaction.atomic():
            taken = self._open_lead_keys(good)
            try:
                # One Assigner for the chunk: rules, reps and round-robin cursors are read
                # once, and the cursors written back once, when the chunk's captures end.
                with transaction.atomic(), Assigner() as assigner:
                    for line, values in good:
                        keys = _keys(values)
                        if keys & (taken | self.seen):
                            chunk.skipped += 1
                            continue
                        if self._capture(line, values, chunk.errors, assigner):
                            chunk.created += 1
                            self.seen |= keys
                    if self.job.dry_run:
                        raise _Rollback
            except _Rollback:
                pass
            record_chunk(
                self.job,
                report,
                created=chunk.created,
                updated=0,
                skipped=chunk.skipped,
                errors=chunk.errors,
                last_line=chunk.last_line,
                progress=self.progress,
            )

    def _parse(self, line: int, cells: list[str], errors: list[RowError]) -> dict[str, Any] | None:
        """The row as capture_lead arguments, or None with its errors recorded."""
        values: dict[str, Any] = {}
        problems: list[RowError] = []
        width = len(cells)
        for index, target, header in self.plan:
            value = clean_cell(cells[index] if index < width else "")
            if not value:
                continue
            if target in _TEXT_FIELDS or target in UTM_FIELDS:
                values[target] = value
            elif target == "source":
                source = self.sources.get(normalize_text(value))
                if source is None:
                    problems.append(
                        (line, header, gettext("No lead source is called “%s”.") % value)
                    )
                values["source"] = source
            elif target == "product":
                product = self.products.get(value.lower())
                if product is None:
                    problems.append(
                        (line, header, gettext("No product for sale has the SKU “%s”.") % value)
                    )
                values["product"] = product
            elif target == "language":
                language = LANGUAGES.get(value.lower()) or LANGUAGES.get(normalize_text(value))
                if language is None:
                    problems.append(
                        (
                            line,
                            header,
                            gettext("“%(value)s” is not a language; use en or fa.")
                            % {"value": value},
                        )
                    )
                values["language"] = language
        if problems:
            errors.extend(problems)
            return None
        return values

    def _open_lead_keys(self, rows: list[tuple[int, dict[str, Any]]]) -> set[tuple[str, str]]:
        """The keys of the chunk's rows that are already on an open lead (one query)."""
        wanted = set().union(*(_keys(values) for _line, values in rows))
        emails = {value for kind, value in wanted if kind == "email"}
        phones = {value for kind, value in wanted if kind == "phone"}
        if not wanted:
            return set()
        found = Lead.objects.filter(
            Q(email__in=emails) | Q(phone__in=phones),
            deleted_at__isnull=True,
            status__in=OPEN_LEAD_STATUSES,
        ).values_list("email", "phone")
        return wanted & {
            key for email, phone in found for key in (("email", email), ("phone", phone))
        }

    def _capture(
        self, line: int, values: dict[str, Any], errors: list[RowError], assigner: Assigner
    ) -> bool:
        try:
            # Open leads are checked above; a match with a customer is not an error.
            capture_lead(
                actor=self.actor,
                channel=LeadChannel.IMPORT,
                department=self.department,
                assign=True,
                assigner=assigner,
                report_duplicates=False,
                **values,
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = self._column_for(name)
                errors.extend((line, column, message) for message in messages)
            return False
        except ServiceError as exc:
            errors.append((line, self._column_for(exc.field or ""), exc.message))
            return False
        return True

    def _column_for(self, name: str) -> str:
        """The file column a field's error belongs to ("" when no column feeds it)."""
        if name in self.header_of:
            return self.header_of[name]
        fallback = {"name": "company", "email": "phone"}.get(name)
        return self.header_of.get(fallback or "", "")


def _by_spelling(sources: Any, fields: tuple[str, ...]) -> dict[str, LeadSource]:
    found: dict[str, LeadSource] = {}
    for source in sources:
        for name in fields:
            spelling = getattr(source, name)
            if spelling:
                found.setdefault(normalize_text(spelling), source)
    return found


def _keys(values: dict[str, Any]) -> set[tuple[str, str]]:
    """The row's normalised email and E.164 phone, as duplicates are found."""
    keys = set()
    email = normalize_email(values.get("email"))
    if email:
        keys.add(("email", email))
    phone = normalize_phone(values["phone"]) if values.get("phone") else ""
    if phone:
        keys.add(("phone", phone))
    return keys


def run_lead_import(job: ImportJob, *, actor: Any, progress: Progress | None) -> None:
    _LeadImporter(job, actor=actor, progress=progress).run()
