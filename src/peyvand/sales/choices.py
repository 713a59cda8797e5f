from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class OrderChannel(models.TextChoices):
    """Where the customer placed the order: revenue is reported per channel."""

    SALES = "sales", _("Sales team")
    WEB = "web", _("Online shop")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    PORTAL = "portal", _("Customer portal")
    STORE = "store", _("In store")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    ONLINE = "online", _("Online gateway")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


# Leads someone still has to work: duplicates are checked against these.
OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)


class OpportunityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class CloseOutcome(models.TextChoices):
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


# Quotes the customer can still answer; only these expire when their validity ends.
OPEN_QUOTE_STATUSES = (QuoteStatus.DRAFT, QuoteStatus.SENT)


class BillingPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    ONCE = "once", _("Once")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    RENEWED = "renewed", _("Renewed")


class LeadChannel(models.TextChoices):
    """How a lead reached us: every channel captures through the same service."""

    MANUAL = "manual", _("Entered by staff")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    WEB_FORM = "web_form", _("Web form")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")


class AssignmentAction(models.TextChoices):
    USER = "user", _("Give to a specific person")
    ROUND_ROBIN = "round_robin", _("Round robin in the department")
    LEAST_LOADED = "least_loaded", _("Fewest open leads in the department")


class ScoringCondition(models.TextChoices):
    IS_SET = "is_set", _("is filled in")
    EQUALS = "equals", _("equals")
    CONTAINS = "contains", _("contains")


class TargetPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
