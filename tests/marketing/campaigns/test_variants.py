"""A/B/n through the service: the test share goes first, evenly; once every variant has
enough sent messages the one with the better response rate is the winner and goes to the
rest. A bandit queues waves, each leaning to the variant that responds better."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.channels.inbox.models import Message
from peyvand.marketing.campaigns.services import record_response, run_campaign, schedule_campaign
from peyvand.marketing.models import CampaignMessage
from tests.marketing.campaigns.conftest import make_campaign, member

pytestmark = pytest.mark.django_db


def _sent(campaign: Any) -> None:
    Message.objects.filter(campaign_message__campaign=campaign).update(status="sent")


def test_split_test_then_the_winner_to_the_rest(
    identity: Any, segment: Any, marketing1: Any
) -> None:
    for n in range(20):
        member(segment, email=f"p{n}@x.io", consent=("email",))
    campaign = make_campaign(
        segment,
        identity,
        marketing1,
        variants=2,
        test_mode="split",
        test_percent=20,
        winner_min_sent=2,
    )
    schedule_campaign(campaign.pk, actor=marketing1)
    assert run_campaign(campaign.pk).queued == 4
    rows = CampaignMessage.objects.filter(campaign=campaign)
    assert sorted(rows.values_list("variant__name", flat=True)) == ["A", "A", "B", "B"]
    assert set(rows.values_list("phase", flat=True)) == {"test"}
    # Not sent yet: not enough data, nothing more goes out.
    assert run_campaign(campaign.pk).queued == 0
    _sent(campaign)
    for row in rows.filter(variant__name="B")[:1]:
        assert record_response(row.pk, kind="click")
        assert not record_response(row.pk, kind="click")  # the first click counts
    assert run_campaign(campaign.pk).queued == 16
    campaign.refresh_from_db()
    assert campaign.winner is not None and campaign.winner.name == "B"
    assert campaign.status == "done"
    rest = CampaignMessage.objects.filter(campaign=campaign, phase="rest")
    assert rest.count() == 16
    assert set(rest.values_list("variant__name", flat=True)) == {"B"}


def test_bandit_waves_lean_to_the_better_variant(
    identity: Any, segment: Any, marketing1: Any
) -> None:
    for n in range(400):
        member(segment, email=f"b{n}@x.io", consent=("email",))
    campaign = make_campaign(segment, identity, marketing1, variants=2, test_mode="bandit")
    schedule_campaign(campaign.pk, actor=marketing1)
    waves = []
    while True:
        before = set(CampaignMessage.objects.filter(campaign=campaign).values_list("pk", flat=True))
        if not run_campaign(campaign.pk).queued:
            break
        _sent(campaign)
        wave = CampaignMessage.objects.filter(campaign=campaign).exclude(pk__in=before)
        waves.append(wave.filter(variant__name="B").count() / wave.count())
        # B always responds, A never does.
        for row in wave.filter(variant__name="B"):
            record_response(row.pk, kind="click")
    campaign.refresh_from_db()
    assert campaign.status == "done" and campaign.queued_count == 400
    assert len(waves) == 8  # waves of 50 (the minimum)
    assert waves[-1] > 0.9 and sum(waves[-3:]) / 3 > sum(waves[:1]) + 0.2
