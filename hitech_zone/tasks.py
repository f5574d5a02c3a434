from celery import shared_task

from hitech_zone import services


@shared_task(name="hitech_zone.tasks.heartbeat_record")
def heartbeat_record(*, name: str) -> str:
    return services.heartbeat_record(name=name).last_seen.isoformat()
