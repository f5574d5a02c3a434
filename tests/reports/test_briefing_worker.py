"""Briefings through real Celery processes on the configured broker (Redis in the services
run): a worker killed mid-render, beat catching up a missed slot, the task path."""

import os
import signal
import time

import pytest

from hitech_zone.celery import app
from hitech_zone.demo import load_demo
from reports import periods, services
from reports.models import Briefing
from reports.tasks import briefing_generate_task, briefings_catch_up_task
from tests.conftest import wait_for

pytestmark = pytest.mark.celery_worker

Status = Briefing.Status


@pytest.fixture
def media(settings, tmp_path, celery_processes):
    settings.MEDIA_ROOT = tmp_path
    celery_processes.env["MEDIA_ROOT"] = str(tmp_path)
    return tmp_path


def status_of(pk: int) -> str:
    return Briefing.objects.get(pk=pk).status


def test_redis_keeps_unacknowledged_jobs_longer_than_a_render():
    if not os.environ.get("REDIS_URL"):
        assert app.conf.broker_url == "filesystem://"
        return
    # A render takes seconds (see `make bench`); a job is only handed out again after
    # an hour without an answer, so a slow render never runs twice.
    assert app.conf.broker_transport_options["visibility_timeout"] >= 3600
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def test_a_worker_killed_mid_render_leaves_no_half_briefing_and_one_comes_out(
    celery_processes, media, today
):
    load_demo(today=today)
    # The restarted worker takes back the killed worker's job once it has gone this long
    # unacknowledged (Redis), or the catch-up queues it again past its lease (file broker).
    lease = 6
    celery_processes.env.update(
        CELERY_VISIBILITY_TIMEOUT=str(lease), BRIEFING_RENDER_LEASE_SECONDS=str(lease)
    )
    worker = celery_processes.worker()
    period = periods.last_due(periods.MONTHLY, today)
    pk = services.briefing_request(
        kind="monthly", period=period, trigger=Briefing.Trigger.MANUAL, enqueue=False
    ).briefing.pk
    briefing_generate_task.apply_async(kwargs={"briefing_id": pk}, queue=celery_processes.queue)

    rendering = wait_for(lambda: status_of(pk) == Status.RENDERING, timeout=60, interval=0.02)
    assert rendering, f"the worker never started; logs:\n{celery_processes.log_text()}"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)

    killed = Briefing.objects.get(pk=pk)
    assert killed.status == Status.RENDERING, "the kill came before the render ended"
    assert not killed.pdf_sha256 and not killed.file, "nothing half-written is published"

    time.sleep(lease + 1)
    celery_processes.worker()
    if not os.environ.get("REDIS_URL"):
        # The file broker handed the message out and keeps no copy: the hourly catch-up
        # finds the job past its lease and queues it again.
        briefings_catch_up_task.apply_async(queue=celery_processes.queue)
    published = wait_for(lambda: status_of(pk) == Status.PUBLISHED, timeout=120, interval=0.5)
    assert published, f"no briefing after the restart; logs:\n{celery_processes.log_text()}"

    briefings = Briefing.objects.filter(kind="monthly", period=period.key)
    assert briefings.count() == 1
    briefing = briefings.get()
    assert briefing.attempts == 2
    assert briefing.file.read().startswith(b"%PDF")


def test_beat_catches_up_a_slot_missed_while_it_was_down(
    celery_processes, media, today, tmp_path, settings
):
    load_demo(today=today)
    settings.BRIEFING_CATCH_UP_WEEKS, settings.BRIEFING_CATCH_UP_MONTHS = 1, 0
    # Beat was down last Monday at 07:00: when it starts, the catch-up runs.
    celery_processes.env.update(
        BRIEFING_CATCH_UP_ON_START="1", BRIEFING_CATCH_UP_WEEKS="1", BRIEFING_CATCH_UP_MONTHS="0"
    )
    celery_processes.worker()
    celery_processes.beat(tmp_path)
    last_week = periods.last_complete(periods.WEEKLY, today)

    published = wait_for(
        lambda: Briefing.objects.filter(
            kind="weekly", period=last_week.key, status=Status.PUBLISHED
        ).exists(),
        timeout=120,
        interval=0.5,
    )
    assert published, f"no catch-up briefing; logs:\n{celery_processes.log_text()}"
    briefing = Briefing.objects.get(kind="weekly", period=last_week.key)
    assert briefing.trigger == Briefing.Trigger.CATCH_UP
    # A second catch-up (the hourly run) finds nothing missing.
    assert services.briefings_catch_up() == []
    assert Briefing.objects.filter(kind="weekly").count() == 1
