from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.imports.choices import DuplicatePolicy, ImportFormat, ImportKind, ImportStatus

# The job page reads errors from the row; beyond this many only the CSV report has them.
INLINE_ERROR_LIMIT = 10_000
# A running job saves its progress after every chunk; this long without a save means the
# worker died, and the job may be resumed.
STALE_AFTER = dt.timedelta(minutes=10)


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user: object) -> ImportJobQuerySet:
        """A job is its creator's; managers see every job."""
        from peyvand.access.scopes import is_manager

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if is_manager(user):
            return self
        return self.filter(created_by=user)


class ImportJob(TimeStampedModel):
    """One upload and its run: the mapping it used, how far it got and what went wrong.

    `committed_line` is the last file line whose chunk was committed; a failed job resumes
    after it (see `peyvand.imports.services`).
    """

    kind = models.CharField(
        _("kind"), max_length=20, choices=ImportKind.choices, default=ImportKind.CUSTOMERS
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_filename = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=8, choices=ImportFormat.choices)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    on_duplicate = models.CharField(
        _("when a row matches an existing customer"),
        max_length=10,
        choices=DuplicatePolicy.choices,
        default=DuplicatePolicy.UPDATE,
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_rows = models.PositiveIntegerField(_("created"), default=0)
    updated_rows = models.PositiveIntegerField(_("updated"), default=0)
    skipped_rows = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(
        _("errors"),
        default=list,
        blank=True,
        help_text=_("The first errors as [line, column, message]; the report file has all."),
    )
    error_report = models.FileField(_("error report"), upload_to="imports/reports/", blank=True)
    # Bytes of the report that belong to committed chunks; a resumed run truncates to it.
    error_report_bytes = models.BigIntegerField(default=0, editable=False)
    committed_line = models.PositiveIntegerField(_("last committed line"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("created by"),
    )

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_filename}"

    @property
    def is_active(self) -> bool:
        return self.status in {ImportStatus.QUEUED, ImportStatus.RUNNING}

    @property
    def can_resume(self) -> bool:
        if self.status == ImportStatus.FAILED:
            return bool(self.mapping)
        return (
            self.status == ImportStatus.RUNNING and self.updated_at < timezone.now() - STALE_AFTER
        )

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)
