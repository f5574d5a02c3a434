"""`scripts/serve.sh` (`make serve`) under circus: each process is killed with SIGKILL,
one at a time, and comes back on its own while the others run on and `/` keeps
answering; a second serve.sh on the same VAR_DIR refuses and leaves the first alone.

One start of the whole set (gunicorn, the two Celery workers, beat) on loopback, DEBUG
off, on a PostgreSQL cluster and a Redis server of the test's own, after the release step
(migrate; the fault settings serve static files from their folders). Every line of the
session's output, kills and restarts included, is one JSON object."""

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.faults.conftest import ROOT, served_env, wait_until
from tests.faults.processes import alive, children

pytestmark = pytest.mark.celery_worker

PROCESSES = ("web", "worker-default", "worker-pdf", "beat")
# The bound: a killed process is back within this many seconds.
BACK_SECONDS = 10
# One request to `/` every 100 ms, throughout.
REQUEST_EVERY = 0.1
# `/` answered while a Celery process or a gunicorn worker restarts: gunicorn is not
# involved, or its other worker serves. Milliseconds on an idle machine; this leaves room
# for 2 cores busy with a restarting process's start-up and other work.
QUICK_SECONDS = 3.0
# Lines Celery writes past logging, to be routed by hitech_zone.celery_signals: Python's
# warning about running as root (only as root, as CI does), and the shutdown notice it
# prints to stdout.
NOT_YET_JSON = re.compile(
    r"^(\s*|.*SecurityWarning: You're running the worker with superuser privileges.*"
    r"|absolutely not recommended!|Please specify a different user using the --uid option\."
    r"|User information: uid=0 euid=0 gid=0 egid=0|\s+_warn_or_raise_security_error\(.*"
    r"|worker: (Warm|Cold) shutdown \(MainProcess\))$"
)


class Visitor(threading.Thread):
    """Sends GET / every 100 ms, each in a thread of its own, so a slow answer does not
    delay the next request; records (sent at, status, seconds) of every one."""

    def __init__(self, base_url: str):
        super().__init__(daemon=True)
        self.base_url = base_url
        self.answers: list[tuple[float, int, float]] = []
        self.stopping = threading.Event()
        self.sent: list[threading.Thread] = []

    def one(self) -> None:
        sent = time.monotonic()
        try:
            # Anonymous: / redirects to the sign-in page; both come from gunicorn.
            status = requests.get(self.base_url + "/", timeout=30).status_code
        except requests.RequestException:
            status = 0
        self.answers.append((sent, status, time.monotonic() - sent))

    def run(self) -> None:
        while not self.stopping.wait(REQUEST_EVERY):
            request = threading.Thread(target=self.one, daemon=True)
            request.start()
            self.sent.append(request)

    def stop(self) -> list[tuple[float, int, float]]:
        self.stopping.set()
        self.join()
        for request in self.sent:
            request.join(timeout=35)
        return sorted(self.answers)


