"""Real Celery processes: a worker consuming from the broker (Redis when REDIS_URL is set,
the file broker otherwise) and beat firing the schedule. No eager mode."""

import os
from decimal import Decimal

import pytest

from hitech_zone.celery import app
from hitech_zone.models import Heartbeat
from projects.tasks import zone_summary_compute
from tests import factories
from tests.conftest import wait_for

pytestmark = pytest.mark.celery_worker


def test_eager_mode_is_off():
    assert not app.conf.task_always_eager


def test_the_broker_is_redis_when_redis_url_is_set():
    if os.environ.get("REDIS_URL"):
        assert app.conf.broker_url.startswith("redis://")
    else:
        assert app.conf.broker_url == "filesystem://"


def test_a_task_round_trip_through_a_worker_process(celery_processes, official, today):
    project = factories.ProjectFactory(total_investment=Decimal("100000"))
    factories.AnnualPlanFactory(
        project=project, year=today.year, planned_investment=Decimal("30000")
    )
    worker = celery_processes.worker()

    result = zone_summary_compute.apply_async(
        kwargs={"as_of": today.isoformat(), "username": official.username},
        queue=celery_processes.queue,
    )
    try:
        value = result.get(timeout=60)
    except Exception:
        pytest.fail(f"no answer from the worker; its log:\n{celery_processes.log_text()}")
    assert worker.poll() is None, "the worker exited"
    # The worker read this test's database through the permission layer.
    assert value["project_count"] == 1
    assert Decimal(value["total_investment"]) == Decimal("100000")
    assert Decimal(value["annual_plan"]) == Decimal("30000")
    assert Decimal(value["completed_ytd"]) == Decimal("0")


def test_beat_fires_the_schedule_and_a_worker_runs_it(celery_processes, tmp_path):
    celery_processes.env["BEAT_HEARTBEAT_SECONDS"] = "1"
    celery_processes.worker()
    celery_processes.beat(tmp_path)

    beat_runs = wait_for(
        lambda: Heartbeat.objects.filter(name="beat", count__gte=2).first(), timeout=90
    )
    assert beat_runs, f"beat did not fire twice; logs:\n{celery_processes.log_text()}"
    assert beat_runs.last_seen is not None


def test_briefing_renders_go_to_the_pdf_queue_and_the_rest_to_the_default(settings):
    router = app.amqp.router
    assert router.route({}, "reports.tasks.briefing_generate")["queue"].name == (
        settings.CELERY_PDF_QUEUE
    )
    for task in ("reports.tasks.slip_detect", "inspections.tasks.issue_deadlines_notify"):
        assert router.route({}, task)["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE
