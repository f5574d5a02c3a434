"""The Celery app. Every scheduled job is listed here, and only here."""

import logging
import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitech_zone.settings")

app = Celery("hitech_zone")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The monthly round's jobs and the group robots' live in packages of the inspections app.
app.autodiscover_tasks(["inspections.rounds", "inspections.robots"])


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
        # Every minute (OUTBOX_FLUSH_SECONDS): send the tasks that wait in the outbox because
        # the broker was down when they were asked for. Beat needs the broker to send this
        # too, so it is the first tick after the broker is back that drains the outbox.
        "outbox-flush": {
            "task": "hitech_zone.tasks.outbox_flush",
            "schedule": settings.OUTBOX_FLUSH_SECONDS,
        },
        # Every night at 03:15 Asia/Shanghai: forget task runs older than TASK_RUN_KEEP_DAYS.
        "task-runs-prune": {
            "task": "hitech_zone.tasks.task_runs_prune",
            "schedule": crontab(hour=3, minute=15),
        },
        # Every day at 08:00 Asia/Shanghai: deadlines two working days away, and overdue issues.
        "issue-deadlines": {
            "task": "inspections.tasks.issue_deadlines_notify",
            "schedule": crontab(hour=8, minute=0),
        },
        # Every day at 06:00 Asia/Shanghai: open last month's reporting round (月报) on the
        # 1st; on the other days the same idempotent job makes up a 1st that beat missed
        # and adds projects planned since.
        "round-open": {
            "task": "inspections.rounds.tasks.open_round",
            "schedule": crontab(hour=6, minute=0),
        },
        # Every day at 08:10 Asia/Shanghai: the round's reminders whose day has come (due
        # soon, late, escalated to the leader in charge).
        "round-reminders": {
            "task": "inspections.rounds.tasks.report_reminders_send",
            "schedule": crontab(hour=8, minute=10),
        },
        # Every ten minutes: notices whose e-mail job gave up (a mail server down for
        # longer than its retries) are sent once the server is back.
        "notification-emails": {
            "task": "inspections.tasks.notification_emails_send",
            "schedule": 600,
        },
        # Every minute (ROBOT_SWEEP_SECONDS): group-robot messages whose retry time has
        # come, or whose sender died mid-send (inspections.robots).
        "robot-deliveries": {
            "task": "inspections.robots.tasks.robot_deliveries_sweep",
            "schedule": settings.ROBOT_SWEEP_SECONDS,
        },
        # Every night at 01:00 Asia/Shanghai: projections, alerts and escalation.
        "slip-detect": {
            "task": "reports.tasks.slip_detect",
            "schedule": crontab(hour=1, minute=0),
        },
        # Mondays at 07:00: the weekly briefing (周调度) for the week that just ended.
        "briefing-weekly": {
            "task": "reports.tasks.briefing_scheduled",
            "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
            "kwargs": {"kind": "weekly"},
        },
        # Every day at 07:00: the monthly briefing (月通报) of a month, on the day it is
        # due (BRIEFING_MONTHLY_WORKDAYS_AFTER_DEADLINE working days after the month's
        # figures were due); on the other days the run finds it made and does nothing.
        "briefing-monthly": {
            "task": "reports.tasks.briefing_scheduled",
            "schedule": crontab(hour=7, minute=0),
            "kwargs": {"kind": "monthly"},
        },
        # Every hour at :30 (and when beat starts): briefings that were due while beat or
        # the workers were down, and jobs that were lost.
        "briefings-catch-up": {
            "task": "reports.tasks.briefings_catch_up",
            "schedule": crontab(minute=30),
        },
    }


@beat_init.connect
def _catch_up_on_start(sender, **_kwargs) -> None:
    from django.conf import settings

    if settings.BRIEFING_CATCH_UP_ON_START:
        app.send_task("reports.tasks.briefings_catch_up")


@worker_ready.connect
def _outbox_flush_on_start(**_kwargs) -> None:
    """A worker starting (often: after the broker or the worker was down) sends what waits
    in the outbox, without waiting for beat's next tick."""
    from hitech_zone.tasks import outbox_flush

    try:
        outbox_flush()
    except Exception:  # the database may be down too: the next flush will do
        logging.getLogger(__name__).warning("outbox flush at worker start failed", exc_info=True)


# Logging, request ids and task timing for every task (cross-cutting signal handlers).
from hitech_zone import celery_signals  # noqa: E402, F401
