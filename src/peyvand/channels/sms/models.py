"""One row per SMS gateway account, configurable for the HTTP APIs of common providers."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class RequestMethod(models.TextChoices):
    POST = "POST", "POST"
    GET = "GET", "GET"


class BodyFormat(models.TextChoices):
    FORM = "form", _("Form fields (application/x-www-form-urlencoded)")
    JSON = "json", _("JSON")
    QUERY = "query", _("Query string only")


class SmsGateway(TimeStampedModel):
    """How to hand one SMS to a provider over HTTP, and the secret its webhooks are signed
    with. The message goes in named parameters (`to_param`, `text_param`, `from_param`) or,
    for providers that want nested JSON, in `json_template`, whose string values may hold
    {to}, {text}, {sender} and {reference}. The provider's id for the message is read from
    the JSON answer at `response_id_path` (dotted, list positions as numbers: messages.0.id)."""

    audit_redacted_fields = ("auth_value", "webhook_secret")

    name = models.CharField(_("name"), max_length=80, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default gateway"), default=False)
    url = models.URLField(_("send URL"), max_length=500)
    method = models.CharField(
        _("HTTP method"), max_length=8, choices=RequestMethod.choices, default=RequestMethod.POST
    )
    body_format = models.CharField(
        _("request format"), max_length=8, choices=BodyFormat.choices, default=BodyFormat.FORM
    )
    auth_header = models.CharField(
        _("authentication header"),
        max_length=80,
        blank=True,
        help_text=_("For example Authorization or X-API-Key."),
    )
    auth_value = models.CharField(
        _("authentication value"),
        max_length=500,
        blank=True,
        help_text=_("For example: Bearer <token>. Leave empty to keep the stored value."),
    )
    sender_id = models.CharField(
        _("sender number or name"),
        max_length=32,
        blank=True,
        help_text=_("Shown to the recipient as the sender."),
    )
    to_param = models.CharField(_("recipient parameter"), max_length=60, default="to")
    text_param = models.CharField(_("text parameter"), max_length=60, default="text")
    from_param = models.CharField(_("sender parameter"), max_length=60, blank=True, default="from")
    json_template = models.TextField(
        _("JSON template"),
        blank=True,
        help_text=_(
            'Instead of the parameters: a JSON body such as {"messages": [{"to": "{to}", '
            '"body": "{text}"}]}.'
        ),
    )
    response_id_path = models.CharField(
        _("path of the message id in the answer"), max_length=200, blank=True
    )
    webhook_secret = models.CharField(
        _("webhook secret"), max_length=128, default=new_webhook_secret
    )

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("SMS gateway")
        verbose_name_plural = _("SMS gateways")

    def __str__(self) -> str:
        return self.name
