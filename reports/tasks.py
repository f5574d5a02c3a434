"""Jobs of the reports app: thin wrappers over its services, taking ids and ISO strings.
When each runs is set in `hitech_zone/celery.py`."""

import logging
from datetime import datetime

from celery import shared_task
from celery.signals import worker_init

from hitech_zone.tasks import TRANSIENT_FAULTS, TRANSIENT_MAX_RETRIES
from reports import services

logger = logging.getLogger(__name__)


@worker_init.connect
def _load_pdf_renderer(**_kwargs) -> None:
    # In the worker's main process, before its pool starts: every process it forks has
    # WeasyPrint loaded, and no briefing's render pays for loading it.
    from reports import pdf

    pdf.preload()


def _moment(now: str | None) -> datetime | None:
    return datetime.fromisoformat(now) if now else None


@shared_task(
    name="reports.tasks.slip_detect",
    autoretry_for=TRANSIENT_FAULTS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=TRANSIENT_MAX_RETRIES,
)
def slip_detect_task(*, now: str | None = None) -> dict:
    from hitech_zone.services import heartbeat_record
    from reports.detection import HEARTBEAT_NAME, slip_detect

    result = slip_detect(now=_moment(now))
    heartbeat_record(name=HEARTBEAT_NAME)
    return result


@shared_task(bind=True, name="reports.tasks.briefing_generate", max_retries=TRANSIENT_MAX_RETRIES)
def briefing_generate_task(self, *, briefing_id: int) -> str:
    try:
        return services.briefing_generate(briefing_id=briefing_id).status
    except TRANSIENT_FAULTS as error:
        if self.request.retries >= TRANSIENT_MAX_RETRIES:
            services.briefing_fail(briefing_id=briefing_id, error=repr(error))
            raise
        # Back off 2, 4, 8... seconds (at most ten minutes) before the next try.
        raise self.retry(exc=error, countdown=min(2 ** (self.request.retries + 1), 600)) from error
    except Exception as error:
        # A fault in the data or the template: retrying cannot help; say so on the row.
        logger.exception("briefing %s failed", briefing_id)
        services.briefing_fail(briefing_id=briefing_id, error=repr(error))
        raise


@shared_task(
    name="reports.tasks.briefing_deliver",
    autoretry_for=TRANSIENT_FAULTS,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=TRANSIENT_MAX_RETRIES,
)
def briefing_deliver_task(*, briefing_id: int) -> int:
    return services.briefing_deliver(briefing_id=briefing_id)


@shared_task(
    name="reports.tasks.briefing_scheduled",
    autoretry_for=TRANSIENT_FAULTS,
    retry_backoff=True,
    max_retries=TRANSIENT_MAX_RETRIES,
)
def briefing_scheduled_task(*, kind: str, now: str | None = None) -> int:
    return services.briefing_scheduled(kind=kind, now=_moment(now)).briefing.pk


@shared_task(
    name="reports.tasks.briefings_catch_up",
    autoretry_for=TRANSIENT_FAULTS,
    retry_backoff=True,
    max_retries=TRANSIENT_MAX_RETRIES,
)
def briefings_catch_up_task(*, now: str | None = None) -> list[int]:
    return services.briefings_catch_up(now=_moment(now))
