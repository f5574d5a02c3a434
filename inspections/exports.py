"""Spreadsheets of issues. Text is written as text: a formula-looking value is escaped."""

import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from inspections.models import Issue


def _text(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in Excel.
    return f"'{value}" if value[:1] in {"=", "+", "-", "@"} else value


def issue_list_xlsx(issues: Iterable[Issue]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Issues"))
    sheet.append(
        [
            _("Project code"),
            _("Project"),
            _("Issue"),
            _("Category"),
            _("Severity"),
            _("Status"),
            _("Department"),
            _("Deadline"),
            _("Raised at"),
            _("Raised by"),
            _("Result"),
        ]
    )
    for issue in issues:
        sheet.append(
            [
                issue.project.code,
                _text(issue.project.name),
                _text(issue.title),
                issue.category.name,
                issue.get_severity_display(),
                issue.get_status_display(),
                issue.department.name if issue.department else "",
                issue.deadline,
                timezone.localtime(issue.raised_at).replace(tzinfo=None),
                str(issue.raised_by),
                _text(issue.result),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
