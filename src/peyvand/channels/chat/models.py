"""The web-chat widgets: one per website that embeds the chat script tag."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel


def new_widget_key() -> str:
    # Public (it is in the page's script tag) but unguessable, so nobody opens chats on a
    # widget by counting keys.
    return secrets.token_urlsafe(12)


class ChatWidget(TimeStampedModel):
    """A website's chat. Browsers may connect only from `allowed_origins` (and from the
    CRM's own pages); new chats go to `department`."""

    name = models.CharField(_("name"), max_length=120)
    key = models.SlugField(_("public key"), max_length=40, unique=True, default=new_widget_key)
    allowed_origins = models.JSONField(
        _("allowed origins"),
        default=list,
        blank=True,
        help_text=_("Origins (scheme://host[:port]) whose pages may open the chat."),
    )
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("department"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")

    def __str__(self) -> str:
        return self.name
