"""The published working-day calendar, without the admin's overrides: the
``chinesecalendar`` package for the years it ships, and for other years Monday to Friday
less the statutory holidays on fixed dates.

It lives in the base layer, and asks no database, because the register needs it too: the
monthly reporting deadline (``projects.progress.deadline``) moves to the next working day
when it falls on a day off, and every page asks for the reporting period. The
issue deadlines' calendar (``inspections.workdays``) adds the admin's overrides on top.
"""

import functools
from datetime import date, timedelta

import chinese_calendar

ONE_DAY = timedelta(days=1)

# (month, day) of the statutory holidays on fixed dates, as the 全国年节及纪念日放假办法 sets
# them since 2025: whatever the year's 调休, these days are off. A weekend one is made up on
# a weekday only the published schedule names.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


@functools.lru_cache(maxsize=8192)
def official_workday(d: date) -> bool | None:
    """The package's answer, or None when it has no data for the year. Cached: the
    package's tables are fixed for the life of the process, and counting the working days
    an old deadline is overdue asks about every day since (make bench, issue list)."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        # chinesecalendar signals "no data for year N" (and only that, for a real date)
        # with NotImplementedError.
        return None


def fallback_workday(d: date) -> bool:
    return d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS


def published_workday(d: date) -> bool:
    official = official_workday(d)
    return fallback_workday(d) if official is None else official


def on_or_after_published_workday(d: date) -> date:
    """d when people work on it, else the next day they do."""
    while not published_workday(d):
        d += ONE_DAY
    return d
