"""Jobs of the inspections app, thin wrappers over `notifications`. Both are idempotent:
a notification is one row per recipient and event, and each is e-mailed once, so a job
run twice (a redelivered message, a worker killed mid-run) notifies nobody twice."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from hitech_zone.tasks import TRANSIENT_FAULTS, TRANSIENT_MAX_RETRIES
from inspections import notifications, photos

# The database restarting, the mail server not answering: try again later, with back-off.
RETRY_ON_TRANSIENT_FAULTS = {
    "autoretry_for": TRANSIENT_FAULTS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": TRANSIENT_MAX_RETRIES,
}


@shared_task(name="inspections.tasks.issue_step_notify", **RETRY_ON_TRANSIENT_FAULTS)
def issue_step_notify(*, follow_up_id: int) -> int:
    return notifications.notify_step(follow_up_id=follow_up_id)


@shared_task(name="inspections.tasks.issue_deadlines_notify", **RETRY_ON_TRANSIENT_FAULTS)
def issue_deadlines_notify(*, today: str | None = None) -> int:
    day = date.fromisoformat(today) if today else timezone.localdate()
    return notifications.notify_deadlines(today=day)


@shared_task(name=notifications.EMAILS_TASK, **RETRY_ON_TRANSIENT_FAULTS)
def notification_emails_send() -> int:
    return notifications.send_all_pending_emails()


@shared_task(name="inspections.tasks.held_photos_purge")
def held_photos_purge() -> int:
    """Nightly: the photos kept for visit forms that were never submitted again."""
    return photos.purge_held_photos()
