"""The seeder's calendar: weeks counted from today, so the history always ends today.

Week 0 runs from today to six days ahead; week -1 is the seven days before today; the
history covers weeks -26 to -1 (six months) and the upcoming sessions weeks 0 and 1.
A weekly slot is a day offset (0 to 6 days after the start of a week) and an hour.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

FIRST_WEEK = -26
LAST_WEEK = 1
WEEKS = range(FIRST_WEEK, LAST_WEEK + 1)
SATURDAY = 5


def week_start(today: dt.date, week: int) -> dt.date:
    return today + dt.timedelta(weeks=week)


def session_day(today: dt.date, week: int, offset: int) -> dt.date:
    return week_start(today, week) + dt.timedelta(days=offset)


def working_offsets(today: dt.date) -> tuple[int, ...]:
    """Day offsets the practice opens: Monday to Friday, and today whatever day it is (so a
    demo started at the weekend still finds a clinic running)."""
    return tuple(
        offset for offset in range(7)
        if offset == 0 or (today + dt.timedelta(days=offset)).weekday() < SATURDAY
    )


def local_datetime(day: dt.date, hour: int, minute: int, time_zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(time_zone))


def local_today(time_zone: str) -> dt.date:
    """Today's date in the practice's time zone (not the server's)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(time_zone)).date()
