"""The meetings calendar: parsed back with icalendar, time zones, stable UIDs, escaping,
the secret feed (revocable) and own-scope visibility."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from peyvand.sales.activities import issue_calendar_feed, plan_activity
from peyvand.sales.models import Activity
from tests.sales.pipeline_factories import make_opportunity


def _meeting(owner: Any, customer: Any, subject: str, **kwargs: Any) -> Activity:
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    return plan_activity(
        actor=owner,
        kind="meeting",
        subject=subject,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        opportunity=make_opportunity(customer, owner, title=f"Deal of {subject}"),
        **kwargs,
    )


def _events(body: bytes) -> list[Any]:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_download_parses_back_with_zone_uid_and_escaped_text(
    sales1: Any, sales2: Any, customer1: Any, client_for: Any
) -> None:
    tricky = "Review; pricing, نرخ\nline two 🌸"
    meeting = _meeting(sales1, customer1, tricky, location="Room 1, Tehran", attendees=[sales2])
    response = client_for(sales1).get(reverse("sales:calendar_download"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert b"Review\\; pricing\\, " in raw and b"BEGIN:VTIMEZONE" in raw
    (event,) = _events(raw)
    assert str(event["summary"]) == tricky
    assert str(event["location"]) == "Room 1, Tehran"
    assert event["dtstart"].dt == meeting.starts_at
    assert event["dtstart"].params["TZID"] == "Asia/Tehran"
    assert event["dtend"].dt - event["dtstart"].dt == dt.timedelta(hours=1)
    assert str(event["uid"]) == f"{meeting.uid}@peyvand"
    # icalendar gives one property as itself and several as a list.
    attendees = event["attendee"] if isinstance(event["attendee"], list) else [event["attendee"]]
    assert [str(a) for a in attendees] == ["mailto:sales2@peyvand.local"]
    assert str(event["organizer"]) == "mailto:sales1@peyvand.local"
    again = _events(client_for(sales1).get(reverse("sales:calendar_download")).content)
    assert str(again[0]["uid"]) == str(event["uid"])


def test_feed_is_secret_read_only_and_revocable(sales1: Any, customer1: Any, client: Any) -> None:
    _meeting(sales1, customer1, "Kickoff")
    raw = issue_calendar_feed(sales1)
    url = reverse("sales:calendar_feed", args=[raw])
    response = client.get(url)
    assert response.status_code == 200
    assert [str(e["summary"]) for e in _events(response.content)] == ["Kickoff"]
    assert client.post(url).status_code == 405
    assert client.get(reverse("sales:calendar_feed", args=["guess"])).status_code == 404
    renewed = issue_calendar_feed(sales1)
    assert client.get(url).status_code == 404
    assert client.get(reverse("sales:calendar_feed", args=[renewed])).status_code == 200


def test_revoke_from_the_settings_page(sales1: Any, client_for: Any, client: Any) -> None:
    page = client_for(sales1).post(reverse("sales:calendar"), {"action": "issue"})
    body = page.content.decode()
    assert page.status_code == 200
    start = body.index("/sales/calendar/feed/")
    path = body[start : body.index(".ics", start) + 4]
    assert client.get(path).status_code == 200
    client_for(sales1).post(reverse("sales:calendar"), {"action": "revoke"})
    assert client.get(path).status_code == 404


def test_own_scope_rep_never_gets_another_reps_meetings(
    sales1: Any, sales2: Any, customer1: Any, customer2: Any, client_for: Any
) -> None:
    _meeting(sales1, customer1, "Mine")
    # sales2 invites sales1 to a meeting about sales2's own deal: not sales1's to see.
    _meeting(sales2, customer2, "Theirs", attendees=[sales1])
    mine = _events(client_for(sales1).get(reverse("sales:calendar_download")).content)
    assert [str(e["summary"]) for e in mine] == ["Mine"]
    feed = issue_calendar_feed(sales2)
    theirs = _events(client_for(sales2).get(reverse("sales:calendar_feed", args=[feed])).content)
    assert [str(e["summary"]) for e in theirs] == ["Theirs"]
