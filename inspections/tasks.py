from datetime import date

from celery import shared_task
from django.utils import timezone

from inspections import notifications


@shared_task(name="inspections.tasks.issue_step_notify")
def issue_step_notify(*, follow_up_id: int) -> int:
    return notifications.notify_step(follow_up_id=follow_up_id)


@shared_task(name="inspections.tasks.issue_deadlines_notify")
def issue_deadlines_notify(*, today: str | None = None) -> int:
    day = date.fromisoformat(today) if today else timezone.localdate()
    return notifications.notify_deadlines(today=day)
