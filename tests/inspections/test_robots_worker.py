"""A real Celery worker killed with SIGKILL while a robot message is on the wire, and the
message still arrives.

The vendor (tests.inspections.test_robots.VendorServer, on loopback) reads the request
and holds its answer, as a hung vendor would; the test kills the worker then. The message
is left "sending" under its lease (ROBOT_SEND_LEASE_SECONDS, 2 s here). The worker's
unacknowledged job goes back to the queue after the broker's visibility timeout (LEASE, 5
s here; an hour in production, where beat's sweep finds the message after its lease
first), and a new worker sends the message again.

What the vendor saw is exactly the guarantee the README states: the request cut off by
the kill, then the message again, in full: at least once. A vendor that had acted on the
first request would show it twice; none of the three takes an idempotency key."""

import os
import signal
import time

import pytest
from celery import Celery

from inspections.robots import deliveries
from inspections.robots.models import RobotChannel, RobotDelivery
from tests.faults.conftest import private_redis, wait_until  # noqa: F401 (a fixture)
from tests.inspections.test_robots import WEBHOOKS, vendor_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.celery_worker

LEASE = 5


@pytest.fixture
def sender(private_redis):  # noqa: F811
    app = Celery("robots-sender", broker=private_redis.url, set_as_current=False)
    yield app
    app.close()


def test_a_worker_killed_mid_send_the_message_still_arrives(
    celery_processes,
    private_redis,  # noqa: F811
    vendor_server,  # noqa: F811
    sender,
):
    celery_processes.env.update(
        REDIS_URL=private_redis.url,
        CELERY_VISIBILITY_TIMEOUT=str(LEASE),
        ROBOT_WECOM_BASE_URL=vendor_server.url,
        ROBOT_SEND_LEASE_SECONDS="2",
        ROBOT_HTTP_TIMEOUT_SECONDS="30",
    )
    robot = RobotChannel.objects.create(
        name="园区办公室群",
        vendor="wecom",
        webhook_url=WEBHOOKS["wecom"],
        audience="zone_office",
    )
    delivery = RobotDelivery.objects.create(
        channel=robot,
        event_key="report_late:project-7:2026-10:7",
        title="月报逾期",
        text="**月报逾期**",
    )
    vendor_server.hold = True
    worker = celery_processes.worker()
    sender.send_task(
        deliveries.SEND_TASK,
        kwargs={"channel_id": robot.pk},
        queue=celery_processes.queue,
        ignore_result=True,
    )
    wait_until(
        vendor_server.holding.is_set,
        timeout=60,
        what="the request on the wire",
        log=celery_processes.log_text,
    )
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("sending", 1)
    vendor_server.hold = False
    vendor_server.release.set()  # its answer goes to a dead socket

    time.sleep(LEASE + 1)
    celery_processes.worker()
    wait_until(
        lambda: RobotDelivery.objects.filter(pk=delivery.pk, state="sent").exists(),
        timeout=60,
        what="the message sent again",
        log=celery_processes.log_text,
    )
    expected = {"msgtype": "markdown", "markdown": {"content": "**月报逾期**"}}
    assert vendor_server.bodies() == [expected, expected]
    delivery.refresh_from_db()
    assert delivery.attempts == 2
