"""A deadline that falls on a day off is due on the next working day: the deadline colours,
the SQL cut-offs (project lights, alerts, the overdue filter, the dashboard), the daily
notices and the weekly briefing all count from that day.

Dates, from the 2026 calendar the package ships: Saturday 14 November is a weekend day, so
an issue due then is due on Monday 16 November; Monday 5 October falls in the National Day
holiday (1–7 October), so an issue due then is due on Thursday 8 October. Saturday 10
October is an adjusted working day (调休). The red threshold is more than 5 working days.
"""

from datetime import date, datetime

import pytest

from hitech_zone.permissions import Role
from inspections import deadlines, notifications, selectors, workdays
from inspections.filters import IssueFilterSet
from inspections.models import DepartmentMember, Issue, Notification
from reports import selectors as report_selectors
from reports import signals
from reports.briefings import snapshot_build
from reports.periods import WEEKLY, containing
from tests import factories
from tests.clock import ZONE

pytestmark = pytest.mark.django_db

Status = Issue.Status


@pytest.fixture
def department():
    return factories.DepartmentFactory(code="hr", name="组织人事劳动局")


@pytest.fixture
def department_user(role_user, department):
    user = role_user(Role.DEPARTMENT, username="hr-clerk", email="hr@example.cn")
    DepartmentMember.objects.create(user=user, department=department)
    return user


def running(deadline: date, department, **kwargs) -> Issue:
    return factories.IssueFactory(
        status=Status.IN_PROGRESS, department=department, deadline=deadline, **kwargs
    )


def states(issues: list[Issue], today: date) -> dict[date, str | None]:
    return {
        issue.deadline: issue.deadline_state
        for issue in deadlines.with_deadline_states(issues, today=today)
    }


def test_a_saturday_deadline_is_due_on_monday(department):
    """Due Saturday 14 Nov means due Monday 16 Nov: on Monday it is due today (due soon,
    not overdue, as it was before), on Tuesday one working day late."""
    issue = running(date(2026, 11, 14), department)
    calendar = workdays.WorkdayCalendar.for_range(date(2026, 11, 1), date(2026, 11, 30))
    assert deadlines.due_day(date(2026, 11, 14), calendar) == date(2026, 11, 16)
    assert deadlines.due_day(date(2026, 11, 13), calendar) == date(2026, 11, 13)  # Friday

    assert states([issue], date(2026, 11, 13)) == {date(2026, 11, 14): "due_soon"}
    assert states([issue], date(2026, 11, 16)) == {date(2026, 11, 14): "due_soon"}
    assert states([issue], date(2026, 11, 17)) == {date(2026, 11, 14): "overdue"}
    late = [
        deadlines.workdays_overdue(date(2026, 11, 14), today=day, calendar=calendar)
        for day in (date(2026, 11, 15), date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18))
    ]
    assert late == [None, None, 1, 2]


def test_a_deadline_in_the_national_day_holiday_is_due_when_the_office_reopens(department):
    """Due 5 Oct (holiday) means due Thursday 8 Oct. Working days after 8 Oct: 9, 10
    (调休), 12, 13, 14, 15. So it is overdue from the 9th, and red (more than 5) only on the
    15th; a deadline of Wednesday 30 Sep, one working day earlier, is red on the 14th."""
    issues = [running(date(2026, 9, 30), department), running(date(2026, 10, 5), department)]
    assert states(issues, date(2026, 10, 8)) == {
        date(2026, 9, 30): "overdue",  # the 8th: one working day late
        date(2026, 10, 5): "due_soon",  # due today
    }
    assert states(issues, date(2026, 10, 9)) == {
        date(2026, 9, 30): "overdue",
        date(2026, 10, 5): "overdue",
    }
    assert states(issues, date(2026, 10, 14)) == {
        date(2026, 9, 30): "late",  # 8, 9, 10, 12, 13, 14: six
        date(2026, 10, 5): "overdue",  # 9, 10, 12, 13, 14: five
    }
    assert states(issues, date(2026, 10, 15)) == {
        date(2026, 9, 30): "late",
        date(2026, 10, 5): "late",
    }


