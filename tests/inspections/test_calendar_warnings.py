"""The "calendar not covered" warning shows wherever a working-day figure counts days of a
year whose holiday schedule is unknown: the issue list, the issue page, the department
board, the alerts page and the briefings.

The installed holiday package ships 2004–2026, so 2027 is unknown until the admin marks its
calendar complete. Each test travels to Wednesday 30 December 2026, when an issue due on
Tuesday 5 January 2027 is counted across 2027's days: its deadline colour counts 31 Dec,
4 and 5 Jan (1 Jan is 元旦 whatever the schedule).
"""

import re
from datetime import date, datetime

import pytest
from django.test import Client
from django.utils import timezone, translation

from hitech_zone.permissions import Role
from inspections.models import DepartmentMember, Issue, WorkdayCalendarYear
from reports.briefings import html_render, snapshot_build
from reports.models import Alert
from reports.periods import WEEKLY, containing
from tests import factories
from tests.clock import ZONE

pytestmark = pytest.mark.django_db

WARNING = 'data-testid="calendar-warning"'


@pytest.fixture(autouse=True)
def new_years_eve_eve(time_machine):
    time_machine.move_to(datetime(2026, 12, 30, 10, 0, tzinfo=ZONE))


@pytest.fixture
def department():
    return factories.DepartmentFactory(code="hr", name="组织人事劳动局")


@pytest.fixture
def department_user(role_user, department):
    user = role_user(Role.DEPARTMENT, username="hr-clerk")
    DepartmentMember.objects.create(user=user, department=department)
    return user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def issue(project, department, deadline: date, status=Issue.Status.ASSIGNED) -> Issue:
    return factories.IssueFactory(
        project=project, status=status, department=department, deadline=deadline
    )


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_issue_list_warns_when_a_deadline_counts_days_of_2027(
    official, own_project, department
):
    """A resolved issue's deadline is shown but counts nothing; a running one due in 2026
    counts only 2026. Only the running issue due on 5 Jan 2027 brings the warning."""
    issue(own_project, department, date(2027, 1, 6), status=Issue.Status.RESOLVED)
    issue(own_project, department, date(2026, 12, 31))
    client = login(official)
    assert WARNING not in page(client, "/issues/")

    due_in_2027 = issue(own_project, department, date(2027, 1, 5))
    html = page(client, "/issues/")
    assert WARNING in html
    # From which day, in the page's language (Chinese): the text is tested in test_workdays.
    assert "2027年1月1日" in html

    # The issue's own page, whoever may see it (the department it is assigned to, too).
    assert WARNING in page(client, f"/issues/{due_in_2027.pk}/")


def test_marking_2027_complete_takes_the_warning_away(official, own_project, department):
    due_in_2027 = issue(own_project, department, date(2027, 1, 5))
    client = login(official)
    assert WARNING in page(client, "/issues/")

    year = WorkdayCalendarYear.objects.create(year=2027, complete=False)
    assert WARNING in page(client, "/issues/")
    year.complete = True
    year.save()
    assert WARNING not in page(client, "/issues/")
    assert WARNING not in page(client, f"/issues/{due_in_2027.pk}/")


def test_the_board_warns_its_department(own_project, department, department_user):
    issue(own_project, department, date(2026, 12, 31))
    client = login(department_user)
    assert WARNING not in page(client, "/issues/board/")

    shown = issue(own_project, department, date(2027, 1, 5), status=Issue.Status.IN_PROGRESS)
    html = page(client, "/issues/board/")
    assert f'id="board-issue-{shown.pk}"' in html
    assert WARNING in html
    assert WARNING in page(client, f"/issues/{shown.pk}/")


def test_the_alerts_page_warns_when_an_alert_counts_days_of_2027(
    official, own_project, time_machine
):
    """An overdue-issue alert first seen on 30 Dec counts from its deadline to then: all in
    2026. On 5 Jan the page still shows that figure (no warning), but a red alert first
    seen on 4 Jan escalates by the working days of 2027."""

    def alert(kind, severity, subject, detail=None):
        now = timezone.now()
        return Alert.objects.create(
            project=own_project,
            kind=kind,
            severity=severity,
            subject_key=subject,
            detail=detail or {},
            first_seen_at=now,
            last_seen_at=now,
        )

    client = login(official)
    alert(
        Alert.Kind.ISSUE_OVERDUE,
        Alert.Severity.YELLOW,
        "issue:1",
        {"issue": "招工渠道有限", "deadline": "2026-12-21", "workdays": 7},
    )
    alert(Alert.Kind.STALE, Alert.Severity.YELLOW, "", {"last_update": "2026-11-01", "days": 59})
    assert WARNING not in page(client, "/alerts/")

    time_machine.move_to(datetime(2027, 1, 4, 1, 0, tzinfo=ZONE))
    alert(Alert.Kind.SUSPENDED, Alert.Severity.RED, "")
    time_machine.move_to(datetime(2027, 1, 5, 10, 0, tzinfo=ZONE))
    # Signed in again: the session of 30 Dec has expired.
    assert WARNING in page(login(official), "/alerts/")


def test_the_alerts_page_warns_for_an_overdue_issue_counted_into_2027(official, own_project):
    """An overdue-issue alert first seen on 4 Jan 2027 counted 2027's working days."""
    Alert.objects.create(
        project=own_project,
        kind=Alert.Kind.ISSUE_OVERDUE,
        severity=Alert.Severity.YELLOW,
        subject_key="issue:1",
        detail={"issue": "招工渠道有限", "deadline": "2026-12-30", "workdays": 2},
        first_seen_at=datetime(2027, 1, 4, 1, 0, tzinfo=ZONE),
        last_seen_at=datetime(2027, 1, 4, 1, 0, tzinfo=ZONE),
    )
    assert WARNING in page(login(official), "/alerts/")


def test_a_briefing_over_the_new_year_has_a_footnote():
    """The week of 28 Dec 2026 to 3 Jan 2027 touches 2027; the week before does not. The
    footnote is in the snapshot, so the briefing prints the same whenever rendered."""

    def rendered(monday: date) -> tuple[dict, str]:
        snapshot = snapshot_build(
            kind=WEEKLY,
            period=containing(WEEKLY, monday),
            as_of=datetime(2027, 1, 4, 9, 0, tzinfo=ZONE),
        )
        with translation.override("en"):
            html = html_render(
                snapshot=snapshot,
                generated_at=datetime(2027, 1, 4, 9, 0, tzinfo=ZONE),
                version=1,
                changes=[],
                preview=True,
            )
        return snapshot, html

    snapshot, html = rendered(date(2026, 12, 28))
    assert snapshot["calendar_uncovered"] == [2027]
    assert 'data-testid="calendar-note"' in html
    assert "Working days from Jan. 1, 2027 on are estimated" in html

    snapshot, html = rendered(date(2026, 12, 21))
    assert snapshot["calendar_uncovered"] == []
    assert 'data-testid="calendar-note"' not in html


def test_the_board_title_separates_its_department_as_each_language_does(
    department, department_user, settings
):
    """The title reads 部门看板：组织人事劳动局 with the full-width colon in Chinese, and
    Department board: 组织人事劳动局 with a colon and a space in English."""
    client = login(department_user)
    heading = re.compile(r"<h1>(.*?)</h1>", re.S)
    chinese = heading.search(page(client, "/issues/board/"))[1]
    assert chinese == f"部门看板：{department}"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = heading.search(page(client, "/issues/board/"))[1]
    assert english == f"Department board: {department}"
