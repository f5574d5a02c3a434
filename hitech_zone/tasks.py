from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from hitech_zone import outbox, services

# Recorded by every heartbeat task: whichever process scheduled it, a worker ran it.
WORKER_HEARTBEAT = "worker"

# Faults that pass: the database or the broker restarting, a full disk being cleared.
# Tasks retry on these (with back-off) instead of failing, and losing, their job.
TRANSIENT_FAULTS = (OperationalError, InterfaceError, ConnectionError, TimeoutError, OSError)
TRANSIENT_MAX_RETRIES = 5


@shared_task(name="hitech_zone.tasks.heartbeat_record")
def heartbeat_record(*, name: str) -> str:
    if name != WORKER_HEARTBEAT:
        services.heartbeat_record(name=WORKER_HEARTBEAT)
    return services.heartbeat_record(name=name).last_seen.isoformat()


@shared_task(name="hitech_zone.tasks.task_runs_prune")
def task_runs_prune() -> int:
    return services.task_run_prune(keep_days=settings.TASK_RUN_KEEP_DAYS)


@shared_task(name="hitech_zone.tasks.outbox_flush")
def outbox_flush() -> int:
    """Send the tasks that wait in the outbox (the broker was down when they were asked
    for), and forget the ones sent long ago."""
    sent = 0
    while batch := outbox.outbox_flush():
        sent += batch
        if batch < outbox.FLUSH_BATCH:
            break
    outbox.outbox_prune(keep_days=settings.OUTBOX_KEEP_DAYS)
    return sent
