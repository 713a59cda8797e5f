from django.db import models
from django.utils.translation import gettext_lazy as _


class OfferKind(models.TextChoices):
    DISCOUNT = "discount", _("Discount")
    PRODUCT = "product", _("Product")
    CONTENT = "content", _("Content")
    RETENTION_CALL = "retention_call", _("Retention call")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Awaiting answer")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    IGNORED = "ignored", _("Ignored")


ANSWERED = (Outcome.ACCEPTED, Outcome.REJECTED, Outcome.IGNORED)


class PolicyStatus(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class DecisionChannel(models.TextChoices):
    """Where the offer was shown, and where the customer's answer came from."""

    AGENT = "agent", _("Agent desk")
    API = "api", _("API")
    PORTAL = "portal", _("Portal")
    CAMPAIGN = "campaign", _("Campaign click")
    SYSTEM = "system", _("Timeout")


class ChurnBand(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
