"""Spreadsheet of open alerts, written through hitech_zone.spreadsheets."""

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from hitech_zone.spreadsheets import Sheet
from reports.models import Alert


def alert_sheet(alerts: Iterable[Alert]) -> Sheet:
    """Alerts as reports.selectors.alert_list_open gives them (with `message`)."""
    return Sheet(
        _("Open alerts"),
        [
            [
                _("Project code"),
                _("Project"),
                _("Light"),
                _("Alert"),
                _("Detail"),
                _("First seen"),
                _("Last seen"),
                _("Escalation"),
            ]
        ],
        (
            [
                alert.project.code,
                alert.project.name,
                alert.get_severity_display(),
                alert.get_kind_display(),
                alert.message,
                alert.first_seen_at,
                alert.last_seen_at,
                "; ".join(
                    f"{step.get_step_display()} {timezone.localtime(step.escalated_at):%Y-%m-%d}"
                    for step in alert.escalations.all()
                ),
            ]
            for alert in alerts
        ),
        widths={1: 30, 3: 24, 4: 60, 7: 40},
    )
