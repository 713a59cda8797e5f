"""Scheduling with a controlled clock: the local send time in each recipient's time zone,
quiet hours (also across midnight), and the throttle per minute; all of it lands in the
outbox's due time, so the outbox sends nothing early."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from peyvand.channels.inbox.delivery import due_messages
from peyvand.channels.inbox.models import Message
from peyvand.marketing.campaigns.services import run_campaign, schedule_campaign
from peyvand.marketing.models import CampaignMessage
from tests.marketing.campaigns.conftest import make_campaign, member

pytestmark = pytest.mark.django_db

TEHRAN, LONDON = ZoneInfo("Asia/Tehran"), ZoneInfo("Europe/London")


def scheduled(campaign: Any) -> dict[str, dt.datetime]:
    return {
        row.customer.first_name: row.message.next_attempt_at
        for row in CampaignMessage.objects.filter(campaign=campaign).select_related(
            "customer", "message"
        )
    }


def test_local_send_time_in_each_recipients_time_zone(
    identity: Any, segment: Any, marketing1: Any
) -> None:
    member(segment, email="a@x.io", consent=("email",), first_name="tehran")
    member(
        segment,
        email="b@x.io",
        consent=("email",),
        first_name="london",
        custom={"time_zone": "Europe/London"},
    )
    member(
        segment,
        email="c@x.io",
        consent=("email",),
        first_name="bad",
        custom={"time_zone": "Mars/Base"},
    )
    campaign = make_campaign(
        segment, identity, marketing1, local_time=dt.time(10, 0), time_zone="Asia/Tehran"
    )
    schedule_campaign(campaign.pk, actor=marketing1)
    # 12:00 in Tehran: today's 10:00 has passed there (tomorrow), not yet in London (08:30).
    now = dt.datetime(2027, 3, 2, 12, 0, tzinfo=TEHRAN)
    run_campaign(campaign.pk, now=now)
    times = scheduled(campaign)
    assert times["tehran"] == dt.datetime(2027, 3, 3, 10, 0, tzinfo=TEHRAN)
    assert times["london"] == dt.datetime(2027, 3, 2, 10, 0, tzinfo=LONDON)
    # An unknown zone falls back to the campaign's.
    assert times["bad"] == dt.datetime(2027, 3, 3, 10, 0, tzinfo=TEHRAN)
    # Nothing is due before its time, so the outbox does not send early.
    assert not set(due_messages()) & set(Message.objects.values_list("pk", flat=True))


def test_quiet_hours_across_midnight_move_the_send_to_their_end(
    identity: Any, segment: Any, marketing1: Any
) -> None:
    member(segment, email="a@x.io", consent=("email",), first_name="night")
    campaign = make_campaign(
        segment,
        identity,
        marketing1,
        quiet_start=dt.time(22, 0),
        quiet_end=dt.time(8, 0),
        time_zone="Asia/Tehran",
    )
    schedule_campaign(campaign.pk, actor=marketing1)
    run_campaign(campaign.pk, now=dt.datetime(2027, 3, 2, 23, 30, tzinfo=TEHRAN))
    assert scheduled(campaign)["night"] == dt.datetime(2027, 3, 3, 8, 0, tzinfo=TEHRAN)


def test_outside_quiet_hours_it_goes_at_once(identity: Any, segment: Any, marketing1: Any) -> None:
    member(segment, email="a@x.io", consent=("email",), first_name="day")
    campaign = make_campaign(
        segment, identity, marketing1, quiet_start=dt.time(22, 0), quiet_end=dt.time(8, 0)
    )
    schedule_campaign(campaign.pk, actor=marketing1)
    now = dt.datetime(2027, 3, 2, 12, 0, tzinfo=TEHRAN)
    run_campaign(campaign.pk, now=now)
    assert scheduled(campaign)["day"] == now


def test_throttle_spreads_messages_over_minutes_and_respects_quiet_hours(
    identity: Any, segment: Any, marketing1: Any
) -> None:
    for n in range(7):
        member(segment, email=f"p{n}@x.io", consent=("email",), first_name=f"p{n}")
    campaign = make_campaign(
        segment,
        identity,
        marketing1,
        throttle_per_minute=3,
        quiet_start=dt.time(21, 1),
        quiet_end=dt.time(9, 0),
    )
    schedule_campaign(campaign.pk, actor=marketing1)
    now = dt.datetime(2027, 3, 2, 21, 0, 10, tzinfo=TEHRAN)
    run_campaign(campaign.pk, now=now)
    times = sorted(scheduled(campaign).values())
    minutes = [t.astimezone(TEHRAN).replace(second=0, microsecond=0) for t in times]
    # Three in the minute that started the send; the fourth would fall in the quiet hours
    # (21:01), so it and the rest wait for 09:00, three a minute.
    assert minutes.count(dt.datetime(2027, 3, 2, 21, 0, tzinfo=TEHRAN)) == 3
    assert minutes.count(dt.datetime(2027, 3, 3, 9, 0, tzinfo=TEHRAN)) == 3
    assert minutes.count(dt.datetime(2027, 3, 3, 9, 1, tzinfo=TEHRAN)) == 1


def test_send_after_holds_everything_until_then(
    identity: Any, segment: Any, marketing1: Any
) -> None:
    member(segment, email="a@x.io", consent=("email",), first_name="later")
    later = dt.datetime(2027, 4, 1, 9, 0, tzinfo=TEHRAN)
    campaign = make_campaign(segment, identity, marketing1, send_after=later)
    schedule_campaign(campaign.pk, actor=marketing1)
    run_campaign(campaign.pk, now=dt.datetime(2027, 3, 2, 12, 0, tzinfo=TEHRAN))
    assert scheduled(campaign)["later"] == later


def test_pause_holds_queued_messages_and_resume_puts_them_back_on_time(
    identity: Any, segment: Any, marketing1: Any
) -> None:
    from peyvand.marketing.campaigns.services import pause_campaign

    member(segment, email="a@x.io", consent=("email",), first_name="held")
    later = dt.datetime(2027, 4, 1, 9, 0, tzinfo=TEHRAN)
    campaign = make_campaign(segment, identity, marketing1, send_after=later)
    schedule_campaign(campaign.pk, actor=marketing1)
    run_campaign(campaign.pk, now=dt.datetime(2027, 3, 2, 12, 0, tzinfo=TEHRAN))
    pause_campaign(campaign.pk, actor=marketing1)
    assert scheduled(campaign)["held"] is None
    schedule_campaign(campaign.pk, actor=marketing1)
    run_campaign(campaign.pk, now=dt.datetime(2027, 3, 3, 12, 0, tzinfo=TEHRAN))
    assert scheduled(campaign)["held"] == later
