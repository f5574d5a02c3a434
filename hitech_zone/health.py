"""Health checks for the load balancer and the orchestrator (/healthz/...), and the
broker's queue lengths for the metrics page.

Each check is a plain function returning a `Check`: its name, whether it passed, and a
short public reason. A reason names the kind of fault (an exception's class, a count),
never a host, a path or data; the full error goes to the log. Every check gives up
within TIMEOUT_SECONDS, whatever is down: each broker call has socket timeouts and no
retries, each database query a statement timeout, and the database connection the
settings' connect timeout (DATABASE_CONNECT_TIMEOUT).

Probes never starve pages: gunicorn serves with threads (scripts/gunicorn.conf.py), and at
most CONCURRENT_CHECKS of the checks that wait on a server run at once in a process. A
probe that finds them all running answers 503 "busy" at once: checks that overlap mean a
server is slow, and an old "ok" would hide an outage.
"""

import functools
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from kombu.exceptions import ChannelError

from hitech_zone.celery import app
from hitech_zone.models import Heartbeat
from hitech_zone.tasks import WORKER_HEARTBEAT

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0
# The broker's share of it: connecting, then one answer (a ping, a queue length).
BROKER_SOCKET_SECONDS = 0.8
# How long a worker ping waits for replies, on a connection already made.
PING_SECONDS = 0.8
# Each query of a check, on PostgreSQL (a lock or an overloaded server).
STATEMENT_TIMEOUT_MS = 1500
# Checks that wait on a server, running at once in one process: gunicorn's other threads
# stay free for pages (4 threads a process).
CONCURRENT_CHECKS = 2
BUSY = "busy"
BEAT_HEARTBEAT = "beat"
# A heartbeat counts as recent within this many of its intervals.
HEARTBEAT_INTERVALS = 3
# The file broker's folders, by transport option.
FILE_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    reason: str = ""
    age_seconds: float | None = None

    def as_dict(self) -> dict:
        data: dict = {"ok": self.ok}
        if self.reason:
            data["reason"] = self.reason
        if self.age_seconds is not None:
            data["age_seconds"] = round(self.age_seconds, 1)
        return data


_slots = threading.BoundedSemaphore(CONCURRENT_CHECKS)


def one_of_few(busy):
    """Run the check if a slot is free, else answer `busy()`."""

    def decorate(check):
        @functools.wraps(check)
        def guarded():
            if not _slots.acquire(blocking=False):
                return busy()
            try:
                return check()
            finally:
                _slots.release()

        return guarded

    return decorate


def _failed(name: str, error: BaseException) -> Check:
    logger.warning("health check %s failed: %r", name, error, extra={"check": name})
    return Check(name, False, type(error).__name__)


