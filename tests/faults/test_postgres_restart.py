"""PostgreSQL restarts under a running app (gunicorn and a Celery worker, DEBUG off, on a
cluster of the test's own, never the machine's shared one). While it is down, pages answer
a friendly 503 in Chinese with Retry-After and the API a JSON 503, never a 500 or a
traceback; once it is back, the same processes serve and work again by themselves."""

import re
import threading
import time
from functools import partial

import pytest
import requests

from tests.faults.conftest import HTTP_TIMEOUT, log_in, post, served_env, wait_until
from tests.faults.processes import alive, children

pytestmark = pytest.mark.celery_worker

# The 503 page's heading and first sentence, as the zone's staff read them.
UNAVAILABLE = "暂时无法使用"
CANNOT_REACH_DATABASE = "系统暂时无法连接数据库"


class Traffic(threading.Thread):
    """A signed-in user reloading the overview page as fast as it answers."""

    def __init__(self, session: requests.Session, url: str):
        super().__init__(daemon=True)
        self.session, self.url = session, url
        self.statuses: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                response = self.session.get(self.url, timeout=HTTP_TIMEOUT, allow_redirects=False)
                self.statuses.append(response.status_code)
            except requests.RequestException:
                self.statuses.append(0)
            time.sleep(0.05)

    def stop(self) -> list[int]:
        self.stopping.set()
        self.join(timeout=HTTP_TIMEOUT)
        return self.statuses


def test_a_postgres_restart_answers_503_meanwhile_and_recovers_without_restarts(
    private_postgres, served, tmp_path
):
    database = private_postgres.create_database()
    sql = partial(private_postgres.sql, database)
    # The file broker: this test is about the database, and needs no Redis.
    served.env = served_env(tmp_path, database_url=private_postgres.url(database))
    served.manage("migrate", "--noinput")
    served.manage("load_demo", "--force")
    api_key = served.manage("api_token", "official", "--name", "faults").split()[-1]
    web = served.web()
    worker = served.worker()
    official = log_in(served, "official")
    api = {"Authorization": f"Bearer {api_key}"}

    def slip_runs() -> int:
        rows = sql("select count from hitech_zone_heartbeat where name = 'slip-detect'")
        return rows[0][0] if rows else 0

    # Before: pages, the API and the worker all work (the worker holds a connection).
    assert official.get(f"{served.base_url}/", timeout=HTTP_TIMEOUT).status_code == 200
    assert post(served, official, "/alerts/detect/", {}).status_code == 302
    wait_until(lambda: slip_runs() == 1, timeout=60, what="slip detection", log=served.log)
    processes = {
        "web": web.pid,
        "web workers": frozenset(children(web.pid)),
        "worker": worker.pid,
        "worker pool": frozenset(children(worker.pid)),
    }
    assert processes["web workers"] and processes["worker pool"], processes

    reloading = requests.Session()
    reloading.cookies.update(official.cookies)
    traffic = Traffic(reloading, f"{served.base_url}/")
    traffic.start()
    time.sleep(0.5)
    private_postgres.stop("fast")
    try:
        page = official.get(f"{served.base_url}/", timeout=HTTP_TIMEOUT)
        assert page.status_code == 503, page.text[-2000:]
        assert int(page.headers["Retry-After"]) > 0
        assert page.headers["Content-Type"].startswith("text/html")
        assert UNAVAILABLE in page.text and CANNOT_REACH_DATABASE in page.text
        assert "Traceback" not in page.text and "OperationalError" not in page.text
        assert page.headers["X-Request-ID"] in page.text  # a reference to quote

        # A write fails the same way, and plainly: nothing half-saved to explain.
        refused = post(served, official, "/alerts/detect/", {})
        assert refused.status_code == 503 and UNAVAILABLE in refused.text

        answer = requests.get(
            f"{served.base_url}/api/v1/summary", headers=api, timeout=HTTP_TIMEOUT
        )
        assert answer.status_code == 503
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json() == {"detail": "服务暂时不可用，请稍后重试。"}
        assert int(answer.headers["Retry-After"]) > 0
        time.sleep(1)
    finally:
        private_postgres.start()

    # Back: the very next requests succeed, on the same processes.
    for _attempt in range(4):
        assert official.get(f"{served.base_url}/", timeout=HTTP_TIMEOUT).status_code == 200
    answer = requests.get(f"{served.base_url}/api/v1/summary", headers=api, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    time.sleep(0.5)
    statuses = traffic.stop()
    assert set(statuses) <= {200, 503}, f"answers while PostgreSQL restarted: {set(statuses)}"
    assert 503 in statuses and statuses[-1] == 200, statuses

    # The worker, whose connection the restart cut, takes and finishes a task again.
    assert post(served, official, "/alerts/detect/", {}).status_code == 302
    wait_until(lambda: slip_runs() == 2, timeout=60, what="slip detection again", log=served.log)

    assert {
        "web": web.pid,
        "web workers": frozenset(children(web.pid)),
        "worker": worker.pid,
        "worker pool": frozenset(children(worker.pid)),
    } == processes, "a process was restarted"
    assert all(alive(pid) for pid in (web.pid, worker.pid))
    assert not re.search(r'HTTP/1\.[01]" 500 ', served.log_of("web")), "a request answered 500"
