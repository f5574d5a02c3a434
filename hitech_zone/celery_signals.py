"""Celery signals for cross-cutting concerns only: logging, the request id, task timing.

- Workers and beat log through `settings.LOGGING` (JSON lines or plain), not Celery's own
  format.
- A task enqueued while a request (or another task) runs carries that request's id in its
  message headers; the worker sets it for the run, so the task's log lines carry it too.
- Each run is logged when it starts and when it succeeds, retries or fails, with its
  duration, and recorded as a `TaskRun` row for the metrics page.
- Failures, retries and redeliveries are also counted per task name outside the database
  (`task_event_count`: Redis when REDIS_URL is set, else a file under VAR_DIR), so a task
  that failed because PostgreSQL was down still counts on /metrics/.

Connected by importing this module (see the bottom of `hitech_zone/celery.py`).
"""

import fcntl
import json
import logging
import logging.config
import time
from contextvars import Token
from dataclasses import dataclass
from datetime import datetime

from celery import signals
from django.utils import timezone

from hitech_zone.logging import request_id_get, request_id_reset, request_id_set, sane_request_id

logger = logging.getLogger("hitech_zone.tasks")

# The message header that carries the request id from the publisher to the worker.
REQUEST_ID_HEADER = "hitech_request_id"
STATES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}


@dataclass
class _Run:
    started: float  # time.monotonic()
    started_at: datetime
    request_id: str | None
    token: Token


# Runs in progress in this process, by task id.
_runs: dict[str, _Run] = {}


def _elapsed_ms(task_id: str | None) -> int | None:
    run = _runs.get(task_id or "")
    return None if run is None else round((time.monotonic() - run.started) * 1000)


