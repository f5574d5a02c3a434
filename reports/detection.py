"""The nightly slip detection: projections, then alerts, then escalation, in one
transaction that no other run interleaves with (`reports.alerts.lock_slip_detection`).

One project's data never stops the night for the zone: a project on which a step raises
is logged and skipped (`reports.isolation`), and the run's record
(`reports.models.SlipDetectionRun`) keeps the list for the alerts page."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from hitech_zone import outbox
from inspections import notifications
from reports.alerts import alerts_refresh, lock_slip_detection
from reports.escalation import alerts_escalate
from reports.forecasting import projections_refresh
from reports.isolation import SkippedProjects
from reports.models import SlipDetectionRun

# The heartbeat each run of the job records, shown on the alerts page.
HEARTBEAT_NAME = "slip-detect"
# Days a run's record is kept: the alerts page reads only the last one.
RUN_KEEP_DAYS = 90


def slip_detect(*, now: datetime | None = None) -> dict[str, Any]:
    """Refresh the milestone projections, then the alerts (which read the projections),
    then escalate red alerts, all as of `now` (default: this moment), and record the run.
    Idempotent for a given `now` (but for the run's own record); a fixed number of queries
    whatever the number of projects. Returns the counts of each step, e.g. {"alerts_opened": 3,
    "escalated_leader": 1, ...}, and under "detection_failures" the projects skipped
    ([{"project": "GX-007", "step": "projections", "error": "TypeError: …"}, ...]).
    Notices are e-mailed by a job of their own, asked for as the transaction commits."""
    now = now or timezone.now()
    skipped = SkippedProjects()
    with transaction.atomic():
        lock_slip_detection()
        projections = projections_refresh(now=now, skipped=skipped)
        alerts = alerts_refresh(now=now, skipped=skipped)
        escalations = alerts_escalate(now=now, skipped=skipped)
        # The e-mails are a job of their own, asked for with this run's writes. It also
        # sends those of an earlier run cut short while sending.
        notifications.emails_send_request()
        _run_record(as_of=now, skipped=skipped)
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
        "detection_failures": [
            {key: skip[key] for key in ("project", "step", "error")} for skip in skipped.as_list()
        ],
    }


def _run_record(*, as_of: datetime, skipped: SkippedProjects) -> None:
    finished = timezone.now()
    SlipDetectionRun.objects.create(as_of=as_of, finished_at=finished, skipped=skipped.as_list())
    SlipDetectionRun.objects.filter(
        finished_at__lt=finished - timedelta(days=RUN_KEEP_DAYS)
    ).delete()


def slip_detect_request() -> None:
    """Ask a worker to run the slip detection now (the alerts page's button). One request
    waiting for the broker is enough: asking again adds nothing to wait."""
    from reports.tasks import slip_detect_task

    if not outbox.outbox_waiting(slip_detect_task):
        outbox.outbox_enqueue(slip_detect_task)
