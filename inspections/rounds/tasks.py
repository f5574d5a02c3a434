"""Jobs of the monthly round, thin wrappers over `services` and `reminders`, taking ISO
dates and ids. When each runs is set in `hitech_zone/celery.py`. All are idempotent and
acknowledged late (CELERY_TASK_ACKS_LATE), so a worker killed mid-run loses nothing: the
job runs again and only adds what the killed run did not."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from inspections.rounds import reminders, services
from inspections.tasks import RETRY_ON_TRANSIENT_FAULTS

# Stated here as well as in the settings: these jobs rely on it.
ACKS_LATE = {"acks_late": True, "reject_on_worker_lost": True}


def _day(today: str | None) -> date:
    return date.fromisoformat(today) if today else timezone.localdate()


@shared_task(name="inspections.rounds.tasks.open_round", **ACKS_LATE, **RETRY_ON_TRANSIENT_FAULTS)
def open_round(
    *, today: str | None = None, year: int | None = None, month: int | None = None
) -> dict:
    """Open the round of `year`/`month`, by default the one a round opened on `today` (by
    default today) reports: last month. On the 1st it opens a new round; any other day it
    adds what is missing, if anything."""
    if year is None or month is None:
        year, month = services.round_month_for(_day(today))
    opened = services.round_open(year, month)
    return {
        "round": str(opened.round),
        "created": opened.created,
        "reports_created": opened.reports_created,
    }


@shared_task(
    name="inspections.rounds.tasks.report_reminders_send", **ACKS_LATE, **RETRY_ON_TRANSIENT_FAULTS
)
def report_reminders_send(*, today: str | None = None) -> int:
    return reminders.reminders_send(today=_day(today))


@shared_task(name=reminders.RETURNED_TASK, **ACKS_LATE, **RETRY_ON_TRANSIENT_FAULTS)
def report_returned_notify(*, step_id: int) -> int:
    return reminders.returned_notify(step_id=step_id)
