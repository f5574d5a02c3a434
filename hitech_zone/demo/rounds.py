"""The demo's monthly rounds (月报), laid out around the day it loads: last month's round,
checked, with one report returned and two late reporters; and the current round open,
with 陈华瑞's report for 正力新能 saved as a draft.

The reports are written directly, not through the services: acceptance writes the figure
to the register, and the demo's register figures are pinned by many tests. So every
accepted report carries the month's figure the register already holds (0 where it holds
none), and its 入库 date is the project's: accepting it again would change nothing. No
report carries a problem, so no issue is raised from one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from hitech_zone.demo.data import CHANGE_REASON
from inspections.models import MonthlyReport, MonthlyReportStep, ReportingRound
from inspections.rounds.services import REPORTING_STATUSES, round_deadline, round_month_for
from inspections.workdays import WorkdayCalendar
from projects import progress
from projects.models import AnnualPlan, MonthlyInvestment, Project

if TYPE_CHECKING:
    from hitech_zone.demo.loader import _Context

State = MonthlyReport.State
Step = MonthlyReportStep.Action

# 陈华瑞's project: its report in the current round is a draft.
DRAFT_PROJECT = "GX-001"
# Who checks (审核) the reports; a report is never checked by whoever submitted it.
CHECKERS = ("official", "guting")
RETURN_REASON = "本月完成投资与上月形象进度不符，请补充现场照片并说明设备款支付情况后重新报送。"
DRAFT_PROGRESS = "二期厂房主体结构施工中，湖北方向部分建材仍在调运，计划本周内补齐。"
PROGRESS = "按计划推进，现场施工正常。"


def _before(month: int, year: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@dataclass
class _Round:
    round: ReportingRound
    opened: date
    projects: list[Project]
    figures: dict[int, Decimal]


def load_rounds(ctx: _Context, projects: dict[str, Project], calendar: WorkdayCalendar) -> None:
    """A fresh demo's two rounds (a demo that has rounds keeps them as they are)."""
    if ReportingRound.objects.exists():
        return
    year, month = round_month_for(ctx.today)
    previous = _open(ctx, projects, *_before(month, year))
    current = _open(ctx, projects, year, month)
    reports, steps = [], []
    _fill_previous(ctx, previous, calendar, reports, steps)
    _fill_current(ctx, current, calendar, reports, steps)
    bulk_create_with_history(
        reports, MonthlyReport, default_user=ctx.by, default_change_reason=CHANGE_REASON
    )
    ctx.created["inspections.MonthlyReport"] += len(reports)
    for step in steps:
        step.report_id = step.report.pk
    MonthlyReportStep.objects.bulk_create(steps)
    ctx.created["inspections.MonthlyReportStep"] += len(steps)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _open(ctx: _Context, projects: dict[str, Project], year: int, month: int) -> _Round:
    """The round as `round_open` opens it: every project in an active status with a plan
    for the year, on the 1st of the following month."""
    round_ = ReportingRound.objects.create(
        year=year, month=month, deadline=round_deadline(year, month)
    )
    opened = progress.deadline(year, month).replace(day=1)
    ReportingRound.objects.filter(pk=round_.pk).update(opened_at=_at(opened, 8))
    ctx.created["inspections.ReportingRound"] += 1
    planned = set(AnnualPlan.objects.filter(year=year).values_list("project_id", flat=True))
    due = sorted(
        (p for p in projects.values() if p.status in REPORTING_STATUSES and p.pk in planned),
        key=lambda p: p.code,
    )
    figures = dict(
        MonthlyInvestment.objects.filter(year=year, month=month).values_list(
            "project_id", "completed_amount"
        )
    )
    return _Round(round_, opened, due, figures)


def _submitter(ctx: _Context, project: Project):
    """The project's manager, or its responsible official filling it in for the company
    (代填) when it has none."""
    managers = list(project.managers.all())
    return managers[0] if managers else project.responsible_person


def _checker(ctx: _Context, submitter):
    return next(ctx.users[name] for name in CHECKERS if ctx.users[name] != submitter)


