"""The monthly round's writes (inspections.rounds.services): opening, filling, checking,
correcting, and that only an accepted figure counts."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from hitech_zone.permissions import Role, role_groups
from inspections.models import Issue, MonthlyReport, MonthlyReportStep, ReportingRound
from inspections.rounds import services
from inspections.rounds.services import ReportRefused
from projects.lights import Light
from projects.models import MonthlyInvestment, Project
from projects.selectors import project_list
from tests import factories
from tests.clock import ZONE

pytestmark = [pytest.mark.django_db]

State = MonthlyReport.State
AT = datetime(2026, 11, 3, 9, 30, tzinfo=ZONE)


@pytest.fixture
def planned(own_project):
    """甲项目: 12,000 万元 planned for 2026, spread evenly (a continuing project): 1,000 a
    month. January to September accepted at 800 each: 7,200."""
    factories.AnnualPlanFactory(project=own_project, year=2026, planned_investment=12000)
    for month in range(1, 10):
        factories.MonthlyInvestmentFactory(
            project=own_project, year=2026, month=month, completed_amount=Decimal(800)
        )
    return own_project


@pytest.fixture
def report(planned):
    opened = services.round_open(2026, 10)
    return MonthlyReport.objects.get(round=opened.round, project=planned)


def test_a_round_opens_once_for_the_projects_that_report(own_project):
    """Reporting: an active status and a plan for the round's year. 甲 (under construction,
    plan) and 丁 (suspended, plan) report; 乙 (储备, plan), 丙 (no plan) and 戊 (竣工,
    plan) do not. A second run, as after a retry, adds nothing."""
    factories.AnnualPlanFactory(project=own_project, year=2026)
    suspended = factories.ProjectFactory(code="T-D", status=Project.Status.SUSPENDED)
    factories.AnnualPlanFactory(project=suspended, year=2026)
    pipeline = factories.ProjectFactory(code="T-B", status=Project.Status.PIPELINE)
    factories.AnnualPlanFactory(project=pipeline, year=2026)
    factories.ProjectFactory(code="T-C")
    done = factories.ProjectFactory(code="T-E", status=Project.Status.COMPLETED)
    factories.AnnualPlanFactory(project=done, year=2026)
    last_year = factories.ProjectFactory(code="T-F")
    factories.AnnualPlanFactory(project=last_year, year=2025)

    first = services.round_open(2026, 10)
    again = services.round_open(2026, 10)

    assert (first.created, first.reports_created) == (True, 2)
    assert (again.created, again.reports_created) == (False, 0)
    assert ReportingRound.objects.count() == 1
    assert sorted(MonthlyReport.objects.values_list("project__code", flat=True)) == [
        "T-D",
        "T-OWN",
    ]


@pytest.mark.parametrize(
    ("year", "month", "deadline"),
    [
        # October's figures are due on 5 November 2026, a Thursday and a working day.
        (2026, 10, date(2026, 11, 5)),
        # September's on 5 October 2026, inside the National Day holiday (1–7 October
        # off, 8 October a working Thursday): due on 8 October.
        (2026, 9, date(2026, 10, 8)),
        # December's on 5 January 2027, a Tuesday.
        (2026, 12, date(2027, 1, 5)),
    ],
)
def test_the_deadline_moves_off_a_day_off(year, month, deadline):
    assert services.round_deadline(year, month) == deadline
    assert services.round_open(year, month).round.deadline == deadline


def test_the_month_a_round_reports():
    assert services.round_month_for(date(2026, 12, 1)) == (2026, 11)
    assert services.round_month_for(date(2027, 1, 1)) == (2026, 12)


def _light(project, as_of, user):
    row = project_list(user=user, as_of=as_of).get(pk=project.pk)
    return row.light, row.completed_ytd


def test_only_the_accepted_figure_counts(report, manager, official):
    """On 10 November 2026 the period is 1–10月 (October's deadline, the 5th, has passed).
    序时进度: 10 of 12 even months, 83.3 % (10,000 of 12,000 万元 due). Accepted Jan–Sep:
    9 × 800 = 7,200, 60.0 %: 23.3 points behind, yellow (10–30 points). October's 2,800
    submitted changes nothing; accepted, 10,000 is 83.3 %, on 序时: green."""
    as_of = date(2026, 11, 10)
    saved = services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal(2800)
    )
    submitted = services.report_submit(
        report=saved, by=manager, expected_version=saved.version, now=AT
    )
    assert submitted.state == State.SUBMITTED
    assert _light(report.project, as_of, official) == (Light.YELLOW, Decimal("7200.00"))

    services.report_accept(report=submitted, by=official, expected_version=submitted.version)

    assert _light(report.project, as_of, official) == (Light.GREEN, Decimal("10000.00"))
    figure = MonthlyInvestment.objects.get(project=report.project, year=2026, month=10)
    assert figure.completed_amount == Decimal(2800)
    assert figure.history.first().history_user == official


def test_return_resubmit_accept_with_every_step_recorded(report, manager, official):
    """The whole cycle: the milestone and 入库 the report gives reach the register only on
    acceptance; each step says who, when and the figure it carried."""
    milestone = factories.MilestoneFactory(
        project=report.project, name="主体封顶", baseline_date=date(2027, 3, 1)
    )
    report.project.in_statistics_on = None
    report.project.save()
    report = services.report_save(
        report=report,
        by=manager,
        expected_version=1,
        completed_amount=Decimal(28000),
        physical_progress="主体结构施工至八层",
        employees_on_site=120,
        in_statistics=True,
        in_statistics_on=date(2026, 10, 12),
        milestones_reached={str(milestone.pk): "2026-10-20"},
    )
    report = services.report_submit(report=report, by=manager, expected_version=report.version)
    report = services.report_return(
        report=report,
        by=official,
        reason="本月投资多填一位，应为2800万元",
        expected_version=report.version,
    )
    assert report.state == State.RETURNED
    milestone.refresh_from_db()
    assert milestone.actual_date is None
    report = services.report_save(
        report=report, by=manager, expected_version=report.version, completed_amount=Decimal(2800)
    )
    report = services.report_submit(report=report, by=manager, expected_version=report.version)
    report = services.report_accept(report=report, by=official, expected_version=report.version)

    milestone.refresh_from_db()
    report.project.refresh_from_db()
    assert milestone.actual_date == date(2026, 10, 20)
    assert report.project.in_statistics_on == date(2026, 10, 12)
    steps = list(
        MonthlyReportStep.objects.filter(report=report).values_list(
            "action", "actor__username", "completed_amount", "comment"
        )
    )
    assert steps == [
        ("submitted", "t-pm", Decimal("28000.00"), ""),
        ("returned", "t-official", Decimal("28000.00"), "本月投资多填一位，应为2800万元"),
        ("submitted", "t-pm", Decimal("2800.00"), ""),
        ("accepted", "t-official", Decimal("2800.00"), ""),
    ]


def test_a_double_tap_submits_once(report, manager):
    key = "6f1c2b5e-1111-4c1d-9b1e-7a0a4f2b9c01"
    report = services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal(100)
    )
    first = services.report_submit(
        report=report, by=manager, expected_version=report.version, submission_key=key
    )
    again = services.report_submit(
        report=report, by=manager, expected_version=report.version, submission_key=key
    )
    assert again.version == first.version
    assert MonthlyReportStep.objects.filter(report=report).count() == 1


def test_problems_become_issues_once(report, manager):
    report = services.report_save(
        report=report,
        by=manager,
        expected_version=1,
        completed_amount=Decimal(100),
        problems=[
            {"category": "hiring", "description": "焊工缺口30人"},
            {"category": "", "description": ""},
        ],
    )
    report = services.report_submit(report=report, by=manager, expected_version=report.version)
    issue = Issue.objects.get(project=report.project)
    assert (issue.title, issue.category_id, issue.status) == ("焊工缺口30人", "hiring", "raised")
    assert report.problems == [
        {"category": "hiring", "description": "焊工缺口30人", "issue": issue.pk}
    ]


def test_a_problem_without_a_category_is_refused(report, manager):
    with pytest.raises(ValidationError) as refused:
        services.report_save(
            report=report,
            by=manager,
            expected_version=1,
            problems=[{"category": "", "description": "塔吊不足"}],
        )
    assert "塔吊不足" in str(refused.value.message_dict["problems"])


def test_a_report_needs_the_month_figure(report, manager):
    with pytest.raises(ValidationError) as refused:
        services.report_submit(report=report, by=manager, expected_version=1)
    assert "completed_amount" in refused.value.message_dict


def test_two_officials_checking_the_same_report(report, manager, official, role_user):
    second = role_user(Role.OFFICIAL, username="t-official-2", full_name="李四")
    report = services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal(100)
    )
    report = services.report_submit(report=report, by=manager, expected_version=report.version)
    seen = report.version
    services.report_accept(report=report, by=official, expected_version=seen)
    with translation.override("en"), pytest.raises(ReportRefused, match="already checked"):
        services.report_return(report=report, by=second, reason="数字不对", expected_version=seen)
    assert MonthlyReport.objects.get(pk=report.pk).state == State.ACCEPTED


def test_a_return_while_the_manager_edits_is_not_lost(report, manager, official):
    """The manager saved, then submitted from a form opened on the saved version; the
    official returned it meanwhile. A save from the old form is refused with the return's
    reason, so the view keeps the manager's entries in the form to save again."""
    report = services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal(100)
    )
    opened = report.version
    submitted = services.report_submit(report=report, by=manager, expected_version=opened)
    services.report_return(
        report=submitted, by=official, reason="缺少形象进度", expected_version=submitted.version
    )
    with pytest.raises(ReportRefused, match="缺少形象进度"):
        services.report_save(
            report=report, by=manager, expected_version=opened, physical_progress="已封顶"
        )


