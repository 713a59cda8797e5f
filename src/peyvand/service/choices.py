from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ArticleVisibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (staff only)")
    PUBLIC = "public", _("Public (customers too)")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    # Waiting on the customer: the SLA clock stops until they answer.
    PENDING = "pending", _("Waiting on customer")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


# The statuses in which a ticket's SLA clock can run or breach.
ACTIVE_TICKET_STATUSES = [TicketStatus.NEW.value, TicketStatus.OPEN.value]
OPEN_TICKET_STATUSES = [*ACTIVE_TICKET_STATUSES, TicketStatus.PENDING.value]


class TicketPriority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")
