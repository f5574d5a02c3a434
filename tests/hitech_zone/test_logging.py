"""Structured logs: the JSON formatter, the request id from the proxy to the worker."""

import io
import json
import logging
import sys
import uuid

import pytest
from django.urls import reverse

from hitech_zone.celery import app
from hitech_zone.celery_signals import REQUEST_ID_HEADER, _carry_request_id
from hitech_zone.logging import (
    JsonFormatter,
    RequestIdFilter,
    request_id_get,
    request_id_reset,
    request_id_set,
)
from hitech_zone.models import TaskRun
from tests.conftest import wait_for


def test_the_json_formatter_writes_one_object_per_line_with_the_request_id():
    token = request_id_set("abc-123")
    try:
        record = logging.LogRecord(
            "hitech_zone.x", logging.WARNING, __file__, 1, "两个 %s", ("项目",), None
        )
        record.duration_ms = 12.5
        RequestIdFilter().filter(record)
        line = JsonFormatter().format(record)
    finally:
        request_id_reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "两个 项目"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "hitech_zone.x"
    assert entry["request_id"] == "abc-123"
    assert entry["duration_ms"] == 12.5
    assert entry["time"].endswith("+00:00")


def test_the_json_formatter_keeps_the_traceback_on_the_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.makeLogRecord(
            {"name": "x", "levelno": 40, "levelname": "ERROR", "msg": "failed"}
        )
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] is None
    assert "ValueError: boom" in entry["exc_info"]


@pytest.fixture
def access_log():
    """What the access logger writes, through the configured filter and JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hitech_zone.access")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept_and_returned(client, access_log):
    response = client.get(reverse("healthz_live"), HTTP_X_REQUEST_ID="lb-7f3a.9_Z")
    assert response["X-Request-ID"] == "lb-7f3a.9_Z"
    [line] = access_log()
    assert line["request_id"] == "lb-7f3a.9_Z"
    assert line["method"] == "GET"
    assert line["path"] == "/healthz/live"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert request_id_get() is None  # cleared after the request


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["", "a b", "x" * 65, "id;rm -rf", "名字"])
def test_an_insane_request_id_is_replaced(client, incoming):
    response = client.get(reverse("healthz_live"), HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32
    int(response["X-Request-ID"], 16)


@pytest.mark.django_db
def test_each_request_gets_its_own_id_and_an_access_line_with_the_user(
    client, official, access_log
):
    client.force_login(official)
    first = client.get(reverse("metrics"))["X-Request-ID"]
    second = client.get(reverse("metrics"))["X-Request-ID"]
    assert first != second
    lines = access_log()
    assert [line["request_id"] for line in lines] == [first, second]
    assert {line["user_id"] for line in lines} == {official.pk}


def test_a_published_task_carries_the_current_request_id():
    headers = {}
    _carry_request_id(headers=headers)
    assert headers == {}
    token = request_id_set("req-1")
    try:
        _carry_request_id(headers=headers)
    finally:
        request_id_reset(token)
    assert headers == {REQUEST_ID_HEADER: "req-1"}


@pytest.mark.celery_worker
def test_a_request_id_reaches_the_workers_log_and_the_task_run(celery_processes, client, official):
    """A real worker, JSON logs: the request that enqueues slip detection and the task's
    log lines share one id, and the run is recorded with it."""
    celery_processes.env["LOG_FORMAT"] = "json"
    queue = app.amqp.router.route({}, "reports.tasks.slip_detect")["queue"].name
    celery_processes.worker(queue=queue)
    request_id = f"test-{uuid.uuid4().hex}"
    client.force_login(official)

    response = client.post(reverse("slip_detect_now"), HTTP_X_REQUEST_ID=request_id)

    assert response.status_code == 302
    assert response["X-Request-ID"] == request_id
    run = wait_for(lambda: TaskRun.objects.filter(request_id=request_id).first(), timeout=90)
    assert run, f"no task run recorded; worker log:\n{celery_processes.log_text()}"
    assert run.task_name == "reports.tasks.slip_detect"
    assert run.state == TaskRun.State.SUCCESS
    assert run.queue == queue
    assert run.duration_ms >= 0

    def task_lines():
        lines = []
        for text in celery_processes.logs[0].read_text(errors="replace").splitlines():
            try:
                entry = json.loads(text)
            except ValueError:
                continue  # Celery's start-up banner is not a log record
            if isinstance(entry, dict) and entry.get("request_id") == request_id:
                lines.append(entry)
        return lines if any("succeeded" in line["message"] for line in lines) else None

    lines = wait_for(task_lines, timeout=20)
    assert lines, f"no log line with the request id; worker log:\n{celery_processes.log_text()}"
    messages = [line["message"] for line in lines]
    assert any(message.startswith("task reports.tasks.slip_detect started") for message in messages)
    succeeded = next(line for line in lines if "succeeded" in line["message"])
    assert succeeded["task_id"] == run.task_id
    assert succeeded["duration_ms"] >= 0
    assert succeeded["level"] == "INFO"
