"""Briefing periods: an ISO week (``2026-W44``, Monday to Sunday) or a calendar month
(``2026-10``)."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from inspections import workdays
from projects import progress

WEEKLY = "weekly"
MONTHLY = "monthly"

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date
    end: date

    @property
    def key(self) -> str:
        if self.kind == WEEKLY:
            year, week, _day = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        """The period's name on the briefing, its e-mail and the lists: 2026年第48期 (a
        weekly briefing is numbered by its ISO week, as a bulletin by its issue) or
        2026年11月. The key ('2026-W48') stays for addresses and storage."""
        if self.kind == WEEKLY:
            year, week, _day = self.start.isocalendar()
            return _("Week %(week)d, %(year)d") % {"week": week, "year": year}
        return _("%(year)d-%(month)02d") % {"year": self.start.year, "month": self.start.month}

    def next(self) -> "Period":
        return containing(self.kind, self.end + timedelta(days=1))

    def previous(self) -> "Period":
        return containing(self.kind, self.start - timedelta(days=1))

    def __str__(self) -> str:
        return self.key


def containing(kind: str, day: date) -> Period:
    if kind == WEEKLY:
        start = day - timedelta(days=day.weekday())
        return Period(WEEKLY, start, start + timedelta(days=6))
    if kind == MONTHLY:
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return Period(MONTHLY, start, following - timedelta(days=1))
    raise PeriodError(_("Unknown briefing type “%(kind)s”.") % {"kind": kind})


def parse(kind: str, text: str) -> Period:
    """``2026-W44`` for a weekly briefing, ``2026-10`` for a monthly one."""
    text = text.strip()
    pattern = _WEEK if kind == WEEKLY else _MONTH if kind == MONTHLY else None
    if pattern is None:
        raise PeriodError(_("Unknown briefing type “%(kind)s”.") % {"kind": kind})
    match = pattern.match(text)
    if not match:
        example = "2026-W44" if kind == WEEKLY else "2026-10"
        raise PeriodError(
            _("“%(text)s” is not a period; write it like %(example)s.")
            % {"text": text, "example": example}
        )
    year, number = int(match[1]), int(match[2])
    try:
        first_day = (
            date.fromisocalendar(year, number, 1) if kind == WEEKLY else date(year, number, 1)
        )
        # The last week or month of year 9999 ends past the last date there is.
        return containing(kind, first_day)
    except (ValueError, OverflowError) as error:
        raise PeriodError(_("“%(text)s” is not a period.") % {"text": text}) from error


def last_complete(kind: str, today: date) -> Period:
    """The latest period that has ended before `today`: last week on a Monday, last month
    on the 1st."""
    return containing(kind, today).previous()


def recent_complete(kind: str, today: date, count: int) -> list[Period]:
    """The `count` latest ended periods, oldest first."""
    periods = [last_complete(kind, today)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return list(reversed(periods))


def due_on(period: Period) -> date:
    """The day a period's briefing is made. A week's: the Monday after it. A month's:
    BRIEFING_MONTHLY_WORKDAYS_AFTER_DEADLINE working days after its figures were due (the
    monthly round's deadline), so that the month's figures are reported and checked, and
    its late reporters known, when the leader reads it. One query for a month."""
    if period.kind == WEEKLY:
        return period.end + timedelta(days=1)
    deadline = progress.deadline(period.start.year, period.start.month)
    return workdays.add_workdays(deadline, settings.BRIEFING_MONTHLY_WORKDAYS_AFTER_DEADLINE)


def last_due(kind: str, today: date) -> Period:
    """The latest period whose briefing is due by `today`: last week on a Monday; for a
    month, the month before last until the day last month's briefing is due."""
    period = last_complete(kind, today)
    while due_on(period) > today:
        period = period.previous()
    return period


def recent_due(kind: str, today: date, count: int) -> list[Period]:
    """The `count` latest periods whose briefings are due by `today`, oldest first."""
    periods = [last_due(kind, today)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return list(reversed(periods))
