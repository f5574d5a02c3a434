"""The robots' jobs: a channel's sender, and beat's sweep for messages due."""

import logging

from celery import shared_task

from inspections.robots import deliveries, sending
from inspections.tasks import RETRY_ON_TRANSIENT_FAULTS

logger = logging.getLogger(__name__)


@shared_task(name=deliveries.SEND_TASK, bind=True, **RETRY_ON_TRANSIENT_FAULTS)
def robot_deliveries_send(self, *, channel_id: int) -> None:
    """Send a channel's messages that are due; when one has to wait (the throttle, a
    retry's back-off), run again when it may go. If that request cannot reach the broker,
    beat's sweep starts the channel again."""
    wait = sending.deliveries_send(channel_id=channel_id)
    if wait is None:
        return
    try:
        self.apply_async(kwargs={"channel_id": channel_id}, countdown=wait)
    except Exception:
        logger.warning("robot sender not rescheduled; the sweep will", exc_info=True)


@shared_task(name="inspections.robots.tasks.robot_deliveries_sweep", **RETRY_ON_TRANSIENT_FAULTS)
def robot_deliveries_sweep() -> int:
    """Every ROBOT_SWEEP_SECONDS: start the sender of each channel with a message due (a
    retry whose time has come, a message whose sender died)."""
    channel_ids = sending.channels_due()
    for channel_id in channel_ids:
        robot_deliveries_send.delay(channel_id=channel_id)
    return len(channel_ids)
