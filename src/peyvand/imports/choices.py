from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    LEADS = "leads", _("Leads")


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ImportStatus(models.TextChoices):
    # Uploaded; waiting for the user to confirm the column mapping.
    DRAFT = "draft", _("Awaiting mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DuplicatePolicy(models.TextChoices):
    """What a row that matches an existing customer does."""

    UPDATE = "update", _("Update the existing customer")
    SKIP = "skip", _("Skip the row")