@contextmanager
def _query_deadline():
    """A transaction whose queries PostgreSQL cancels past STATEMENT_TIMEOUT_MS."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)",
                    [f"{STATEMENT_TIMEOUT_MS}ms"],
                )
        yield


def database() -> Check:
    """The database answers a query."""
    try:
        with _query_deadline(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return _failed("database", error)
    return Check("database", True)


def broker_connection():
    """A new connection to the Celery broker that gives up quickly."""
    return app.connection_for_read(
        connect_timeout=BROKER_SOCKET_SECONDS,
        transport_options={
            "socket_timeout": BROKER_SOCKET_SECONDS,
            "socket_connect_timeout": BROKER_SOCKET_SECONDS,
            "max_retries": 0,
        },
    )


def _is_file_broker() -> bool:
    return str(app.conf.broker_url).startswith("filesystem")


def broker() -> Check:
    """Redis (or another networked broker) answers; the file broker's folders exist and
    are writable."""
    if _is_file_broker():
        options = app.conf.broker_transport_options or {}
        for option in FILE_BROKER_FOLDERS:
            folder = options.get(option)
            if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
                logger.warning(
                    "health check broker failed: %s %s is not a writable folder",
                    option,
                    folder,
                    extra={"check": "broker"},
                )
                return Check("broker", False, "folder missing or not writable")
        return Check("broker", True)
    try:
        with broker_connection() as conn:
            # Connecting a Redis channel pings the server.
            conn.ensure_connection(max_retries=0, timeout=TIMEOUT_SECONDS)
    except Exception as error:  # any fault means "not ready", said as such
        return _failed("broker", error)
    return Check("broker", True)


def migrations() -> Check:
    """Every migration on disk is applied to the database."""
    try:
        with _query_deadline():
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return _failed("migrations", error)
    if plan:
        logger.warning(
            "health check migrations failed: %s unapplied", len(plan), extra={"check": "migrations"}
        )
        return Check("migrations", False, f"{len(plan)} unapplied")
    return Check("migrations", True)


@one_of_few(lambda: [Check(name, False, BUSY) for name in ("database", "broker", "migrations")])
def readiness() -> list[Check]:
    """What the web process needs to serve: the database, the broker, the schema."""
    first = database()
    if not first.ok:
        # Without a database the schema cannot be read either.
        return [first, broker(), Check("migrations", False, "database unavailable")]
    return [first, broker(), migrations()]


def heartbeat(name: str, *, max_age: timedelta, now: datetime | None = None) -> Check:
    """The heartbeat `name` was recorded within `max_age`."""
    try:
        with _query_deadline():
            last_seen = (
                Heartbeat.objects.filter(name=name).values_list("last_seen", flat=True).first()
            )
    except DatabaseError as error:
        return _failed(name, error)
    if last_seen is None:
        return Check(name, False, "never seen")
    age = ((now or timezone.now()) - last_seen).total_seconds()
    if age > max_age.total_seconds():
        return Check(name, False, "stale", age)
    return Check(name, True, "", age)


def heartbeat_max_age() -> timedelta:
    return timedelta(seconds=HEARTBEAT_INTERVALS * settings.BEAT_HEARTBEAT_SECONDS)


@one_of_few(lambda: Check(BEAT_HEARTBEAT, False, BUSY))
def beat() -> Check:
    """Beat fired its heartbeat job recently (and a worker ran it)."""
    return heartbeat(BEAT_HEARTBEAT, max_age=heartbeat_max_age())


@one_of_few(lambda: Check("worker", False, BUSY))
def worker() -> Check:
    """A worker ran a heartbeat recently or, with a broker that has remote control
    (Redis), answers a ping now."""
    recent = heartbeat(WORKER_HEARTBEAT, max_age=heartbeat_max_age())
    if recent.ok or not app.conf.worker_enable_remote_control or _is_file_broker():
        return Check("worker", recent.ok, recent.reason, recent.age_seconds)
    try:
        # On a connection of our own that gives up at once: the app's pool would retry
        # a dead broker for seconds.
        with broker_connection() as conn:
            conn.ensure_connection(max_retries=0, timeout=TIMEOUT_SECONDS)
            replies = app.control.ping(timeout=PING_SECONDS, connection=conn)
    except Exception as error:  # any fault means "no worker answered"
        return _failed("worker", error)
    if replies:
        return Check("worker", True, f"{len(replies)} answered a ping")
    return Check("worker", False, f"{recent.reason}, no answer to a ping", recent.age_seconds)


# ---------------------------------------------------------------- queue lengths


def queue_names() -> list[str]:
    """The default queue, then every queue a task route or a declared queue names."""
    names = [app.conf.task_default_queue]
    routes = app.conf.task_routes or ()
    for table in routes if isinstance(routes, list | tuple) else [routes]:
        if not isinstance(table, dict):
            continue  # a router function: its queues cannot be known beforehand
        for target in table.values():
            queue = target.get("queue") if isinstance(target, dict) else target
            names.append(getattr(queue, "name", queue))
    names.extend(queue.name for queue in app.conf.task_queues or ())
    return list(dict.fromkeys(name for name in names if isinstance(name, str) and name))


@dataclass(frozen=True)
class QueueLength:
    name: str
    length: int | None  # None: the broker did not answer


def queue_lengths() -> list[QueueLength]:
    """Messages waiting in each known queue: LLEN on Redis, files in the file broker's
    queue folder; through the Celery connection either way."""
    names = queue_names()
    lengths = {}
    try:
        with broker_connection() as conn:
            conn.ensure_connection(max_retries=0, timeout=TIMEOUT_SECONDS)
            channel = conn.default_channel
            for name in names:
                try:
                    lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except ChannelError:
                    lengths[name] = 0  # Redis: an empty queue has no key
    except Exception as error:  # the page shows "no answer" instead
        logger.warning("queue lengths unavailable: %r", error)
    return [QueueLength(name, lengths.get(name)) for name in names]
