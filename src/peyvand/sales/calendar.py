"""The iCalendar (RFC 5545) rendering of a user's meetings, for the download and the feed.

Times are written in the company's time zone with its TZID and VTIMEZONE (calendar clients
then show the right wall-clock time across DST changes); each meeting keeps its UID for
life so clients update an event instead of duplicating it, and SEQUENCE counts its edits.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from peyvand.sales.models import Activity

PRODID = "-//Peyvand//Peyvand e-CRM//EN"
UID_DOMAIN = "peyvand"


def meeting_uid(activity: Activity) -> str:
    return f"{activity.uid}@{UID_DOMAIN}"


def _description(activity: Activity) -> str:
    about = (
        _("Opportunity: %(title)s (%(customer)s)")
        % {"title": activity.opportunity, "customer": activity.opportunity.customer}
        if activity.opportunity is not None
        else _("Lead: %(lead)s") % {"lead": activity.lead}
    )
    return f"{about}\n\n{activity.notes}".strip()


def meetings_calendar(meetings: Iterable[Activity], *, name: str) -> bytes:
    zone = ZoneInfo(settings.TIME_ZONE)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    for meeting in meetings:
        event = Event()
        event.add("uid", meeting_uid(meeting))
        event.add("dtstamp", stamp)
        event.add("created", meeting.created_at)
        event.add("last-modified", meeting.updated_at)
        event.add("sequence", meeting.sequence)
        event.add("summary", meeting.subject)
        event.add("dtstart", meeting.starts_at.astimezone(zone))
        if meeting.ends_at is not None:
            event.add("dtend", meeting.ends_at.astimezone(zone))
        if meeting.location:
            event.add("location", meeting.location)
        event.add("description", _description(meeting))
        event.add("status", "CONFIRMED")
        if meeting.owner is not None and meeting.owner.email:
            organizer = vCalAddress(f"mailto:{meeting.owner.email}")
            organizer.params["cn"] = vText(meeting.owner.get_full_name() or meeting.owner.username)
            event.add("organizer", organizer)
        for person in meeting.attendees.all():
            if person.email:
                attendee = vCalAddress(f"mailto:{person.email}")
                attendee.params["cn"] = vText(person.get_full_name() or person.username)
                event.add("attendee", attendee)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
