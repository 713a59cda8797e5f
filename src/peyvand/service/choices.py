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


class ServiceOrderStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("service order status", "Done")
    SIGNED_OFF = "signed_off", _("Signed off")
    CANCELLED = "cancelled", pgettext_lazy("service order status", "Cancelled")


# Where each status may go next; signed-off and cancelled orders are final.
SERVICE_ORDER_FLOW: dict[str, tuple[str, ...]] = {
    ServiceOrderStatus.SCHEDULED: (ServiceOrderStatus.IN_PROGRESS, ServiceOrderStatus.CANCELLED),
    ServiceOrderStatus.IN_PROGRESS: (ServiceOrderStatus.DONE, ServiceOrderStatus.CANCELLED),
    ServiceOrderStatus.DONE: (ServiceOrderStatus.SIGNED_OFF, ServiceOrderStatus.IN_PROGRESS),
    ServiceOrderStatus.SIGNED_OFF: (),
    ServiceOrderStatus.CANCELLED: (),
}
OPEN_SERVICE_ORDER_STATUSES = [
    ServiceOrderStatus.SCHEDULED.value,
    ServiceOrderStatus.IN_PROGRESS.value,
]


class ServiceOrderKind(models.TextChoices):
    CORRECTIVE = "corrective", _("From a ticket")
    PLANNED = "planned", _("Planned maintenance")
