"""Spreadsheets of the register, written through hitech_zone.spreadsheets (typed cells,
formula-safe text, CSV that Excel opens in Chinese). Money in 万元.

The register and the monthly figures are written with the import templates' columns and
two header rows, so an exported file imports again with nothing to change."""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from hitech_zone.spreadsheets import Sheet
from projects.imports.columns import MONTHLY_COLUMNS, REGISTER_COLUMNS
from projects.imports.templates import MONTHLY_SHEET, REGISTER_SHEET, header_rows, muted
from projects.lights import Light
from projects.models import Milestone, MonthlyInvestment, Project


def register_sheet(projects: Iterable[Project]) -> Sheet:
    """One row per project as the register shows it (annotated by selectors.project_list)."""
    return Sheet(
        REGISTER_SHEET,
        header_rows(REGISTER_COLUMNS),
        (
            [
                project.code,
                project.name,
                project.company,
                project.park.name,
                project.sector.name,
                project.get_level_display(),
                project.get_category_display(),
                project.get_status_display(),
                project.total_investment,
                project.planned_start,
                project.planned_completion,
                str(project.responsible_person),
                project.location,
                project.description,
                str(Light(project.light).label),
                project.annual_plan,
                project.completed_ytd,
            ]
            for project in projects
        ),
        widths={1: 36, 2: 32, 3: 18, 4: 14, 8: 16, 13: 40},
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