def test_who_may_do_what(report, manager, other_manager, official, role_user):
    with pytest.raises(Http404):
        services.report_save(
            report=report, by=other_manager, expected_version=1, completed_amount=Decimal(1)
        )
    report = services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal(1)
    )
    report = services.report_submit(report=report, by=manager, expected_version=report.version)
    with pytest.raises(PermissionDenied):
        services.report_accept(report=report, by=manager, expected_version=report.version)
    # An official who is also the project's manager and submitted it may not accept it.
    both = role_user(Role.OFFICIAL, username="t-both")
    both.groups.add(role_groups()[Role.PROJECT_MANAGER])
    report.project.managers.add(both)
    services.report_return(
        report=report, by=official, reason="请复核", expected_version=report.version
    )
    report = MonthlyReport.objects.get(pk=report.pk)
    report = services.report_submit(report=report, by=both, expected_version=report.version)
    with pytest.raises(PermissionDenied):
        services.report_accept(report=report, by=both, expected_version=report.version)


def test_a_correction_keeps_the_accepted_figure_until_accepted_again(report, manager, official):
    report = services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal(2800)
    )
    report = services.report_submit(report=report, by=manager, expected_version=report.version)
    report = services.report_accept(report=report, by=official, expected_version=report.version)
    report = services.report_reopen(
        report=report, by=manager, reason="统计口径调整", expected_version=report.version
    )
    report = services.report_save(
        report=report, by=manager, expected_version=report.version, completed_amount=Decimal(2600)
    )
    report = services.report_submit(report=report, by=manager, expected_version=report.version)
    figure = MonthlyInvestment.objects.get(project=report.project, year=2026, month=10)
    assert figure.completed_amount == Decimal(2800)
    services.report_accept(report=report, by=official, expected_version=report.version)
    figure.refresh_from_db()
    assert figure.completed_amount == Decimal(2600)
    assert [h.completed_amount for h in figure.history.order_by("history_date")] == [
        Decimal("2800.00"),
        Decimal("2600.00"),
    ]
    assert MonthlyReport.objects.get(pk=report.pk).corrections == 1


def test_a_jump_over_the_monthly_plan_is_flagged():
    """REPORT_JUMP_FACTOR 3: 3,000 on a 1,000 plan is not flagged, 3,000.01 is."""
    assert not services.is_jump(Decimal("3000"), Decimal("1000"))
    assert services.is_jump(Decimal("3000.01"), Decimal("1000"))
    assert not services.is_jump(Decimal("5"), None)


def test_the_manager_s_own_autosave_does_not_make_their_submission_stale(report, manager):
    """The form was opened at version 1; its autosave (still in flight when the manager
    tapped submit) made it 2. The submission, sent with version 1 and every entry, goes
    through: only someone else's change makes a copy stale."""
    services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal(100)
    )
    saved = services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal(120)
    )
    submitted = services.report_submit(report=saved, by=manager, expected_version=1)
    assert (submitted.state, submitted.completed_amount) == (State.SUBMITTED, Decimal(120))
