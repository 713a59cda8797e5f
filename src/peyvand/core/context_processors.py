from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language_bidi


def _perms(request: HttpRequest) -> dict[str, bool]:
    from peyvand.access.scopes import can, is_manager
    from peyvand.personalization.access import can_manage_offers

    user = request.user
    return {
        "is_manager": is_manager(user),
        "can_audit": can(user, "audit", "view"),
        "can_see_leads": can(user, "lead", "view"),
        "can_see_opportunities": can(user, "opportunity", "view"),
        "can_see_orders": can(user, "order", "view"),
        "can_transfer": can(user, "customer", "import") or can(user, "customer", "export"),
        "can_track": can(user, "tracking_site", "view"),
        "can_read_kb": can(user, "kb_article", "view"),
        "can_work_tickets": can(user, "ticket", "view"),
        "can_change_tickets": can(user, "ticket", "change"),
        "can_see_community": can(user, "forum_post", "view") or can(user, "idea", "view"),
        "can_work_orders": can(user, "service_order", "view"),
        "can_manage_offers": can_manage_offers(user),
        "can_segment": can(user, "segment", "view"),
        "can_suppress": can(user, "suppression", "view"),
        "can_loyalty": can(user, "loyalty", "view"),
        "can_campaign": can(user, "campaign", "view"),
        "can_attribute": can(user, "attribution", "view"),
        "can_publish_updates": can(user, "product", "change"),
        # Screen pops need a telephony system posting to our webhook; without one the page
        # opens no voice socket.
        "has_telephony": bool(settings.PEYVAND_VOICE_WEBHOOK_SECRET),
    }


def ui(request: HttpRequest) -> dict[str, Any]:
    return {
        "ui_dir": "rtl" if get_language_bidi() else "ltr",
        "perms_ui": SimpleLazyObject(lambda: _perms(request)),
    }
