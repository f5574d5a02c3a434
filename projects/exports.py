"""Spreadsheets of the register, written through hitech_zone.spreadsheets (typed cells,
formula-safe text, CSV that Excel opens in Chinese). Money in 万元.

The register and the monthly figures are written with the import templates' columns and
two header rows, so an exported file imports again with nothing to change. The register
carries the plan of the year on show and its monthly plan under headers naming the year
(2026年计划投资), and completed investment under one naming its months (2026年1–10月完成投资),
which the import compares rather than imports."""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from hitech_zone.spreadsheets import Sheet
from projects.imports.columns import MONTHLY_COLUMNS, REGISTER_COLUMNS
from projects.imports.templates import MONTHLY_SHEET, REGISTER_SHEET, header_rows, muted
from projects.lights import Light
from projects.models import AnnualPlan, Milestone, MonthlyInvestment, Project
from projects.progress import MONTHS, ReportingPeriod, planned_month_field


def register_sheet(projects: Iterable[Project], *, period: ReportingPeriod) -> Sheet:
    """One row per project as the register shows it (annotated by selectors.project_list
    for `period`), with its plan for the period's year: empty when it has none, so the
    sheet imports again without making one."""
    projects = list(projects)
    plans = {
        plan.project_id: plan
        for plan in AnnualPlan.objects.filter(
            project__in=[project.pk for project in projects], year=period.year
        )
    }

    def row(project: Project) -> list:
        plan = plans.get(project.pk)
        months = {
            planned_month_field(month): getattr(plan, planned_month_field(month), None)
            for month in MONTHS
        }
        values = {
            "code": project.code,
            "name": project.name,
            "company": project.company,
            "park": project.park.name,
            "sector": project.sector.name,
            "level": project.get_level_display(),
            "category": project.get_category_display(),
            "status": project.get_status_display(),
            "total_investment": project.total_investment,
            "planned_start": project.planned_start,
            "planned_completion": project.planned_completion,
            "responsible_person": str(project.responsible_person),
            "location": project.location,
            "description": project.description,
            "light": str(Light(project.light).label),
            "annual_plan": plan.planned_investment if plan else None,
            **months,
            "completed_ytd": project.completed_ytd,
        }
        return [values[column.key] for column in REGISTER_COLUMNS]

    return Sheet(
        REGISTER_SHEET,
        header_rows(REGISTER_COLUMNS, plan_year=period.year, through=(period.year, period.month)),
        [row(project) for project in projects],
        widths={1: 36, 2: 32, 3: 18, 4: 14, 8: 16, 13: 40, 15: 18, 28: 24},
        muted_columns=muted(REGISTER_COLUMNS),
    )


def monthly_investment_sheet(figures: Iterable[MonthlyInvestment]) -> Sheet:
    """One row per project and month (with `project` selected)."""
    return Sheet(
        MONTHLY_SHEET,
        header_rows(MONTHLY_COLUMNS),
        (
            [
                figure.project.code,
                figure.project.name,
                figure.year,
                figure.month,
                figure.completed_amount,
                figure.note,
            ]
            for figure in figures
        ),
        widths={1: 36, 4: 18, 5: 30},
        muted_columns=muted(MONTHLY_COLUMNS),
    )


def milestone_sheet(milestones: Iterable[Milestone], *, as_of) -> Sheet:
    """One row per milestone (with `project` and `phase` selected)."""
    return Sheet(
        _("Milestones"),
        [
            [
                _("Project code"),
                _("Project name"),
                _("Sequence"),
                _("Milestone"),
                _("Phase"),
                _("Baseline date"),
                _("Forecast date"),
                _("Actual date"),
                _("Days past baseline"),
            ]
        ],
        (
            [
                milestone.project.code,
                milestone.project.name,
                milestone.sequence,
                milestone.name,
                milestone.phase.name if milestone.phase else "",
                milestone.baseline_date,
                milestone.forecast_date,
                milestone.actual_date,
                milestone.slip_days(as_of),
            ]
            for milestone in milestones
        ),
        widths={1: 36, 3: 24},
    )
