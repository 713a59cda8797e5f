from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class TaskPriority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class TaskKind(models.TextChoices):
    TODO = "todo", _("To do")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    APPROVAL = "approval", _("Approval")
