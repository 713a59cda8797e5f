"""The collect endpoint's contract: what one batch from the snippet may hold. Anything else
is refused (extra fields, unknown types, oversize strings or properties)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

MAX_EVENTS_PER_BATCH = 500
MAX_PROPERTIES = 30
MAX_PROPERTY_KEY = 50
MAX_PROPERTY_TEXT = 500

AnonymousId = Annotated[
    str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
# Flat values only: what a profile or a segment can compare. Nested data would let one
# event carry an unbounded tree.
PropertyValue = str | int | float | bool | None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["page_view", "custom", "product_view", "add_to_cart", "identify"]
    name: Annotated[str, StringConstraints(max_length=100)] = ""
    url: Annotated[str, StringConstraints(max_length=2000)] = ""
    referrer: Annotated[str, StringConstraints(max_length=2000)] = ""
    properties: dict[str, Any] = Field(default_factory=dict)
    occurred_at: dt.datetime | None = None
    # identify only: a token the CRM signed (see services.issue_identify_token), never a
    # bare customer id a browser could make up.
    token: Annotated[str, StringConstraints(max_length=500)] = ""

    @field_validator("properties")
    @classmethod
    def _small_properties(cls, value: dict[str, Any]) -> dict[str, PropertyValue]:
        if not value:
            return value
        if len(value) > MAX_PROPERTIES:
            raise ValueError(_("Send at most %(count)s properties.") % {"count": MAX_PROPERTIES})
        if any(len(key) > MAX_PROPERTY_KEY or not key for key in value):
            raise ValueError(
                _("Property names have 1 to %(count)s characters.") % {"count": MAX_PROPERTY_KEY}
            )
        for key, item in value.items():
            if not isinstance(item, (str, int, float, bool)) and item is not None:
                raise ValueError(
                    _("Property “%(name)s”: send text, a number, true/false or null.")
                    % {"name": key}
                )
            if isinstance(item, str) and len(item) > MAX_PROPERTY_TEXT:
                raise ValueError(
                    _("Property “%(name)s”: at most %(count)s characters.")
                    % {"name": key, "count": MAX_PROPERTY_TEXT}
                )
        return value


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anonymous_id: AnonymousId
    events: list[EventIn] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)
    # The browser's clock when it sent the batch: event times are shifted by the difference
    # to ours, so a wrong client clock moves nothing.
    sent_at: dt.datetime | None = None
    # navigator.webdriver: automation says so itself.
    webdriver: bool = False
