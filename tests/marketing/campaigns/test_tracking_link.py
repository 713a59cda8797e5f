"""Campaigns and tracking meet on the outbox message: a campaign's messages carry its key
(their links' utm_campaign and the engagement report's grouping), and a person's click or
an order after it credits the variant that sent it."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.marketing.campaigns.services import run_campaign, schedule_campaign
from peyvand.marketing.models import CampaignMessage
from peyvand.tracking.models import TrackedMessage
from peyvand.tracking.services import record_message_event
from tests.marketing.campaigns.conftest import make_campaign, member
from tests.tracking.conftest import BROWSER

pytestmark = pytest.mark.django_db

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_a_click_credits_the_campaign_message(identity: Any, segment: Any, marketing1: Any) -> None:
    for n in range(2):
        member(segment, email=f"p{n}@x.io", consent=("email",))
    campaign = make_campaign(segment, identity, marketing1, name="Spring <b>sale</b>")
    schedule_campaign(campaign.pk, actor=marketing1)
    assert run_campaign(campaign.pk).queued == 2
    first, second = CampaignMessage.objects.filter(campaign=campaign).order_by("pk")
    keys = TrackedMessage.objects.filter(message__campaign_message__campaign=campaign)
    assert set(keys.values_list("campaign_key", flat=True)) == {f"{campaign.pk}-spring-bsaleb"}

    record_message_event(first.message_id, "click", user_agent=BOT)  # a bot credits nothing
    first.refresh_from_db()
    assert first.clicked_at is None
    event = record_message_event(first.message_id, "click", user_agent=BROWSER)
    record_message_event(first.message_id, "click", user_agent=BROWSER)  # a repeat: no change
    first.refresh_from_db()
    second.refresh_from_db()
    assert event is not None and first.clicked_at == event.at
    assert second.clicked_at is None
