"""Spreadsheets of issues, written through hitech_zone.spreadsheets (typed cells,
formula-safe text, CSV that Excel opens in Chinese)."""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from hitech_zone.spreadsheets import Sheet
from inspections.models import Issue


def issue_sheet(issues: Iterable[Issue]) -> Sheet:
    return Sheet(
        _("Issues"),
        [
            [
                _("Project code"),
                _("Project"),
                _("Issue"),
                _("Issue category"),
                _("Severity"),
                _("Status"),
                _("Department"),
                _("Deadline"),
                _("Raised at"),
                _("Raised by"),
                _("Result"),
            ]
        ],
        (
            [
                issue.project.code,
                issue.project.name,
                issue.title,
                issue.category.name,
                issue.get_severity_display(),
                issue.get_status_display(),
                issue.department.name if issue.department else "",
                issue.deadline,
                issue.raised_at,
                str(issue.raised_by),
                issue.result,
            ]
            for issue in issues
        ),
        widths={1: 30, 2: 36, 10: 40},
    )
