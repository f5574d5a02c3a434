"""When the monthly briefing is made: BRIEFING_MONTHLY_WORKDAYS_AFTER_DEADLINE (3) working
days after the month's figures were due, so that its figures are reported and checked and
the round's late reporters are known. Dates worked out by hand from the 2026 calendar:

- November 2026: the 5 December deadline is a Saturday, so the figures are due on Monday
  7 December; three working days later (8, 9, 10) is Thursday 10 December.
- September 2026: the 5th of October falls in the National Day holiday (1–7 October), so
  the figures are due on Thursday 8 October; then Friday 9 and Saturday 10 October (a
  working Saturday under the year's 调休) and Monday 12 October: the 12th.
- October 2026: due Thursday 5 November; then 6, 9 and 10 November: Tuesday the 10th.
"""

from datetime import date, datetime

import pytest
from django.utils import timezone

from reports import periods, services
from reports.models import Briefing

pytestmark = pytest.mark.django_db

NOVEMBER = periods.parse(periods.MONTHLY, "2026-11")
OCTOBER = periods.parse(periods.MONTHLY, "2026-10")
SEPTEMBER = periods.parse(periods.MONTHLY, "2026-09")


def morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, tzinfo=timezone.get_current_timezone())


def test_a_months_briefing_is_due_three_working_days_after_its_figures():
    assert periods.due_on(NOVEMBER) == date(2026, 12, 10)
    assert periods.due_on(SEPTEMBER) == date(2026, 10, 12)
    assert periods.due_on(OCTOBER) == date(2026, 11, 10)
    # A week's is the Monday after it.
    week = periods.parse(periods.WEEKLY, "2026-W49")
    assert periods.due_on(week) == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (date(2026, 12, 1), "2026-10"),
        (date(2026, 12, 9), "2026-10"),
        (date(2026, 12, 10), "2026-11"),
        (date(2026, 10, 11), "2026-08"),
        (date(2026, 10, 12), "2026-09"),
    ],
)
def test_the_latest_month_due(today, month):
    assert periods.last_due(periods.MONTHLY, today).key == month


def test_the_daily_run_makes_each_month_once_on_its_day():
    """Beat runs the monthly job every morning: until 10 December it finds October's
    briefing (made on 10 November) and makes nothing; on the 10th it makes November's,
    and a second run that day joins it."""
    october = services.briefing_scheduled(kind="monthly", now=morning(date(2026, 12, 1)))
    assert (october.briefing.period, october.created) == ("2026-10", True)
    before = services.briefing_scheduled(kind="monthly", now=morning(date(2026, 12, 9)))
    assert (before.briefing.pk, before.created) == (october.briefing.pk, False)

    november = services.briefing_scheduled(kind="monthly", now=morning(date(2026, 12, 10)))
    again = services.briefing_scheduled(kind="monthly", now=morning(date(2026, 12, 10)))
    assert (november.briefing.period, november.created) == ("2026-11", True)
    assert (again.briefing.pk, again.created) == (november.briefing.pk, False)
    assert not november.briefing.is_preview


def test_asking_for_a_month_before_its_day_makes_a_preview(official):
    """On 3 December November has ended but its figures are due on the 7th: a briefing
    made now would freeze a month without its figures and stop the schedule from making
    the real one on the 10th."""
    asked = services.briefing_request(
        kind="monthly",
        period=NOVEMBER,
        trigger=Briefing.Trigger.MANUAL,
        by=official,
        now=morning(date(2026, 12, 3)),
    )
    assert asked.briefing.is_preview
    scheduled = services.briefing_scheduled(kind="monthly", now=morning(date(2026, 12, 10)))
    assert scheduled.created and not scheduled.briefing.is_preview


def test_the_catch_up_looks_only_at_months_that_are_due(settings):
    settings.BRIEFING_CATCH_UP_WEEKS, settings.BRIEFING_CATCH_UP_MONTHS = 0, 2
    queued = services.briefings_catch_up(now=morning(date(2026, 12, 9)))
    made = set(Briefing.objects.filter(pk__in=queued).values_list("period", flat=True))
    assert made == {"2026-09", "2026-10"}
