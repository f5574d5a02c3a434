"""The Celery app. Every scheduled job is listed here, and only here."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitech_zone.settings")

app = Celery("hitech_zone")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        # Every minute (BEAT_HEARTBEAT_SECONDS): proves beat and a worker are alive.
        "beat-heartbeat": {
            "task": "hitech_zone.tasks.heartbeat_record",
            "schedule": settings.BEAT_HEARTBEAT_SECONDS,
            "kwargs": {"name": "beat"},
        },
        # Every day at 08:00 Asia/Shanghai: deadlines two working days away, and overdue issues.
        "issue-deadlines": {
            "task": "inspections.tasks.issue_deadlines_notify",
            "schedule": crontab(hour=8, minute=0),
        },
    }
