"""The parts of a project page that its inline updates re-render: one context builder
shared by the full page and by every update response, so both always agree."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.http import Http404
from django.utils.formats import date_format
from django.utils.translation import gettext

from hitech_zone import charts, permissions
from hitech_zone.money import format_wan, quantize_money
from projects import history, lights, progress, selectors
from projects.forms import (
    MilestoneDatesForm,
    MonthlyInvestmentForm,
    ProgressNoteForm,
    RebaselineForm,
    StatusForm,
)
from projects.models import AnnualPlan, Milestone, MonthlyInvestment, Project

HISTORY_LIMIT = 60
NOTES_LIMIT = 20


@dataclass
class MilestoneRow:
    milestone: Milestone
    slip_days: int
    dates_form: forms.Form
    rebaseline_form: forms.Form


@dataclass
class MonthRow:
    year: int
    month: int
    record: MonthlyInvestment | None
    cumulative: Decimal | None
    form: forms.Form | None

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def _refuse_nul(code: str) -> None:
    if "\x00" in code:
        # No code has a NUL in it, and PostgreSQL refuses to even compare one.
        raise Http404(gettext("No such project."))


def project_named(user, code: str) -> Project:
    """Only the project's code and name, if the user may see it; else 404. What a page
    needs around its cached content (hitech_zone.fragments), checked on every request."""
    _refuse_nul(code)
    return permissions.get_for(user, Project.objects.only("pk", "code", "name"), code=code)


def project_for(user, code: str, *, as_of: date, action=permissions.Action.VIEW) -> Project:
    """The annotated project (light, plan, completed) if the user may reach it; else 404/403."""
    _refuse_nul(code)
    period = progress.reporting_period(as_of)
    project = permissions.get_for(
        user, selectors.project_list(user=user, as_of=as_of, period=period), action, code=code
    )
    return lights.with_reasons([project], as_of=as_of, period=period)[0]


def sections(
    user, project: Project, *, as_of: date, bound: dict[str, forms.Form] | None = None
) -> dict:
    """Context for every section of the project page. `bound` holds forms to show as the
    user submitted them (with errors), keyed like the unbound ones."""
    bound = bound or {}
    can_edit = permissions.can(user, permissions.Action.EDIT, project)
    # Monthly figures come in through the monthly report (月报) and count once an official
    # accepts them: only officials and admins enter them here directly.
    can_enter_figures = can_edit and permissions.has_role(user, *permissions.FIGURE_ENTERERS)
    milestones = list(project.milestones.select_related("phase"))
    year = progress.entry_year(as_of)
    records = {record.month: record for record in project.monthly_investments.filter(year=year)}
    month_rows = []
    running = Decimal(0)
    for month in range(1, 13):
        record = records.get(month)
        started = (year, month) <= (as_of.year, as_of.month)
        if record:
            running += record.completed_amount
        key = f"month-{month}"
        month_rows.append(
            MonthRow(
                year=year,
                month=month,
                record=record,
                cumulative=running if started else None,
                form=(
                    bound.get(key)
                    or MonthlyInvestmentForm(
                        prefix=key,
                        year=year,
                        initial={
                            "month": month,
                            "version": record.version if record else 0,
                            "completed_amount": record.completed_amount if record else None,
                            "note": record.note if record else "",
                        },
                    )
                )
                # A month not begun has no form, unless one was posted for it: that one
                # is shown with the reason it was refused.
                if can_enter_figures and (started or key in bound)
                else None,
            )
        )
    milestone_rows = [
        MilestoneRow(
            milestone=milestone,
            slip_days=milestone.slip_days(as_of),
            dates_form=bound.get(f"dates-{milestone.pk}")
            or MilestoneDatesForm(
                prefix=f"dates-{milestone.pk}",
                initial={
                    "version": milestone.version,
                    "forecast_date": milestone.forecast_date,
                    "actual_date": milestone.actual_date,
                },
            ),
            rebaseline_form=bound.get(f"rebaseline-{milestone.pk}")
            or RebaselineForm(
                prefix=f"rebaseline-{milestone.pk}",
                initial={"version": milestone.version, "baseline_date": milestone.baseline_date},
            ),
        )
        for milestone in milestones
    ]
    period = progress.reporting_period(as_of)
    return {
        "timeline_chart": _timeline(project, milestone_rows, as_of) if milestone_rows else None,
        "investment_chart": _cumulative(project, month_rows, year),
        "period": period,
        "entry_year": year,
        "project": project,
        "today": as_of,
        "can_edit": can_edit,
        "can_enter_figures": can_enter_figures,
        "phases": project.phases.all(),
        "managers": project.managers.all(),
        "milestone_rows": milestone_rows,
        "month_rows": month_rows,
        "due_by_now": quantize_money(project.due_ytd),
        "time_progress_percent": progress.time_progress_percent(
            project.due_ytd, project.annual_plan
        ),
        "notes": project.progress_notes.select_related("author")[:NOTES_LIMIT],
        "history": history.project_history(project, limit=HISTORY_LIMIT),
        "status_form": bound.get("status")
        or StatusForm(
            prefix="status", initial={"status": project.status, "version": project.version}
        ),
        "note_form": bound.get("note") or ProgressNoteForm(prefix="note"),
    }


def _row_colour(row: MilestoneRow, as_of: date) -> str:
    milestone = row.milestone
    if milestone.actual_date:
        return charts.GREEN if not row.slip_days else charts.MUTED
    light = lights.milestone_light(milestone, as_of)
    return {lights.Light.RED: charts.RED, lights.Light.YELLOW: charts.YELLOW}.get(
        light, charts.COMPLETED
    )


def _timeline(project: Project, rows: list[MilestoneRow], as_of: date):
    return charts.timeline_chart(
        title=gettext("Milestone timeline of %(name)s") % {"name": project.name},
        description=gettext(
            "Each milestone's baseline (diamond), forecast (circle) and actual date (filled), with today's line."
        ),
        rows=[
            charts.TimelineRow(
                label=row.milestone.name,
                baseline=row.milestone.baseline_date,
                forecast=row.milestone.forecast_date,
                actual=row.milestone.actual_date,
                colour=_row_colour(row, as_of),
            )
            for row in rows
        ],
        today=as_of,
    )


def _cumulative(project: Project, rows: list[MonthRow], year: int):
    plan = AnnualPlan.objects.filter(project=project, year=year).first()
    planned = plan.planned_investment if plan else Decimal(0)
    due = [
        quantize_money(
            progress.due_amount(
                progress.through(year, row.month),
                annual_plan=planned,
                planned_start=project.planned_start,
                monthly_plan=plan.monthly_plan if plan else None,
            )
        )
        for row in rows
    ]
    return charts.line_chart(
        title=gettext("Cumulative investment in %(year)s") % {"year": year},
        description=gettext(
            "Investment completed so far this year, month by month, against 序时进度 and the annual plan of %(plan)s (10k yuan)."
        )
        % {"plan": format_wan(planned)},
        x_labels=[date_format(date(row.year, row.month, 1), "M") for row in rows],
        series=[
            charts.LineSeries(
                gettext("Completed (cumulative)"),
                [row.cumulative for row in rows],
                charts.COMPLETED,
            ),
            charts.LineSeries(gettext("Due (序时进度)"), due, charts.YELLOW, dashed=True),
            charts.LineSeries(
                gettext("Annual plan"), [planned for _row in rows], charts.NEUTRAL, dashed=True
            ),
        ],
        unit=gettext("10k yuan"),
    )
