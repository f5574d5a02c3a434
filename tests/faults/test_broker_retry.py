"""A worker started while its broker is down: a real `celery worker` on a Redis server of
the test's own, stopped. It says in its log that it retries for ever (Celery's default
stops after 100 tries and the process exits; tests/hitech_zone/test_metrics.py pins the
policy itself), keeps trying with growing waits, and once Redis is up it connects and
takes work, without a restart."""

import json
import os
import subprocess
import sys

import pytest

from tests.faults.conftest import ROOT, wait_until

pytestmark = pytest.mark.celery_worker

FOR_EVER = "worker reconnects to the broker for ever, waiting 2 s, then 2 s more each try"


def test_a_worker_started_with_the_broker_down_connects_once_it_is_up(private_redis, tmp_path):
    private_redis.stop()
    var = tmp_path / "var"
    var.mkdir()
    queue = f"broker-retry-{os.getpid()}"
    env = {
        **os.environ,
        "VAR_DIR": str(var),
        "REDIS_URL": private_redis.url,
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "CELERY_DEFAULT_QUEUE": queue,
        "CELERY_PDF_QUEUE": queue,
        "LOG_FORMAT": "json",
        "DEBUG": "1",
    }
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hitech_zone", "worker", "--pool=solo"]
        + ["--without-gossip", "--without-mingle", "--loglevel=INFO", "-Q", queue],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )

    def lines() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]

    def failed_tries() -> list[str]:
        return [line["message"] for line in lines() if "Cannot connect to" in line["message"]]

    try:
        # Two failed tries, 2 s apart: "(n/None)" is Celery's count against no limit.
        tries = wait_until(
            lambda: len(failed_tries()) >= 2 and failed_tries(),
            timeout=60,
            interval=0.2,
            what="the worker to fail to connect twice",
            log=log.read_text,
        )
        assert "Trying again in 2.00 seconds... (1/None)" in tries[0]
        assert "Trying again in 4.00 seconds... (2/None)" in tries[1]
        assert any(line["message"].startswith(FOR_EVER) for line in lines())
        assert worker.poll() is None, "still trying"

        private_redis.start()
        wait_until(
            lambda: "ready." in log.read_text(),
            timeout=30,
            interval=0.2,
            what="the worker to connect once Redis is up",
            log=log.read_text,
        )
        connected = [line for line in lines() if line["message"].startswith("Connected to redis")]
        assert connected, log.read_text()
        assert worker.poll() is None
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