@signals.setup_logging.connect
def _setup_logging(**_kwargs) -> None:
    """Instead of Celery's root-logger takeover: the same handlers as the web process."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    # Python's warnings (Celery's SecurityWarning among them) as log records, so that they
    # too are JSON lines rather than bare text on stderr.
    logging.captureWarnings(True)


@signals.before_task_publish.connect
def _carry_request_id(headers: dict | None = None, **_kwargs) -> None:
    request_id = request_id_get()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


def _incoming_request_id(task) -> str | None:
    request = task.request
    value = getattr(request, REQUEST_ID_HEADER, None) or (request.headers or {}).get(
        REQUEST_ID_HEADER
    )
    return sane_request_id(value)


# ------------------------------------------------------------ task event counters

EVENTS = ("failure", "retry", "redelivered")
REDIS_KEY = "hitech_zone:task_events:{event}"
COUNTER_FILE = "task-events.json"


def _redis():
    import redis
    from django.conf import settings

    # Short timeouts: a count is never worth holding a task (or the metrics page) up.
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _counter_path():
    from django.conf import settings

    return settings.VAR_DIR / COUNTER_FILE


def task_event_count(*, event: str, task_name: str) -> None:
    """Add one to `event` (failure, retry, redelivered) of `task_name`. Never touches the
    database, and never raises: a count must not fail a task."""
    from django.conf import settings

    try:
        if settings.REDIS_URL:
            _redis().hincrby(REDIS_KEY.format(event=event), task_name, 1)
            return
        path = _counter_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+", encoding="utf-8") as file:
            # Workers of a pool share the file: one writer at a time.
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(0)
            counts = json.loads(file.read() or "{}")
            per_task = counts.setdefault(event, {})
            per_task[task_name] = per_task.get(task_name, 0) + 1
            file.seek(0)
            file.truncate()
            file.write(json.dumps(counts, sort_keys=True))
    except Exception:
        logger.warning("could not count the %s of task %s", event, task_name, exc_info=True)


def task_event_counts() -> dict[str, dict[str, int]] | None:
    """{task name: {"failure": n, "retry": n, "redelivered": n}} since the counters were
    made (they only grow, like a Prometheus counter); None when the store cannot be read."""
    from django.conf import settings

    try:
        if settings.REDIS_URL:
            client = _redis()
            raw = {event: client.hgetall(REDIS_KEY.format(event=event)) for event in EVENTS}
            counts = {
                event: {name.decode(): int(value) for name, value in values.items()}
                for event, values in raw.items()
            }
        else:
            path = _counter_path()
            counts = json.loads(path.read_text(encoding="utf-8") or "{}") if path.exists() else {}
    except Exception:
        logger.warning("task event counts unavailable", exc_info=True)
        return None
    tasks: dict[str, dict[str, int]] = {}
    for event in EVENTS:
        for name, value in counts.get(event, {}).items():
            tasks.setdefault(name, dict.fromkeys(EVENTS, 0))[event] = value
    return dict(sorted(tasks.items()))


def task_event_counts_reset() -> None:
    """Forget every count (tests; an operator starting afresh)."""
    from django.conf import settings

    if settings.REDIS_URL:
        _redis().delete(*(REDIS_KEY.format(event=event) for event in EVENTS))
    else:
        _counter_path().unlink(missing_ok=True)


def _redelivered(task) -> bool:
    # Redis marks a message handed out again (its worker died before acknowledging it);
    # so does AMQP. The file broker keeps no such mark.
    return bool((task.request.delivery_info or {}).get("redelivered"))


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, task=None, **_kwargs) -> None:
    request_id = _incoming_request_id(task)
    _runs[task_id] = _Run(time.monotonic(), timezone.now(), request_id, request_id_set(request_id))
    logger.info("task %s started", task.name, extra={"task": task.name, "task_id": task_id})
    if _redelivered(task):
        task_event_count(event="redelivered", task_name=task.name)


@signals.task_success.connect
def _task_succeeded(sender=None, **_kwargs) -> None:
    task_id = sender.request.id
    duration = _elapsed_ms(task_id)
    logger.info(
        "task %s succeeded in %s ms",
        sender.name,
        duration,
        extra={"task": sender.name, "task_id": task_id, "duration_ms": duration},
    )


@signals.task_retry.connect
def _task_retried(sender=None, request=None, reason=None, **_kwargs) -> None:
    task_id = getattr(request, "id", None)
    duration = _elapsed_ms(task_id)
    logger.warning(
        "task %s will retry after %s ms: %s",
        sender.name,
        duration,
        reason,
        extra={"task": sender.name, "task_id": task_id, "duration_ms": duration},
    )
    task_event_count(event="retry", task_name=sender.name)


@signals.task_failure.connect
def _task_failed(sender=None, task_id=None, exception=None, **_kwargs) -> None:
    duration = _elapsed_ms(task_id)
    logger.error(
        "task %s failed after %s ms: %r",
        sender.name,
        duration,
        exception,
        extra={"task": sender.name, "task_id": task_id, "duration_ms": duration},
    )
    task_event_count(event="failure", task_name=sender.name)


@signals.task_postrun.connect
def _task_finished(task_id: str | None = None, task=None, state: str | None = None, **_kw):
    run = _runs.pop(task_id, None)
    if run is None:
        return
    try:
        if state in STATES:
            _record(task, task_id, STATES[state], run)
    finally:
        try:
            request_id_reset(run.token)
        except ValueError:  # set in another context: just clear it
            request_id_set(None)


def _record(task, task_id: str, state: str, run: _Run) -> None:
    from hitech_zone import services

    delivery = task.request.delivery_info or {}
    try:
        services.task_run_record(
            task_name=task.name,
            task_id=task_id,
            queue=delivery.get("routing_key") or "",
            state=state,
            started_at=run.started_at,
            duration_ms=round((time.monotonic() - run.started) * 1000),
            request_id=run.request_id or "",
        )
    except Exception:
        # A metric must never fail a task (the database may be why the task failed).
        logger.warning("could not record the run of task %s", task.name, exc_info=True)
