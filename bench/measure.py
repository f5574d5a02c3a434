"""The measurements. Each returns plain numbers; __main__ prints and stores them."""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from bench.environment import ROOT, WORK

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
WARMUP = 3


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@contextmanager
def counted_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Each request clears the query log as it starts: start from an empty one.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        yield captured


def page(
    client,
    url: str,
    *,
    headers: dict | None = None,
    requests: int = REQUESTS,
    before=None,
) -> dict:
    """Server time of one URL through the in-process client: median and p95 over
    `requests` after a warm-up, and the SQL queries of one request. `before` runs ahead of
    each request, untimed."""
    headers = headers or {}
    for _ in range(WARMUP):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
    if before:
        before()
    with counted_queries() as captured:
        client.get(url, headers=headers)
    # Read now: the captured list is a window on a log the next request clears.
    queries = len(captured)
    timings = []
    for _ in range(requests):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "url": url,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "queries": queries,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port}")


def _wrk(url: str, cookie: str, seconds: int, connections: int) -> float:
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "-H",
            f"Cookie: {cookie}",
            "-H",
            "Host: 127.0.0.1",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses", output):
        raise RuntimeError(f"wrk saw error responses from {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def throughput(paths: dict[str, str], cookie: str, *, seconds: int = 8, workers: int = 2) -> dict:
    """Requests per second under gunicorn (sync workers) on loopback, driven by wrk."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "hitech_zone.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=os.environ,
        start_new_session=True,
    )
    try:
        _wait_for(port, time.monotonic() + 30)
        results = {}
        for name, path in paths.items():
            url = f"http://127.0.0.1:{port}{path}"
            _wrk(url, cookie, 2, workers * 2)  # warm both workers' caches
            results[name] = round(_wrk(url, cookie, seconds, workers * 4), 1)
        return results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def child(*args: str) -> dict:
    """Runs `python -m bench.child ARGS` and returns what it measured, plus its peak RSS."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.child", *args],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench.child {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: the latter keeps the
    parent's size from before exec, so a child of a large bench process would report it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    # Elsewhere ru_maxrss (KiB on Linux, bytes on macOS; this bench is measured on Linux).
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def workbook_path(rows: int) -> Path:
    return WORK / f"register-{rows}.xlsx"