def test_the_sql_cut_offs_agree_with_the_deadline_colours(department):
    """`issues_overdue` (project lights, alerts) ranks 1 for overdue and 2 for red, by the
    same days as the test above; the issue list's overdue rank and filter, and the
    dashboard's count, take the same cut-off: the last working day before today."""
    for deadline in (date(2026, 9, 30), date(2026, 10, 5), date(2026, 10, 8)):
        running(deadline, department)

    def ranks(as_of: date) -> dict[date, int]:
        return dict(deadlines.issues_overdue(as_of).values_list("deadline", "overdue_rank"))

    calendar = workdays.WorkdayCalendar.for_range(date(2026, 9, 1), date(2026, 10, 31))
    assert deadlines.last_overdue_deadline(date(2026, 10, 8), calendar) == date(2026, 9, 30)
    assert deadlines.last_overdue_deadline(date(2026, 10, 9), calendar) == date(2026, 10, 8)
    # Six working days back from the 14th is the 7th, a holiday: its deadlines are due on
    # the 8th, five working days back, so the red cut-off is the working day before.
    assert deadlines.red_cutoff(date(2026, 10, 14), calendar) == date(2026, 9, 30)

    assert ranks(date(2026, 10, 8)) == {date(2026, 9, 30): 1}
    assert ranks(date(2026, 10, 9)) == {
        date(2026, 9, 30): 1,
        date(2026, 10, 5): 1,
        date(2026, 10, 8): 1,
    }
    assert ranks(date(2026, 10, 14)) == {
        date(2026, 9, 30): 2,
        date(2026, 10, 5): 1,
        date(2026, 10, 8): 1,
    }
    assert ranks(date(2026, 10, 15)) == {
        date(2026, 9, 30): 2,
        date(2026, 10, 5): 2,
        date(2026, 10, 8): 2,
    }


def test_the_issue_list_filter_and_the_dashboard_count_from_the_due_day(
    official, department, time_machine
):
    """On Thursday 8 Oct only the 30 Sep deadline is overdue: the 5 Oct one is due that day."""
    time_machine.move_to(datetime(2026, 10, 8, 10, 0, tzinfo=ZONE))
    for deadline in (date(2026, 9, 30), date(2026, 10, 5)):
        running(deadline, department)
    today = date(2026, 10, 8)

    listed = selectors.issue_list(user=official, as_of=today)
    assert dict(listed.values_list("deadline", "overdue_rank")) == {
        date(2026, 9, 30): 0,
        date(2026, 10, 5): 1,
    }
    filtered = IssueFilterSet({"overdue": "1"}, queryset=listed, user=official).qs
    assert [issue.deadline for issue in filtered] == [date(2026, 9, 30)]
    dashboard = report_selectors.dashboard(user=official, as_of=today)
    assert (dashboard.open_issue_count, dashboard.overdue_issue_count) == (2, 1)


def test_the_daily_notice_says_due_soon_on_the_due_day_and_overdue_after(
    official, department, department_user
):
    """Due 5 Oct: on the 8th the department is told it is due (one notice); on the 9th the
    department and the official who assigned it are told it is overdue (two)."""
    issue = running(date(2026, 10, 5), department, raised_by=official, assigned_by=official)

    assert notifications.notify_deadlines(today=date(2026, 10, 8)) == 1
    assert notifications.notify_deadlines(today=date(2026, 10, 9)) == 2
    assert set(Notification.objects.values_list("kind", "recipient__username")) == {
        (Notification.Kind.DUE_SOON, "hr-clerk"),
        (Notification.Kind.OVERDUE, "hr-clerk"),
        (Notification.Kind.OVERDUE, "t-official"),
    }
    assert set(Notification.objects.values_list("issue_id", flat=True)) == {issue.pk}


def test_the_overdue_alert_counts_working_days_from_the_due_day(department):
    """Due 5 Oct, i.e. the 8th: no alert on the 8th; on the 12th it is 9, 10 and 12 Oct,
    three working days late (counting from the 5th would have said four)."""
    issue = running(date(2026, 10, 5), department)
    assert signals.issue_overdue(date(2026, 10, 8)) == []
    [finding] = signals.issue_overdue(date(2026, 10, 12))
    assert finding.subject_key == f"issue:{issue.pk}"
    assert finding.severity == "yellow"
    assert finding.detail == {"issue": issue.title, "deadline": "2026-10-05", "workdays": 3}


def test_the_weekly_briefing_lists_an_issue_overdue_by_its_due_day(department, time_machine):
    """The week of 9–15 Nov, made on Monday the 16th: due Friday the 13th is overdue by
    Sunday the 15th, with no working day lost yet (0); due Saturday the 14th is due on
    Monday the 16th, not yet."""
    time_machine.move_to(datetime(2026, 11, 2, 10, 0, tzinfo=ZONE))
    project = factories.ProjectFactory(code="T-WK", name="乙项目")
    for deadline in (date(2026, 11, 13), date(2026, 11, 14)):
        running(deadline, department, project=project, title=f"到期{deadline.day}日")
    time_machine.move_to(datetime(2026, 11, 16, 9, 0, tzinfo=ZONE))

    snapshot = snapshot_build(
        kind=WEEKLY,
        period=containing(WEEKLY, date(2026, 11, 9)),
        as_of=datetime(2026, 11, 16, 9, 0, tzinfo=ZONE),
    )
    assert [(i["title"], i["workdays_overdue"]) for i in snapshot["issues_overdue"]] == [
        ("到期13日", 0)
    ]
    assert snapshot["figures"]["issues_open"] == 2
    assert snapshot["calendar_uncovered"] == []
