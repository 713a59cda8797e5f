from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    PAGE_VIEW = "page_view", _("Page view")
    CUSTOM = "custom", _("Custom event")
    PRODUCT_VIEW = "product_view", _("Product view")
    ADD_TO_CART = "add_to_cart", _("Add to cart")
    IDENTIFY = "identify", _("Identify")


class Device(models.TextChoices):
    DESKTOP = "desktop", _("Desktop")
    MOBILE = "mobile", _("Mobile")
    TABLET = "tablet", _("Tablet")
    UNKNOWN = "unknown", _("Unknown")


class IdentitySource(models.TextChoices):
    TOKEN = "token", _("Signed token from the site")
    PORTAL = "portal", _("Portal sign-in")
    WEB_FORM = "web_form", _("Web form")
    CHAT = "chat", _("Chat")
    MESSAGE_LINK = "msg_link", _("Link in a message")


class MessageEventKind(models.TextChoices):
    OPEN = "open", _("Opened")
    CLICK = "click", _("Clicked")
    CONVERSION = "conversion", _("Converted")
