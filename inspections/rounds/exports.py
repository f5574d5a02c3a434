"""A round's reports as a spreadsheet, written through hitech_zone.spreadsheets (typed
cells, formula-safe text). Money in 万元."""

from collections.abc import Iterable, Mapping

from django.utils.translation import gettext as _

from hitech_zone.spreadsheets import Sheet
from inspections.models import MonthlyReport, ReportingRound


def round_sheet(
    round_: ReportingRound,
    reports: Iterable[MonthlyReport],
    *,
    workdays_late: Mapping[int, int],
) -> Sheet:
    """One row per report of the round (with `project__park`, `checked_by` selected and
    `project__managers` prefetched); `workdays_late` maps a late report's id to its working
    days late (until it came in, or until today while it is missing)."""
    return Sheet(
        _("Monthly reports %(round)s") % {"round": round_.label},
        [
            [
                _("Project code"),
                _("Project"),
                _("Park"),
                _("Project managers"),
                _("State"),
                _("Investment completed in the month (10k yuan)"),
                _("Submitted at"),
                _("Checked by"),
                _("Checked at"),
                _("Working days reported late"),
            ]
        ],
        (
            [
                report.project.code,
                report.project.name,
                report.project.park.name,
                "、".join(str(manager) for manager in report.project.managers.all()),
                report.get_state_display(),
                report.completed_amount,
                report.submitted_at,
                str(report.checked_by) if report.checked_by else "",
                report.checked_at,
                workdays_late.get(report.pk, 0),
            ]
            for report in reports
        ),
        widths={1: 30, 2: 18, 3: 20, 6: 18, 8: 18},
    )
