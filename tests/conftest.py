"""Shared fixtures: users per role, a small register, and a real Celery worker process."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from hitech_zone import permissions
from hitech_zone.permissions import Role
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def role_user(db):
    """role_user(Role.OFFICIAL) -> a user in that role's group."""

    def make(role: Role, **kwargs):
        user = factories.UserFactory(**kwargs)
        user.groups.add(permissions.role_groups()[role])
        return user

    return make


@pytest.fixture
def official(role_user):
    return role_user(Role.OFFICIAL, username="t-official")


@pytest.fixture
def leader(role_user):
    return role_user(Role.LEADER, username="t-leader")


@pytest.fixture
def admin_user(role_user):
    return role_user(Role.ADMIN, username="t-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def manager(role_user):
    return role_user(Role.PROJECT_MANAGER, username="t-pm")


@pytest.fixture
def other_manager(role_user):
    return role_user(Role.PROJECT_MANAGER, username="t-pm-other")


@pytest.fixture
def own_project(manager):
    project = factories.ProjectFactory(
        code="T-OWN", name="甲项目", total_investment=Decimal("120000")
    )
    project.managers.add(manager)
    return project


@pytest.fixture
def other_project(other_manager):
    project = factories.ProjectFactory(
        code="T-OTHER", name="乙项目", total_investment=Decimal("30000")
    )
    project.managers.add(other_manager)
    return project


def database_url_for_subprocess() -> str:
    """The URL of the database this test runs on (the test database), for a worker."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings['NAME']}"


def purge_queue(name: str) -> int:
    """Drop every message waiting in the broker queue `name`; how many there were."""
    from hitech_zone.celery import app

    with app.connection_for_write() as connection:
        return connection.default_channel.queue_purge(name) or 0


class CeleryProcesses:
    def __init__(self, queue: str, env: dict[str, str]):
        self.queue = queue
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, *args: str, log_name: str) -> subprocess.Popen:
        log_path = ROOT / "var" / f"{log_name}-{self.queue}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hitech_zone", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        self.logs.append(log_path)
        return process

    def worker(self, queue: str | None = None) -> subprocess.Popen:
        """A worker on this test's queue, or on `queue` (e.g. the app's default queue,
        where tasks enqueued by services go). A shared queue is emptied first: what earlier
        tests left there belongs to databases that are gone, and a backlog of it would
        hold up this test's own jobs."""
        if queue and queue != self.queue:
            purge_queue(queue)
        return self.start(
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            "-Q",
            queue or self.queue,
            log_name="worker",
        )

    def beat(self, schedule_dir: Path) -> subprocess.Popen:
        return self.start(
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(schedule_dir / "beat-schedule"),
            log_name="beat",
        )

    def log_text(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-4000:] for path in self.logs if path.exists()
        )

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for path in self.logs:
            path.unlink(missing_ok=True)


@pytest.fixture
def celery_processes(transactional_db) -> Iterator[CeleryProcesses]:
    """Real Celery processes on the configured broker (Redis when REDIS_URL is set, the file
    broker otherwise), against this test's database, on a queue of their own."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_DEFAULT_QUEUE": queue,
        # Briefing renders too: a worker on the test's queue takes everything the test asks.
        "CELERY_PDF_QUEUE": queue,
        "DEBUG": "1",
        # Beat in a test fires what the test asks for, not a catch-up of past briefings.
        "BRIEFING_CATCH_UP_ON_START": "0",
    }
    processes = CeleryProcesses(queue, env)
    yield processes
    processes.stop()


def wait_for(predicate, *, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


@pytest.fixture
def today() -> date:
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Tests create many users; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language():
    # A request in another language leaves that language active in the thread: each test
    # starts in the default one, whichever test ran before it on the same worker.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_fragment_cache():
    # Test databases roll back to the same data version; cached pages must not carry over.
    from django.core.cache import caches

    caches["fragments"].clear()


@pytest.fixture(autouse=True)
def issue_categories(request):
    """The categories migration 0004 loads. A transactional test empties every table when
    it ends, so tests that touch the database get them again."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not uses_db:
        return
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    request.getfixturevalue("transactional_db" if transactional else "db")
    for code, _name in factories.ISSUE_CATEGORIES:
        factories.issue_category(code)