def _report(ctx: _Context, entry: _Round, project: Project, **fields) -> MonthlyReport:
    """A report of the round with the month's figure the register holds and the project's
    入库 date once it falls within the month; `fields` override them."""
    period_end = progress.through(entry.round.year, entry.round.month).end
    entered = project.in_statistics_on is not None and project.in_statistics_on <= period_end
    values = {
        "completed_amount": entry.figures.get(project.pk, Decimal(0)),
        "physical_progress": PROGRESS,
        "in_statistics": entered,
        "in_statistics_on": project.in_statistics_on if entered else None,
        **fields,
    }
    return MonthlyReport(round=entry.round, project=project, **values)


def _submitted(ctx, entry, project, reports, steps, *, at: datetime, **fields):
    by = _submitter(ctx, project)
    report = _report(
        ctx,
        entry,
        project,
        first_submitted_at=at,
        submitted_at=at,
        submitted_by=by,
        state=State.SUBMITTED,
        version=3,
        **fields,
    )
    reports.append(report)
    steps.append(
        MonthlyReportStep(
            report=report,
            action=Step.SUBMITTED,
            actor=by,
            acted_at=at,
            completed_amount=report.completed_amount,
        )
    )
    return report


def _check(ctx, report, steps, *, at: datetime, reason: str = "") -> None:
    by = _checker(ctx, report.submitted_by)
    report.state = State.RETURNED if reason else State.ACCEPTED
    report.return_reason = reason
    report.checked_by = by
    report.checked_at = at
    report.version += 1
    steps.append(
        MonthlyReportStep(
            report=report,
            action=Step.RETURNED if reason else Step.ACCEPTED,
            actor=by,
            acted_at=at,
            comment=reason,
            completed_amount=report.completed_amount,
        )
    )


def _workdays(calendar: WorkdayCalendar, first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if calendar.is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days or [first]


def _fill_previous(ctx, entry: _Round, calendar, reports, steps) -> None:
    """Last month's round: all in by the deadline and accepted, but for one returned for
    correction and two late reporters, one that came in after the deadline and one still
    missing. Those three are projects without a figure for the month where there are such
    (a returned or missing report then hides no figure the register holds)."""
    deadline = entry.round.deadline
    others = [p for p in entry.projects if p.code != DRAFT_PROJECT]
    without_figure = [p for p in others if not entry.figures.get(p.pk)]
    picks = (without_figure + [p for p in reversed(others) if p not in without_figure])[:3]
    missing, returned, came_late = (picks + [None] * 3)[:3]
    days = _workdays(calendar, entry.opened, deadline)
    for index, project in enumerate(entry.projects):
        if project is missing:
            reports.append(_report(ctx, entry, project, completed_amount=None, version=1))
            continue
        if project is came_late:
            day = calendar.add_workdays(deadline, 2)
        else:
            day = days[index % len(days)]
        report = _submitted(ctx, entry, project, reports, steps, at=_at(day, 9 + index % 8))
        checked = calendar.add_workdays(day, 1)
        _check(
            ctx,
            report,
            steps,
            at=_at(checked, 15),
            reason=RETURN_REASON if project is returned else "",
        )


def _fill_current(ctx, entry: _Round, calendar, reports, steps) -> None:
    """The current round as it stands on the demo's day: 陈华瑞's report saved as a draft;
    of the others, before the deadline about half are in (the earlier ones checked), after
    it all are, two of them still awaiting check. Nothing is recorded for today or later."""
    deadline = entry.round.deadline
    last = min(deadline, ctx.today - timedelta(days=1))
    days = [day for day in _workdays(calendar, entry.opened, last) if day < ctx.today]
    others = [p for p in entry.projects if p.code != DRAFT_PROJECT]
    if ctx.today > deadline:
        coming = len(others)
    else:
        coming = len(others) * len(days) // max(len(_workdays(calendar, entry.opened, deadline)), 1)
    for index, project in enumerate(entry.projects):
        if project.code == DRAFT_PROJECT:
            reports.append(
                _report(ctx, entry, project, physical_progress=DRAFT_PROGRESS, version=2)
            )
            continue
        rank = others.index(project)
        if not days or rank >= coming:
            reports.append(
                _report(ctx, entry, project, completed_amount=None, physical_progress="")
            )
            continue
        day = days[rank * len(days) // coming]
        report = _submitted(ctx, entry, project, reports, steps, at=_at(day, 9 + index % 8))
        checked = calendar.add_workdays(day, 1)
        # The last two in wait for their check, as do those the office has not reached.
        if rank < coming - 2 and checked < ctx.today:
            _check(ctx, report, steps, at=_at(checked, 15))
