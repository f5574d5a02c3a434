from celery import shared_task
from django.conf import settings

from hitech_zone import services

# Recorded by every heartbeat task: whichever process scheduled it, a worker ran it.
WORKER_HEARTBEAT = "worker"


@shared_task(name="hitech_zone.tasks.heartbeat_record")
def heartbeat_record(*, name: str) -> str:
    if name != WORKER_HEARTBEAT:
        services.heartbeat_record(name=WORKER_HEARTBEAT)
    return services.heartbeat_record(name=name).last_seen.isoformat()


@shared_task(name="hitech_zone.tasks.task_runs_prune")
def task_runs_prune() -> int:
    return services.task_run_prune(keep_days=settings.TASK_RUN_KEEP_DAYS)
