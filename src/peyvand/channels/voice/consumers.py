"""The agents' telephony socket: screen pops of incoming calls, in real time."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from peyvand.channels.voice.services import AGENTS_GROUP, user_group
from peyvand.core.text import to_persian_digits
from peyvand.customers.models import Customer


class VoiceConsumer(AsyncJsonWebsocketConsumer):
    groups: list[str] = []

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.joined = [AGENTS_GROUP, user_group(user.pk)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The socket only listens; agents act through the pages.
        return None

    async def voice_pop(self, event: dict[str, Any]) -> None:
        pop = await self._render(event)
        await self.send_json(pop)

    @database_sync_to_async
    def _render(self, event: dict[str, Any]) -> dict[str, Any]:
        """The pop as this agent may see it: the customer's name and 360 link only when the
        customer is visible to them, the number alone otherwise."""
        customer = None
        if event.get("customer_id"):
            customer = (
                Customer.objects.visible_to(self.user)
                .alive()
                .filter(pk=event["customer_id"])
                .only("pk", "display_name")
                .first()
            )
        language = getattr(self.user, "language", "") or "en"
        with translation.override(language):
            number = event.get("number") or ""
            shown = to_persian_digits(number) if language == "fa" else number
            pop: dict[str, Any] = {
                "type": "call",
                "call_id": event.get("call_id"),
                "number": shown,
                "title": _("Incoming call"),
                "close": _("Dismiss"),
            }
            if customer is not None:
                pop["name"] = customer.display_name
                pop["url"] = reverse("customers:detail", args=[customer.pk])
                pop["link"] = _("Open the customer")
            else:
                pop["name"] = _("Unknown caller")
                pop["url"] = reverse("customers:list") + "?q=" + number.lstrip("+")
                pop["link"] = _("Search customers")
        return pop
