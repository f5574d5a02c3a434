"""Spreadsheets of issues and visits, written through hitech_zone.spreadsheets (typed cells,
formula-safe text, CSV that Excel opens in Chinese)."""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from hitech_zone.spreadsheets import Sheet
from inspections.models import Issue, SiteVisit


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


def _people(participants) -> str:
    return "、".join(str(person) for person in participants)


def visit_sheet(visits: Iterable[SiteVisit]) -> Sheet:
    """The list of visits as it is filtered (inspections.selectors.visit_list's rows)."""
    return Sheet(
        _("Visits"),
        [
            [
                _("Date of visit"),
                _("Project code"),
                _("Project"),
                _("Park or carrier"),
                _("Visitors"),
                _("On-site contacts"),
                _("Notes"),
                _("Leader's instruction"),
                _("Issues raised"),
                _("Photos"),
                _("Recorded by"),
            ]
        ],
        (
            [
                visit.visited_on,
                visit.project.code,
                visit.project.name,
                visit.project.park.name,
                _people(visit.visitor_list),
                _people(visit.contact_list),
                visit.notes,
                visit.leader_instruction,
                visit.issue_count,
                visit.photo_count,
                str(visit.created_by),
            ]
            for visit in visits
        ),
        widths={0: 12, 2: 30, 4: 30, 5: 30, 6: 40, 7: 40},
        wrap_columns=frozenset({6, 7}),
    )
