from django.db import models
from django.utils.translation import gettext_lazy as _


class InteractionChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone call")
    CHAT = "chat", _("Chat")
    FAX = "fax", _("Fax")
    VISIT = "visit", _("Visit")
    WEBFORM = "webform", _("Web form")
    PORTAL = "portal", _("Portal")
    NOTE = "note", _("Note")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")
