"""Dates typed in either calendar: Persian users type Jalali, others Gregorian."""

from __future__ import annotations

import datetime as dt

import jdatetime

# No Gregorian date a CRM records is before 1700, and no Jalali one after it, so the year
# alone tells the calendar (1403/05/12 is Jalali, 2024-08-02 Gregorian).
JALALI_BEFORE_YEAR = 1700


def calendar_date(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of year/month/day read in the calendar its year implies.
    Raises ValueError for a day that does not exist in that calendar."""
    if year < JALALI_BEFORE_YEAR:
        return jdatetime.date(year, month, day).togregorian()
    return dt.date(year, month, day)


def day_of(value: dt.date | dt.datetime) -> dt.date:
    """The date of a truncated period: TruncMonth and friends give a datetime for datetime
    columns and a date for date columns, and the rate books want dates."""
    return value.date() if isinstance(value, dt.datetime) else value
