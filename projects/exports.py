"""Spreadsheets of the register. Headers in Chinese (the active language); money in 万元."""

import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from projects.lights import Light
from projects.models import Project


def project_register_xlsx(projects: Iterable[Project]) -> bytes:
    """One row per project as the register shows it (annotated by project_list)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Key projects"))
    headers = [
        _("Project code"),
        _("Project name"),
        _("Company"),
        _("Park or carrier"),
        _("Sector"),
        _("Category"),
        _("Status"),
        _("Light"),
        _("Total investment (10k yuan)"),
        _("Plan this year (10k yuan)"),
        _("Completed this year (10k yuan)"),
        _("Planned start"),
        _("Planned completion"),
        _("Responsible person"),
    ]
    sheet.column_dimensions["B"].width = 36
    sheet.column_dimensions["C"].width = 32
    header_font = Font(bold=True)
    sheet.append([_cell(sheet, text, header_font) for text in headers])
    for project in projects:
        sheet.append(
            [
                project.code,
                project.name,
                project.company,
                project.park.name,
                project.sector.name,
                project.get_category_display(),
                project.get_status_display(),
                str(Light(project.light).label),
                project.total_investment,
                project.annual_plan,
                project.completed_ytd,
                project.planned_start,
                project.planned_completion,
                str(project.responsible_person),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet, value: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell
