"""Business time: adding working seconds to an instant, and counting them between two, on
a calendar's weekly hours and holidays in its own time zone. SLA targets are business
minutes, so a ticket opened on Thursday afternoon in Tehran is due on Saturday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import jdatetime

from peyvand.service.models import BusinessCalendar, Holiday

# Farthest a target may reach; a calendar without working hours would otherwise loop forever.
MAX_DAYS = 3 * 366

# Official holidays fixed in the Jalali calendar: (month, day, English, Persian). Holidays
# of the lunar calendar move every year and are entered as data by an administrator.
IRANIAN_FIXED_HOLIDAYS = [
    (1, 1, "Nowruz", "نوروز"),
    (1, 2, "Nowruz", "نوروز"),
    (1, 3, "Nowruz", "نوروز"),
    (1, 4, "Nowruz", "نوروز"),
    (1, 12, "Islamic Republic Day", "روز جمهوری اسلامی"),
    (1, 13, "Nature Day", "روز طبیعت"),
    (3, 14, "Death of Imam Khomeini", "رحلت امام خمینی"),
    (3, 15, "Khordad 15 uprising", "قیام ۱۵ خرداد"),
    (11, 22, "Revolution Day", "پیروزی انقلاب اسلامی"),
    (12, 29, "Oil Nationalisation Day", "ملی شدن صنعت نفت"),
]


class BusinessClock:
    def __init__(self, calendar: BusinessCalendar) -> None:
        self.zone = ZoneInfo(calendar.time_zone)
        self.week = {
            int(day): [(_hm(a), _hm(b)) for a, b in spans]
            for day, spans in (calendar.weekly_hours or {}).items()
        }
        self.holidays = set(
            Holiday.objects.filter(calendar=calendar).values_list("date", flat=True)
        )

    def _spans(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            if day not in self.holidays:
                for begin, end in self.week.get(day.isoweekday(), []):
                    yield (
                        dt.datetime.combine(day, begin, self.zone),
                        dt.datetime.combine(day, end, self.zone),
                    )
            day += dt.timedelta(days=1)

    def _spans_back(self, end: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        day = end.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            if day not in self.holidays:
                for begin, stop in reversed(self.week.get(day.isoweekday(), [])):
                    yield (
                        dt.datetime.combine(day, begin, self.zone),
                        dt.datetime.combine(day, stop, self.zone),
                    )
            day -= dt.timedelta(days=1)

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant `seconds` of working time after `start`."""
        remaining = float(seconds)
        for begin, end in self._spans(start):
            if end <= start:
                continue
            begin = max(begin, start)
            available = (end - begin).total_seconds()
            if remaining <= available:
                return begin + dt.timedelta(seconds=remaining)
            remaining -= available
        # No working hours within reach (an empty calendar): count calendar time instead.
        return start + dt.timedelta(seconds=seconds)

    def subtract(self, end: dt.datetime, seconds: float) -> dt.datetime:
        """The instant `seconds` of working time before `end`."""
        remaining = float(seconds)
        for begin, stop in self._spans_back(end):
            if begin >= end:
                continue
            stop = min(stop, end)
            available = (stop - begin).total_seconds()
            if remaining <= available:
                return stop - dt.timedelta(seconds=remaining)
            remaining -= available
        return end - dt.timedelta(seconds=seconds)

    def between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working seconds from `start` to `end` (0 if end is not after start)."""
        if end <= start:
            return 0
        total = 0.0
        for begin, stop in self._spans(start):
            if begin >= end:
                break
            if stop <= start:
                continue
            total += (min(stop, end) - max(begin, start)).total_seconds()
        return int(total)


def _hm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def load_iranian_holidays(calendar: BusinessCalendar, jalali_year: int) -> int:
    """Add the fixed official holidays of one Jalali year; returns how many were new."""
    added = 0
    for month, day, name, name_fa in IRANIAN_FIXED_HOLIDAYS:
        date = jdatetime.date(jalali_year, month, day).togregorian()
        _obj, created = Holiday.objects.get_or_create(
            calendar=calendar, date=date, defaults={"name": name, "name_fa": name_fa}
        )
        added += created
    return added
