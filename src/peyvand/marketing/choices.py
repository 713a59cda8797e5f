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


class CampaignChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    # Each customer's preferred channel, else the other one they can be reached on.
    PREFERRED = "preferred", _("Each customer's preferred channel")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")


class TestMode(models.TextChoices):
    NONE = "none", _("No test: variants share the audience evenly")
    SPLIT = "split", _("Test on a share, then send the winner to the rest")
    BANDIT = "bandit", _("Bandit: shift traffic to the better variant while sending")


class WinnerMetric(models.TextChoices):
    CLICK = "click", _("Click rate")
    CONVERSION = "conversion", _("Conversion rate")


class CampaignPhase(models.TextChoices):
    MAIN = "main", _("Main send")
    TEST = "test", _("Test share")
    REST = "rest", _("Winner to the rest")
