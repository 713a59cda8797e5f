from django.db import models
from django.utils.translation import gettext_lazy as _


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Rule-based")
    STATIC = "static", _("Static list")


class Source(models.TextChoices):
    """The kinds of customer data a rule reads: a change of one kind re-evaluates only the
    segments whose rules read it."""

    PROFILE = "profile", _("Profile")
    TAGS = "tags", _("Tags")
    CONSENT = "consent", _("Consent")
    SCORES = "scores", _("Scores")
    ORDERS = "orders", _("Orders")
    INTERACTIONS = "interactions", _("Interactions")
    EVENTS = "events", _("Click-stream")
    OFFERS = "offers", _("Offer responses")


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")
    MANUAL = "manual", _("Added by staff")
