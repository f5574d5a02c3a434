"""The nightly slip detection: projections, then alerts, then escalation, in one
transaction that no other run interleaves with (`reports.alerts.lock_slip_detection`)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hitech_zone import outbox
from inspections import notifications
from reports.alerts import alerts_refresh, lock_slip_detection
from reports.escalation import alerts_escalate
from reports.forecasting import projections_refresh

# The heartbeat each run of the job records, shown on the alerts page.
HEARTBEAT_NAME = "slip-detect"


def slip_detect(*, now: datetime | None = None) -> dict[str, int]:
    """Refresh the milestone projections, then the alerts (which read the projections),
    then escalate red alerts, all as of `now` (default: this moment). Idempotent for a
    given `now`; a fixed number of queries whatever the number of projects. Returns the
    counts of each step, e.g. {"alerts_opened": 3, "escalated_leader": 1, ...}. Notices
    are e-mailed by a job of their own, asked for as the transaction commits."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_slip_detection()
        projections = projections_refresh(now=now)
        alerts = alerts_refresh(now=now)
        escalations = alerts_escalate(now=now)
        # The e-mails are a job of their own, asked for with this run's writes. It also
        # sends those of an earlier run cut short while sending.
        notifications.emails_send_request()
    return {
        "projections_created": projections.created,
        "projections_updated": projections.updated,
        "projections_deleted": projections.deleted,
        "projections_unchanged": projections.unchanged,
        "alerts_opened": alerts.opened,
        "alerts_resolved": alerts.resolved,
        "alerts_kept": alerts.kept,
        **{
            f"escalated_{step}": count
            for step, count in escalations.items()
            if step != "notifications"
        },
        "notifications": escalations["notifications"],
    }


def slip_detect_request() -> None:
    """Ask a worker to run the slip detection now (the alerts page's button). One request
    waiting for the broker is enough: asking again adds nothing to wait."""
    from reports.tasks import slip_detect_task

    if not outbox.outbox_waiting(slip_detect_task):
        outbox.outbox_enqueue(slip_detect_task)
