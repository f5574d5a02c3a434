from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from django.utils import translation

from inspections import workdays
from inspections.models import WorkdayCalendarYear, WorkdayOverride
from inspections.workdays import WorkdayCalendar, calendar_coverage_warning

pytestmark = pytest.mark.django_db

YEAR_2026 = (date(2026, 1, 1), date(2026, 12, 31))

# The State Council's 2026 schedule, checked against the package below.
SPRING_FESTIVAL_2026 = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # 15–23 Feb
NATIONAL_DAY_2026 = [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]  # 1–7 Oct
ADJUSTED_WORKING_WEEKENDS_2026 = [
    date(2026, 1, 4),  # Sunday, New Year's Day
    date(2026, 2, 14),  # Saturday before Spring Festival
    date(2026, 2, 28),  # Saturday after Spring Festival
    date(2026, 5, 9),  # Saturday, Labour Day
    date(2026, 9, 20),  # Sunday before Mid-autumn / National Day
    date(2026, 10, 10),  # Saturday after National Day
]


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def package_add_workdays(start: date, n: int) -> date:
    """Oracle straight from the package."""
    day = start
    if n == 0:
        while not chinese_calendar.is_workday(day):
            day += timedelta(days=1)
        return day
    while n:
        day += timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day


@pytest.fixture
def calendar_2026() -> WorkdayCalendar:
    return WorkdayCalendar.for_range(*YEAR_2026)


# The package's 2026 schedule


def test_the_package_ships_the_known_2026_schedule():
    holidays = set(chinese_calendar.get_holidays(*YEAR_2026, include_weekends=False))
    assert {d for d in SPRING_FESTIVAL_2026 if d.weekday() < 5} <= holidays
    assert {d for d in NATIONAL_DAY_2026 if d.weekday() < 5} <= holidays
    worked_weekends = [
        d
        for d in chinese_calendar.get_workdays(*YEAR_2026, include_weekends=True)
        if d.weekday() >= 5
    ]
    assert worked_weekends == ADJUSTED_WORKING_WEEKENDS_2026


def test_without_overrides_every_2026_day_follows_the_package(calendar_2026):
    for day in days(*YEAR_2026):
        assert calendar_2026.is_workday(day) is chinese_calendar.is_workday(day), day
        assert calendar_2026.source(day) == "official"
    assert calendar_2026.is_covered(*YEAR_2026)
    assert calendar_2026.uncovered_dates(*YEAR_2026) == []


def test_add_workdays_agrees_with_the_package_for_every_2026_start(calendar_2026):
    for start in days(date(2026, 1, 1), date(2026, 11, 30)):
        for n in (0, 1, 2, 3, 5, 10):
            assert calendar_2026.add_workdays(start, n) == package_add_workdays(start, n), (
                start,
                n,
            )


# Spring Festival and National Day 2026


def test_add_workdays_across_spring_festival(calendar_2026):
    friday = date(2026, 2, 13)
    assert all(not calendar_2026.is_workday(d) for d in SPRING_FESTIVAL_2026)
    assert calendar_2026.add_workdays(friday, 1) == date(2026, 2, 14)  # 调休 Saturday
    assert calendar_2026.add_workdays(friday, 2) == date(2026, 2, 24)  # holidays skipped
    assert calendar_2026.add_workdays(friday, 5) == date(2026, 2, 27)
    assert calendar_2026.add_workdays(friday, 6) == date(2026, 2, 28)  # 调休 Saturday
    assert calendar_2026.add_workdays(friday, 7) == date(2026, 3, 2)


def test_add_workdays_across_mid_autumn_and_national_day(calendar_2026):
    assert calendar_2026.add_workdays(date(2026, 9, 18), 1) == date(2026, 9, 20)  # 调休 Sunday
    assert calendar_2026.add_workdays(date(2026, 9, 24), 1) == date(2026, 9, 28)  # 25–27 off
    wednesday = date(2026, 9, 30)
    assert all(not calendar_2026.is_workday(d) for d in NATIONAL_DAY_2026)
    assert calendar_2026.add_workdays(wednesday, 1) == date(2026, 10, 8)
    assert calendar_2026.add_workdays(wednesday, 3) == date(2026, 10, 10)  # 调休 Saturday
    assert calendar_2026.add_workdays(wednesday, 4) == date(2026, 10, 12)


def test_workdays_between_across_the_holidays(calendar_2026):
    # 14 Feb, then 24–28 Feb.
    assert calendar_2026.workdays_between(date(2026, 2, 13), date(2026, 2, 28)) == 6
    assert calendar_2026.workdays_between(date(2026, 2, 28), date(2026, 2, 13)) == -6
    assert calendar_2026.workdays_between(date(2026, 2, 14), date(2026, 2, 23)) == 0
    # 8, 9 and 10 Oct.
    assert calendar_2026.workdays_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert calendar_2026.workdays_between(date(2026, 10, 3), date(2026, 10, 3)) == 0


def test_workdays_between_inverts_add_workdays(calendar_2026):
    for start in days(date(2026, 9, 15), date(2026, 10, 15)):
        for n in range(1, 8):
            end = calendar_2026.add_workdays(start, n)
            assert calendar_2026.workdays_between(start, end) == n, (start, n)
            assert calendar_2026.workdays_between(end, start) == -n


def test_overdue_and_due_soon_read_naturally(calendar_2026):
    deadline = date(2026, 9, 30)
    # Due Wednesday before National Day; checked on the Thursday after it.
    assert calendar_2026.workdays_between(deadline, date(2026, 10, 8)) == 1  # overdue by 1
    # On Friday 18 Sep the deadline of Monday 21 Sep is 2 working days away (Sunday 20 worked).
    assert calendar_2026.workdays_between(date(2026, 9, 18), date(2026, 9, 21)) == 2


# Overrides


def test_an_override_beats_the_package():
    WorkdayOverride.objects.create(date=date(2026, 2, 24), is_workday=False, name="测试停工")
    WorkdayOverride.objects.create(date=date(2026, 2, 22), is_workday=True, name="测试调休")
    calendar = WorkdayCalendar.for_range(*YEAR_2026)

    assert chinese_calendar.is_workday(date(2026, 2, 24))
    assert not calendar.is_workday(date(2026, 2, 24))
    assert calendar.source(date(2026, 2, 24)) == "override"
    assert not chinese_calendar.is_workday(date(2026, 2, 22))
    assert calendar.is_workday(date(2026, 2, 22))
    assert calendar.source(date(2026, 2, 23)) == "official"

    assert calendar.add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 22)
    assert calendar.add_workdays(date(2026, 2, 14), 2) == date(2026, 2, 25)
    assert calendar.workdays_between(date(2026, 2, 13), date(2026, 2, 28)) == 6


# Years the package does not ship


def test_the_installed_package_does_not_ship_2027():
    """The tests below stand for "a year the package does not know"; 2027 is that year for
    chinesecalendar 1.11 (data for 2004–2026)."""
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_2027_without_package_data_keeps_the_fixed_date_holidays_and_warns():
    """Weekdays from a 2027 calendar: 1 Jan is a Friday (1 Jan 2026 was a Thursday, 2026
    has 365 days), so 1 May is a Saturday and 1 Oct a Friday. The fixed-date holidays are
    off whatever the schedule; the lunar ones are unknown, so Monday 8 Feb (two days after
    the 2027 Spring Festival) counts as a working day, and the warning says so."""
    calendar = WorkdayCalendar.for_range(date(2027, 1, 1), date(2027, 12, 31))
    new_year = date(2027, 1, 1)  # 元旦, a Friday
    assert not calendar.is_workday(new_year)
    assert calendar.source(new_year) == "fallback"
    assert not calendar.is_workday(date(2027, 1, 2))  # Saturday
    assert calendar.is_workday(date(2027, 1, 4))  # Monday
    assert not calendar.is_workday(date(2027, 5, 1))  # 劳动节, a Saturday
    assert not calendar.is_workday(date(2027, 5, 2))  # 劳动节, a Sunday
    assert calendar.is_workday(date(2027, 5, 3))  # a Monday: no 补休 without the schedule
    assert [calendar.is_workday(date(2027, 10, day)) for day in range(1, 6)] == [
        False,  # 国庆节, Friday
        False,  # 国庆节, Saturday
        False,  # 国庆节, Sunday
        True,  # Monday
        True,  # Tuesday
    ]
    assert calendar.is_workday(date(2027, 2, 8))  # 春节 cannot be known
    assert calendar.uncovered_years(date(2026, 12, 1), date(2027, 3, 1)) == [2027]
    assert calendar.uncovered_dates(date(2026, 12, 30), date(2027, 1, 2)) == [
        date(2027, 1, 1),
        date(2027, 1, 2),
    ]
    assert not calendar.is_covered(date(2026, 12, 30), date(2027, 1, 2))
    assert calendar.is_covered(date(2026, 12, 1), date(2026, 12, 31))
    # Thursday 31 Dec (official), then 1 Jan off and the weekend: Monday 4, Tuesday 5 Jan.
    assert calendar.add_workdays(date(2026, 12, 30), 2) == date(2027, 1, 4)
    assert calendar.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 5)
    assert calendar.add_workdays(new_year, 0) == date(2027, 1, 4)
    # 28, 29, 30 Sep, then 4 Oct.
    assert calendar.workdays_between(date(2027, 9, 27), date(2027, 10, 4)) == 4

    with translation.override("en"):
        warning = calendar_coverage_warning(date(2026, 12, 20), date(2027, 1, 10))
    assert warning == (
        "Working days from Jan. 1, 2027 on are estimated: the official holiday schedule for "
        "2027 has not been entered in full, so the lunar holidays (春节, 清明, 端午, 中秋) and "
        "adjusted working days (调休) may be missing."
    )
    with translation.override("en"):
        warning = calendar_coverage_warning(date(2027, 6, 1), date(2028, 1, 10))
    assert warning is not None
    assert "June 1, 2027" in warning
    assert "schedules for 2027, 2028 have" in warning
    assert calendar_coverage_warning(date(2026, 1, 1), date(2026, 12, 31)) is None


def test_an_override_in_2027_does_not_cover_the_year():
    """The admin enters 春节 before the rest of the schedule: that day is off, but the year
    is still unknown, and 1 Oct (a Friday) is still off by the fixed-date rule, not a
    working day as when one override used to cover the whole year."""
    WorkdayOverride.objects.create(date=date(2027, 2, 8), is_workday=False, name="春节")
    calendar = WorkdayCalendar.for_range(date(2027, 1, 1), date(2027, 12, 31))

    assert not calendar.is_workday(date(2027, 2, 8))
    assert calendar.source(date(2027, 2, 8)) == "override"
    assert not calendar.is_year_covered(2027)
    assert calendar.uncovered_years(date(2027, 1, 1), date(2027, 12, 31)) == [2027]
    assert not calendar.is_workday(date(2027, 10, 1))
    assert calendar_coverage_warning(date(2027, 9, 20), date(2027, 10, 8)) is not None


def test_completing_the_2027_calendar_covers_the_year():
    """Once the admin has entered the schedule and marked the year complete, there is no
    warning; an incomplete 2028 row, and the years with no row, still warn."""
    WorkdayOverride.objects.create(date=date(2027, 2, 8), is_workday=False, name="春节")
    WorkdayOverride.objects.create(date=date(2027, 2, 20), is_workday=True, name="春节调休")
    WorkdayCalendarYear.objects.create(year=2027, complete=True, note="国务院办公厅通知")
    WorkdayCalendarYear.objects.create(year=2028, complete=False)

    assert calendar_coverage_warning(date(2026, 12, 20), date(2027, 12, 31)) is None
    calendar = WorkdayCalendar.for_range(date(2027, 1, 1), date(2027, 12, 31))
    assert calendar.is_year_covered(2027)
    assert calendar.is_covered(date(2027, 1, 1), date(2027, 12, 31))
    assert calendar.uncovered_dates(date(2027, 1, 1), date(2027, 12, 31)) == []
    assert not calendar.is_workday(date(2027, 1, 1))  # 元旦, by the fixed-date rule
    assert not calendar.is_workday(date(2027, 2, 8))
    assert calendar.is_workday(date(2027, 2, 20))  # a Saturday
    # An ordinary weekday of a completed year: the fallback rule, but trusted.
    assert calendar.source(date(2027, 1, 4)) == "fallback"
    assert calendar.add_workdays(date(2026, 12, 30), 2) == date(2027, 1, 4)
    assert calendar.uncovered_years(date(2027, 12, 1), date(2029, 1, 31)) == [2028, 2029]
    assert calendar_coverage_warning(date(2027, 12, 1), date(2028, 1, 31)) is not None


def test_an_override_beats_the_fixed_date_rule():
    WorkdayOverride.objects.create(date=date(2027, 10, 1), is_workday=True, name="测试")
    assert workdays.is_workday(date(2027, 10, 1))


# Queries


def test_many_questions_over_a_range_cost_one_query(django_assert_num_queries):
    WorkdayOverride.objects.create(date=date(2026, 2, 24), is_workday=False, name="测试")
    with django_assert_num_queries(1):
        calendar = WorkdayCalendar.for_range(date(2026, 3, 1), date(2026, 10, 31))
        for day in days(*YEAR_2026):
            calendar.is_workday(day)
            calendar.source(day)
            # Deadlines past 31 Dec would need 2027 (one more query).
            if day.month < 12:
                calendar.add_workdays(day, 3)
        calendar.workdays_between(*YEAR_2026)
        calendar.is_covered(*YEAR_2026)
        calendar.uncovered_dates(*YEAR_2026)
        calendar_coverage_warning(*YEAR_2026, calendar=calendar)
    assert not calendar.is_workday(date(2026, 2, 24))


