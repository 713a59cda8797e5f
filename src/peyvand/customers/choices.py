from django.db import models
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organisation")


class ContactKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    ADDRESS = "address", _("Address")
    MESSENGER = "messenger", _("Messenger")
    WEBSITE = "website", _("Website")


class Channel(models.TextChoices):
    """Channels a customer can be reached on; consent is recorded per channel and purpose."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Web chat")
    MESSENGER = "messenger", _("Messenger")
    POST = "post", _("Post")
    PORTAL = "portal", _("Portal")


class ConsentPurpose(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service messages")
    NEWSLETTER = "newsletter", _("Newsletter")
    PROFILING = "profiling", _("Profiling and analytics")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RelationshipKind(models.TextChoices):
    EMPLOYEE_OF = "employee_of", _("Employee of")
    HOUSEHOLD_OF = "household_of", _("Same household as")
    SUBSIDIARY_OF = "subsidiary_of", _("Subsidiary of")
    REFERRED_BY = "referred_by", _("Referred by")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes/no")
    CHOICE = "choice", _("Choice")
    EMAIL = "email", _("Email")
    URL = "url", _("Web address")
