"""Every signal kind opens the right alert, and the alert closes when the cause is fixed."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inspections.models import Issue
from projects.models import Milestone, Project
from reports import signals
from reports.alerts import alerts_refresh
from reports.forecasting import projections_refresh
from reports.models import Alert
from tests import factories
from tests.reports.slip_helpers import at, open_alerts

pytestmark = pytest.mark.django_db

Kind = Alert.Kind
RED, YELLOW = Alert.Severity.RED, Alert.Severity.YELLOW
AS_OF = date(2026, 7, 15)  # a Wednesday


def refresh(day: date = AS_OF):
    return alerts_refresh(now=at(day))


@pytest.fixture
def project():
    # No plan for the year, so only the signal under test speaks.
    return factories.ProjectFactory(planned_start=date(2026, 3, 1))


def test_a_project_on_plan_has_no_alert(project):
    factories.MilestoneFactory(project=project, sequence=1, baseline_date=date(2026, 9, 1))
    factories.AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("1000"))
    factories.MonthlyInvestmentFactory(
        project=project, year=2026, month=1, completed_amount=Decimal("600")
    )

    result = refresh()

    assert result.opened == 0
    assert not Alert.objects.exists()


def test_milestone_past_its_baseline_is_red_until_reached(project):
    milestone = factories.MilestoneFactory(
        project=project, sequence=1, name="主体封顶", baseline_date=date(2026, 7, 1)
    )

    refresh()

    alert = Alert.objects.get()
    assert (alert.kind, alert.subject_key, alert.severity) == (
        Kind.MILESTONE_OVERDUE,
        f"milestone:{milestone.pk}",
        RED,
    )
    assert alert.detail == {"milestone": "主体封顶", "baseline": "2026-07-01", "days": 14}

    Milestone.objects.filter(pk=milestone.pk).update(actual_date=date(2026, 7, 14))
    result = refresh(date(2026, 7, 16))

    assert result.resolved == 1
    assert open_alerts() == set()
    alert.refresh_from_db()
    assert alert.resolved_at == at(date(2026, 7, 16))


def test_due_today_is_not_yet_overdue(project):
    factories.MilestoneFactory(project=project, sequence=1, baseline_date=AS_OF)

    refresh()

    assert open_alerts() == set()


@pytest.mark.parametrize(
    ("late_by", "severity"), [(1, YELLOW), (30, YELLOW), (31, RED)], ids=["1d", "30d", "31d"]
)
def test_late_forecast_is_yellow_then_red_past_the_threshold(project, late_by, severity):
    baseline = date(2026, 9, 1)
    milestone = factories.MilestoneFactory(
        project=project,
        sequence=1,
        baseline_date=baseline,
        forecast_date=baseline + timedelta(days=late_by),
    )

    refresh()

    assert open_alerts(project) == {(Kind.FORECAST_LATE, f"milestone:{milestone.pk}", severity)}
    assert Alert.objects.get().detail["days"] == late_by

    Milestone.objects.filter(pk=milestone.pk).update(forecast_date=baseline)
    refresh(date(2026, 7, 16))

    assert open_alerts() == set()


def test_an_overdue_milestone_raises_one_alert_not_also_its_late_forecast(project):
    milestone = factories.MilestoneFactory(
        project=project,
        sequence=1,
        baseline_date=date(2026, 7, 1),
        forecast_date=date(2026, 8, 30),
    )

    refresh()

    assert open_alerts() == {(Kind.MILESTONE_OVERDUE, f"milestone:{milestone.pk}", RED)}


@pytest.mark.parametrize(
    ("completed", "severity"),
    # On 15 July the period is 1–6月 (June's figures were due on 5 July). The project
    # starts in March, so its plan of 10,000 spreads over March–December (10 months) and
    # 4 of them are due: 40.0 %, 4,000.
    [(Decimal("3100"), None), (Decimal("2900"), YELLOW), (Decimal("900"), RED)],
    ids=["9-points", "11-points", "31-points"],
)
def test_investment_behind_the_years_pace(project, completed, severity):
    factories.AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("10000"))
    factories.MonthlyInvestmentFactory(
        project=project, year=2026, month=3, completed_amount=completed
    )

    refresh()

    if severity is None:
        assert open_alerts() == set()
        return
    assert open_alerts() == {(Kind.INVESTMENT_BEHIND, "", severity)}
    detail = Alert.objects.get().detail
    assert detail["due_percent"] == "40.0"
    assert detail["done_percent"] == str((completed / 100).quantize(Decimal("0.1")))

    factories.MonthlyInvestmentFactory(
        project=project, year=2026, month=6, completed_amount=Decimal("5000")
    )
    refresh(date(2026, 7, 16))

    assert open_alerts() == set()


def test_overdue_issue_is_yellow_then_red_after_the_working_days_threshold(project):
    department = factories.DepartmentFactory()
    issue = factories.IssueFactory(
        project=project,
        title="招工渠道有限",
        status=Issue.Status.ASSIGNED,
        department=department,
        # Monday 13 July: Tuesday and Wednesday make it two working days overdue.
        deadline=date(2026, 7, 13),
    )

    refresh()

    assert open_alerts() == {(Kind.ISSUE_OVERDUE, f"issue:{issue.pk}", YELLOW)}
    assert Alert.objects.get().detail == {
        "issue": "招工渠道有限",
        "deadline": "2026-07-13",
        "workdays": 2,
    }

    # Monday 20 July: five working days (14–17, 20), not more than five: still yellow.
    refresh(date(2026, 7, 20))
    assert open_alerts() == {(Kind.ISSUE_OVERDUE, f"issue:{issue.pk}", YELLOW)}

    # Tuesday 21 July: six working days overdue, red (the yellow alert is closed).
    refresh(date(2026, 7, 21))
    assert open_alerts() == {(Kind.ISSUE_OVERDUE, f"issue:{issue.pk}", RED)}

    # Done by the department (办结): waiting on the official, not late any more.
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.RESOLVED)
    refresh(date(2026, 7, 22))
    assert open_alerts() == set()


def test_one_alert_per_overdue_issue(project):
    department = factories.DepartmentFactory()
    issues = [
        factories.IssueFactory(
            project=project,
            status=Issue.Status.IN_PROGRESS,
            department=department,
            deadline=date(2026, 7, 10),
        )
        for _ in range(2)
    ]
    factories.IssueFactory(project=project)  # raised, not yet assigned: no deadline

    refresh()

    assert {subject for _kind, subject, _severity in open_alerts()} == {
        f"issue:{issue.pk}" for issue in issues
    }


def backdate(project: Project, moment) -> None:
    """Make every trace of an update to the project older than `moment`."""
    Project.objects.filter(pk=project.pk).update(updated_at=moment)
    Milestone.history.model.objects.filter(project_id=project.pk).update(history_date=moment)


def test_stale_project_until_someone_writes_a_progress_note(project, official):
    factories.MilestoneFactory(project=project, sequence=1, baseline_date=date(2027, 3, 1))
    # A note written now is recent as of 20 days ahead.
    as_of = timezone.localdate() + timedelta(days=20)
    backdate(project, at(as_of - timedelta(days=31), 18))

    refresh(as_of)

    assert open_alerts() == {(Kind.STALE, "", YELLOW)}
    assert Alert.objects.get().detail == {
        "last_update": (as_of - timedelta(days=31)).isoformat(),
        "days": 31,
    }

    project.progress_notes.create(body="现场正常施工。", author=official)
    refresh(as_of + timedelta(days=1))

    assert open_alerts() == set()


def test_a_recent_change_to_a_milestone_or_a_month_counts_as_an_update(project, official):
    milestone = factories.MilestoneFactory(
        project=project, sequence=1, baseline_date=date(2027, 3, 1)
    )
    as_of = timezone.localdate() + timedelta(days=40)
    backdate(project, at(as_of - timedelta(days=60)))
    # Thirty whole days without an update is not yet stale; the 31st is.
    Milestone.history.model.objects.filter(id=milestone.pk).update(
        history_date=at(as_of - timedelta(days=30), 9)
    )
    assert signals.stale(as_of) == []
    assert [f.project_id for f in signals.stale(as_of + timedelta(days=1))] == [project.pk]


@pytest.mark.parametrize(
    ("status", "stale"),
    [
        (Project.Status.PIPELINE, False),
        (Project.Status.PREPARATION, True),
        (Project.Status.CONSTRUCTION, True),
        (Project.Status.TRIAL, True),
        (Project.Status.SUSPENDED, True),
        (Project.Status.COMPLETED, False),
    ],
)
def test_only_active_projects_go_stale(status, stale):
    project = factories.ProjectFactory(status=status)
    as_of = timezone.localdate() + timedelta(days=40)
    backdate(project, at(as_of - timedelta(days=100)))

    assert bool(signals.stale(as_of)) is stale


def test_suspended_project_is_red_until_work_resumes(project):
    Project.objects.filter(pk=project.pk).update(status=Project.Status.SUSPENDED)

    refresh()

    assert open_alerts() == {(Kind.SUSPENDED, "", RED)}

    Project.objects.filter(pk=project.pk).update(status=Project.Status.CONSTRUCTION)
    refresh(date(2026, 7, 16))

    assert open_alerts() == set()


def test_projection_warns_before_the_baseline_is_missed(project):
    """Two milestones reached late at a slow pace: the next one, due in September with no
    forecast entered, is projected for late October, a yellow alert in July already."""
    factories.MilestoneFactory(
        project=project, sequence=1, baseline_date=date(2026, 4, 1), actual_date=date(2026, 4, 11)
    )
    factories.MilestoneFactory(
        project=project, sequence=2, baseline_date=date(2026, 6, 1), actual_date=date(2026, 7, 1)
    )
    upcoming = factories.MilestoneFactory(
        project=project, sequence=3, name="设备安装", baseline_date=date(2026, 9, 1)
    )

    projections_refresh(now=at(AS_OF))
    refresh()

    assert open_alerts() == {(Kind.PROJECTION_LATE, f"milestone:{upcoming.pk}", YELLOW)}
    assert Alert.objects.get().detail == {
        "milestone": "设备安装",
        "baseline": "2026-09-01",
        "projected": "2026-10-31",
        "days": 60,
        "pace_ratio": "1.326",
        "basis_count": 2,
        "anchor": "2026-07-01",
    }

    # The project enters its own late forecast: that one speaks, ours steps back.
    Milestone.objects.filter(pk=upcoming.pk).update(forecast_date=date(2026, 9, 20))
    refresh(date(2026, 7, 16))

    assert open_alerts() == {(Kind.FORECAST_LATE, f"milestone:{upcoming.pk}", YELLOW)}


def test_projection_on_time_or_a_forecast_on_time_raise_nothing(project):
    factories.MilestoneFactory(
        project=project, sequence=1, baseline_date=date(2026, 4, 1), actual_date=date(2026, 4, 1)
    )
    factories.MilestoneFactory(project=project, sequence=2, baseline_date=date(2026, 9, 1))

    projections_refresh(now=at(AS_OF))
    refresh()

    assert open_alerts() == set()


def test_every_signal_is_one_query_over_all_projects(django_assert_max_num_queries):
    department = factories.DepartmentFactory()
    for index in range(6):
        project = factories.ProjectFactory(status=Project.Status.SUSPENDED)
        factories.MilestoneFactory(project=project, sequence=1, baseline_date=date(2026, 7, 1))
        factories.IssueFactory(
            project=project,
            status=Issue.Status.ASSIGNED,
            department=department,
            deadline=date(2026, 7, 1 + index),
        )

    # One each, and two more for the issues' calendar (red cutoff, working days overdue).
    with django_assert_max_num_queries(len(signals.SIGNALS) + 2):
        findings = signals.findings(AS_OF)

    kinds = {finding.kind for finding in findings}
    assert kinds == {Kind.MILESTONE_OVERDUE, Kind.ISSUE_OVERDUE, Kind.SUSPENDED}
    assert len(findings) == 18


def test_a_projection_within_the_tolerance_raises_nothing(project, settings):
    """A few days late so far: the next milestone is projected about a week past its
    baseline, inside the tolerance, so no warning; with a tighter one, a warning."""
    factories.MilestoneFactory(
        project=project, sequence=1, baseline_date=date(2026, 4, 1), actual_date=date(2026, 4, 1)
    )
    factories.MilestoneFactory(
        project=project, sequence=2, baseline_date=date(2026, 6, 1), actual_date=date(2026, 6, 4)
    )
    upcoming = factories.MilestoneFactory(
        project=project, sequence=3, baseline_date=date(2026, 9, 1)
    )
    settings.ALERT_PROJECTION_TOLERANCE_DAYS = 14
    projections_refresh(now=at(AS_OF))
    refresh()
    assert open_alerts() == set()

    settings.ALERT_PROJECTION_TOLERANCE_DAYS = 2
    refresh()
    assert open_alerts() == {(Kind.PROJECTION_LATE, f"milestone:{upcoming.pk}", YELLOW)}