def test_each_killed_process_comes_back_while_the_site_answers(
    private_postgres, private_redis, served, tmp_path
):
    database = private_postgres.create_database()
    port = served.port
    env = {
        **served_env(
            tmp_path, database_url=private_postgres.url(database), redis_url=private_redis.url
        ),
        "SERVE_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "1",
        "SERVE_STOP_TIMEOUT": "10",
        "LOG_FORMAT": "json",
    }
    served.env = env
    run_dir = Path(env["VAR_DIR"]) / "run"
    log_path = served.work / "serve.log"

    def log() -> str:
        return log_path.read_text(errors="replace")

    def pids() -> dict[str, int]:
        found = {}
        for name in PROCESSES:
            with contextlib.suppress(OSError, ValueError):
                found[name] = int((run_dir / f"{name}.pid").read_text())
        return found

    # Before the release step, serve.sh refuses to start.
    refused = subprocess.run(
        [ROOT / "scripts" / "serve.sh"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert "make release" in refused.stderr
    served.manage("migrate", "--noinput")

    serve = subprocess.Popen(
        [ROOT / "scripts" / "serve.sh"],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(
            lambda: (
                len(pids()) == 4
                and served.answers()
                and len(re.findall(r"\b(default|pdf)@\S+ ready\.", log())) == 2
                and "beat: Starting" in log()
            ),
            timeout=90,
            interval=0.25,
            what="serve.sh's four processes",
            log=log,
        )
        first = pids()

        # A second start on the same VAR_DIR refuses at once and touches nothing.
        stamps = {path.name: path.stat().st_mtime_ns for path in run_dir.iterdir()}
        second = subprocess.run(
            [ROOT / "scripts" / "serve.sh"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 3
        assert "another serve.sh already runs" in second.stderr
        assert {path.name: path.stat().st_mtime_ns for path in run_dir.iterdir()} == stamps
        assert pids() == first and all(alive(pid) for pid in first.values())

        visitor = Visitor(served.base_url)
        visitor.start()
        back_after: dict[str, float] = {}
        windows: dict[str, tuple[float, float]] = {}

        def kill_and_wait(name: str, pid: int, is_back) -> None:
            time.sleep(1)  # some requests before each kill
            started = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            wait_until(is_back, timeout=BACK_SECONDS, interval=0.05, what=f"{name} back", log=log)
            back_after[name] = time.monotonic() - started
            windows[name] = (started, time.monotonic())

        # A gunicorn worker: its master starts another; the other worker serves meanwhile.
        master = pids()["web"]
        web_workers = children(master)
        assert len(web_workers) == 2
        victim = min(web_workers)
        kill_and_wait(
            "gunicorn worker",
            victim,
            lambda: len(children(master) - {victim}) == 2,
        )

        # Each Celery process: back once the new one says it is ready (beat: started).
        for name, ready in [
            ("worker-pdf", r"\bpdf@\S+ ready\."),
            ("worker-default", r"\bdefault@\S+ ready\."),
            ("beat", r"beat: Starting"),
        ]:
            old, seen = pids()[name], len(re.findall(ready, log()))
            kill_and_wait(
                name,
                old,
                lambda name=name, old=old, ready=ready, seen=seen: (
                    pids().get(name, old) != old
                    and alive(pids()[name])
                    and len(re.findall(ready, log())) > seen
                ),
            )

        # gunicorn itself: circus holds the listening socket, so requests wait in its
        # queue (none is refused) until the new gunicorn's workers take them.
        old = pids()["web"]
        kill_and_wait(
            "web",
            old,
            lambda: pids().get("web", old) != old and alive(pids()["web"]) and served.answers(),
        )
        time.sleep(1)
        answers = visitor.stop()
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
        for pid in pids().values():  # anything circus did not stop, and its children
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    assert serve.returncode == 0, log()[-3000:]
    lines = log().splitlines()
    plain = [line for line in lines if not line.startswith("{") or not json.loads(line)]
    assert [line for line in plain if not NOT_YET_JSON.match(line)] == []
    assert len(lines) - len(plain) > 100  # circus, gunicorn, workers, beat, requests
    assert not any((run_dir / f"{name}.pid").exists() for name in PROCESSES)
    assert set(back_after) == {"gunicorn worker", "worker-pdf", "worker-default", "beat", "web"}
    assert all(seconds < BACK_SECONDS for seconds in back_after.values()), back_after
    # Every request answered 200, at one every 100 ms (give or take a busy machine).
    assert len(answers) >= sum(b - a for a, b in windows.values()) / REQUEST_EVERY * 0.7
    assert [status for _, status, _ in answers if status != 200] == [], answers
    web_started, web_back = windows["web"]
    slow = [
        (round(sent - web_started, 2), round(seconds, 2))
        for sent, _, seconds in answers
        if seconds >= QUICK_SECONDS and not (web_started - QUICK_SECONDS <= sent <= web_back)
    ]
    assert slow == [], (slow, back_after)
    web_wait = max(seconds for sent, _, seconds in answers if web_started <= sent <= web_back)
    print(f"back after {back_after}; longest answer while gunicorn restarted {web_wait:.2f} s")