def test_a_date_outside_the_loaded_years_costs_one_more_query(django_assert_num_queries):
    WorkdayOverride.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    WorkdayOverride.objects.create(date=date(2024, 12, 31), is_workday=False, name="测试")
    calendar = WorkdayCalendar.for_range(*YEAR_2026)
    with django_assert_num_queries(1):
        assert not calendar.is_workday(date(2027, 1, 1))
    with django_assert_num_queries(1):
        assert calendar.add_workdays(date(2024, 12, 30), 1) == date(2025, 1, 2)
    with django_assert_num_queries(0):
        calendar.workdays_between(date(2024, 1, 1), date(2027, 12, 31))
    assert calendar.loaded_years == range(2024, 2028)
    with django_assert_num_queries(1):
        # Both sides at once still cost one query.
        calendar.workdays_between(date(2022, 6, 1), date(2029, 6, 1))
    assert calendar.loaded_years == range(2022, 2030)


def test_the_module_functions_cost_one_query_each(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert workdays.is_workday(date(2026, 2, 14))
    with django_assert_num_queries(1):
        assert workdays.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)
    with django_assert_num_queries(1):
        assert workdays.workdays_between(date(2026, 2, 28), date(2026, 2, 13)) == -6
    # The completed years only, and only for a year the package does not ship.
    with django_assert_num_queries(1):
        assert calendar_coverage_warning(date(2026, 12, 1), date(2027, 1, 31)) is not None
    with django_assert_num_queries(0):
        assert calendar_coverage_warning(date(2025, 12, 1), date(2026, 1, 31)) is None
    with django_assert_num_queries(1):
        assert (
            workdays.spans_coverage_warning(
                [(date(2027, 1, 5), date(2026, 12, 1)), (date(2028, 3, 1), date(2028, 3, 2))]
            )
            is not None
        )


# Edges


def test_n_zero_gives_the_start_or_the_next_working_day(calendar_2026):
    assert calendar_2026.add_workdays(date(2026, 3, 4), 0) == date(2026, 3, 4)  # Wednesday
    assert calendar_2026.add_workdays(date(2026, 3, 7), 0) == date(2026, 3, 9)  # Saturday
    assert calendar_2026.add_workdays(date(2026, 2, 14), 0) == date(2026, 2, 14)  # 调休
    assert calendar_2026.add_workdays(date(2026, 2, 15), 0) == date(2026, 2, 24)  # 春节


def test_weekends_and_holiday_starts(calendar_2026):
    assert calendar_2026.add_workdays(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday
    assert calendar_2026.add_workdays(date(2026, 3, 7), 1) == date(2026, 3, 9)  # Saturday
    assert calendar_2026.add_workdays(date(2026, 3, 8), 2) == date(2026, 3, 10)  # Sunday
    assert calendar_2026.add_workdays(date(2026, 2, 16), 1) == date(2026, 2, 24)  # 春节
    assert calendar_2026.add_workdays(date(2026, 10, 1), 3) == date(2026, 10, 10)  # 国庆
    assert calendar_2026.workdays_between(date(2026, 3, 7), date(2026, 3, 8)) == 0


def test_a_whole_year(calendar_2026):
    working = chinese_calendar.get_workdays(*YEAR_2026, include_weekends=True)
    assert len(working) == 248
    assert calendar_2026.workdays_between(date(2025, 12, 31), date(2026, 12, 31)) == 248
    assert calendar_2026.add_workdays(date(2025, 12, 31), 248) == date(2026, 12, 31)
    assert calendar_2026.add_workdays(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert calendar_2026.workdays_between(date(2026, 12, 31), date(2025, 12, 31)) == -248


def test_bad_arguments_are_refused(calendar_2026):
    with pytest.raises(ValueError):
        calendar_2026.add_workdays(date(2026, 3, 4), -1)
    with pytest.raises(TypeError):
        calendar_2026.is_workday(datetime(2026, 3, 4, 9, 0))  # noqa: DTZ001


def test_only_the_package_out_of_range_error_is_caught(monkeypatch, calendar_2026):
    def broken(day):
        raise RuntimeError("corrupt data")

    monkeypatch.setattr(chinese_calendar, "is_workday", broken)
    # The package's answers are cached per day; this test asks the package afresh.
    workdays._official_workday.cache_clear()
    with pytest.raises(RuntimeError, match="corrupt data"):
        calendar_2026.is_workday(date(2026, 3, 4))
