"""The public health checks: live, ready (database, broker, migrations), beat, worker."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone

from hitech_zone import health
from hitech_zone.celery import app
from hitech_zone.models import Heartbeat
from hitech_zone.services import heartbeat_record
from hitech_zone.tasks import heartbeat_record as heartbeat_task
from tests.celery_conf import broker_conf, closed_port

pytestmark = pytest.mark.django_db


def test_live_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz_live"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_ready_lists_its_checks(client):
    response = client.get(reverse("healthz_ready"))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "broker": {"ok": True}, "migrations": {"ok": True}},
    }


def test_ready_fails_fast_when_redis_does_not_answer(client):
    port = closed_port()
    started = time.monotonic()
    with broker_conf(broker_url=f"redis://127.0.0.1:{port}/0"):
        response = client.get(reverse("healthz_ready"))
    assert time.monotonic() - started < 4
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["reason"]  # the kind of fault...
    assert str(port) not in response.content.decode()  # ...never where the broker lives
    assert body["checks"]["database"] == {"ok": True}


def test_ready_fails_when_the_file_brokers_folder_is_missing(client, tmp_path):
    options = {**app.conf.broker_transport_options, "data_folder_in": str(tmp_path / "gone")}
    with broker_conf(broker_url="filesystem://", broker_transport_options=options):
        response = client.get(reverse("healthz_ready"))
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert "gone" not in response.content.decode()


def test_ready_fails_while_a_migration_is_unapplied(client):
    # Really unapplied for the database: its record goes (and comes back when the test's
    # transaction is rolled back).
    (latest,) = MigrationLoader(connection).graph.leaf_nodes("hitech_zone")
    MigrationRecorder(connection).record_unapplied(*latest)
    response = client.get(reverse("healthz_ready"))
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert body["checks"]["migrations"] == {"ok": False, "reason": "1 unapplied"}


@pytest.mark.parametrize("name", ["beat", "worker"])
def test_a_fresh_heartbeat_answers_200(client, name):
    heartbeat_record(name=name)
    response = client.get(reverse(f"healthz_{name}"))
    assert response.status_code == 200
    check = response.json()["checks"][name]
    assert check["ok"] is True
    assert check["age_seconds"] < 5


@pytest.mark.parametrize("name", ["beat", "worker"])
def test_a_stale_heartbeat_answers_503_with_its_age(client, settings, name):
    settings.BEAT_HEARTBEAT_SECONDS = 60
    Heartbeat.objects.create(name=name, last_seen=timezone.now() - timedelta(seconds=200))
    response = client.get(reverse(f"healthz_{name}"))
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == [name]
    assert body["checks"][name]["reason"].startswith("stale")  # with Redis: ", no answer..."
    assert 199 <= body["checks"][name]["age_seconds"] < 210


@pytest.mark.parametrize("name", ["beat", "worker"])
def test_no_heartbeat_at_all_answers_503(client, name):
    response = client.get(reverse(f"healthz_{name}"))
    assert response.status_code == 503
    check = response.json()["checks"][name]
    assert check["ok"] is False
    assert check["reason"].startswith("never seen")


def test_the_heartbeat_job_proves_a_worker_too():
    heartbeat_task(name="beat")
    assert set(Heartbeat.objects.values_list("name", flat=True)) == {"beat", "worker"}
    assert health.beat().ok
    assert health.worker().ok


def test_health_checks_are_public_and_refuse_writes(client):
    for name in ("healthz_live", "healthz_ready", "healthz_beat", "healthz_worker"):
        assert client.head(reverse(name)).status_code in {200, 503}
        assert client.post(reverse(name)).status_code == 405


def test_queue_names_include_routed_queues(settings):
    names = health.queue_names()
    assert names[0] == settings.CELERY_TASK_DEFAULT_QUEUE
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        assert route["queue"] in names


def test_worker_check_gives_up_quickly_when_redis_does_not_answer(client):
    # No heartbeat, so the check asks the broker for a ping: on a connection of its own
    # that gives up at once, not the app's pool that retried for about 6 s.
    started = time.monotonic()
    with broker_conf(broker_url=f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.get(reverse("healthz_worker"))
    assert time.monotonic() - started < health.TIMEOUT_SECONDS
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_a_probe_finding_every_check_slot_taken_answers_busy_at_once(
    client, django_assert_num_queries
):
    # Other probes hold both slots (waiting on a dead server, say): this one neither waits
    # nor touches the database, so gunicorn's other threads stay free for pages.
    for _ in range(health.CONCURRENT_CHECKS):
        health._slots.acquire()
    try:
        with django_assert_num_queries(0):
            ready = client.get(reverse("healthz_ready"))
            worker = client.get(reverse("healthz_worker"))
    finally:
        for _ in range(health.CONCURRENT_CHECKS):
            health._slots.release()
    assert ready.status_code == worker.status_code == 503
    assert ready.json()["checks"]["database"] == {"ok": False, "reason": "busy"}
    assert worker.json()["checks"]["worker"] == {"ok": False, "reason": "busy"}
    assert client.get(reverse("healthz_ready")).status_code == 200
