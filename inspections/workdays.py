"""Chinese working days (工作日): the official holiday calendar with adjusted working weekends
(调休), for issue deadlines and "overdue by N working days".

A day is decided by, in order:

1. a ``WorkdayOverride`` row for that date (entered by the admin) -> source ``"override"``;
2. the ``chinesecalendar`` package, for the years it ships data for -> ``"official"``;
3. Monday to Friday, less the fixed-date statutory holidays every year has (元旦 1 January,
   劳动节 1–2 May, 国庆节 1–3 October) -> ``"fallback"``.

Coverage rule: a year is *covered* when the package ships it or when the admin has marked
that year's calendar complete (``WorkdayCalendarYear``). Overrides alone cover nothing: the
admin may enter one holiday long before the rest of the schedule. The fallback cannot know
the lunar holidays (春节, 清明, 端午, 中秋) or the 调休 weekends, so callers showing working
days that fall in an uncovered year should show ``calendar_coverage_warning``.

``WorkdayCalendar`` loads the overrides of whole calendar years in one query and answers
from memory; asking about a date outside the loaded years loads the missing years in one
more query, so answers are never wrong, only dearer. Coverage costs no query for the years
the package ships, and one for the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import ngettext

from hitech_zone.holidays import fallback_workday as _fallback_workday
from hitech_zone.holidays import official_workday as _official_workday
from inspections.models import WorkdayCalendarYear, WorkdayOverride

Source = Literal["override", "official", "fallback"]

ONE_DAY = timedelta(days=1)


def _check_date(d: object) -> date:
    # A datetime would silently miss the date-keyed overrides, and an aware one may sit on
    # the wrong calendar day; callers must convert in Asia/Shanghai first.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")
    return d


def _package_covers(year: int) -> bool:
    return _official_workday(date(year, 1, 1)) is not None


def _years(first: date, last: date) -> range:
    return range(first.year, last.year + 1)


class WorkdayCalendar:
    """Working-day arithmetic over the overrides of a span of whole years, held in memory."""

    def __init__(self) -> None:
        """An empty calendar; the first question loads what it needs (one query)."""
        self._overrides: dict[date, bool] = {}
        # Of the years the package does not ship: those whose completeness has been read,
        # and of them those the admin marked complete.
        self._completion_read: set[int] = set()
        self._complete_years: set[int] = set()
        self._first_year: int | None = None
        self._last_year: int | None = None
        # Jobs ask about thousands of issues with the same few deadlines (make bench).
        self._between: dict[tuple[date, date], int] = {}

    @classmethod
    def for_range(cls, start: date, end: date) -> WorkdayCalendar:
        """A calendar with the overrides of every year from start to end loaded (one query)."""
        calendar = cls()
        calendar.load(start, end)
        return calendar

    @property
    def loaded_years(self) -> range:
        """The years whose overrides are in memory."""
        if self._first_year is None or self._last_year is None:
            return range(0)
        return range(self._first_year, self._last_year + 1)

    def load(self, start: date, end: date) -> None:
        """Make sure the years from start to end are loaded: no query if they already are,
        otherwise one query for the missing years."""
        first, last = sorted((_check_date(start).year, _check_date(end).year))
        if self._first_year is None or self._last_year is None:
            missing = [(first, last)]
            self._first_year, self._last_year = first, last
        else:
            # Keep the loaded years contiguous, so one (first, last) pair describes them.
            missing = []
            if first < self._first_year:
                missing.append((first, self._first_year - 1))
                self._first_year = first
            if last > self._last_year:
                missing.append((self._last_year + 1, last))
                self._last_year = last
            if not missing:
                return
        condition = Q()
        for low, high in missing:
            condition |= Q(date__range=(date(low, 1, 1), date(high, 12, 31)))
        for day, workday in WorkdayOverride.objects.filter(condition).values_list(
            "date", "is_workday"
        ):
            self._overrides[day] = workday

    def is_workday(self, d: date) -> bool:
        """Whether people work on d (weekends worked under 调休 count as working days)."""
        self.load(d, d)
        return self._is_workday(d)

    def _is_workday(self, d: date) -> bool:
        # Caller has loaded d's year.
        if d in self._overrides:
            return self._overrides[d]
        official = _official_workday(d)
        if official is not None:
            return official
        return _fallback_workday(d)

    def source(self, d: date) -> Source:
        """Where the answer for d comes from: "override", "official" or "fallback"."""
        self.load(d, d)
        if d in self._overrides:
            return "override"
        if _official_workday(d) is not None:
            return "official"
        return "fallback"

    def add_workdays(self, start: date, n: int) -> date:
        """The date n working days after start, start itself not counted.

        n=0 gives start when it is a working day, else the next working day: a deadline
        "due the same day" that falls on a holiday is due when the office reopens. So for
        n >= 1 the result is the same whether start is a holiday or the working day before.
        """
        if n < 0:
            raise ValueError("n must be zero or more")
        self.load(start, start)
        day = start
        if n == 0:
            while not self._is_workday(day):
                day = self._step(day)
            return day
        remaining = n
        while remaining:
            day = self._step(day)
            if self._is_workday(day):
                remaining -= 1
        return day

    def _step(self, day: date) -> date:
        following = day + ONE_DAY
        if following.year != day.year:
            self.load(following, following)
        return following

    def workday_before(self, d: date) -> date:
        """The last working day before d."""
        day = _check_date(d) - ONE_DAY
        self.load(day, day)
        while not self._is_workday(day):
            previous = day - ONE_DAY
            if previous.year != day.year:
                self.load(previous, previous)
            day = previous
        return day

    def latest_day_before(self, end: date, workdays: int) -> date:
        """The latest day d, on or before end, with at least `workdays` working days after
        it up to end (``workdays_between(d, end) >= workdays``)."""
        day = end
        while self.workdays_between(day, end) < workdays:
            day -= ONE_DAY
        return day

    def workdays_between(self, a: date, b: date) -> int:
        """Working days after a up to and including b; negative (-(working days after b up to
        a)) when b is before a, zero when equal.

        Overdue by ``workdays_between(deadline, today)`` working days when positive; due
        within 2 working days when ``0 <= workdays_between(today, deadline) <= 2``.
        For n >= 1, ``workdays_between(s, add_workdays(s, n)) == n``.
        """
        if b < a:
            return -self.workdays_between(b, a)
        if (a, b) in self._between:
            return self._between[(a, b)]
        # Loading only ever adds other years, so an answer once given stays right.
        self.load(a, b)
        count = 0
        day = a + ONE_DAY
        while day <= b:
            count += self._is_workday(day)
            day += ONE_DAY
        self._between[(a, b)] = count
        return count

    def is_year_covered(self, year: int) -> bool:
        """Whether the package ships the year or the admin has marked its calendar complete."""
        return not self.uncovered_in([year])

    def uncovered_years(self, a: date, b: date) -> list[int]:
        """Years between a and b (either order) whose schedule is unknown."""
        first, last = sorted((_check_date(a), _check_date(b)))
        return self.uncovered_in(_years(first, last))

    def uncovered_in(self, years: Iterable[int]) -> list[int]:
        """Those of `years` whose schedule is unknown, in order (at most one query)."""
        unshipped = [year for year in sorted(years) if not _package_covers(year)]
        unread = set(unshipped) - self._completion_read
        if unread:
            # One query for every year in question the package does not ship.
            self._complete_years.update(
                WorkdayCalendarYear.objects.filter(year__in=unread, complete=True).values_list(
                    "year", flat=True
                )
            )
            self._completion_read |= unread
        return [year for year in unshipped if year not in self._complete_years]

    def uncovered_dates(self, a: date, b: date) -> list[date]:
        """Dates from a to b inclusive (either order) that follow the fallback rule
        because their year's schedule is unknown."""
        first, last = sorted((a, b))
        dates = []
        for year in self.uncovered_years(first, last):
            day = max(first, date(year, 1, 1))
            stop = min(last, date(year, 12, 31))
            while day <= stop:
                dates.append(day)
                day += ONE_DAY
        return dates

    def is_covered(self, a: date, b: date) -> bool:
        """Whether every date from a to b inclusive follows a known schedule."""
        return not self.uncovered_years(a, b)


def is_workday(d: date) -> bool:
    """Whether people work on d (one query)."""
    return WorkdayCalendar.for_range(d, d).is_workday(d)


def add_workdays(start: date, n: int) -> date:
    """The deadline n working days after start (one query, one more per year crossed);
    see ``WorkdayCalendar.add_workdays`` for n=0."""
    return WorkdayCalendar.for_range(start, start).add_workdays(start, n)


def workdays_between(a: date, b: date) -> int:
    """Working days after a up to and including b, negative when b < a (one query)."""
    return WorkdayCalendar.for_range(a, b).workdays_between(a, b)


def calendar_coverage_warning(
    start: date, end: date, calendar: WorkdayCalendar | None = None
) -> str | None:
    """A translated warning when some dates from start to end fall in a year whose schedule
    is unknown, else None. No query when the package ships every year in question."""
    return spans_coverage_warning([(start, end)], calendar)


def spans_coverage_warning(
    spans: Iterable[tuple[date, date]], calendar: WorkdayCalendar | None = None
) -> str | None:
    """`calendar_coverage_warning` for the dates of several spans (each in either order):
    one warning naming every uncovered year any of them touches. At most one query."""
    calendar = calendar or WorkdayCalendar()
    ordered = [sorted((_check_date(start), _check_date(end))) for start, end in spans]
    # Every year at once: one query for all the spans.
    calendar.uncovered_in({year for first, last in ordered for year in _years(first, last)})
    years: set[int] = set()
    first_uncovered: date | None = None
    for first, last in ordered:
        uncovered = calendar.uncovered_years(first, last)
        if uncovered:
            years.update(uncovered)
            day = max(first, date(uncovered[0], 1, 1))
            first_uncovered = min(first_uncovered or day, day)
    if first_uncovered is None:
        return None
    return coverage_warning_text(first_uncovered, sorted(years))


def coverage_warning_text(first_uncovered: date, years: list[int]) -> str:
    """The warning for working days counted from `first_uncovered` on, in the active language."""
    return ngettext(
        "Working days from %(date)s on are estimated: the official holiday schedule for "
        "%(years)s has not been entered in full, so the lunar holidays (春节, 清明, 端午, "
        "中秋) and adjusted working days (调休) may be missing.",
        "Working days from %(date)s on are estimated: the official holiday schedules for "
        "%(years)s have not been entered in full, so the lunar holidays (春节, 清明, 端午, "
        "中秋) and adjusted working days (调休) may be missing.",
        len(years),
    ) % {
        "date": date_format(first_uncovered, "DATE_FORMAT"),
        "years": ", ".join(str(y) for y in years),
    }
