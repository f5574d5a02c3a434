"""A second beat: two real `celery beat` processes on one lock store (Redis of the test's
own, or the file lock under a shared VAR_DIR with the embedded broker). The first runs;
the second exits non-zero with one JSON log line saying why, and /metrics/ shows one beat
running and the refusal. Killed with SIGKILL, the first leaves the lock to its successor."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.faults.conftest import ROOT, wait_until

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db]

REFUSED = "another beat is running; this one refuses to start"
REFUSED_EXIT = 3


def beat(env: dict, work: Path, name: str) -> tuple[subprocess.Popen, Path]:
    log = work / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hitech_zone", "beat", "--loglevel=INFO"]
        + ["--schedule", str(work / f"{name}-schedule")],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, log


def json_lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.fixture
def lock_store(request, tmp_path, settings):
    """The environment of the beats, and this process's settings on the same store: Redis
    (a server of the test's own) in the run on Redis, the file lock in the run on the
    embedded defaults, so each store is tested once per CI run without doubling the time."""
    var = tmp_path / "var"
    var.mkdir()
    env = {
        **os.environ,
        "VAR_DIR": str(var),
        "LOG_FORMAT": "json",
        "BRIEFING_CATCH_UP_ON_START": "0",
        "REDIS_URL": "",
        "CELERY_BROKER_DIR": str(var / "celery"),
    }
    settings.VAR_DIR = var
    settings.REDIS_URL = ""
    if os.environ.get("REDIS_URL"):
        server = request.getfixturevalue("private_redis")
        env["REDIS_URL"] = settings.REDIS_URL = server.url
    return env


def test_a_second_beat_refuses_to_run_and_the_metrics_say_so(
    lock_store, tmp_path, client, official
):
    from hitech_zone.celery import beat_lock_state

    first, first_log = beat(lock_store, tmp_path, "first")
    second = None
    try:
        wait_until(
            lambda: "beat lock taken" in first_log.read_text(),
            timeout=60,
            interval=0.2,
            what="the first beat to take the lock",
            log=first_log.read_text,
        )
        second, second_log = beat(lock_store, tmp_path, "second")
        assert second.wait(timeout=60) == REFUSED_EXIT
        refusals = [line for line in json_lines(second_log) if line["message"] == REFUSED]
        assert len(refusals) == 1, second_log.read_text()
        assert refusals[0]["level"] == "ERROR"
        assert refusals[0]["holder"]["pid"] == first.pid
        assert first.poll() is None, "the first beat runs on"

        state = beat_lock_state()
        assert state["running"] == 1
        assert state["holder"]["pid"] == first.pid
        assert state["refused"]["pid"] == second.pid
        client.force_login(official)
        page = client.get(reverse("metrics")).content.decode()
        line = page.split('data-testid="beat-lock"')[1].split("</p>")[0]
        assert f"1 个运行中（{socket.gethostname()}，进程号 {first.pid}，" in line
        assert 'data-testid="beat-refused"' in line and f"进程号 {second.pid}）" in line
        text = client.get(reverse("metrics_prometheus")).content.decode()
        assert "hitech_beat_running 1" in text
        assert "hitech_beat_refused_timestamp_seconds " in text

        # SIGKILL leaves no time to let go: the next beat of this host takes the lock over.
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        third, third_log = beat(lock_store, tmp_path, "third")
        try:
            wait_until(
                lambda: "beat lock taken" in third_log.read_text(),
                timeout=60,
                interval=0.2,
                what="the next beat to take the lock",
                log=third_log.read_text,
            )
            assert beat_lock_state()["holder"]["pid"] == third.pid
        finally:
            third.terminate()
            third.wait(timeout=20)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
