"""The demo's monthly rounds (hitech_zone/demo/rounds.py) and 入库 dates: last month's round
checked, with one report returned and two late reporters, the current round open with
陈华瑞's draft for 正力新能; accepted figures are the register's own, no report raises an
issue, and no light comes from 入库."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from hitech_zone import permissions
from hitech_zone.demo import load_demo
from hitech_zone.demo.rounds import DRAFT_PROJECT, RETURN_REASON
from inspections.models import MonthlyReport, MonthlyReportStep, ReportingRound
from inspections.rounds import selectors
from inspections.rounds.services import round_deadline, round_month_for
from inspections.workdays import WorkdayCalendar
from projects import progress
from projects.models import Milestone, MonthlyInvestment, Project

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

State = MonthlyReport.State
LAST_YEAR = 2025
# The first of a month (the round opens that day), a day before the deadline, late in the
# year, New Year's Day, and the clock's own day (None).
DAYS = [
    date(LAST_YEAR, 3, 1),
    date(LAST_YEAR, 6, 4),
    date(LAST_YEAR, 11, 27),
    date(LAST_YEAR, 1, 1),
    None,
]


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path


def rounds_of(today: date) -> tuple[ReportingRound, ReportingRound]:
    year, month = round_month_for(today)
    before = (year - 1, 12) if month == 1 else (year, month - 1)
    current = ReportingRound.objects.get(year=year, month=month)
    previous = ReportingRound.objects.get(year=before[0], month=before[1])
    return previous, current


@pytest.mark.parametrize("day", DAYS, ids=lambda d: "today" if d is None else str(d))
def test_two_rounds_laid_out_around_the_day(day):
    today = day or timezone.localdate()
    created = load_demo(today=today)
    previous, current = rounds_of(today)
    assert ReportingRound.objects.count() == 2
    assert created["inspections.ReportingRound"] == 2
    assert created["inspections.MonthlyReport"] == MonthlyReport.objects.count()
    for round_ in (previous, current):
        assert round_.deadline == round_deadline(round_.year, round_.month)
        # Every project in an active status with a plan for the year reports, once.
        due = Project.objects.filter(
            status__in=("preparation", "construction", "trial", "suspended"),
            annual_plans__year=round_.year,
        )
        assert set(round_.reports.values_list("project_id", flat=True)) == set(
            due.values_list("pk", flat=True)
        )
    # Nothing is recorded for the demo's day or later.
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    assert not MonthlyReport.objects.filter(submitted_at__gte=midnight).exists()
    assert not MonthlyReport.objects.filter(checked_at__gte=midnight).exists()
    assert not MonthlyReportStep.objects.filter(acted_at__gte=midnight).exists()


@pytest.mark.parametrize("day", DAYS, ids=lambda d: "today" if d is None else str(d))
def test_last_months_round_is_checked_but_for_one_returned_and_two_late(day):
    today = day or timezone.localdate()
    load_demo(today=today)
    previous, _current = rounds_of(today)
    reports = MonthlyReport.objects.filter(round=previous)
    total = reports.count()
    returned = reports.get(state=State.RETURNED)
    assert returned.return_reason == RETURN_REASON
    assert returned.steps.last().comment == RETURN_REASON
    assert returned.first_submitted_at.date() <= previous.deadline
    assert reports.filter(state=State.ACCEPTED).count() == total - 2
    late = selectors.late_reporters(user=permissions.SYSTEM, round_=previous, today=today)
    assert len(late) == 2
    still_missing = next(row for row in late if not row.submitted_late)
    came_late = next(row for row in late if row.submitted_late)
    assert still_missing.report.state == State.DRAFT
    assert still_missing.report.first_submitted_at is None
    assert came_late.report.state == State.ACCEPTED
    calendar = WorkdayCalendar.for_range(previous.deadline, today)
    assert (
        calendar.workdays_between(
            previous.deadline, timezone.localdate(came_late.report.first_submitted_at)
        )
        == 2
    )
    counts = selectors.round_counts(user=permissions.SYSTEM, round_=previous)
    assert (counts.total, counts.reported, counts.accepted) == (total, total - 1, total - 2)
    # A checker is never the submitter.
    assert not reports.filter(checked_by=F("submitted_by")).exists()


@pytest.mark.parametrize("day", DAYS, ids=lambda d: "today" if d is None else str(d))
def test_the_current_round_has_chens_draft_for_zhengli(day):
    today = day or timezone.localdate()
    load_demo(today=today)
    _previous, current = rounds_of(today)
    draft = MonthlyReport.objects.get(round=current, project__code=DRAFT_PROJECT)
    assert draft.state == State.DRAFT and draft.first_submitted_at is None
    assert draft.physical_progress
    assert list(draft.project.managers.values_list("username", flat=True)) == ["pm"]
    pm = draft.project.managers.get()
    assert draft in selectors.my_open_reports(user=pm)
    reports = MonthlyReport.objects.filter(round=current)
    if today > current.deadline:
        # After the deadline all the others are in, the last two awaiting check.
        assert reports.filter(first_submitted_at__isnull=True).count() == 1
        assert reports.filter(state=State.SUBMITTED).count() == 2


def test_accepted_figures_are_the_registers_and_no_report_raised_an_issue():
    today = timezone.localdate()
    load_demo(today=today)
    accepted = MonthlyReport.objects.filter(state=State.ACCEPTED).select_related("round")
    assert accepted.exists()
    figures = {
        (row.project_id, row.year, row.month): row.completed_amount
        for row in MonthlyInvestment.objects.all()
    }
    for report in accepted:
        key = (report.project_id, report.round.year, report.round.month)
        assert report.completed_amount == figures.get(key, Decimal(0)), report
        # 入库 as the register has it: accepting it again would write nothing.
        if report.in_statistics:
            assert report.in_statistics_on == report.project.in_statistics_on
    assert not MonthlyReport.objects.exclude(problems=[]).exists()


def test_started_projects_entered_the_statistics_within_weeks_of_their_start():
    """入库 a few weeks after the 开工 milestone's actual date, never later than today, so
    no project is ever a month past its start outside the statistics."""
    today = timezone.localdate()
    load_demo(today=today)
    for project in Project.objects.prefetch_related("milestones"):
        dates = progress.key_dates(
            list(project.milestones.all()),
            planned_start=project.planned_start,
            planned_completion=project.planned_completion,
        )
        if dates.actual_start is None:
            assert project.in_statistics_on is None, project.code
            continue
        assert dates.actual_start <= project.in_statistics_on <= today
        assert project.in_statistics_on - dates.actual_start <= timedelta(days=21)
    assert Project.objects.filter(in_statistics_on__isnull=False).count() == (
        Milestone.objects.filter(name__contains="开工", actual_date__isnull=False)
        .values("project")
        .distinct()
        .count()
    )


def test_a_second_run_adds_no_round():
    today = timezone.localdate()
    load_demo(today=today)
    counts = (ReportingRound.objects.count(), MonthlyReport.objects.count())
    created = load_demo(today=today)
    assert "inspections.MonthlyReport" not in created
    assert (ReportingRound.objects.count(), MonthlyReport.objects.count()) == counts
