"""The production topology, end to end: `scripts/serve.sh` (gunicorn with two workers, a
Celery worker on the default queue, one on the PDF queue, one beat) on loopback, DEBUG off,
against a PostgreSQL database and a Redis database of its own, driven over HTTP as the
zone's staff would drive it, with one more default worker added and stopped mid-run.

Runs only with PostgreSQL and Redis, i.e. in the services run of `.ci/run`
(`DATABASE_URL=postgres://... REDIS_URL=redis://... make test`).
"""

import contextlib
import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import pytest
import requests

from tests.e2e.conftest import log_in, new_context

ROOT = Path(__file__).resolve().parent.parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
ON_SERVICES = DATABASE_URL.startswith(("postgres://", "postgresql://")) and REDIS_URL.startswith(
    "redis://"
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not ON_SERVICES,
        reason="the production topology needs PostgreSQL and Redis: it runs in the services "
        "run of .ci/run (DATABASE_URL=postgres://... REDIS_URL=redis://... make test)",
    ),
]

HTTP_TIMEOUT = 30
# Unique tasks sent to the default queue while a second worker joins and leaves.
TASKS_PER_BATCH = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_url_of_its_own() -> str:
    """The suite's Redis server, another database number (TOPOLOGY_REDIS_DB, default 14)."""
    parts = urlsplit(REDIS_URL)
    suite_db = int(parts.path.strip("/") or 0)
    db = int(os.environ.get("TOPOLOGY_REDIS_DB", "14"))
    if db == suite_db:
        db = (db + 1) % 16
    return urlunsplit(parts._replace(path=f"/{db}"))


@dataclass
class Topology:
    base_url: str
    env: dict[str, str]
    database: dict
    work: Path
    default_queue: str
    serve: subprocess.Popen | None = None
    extra: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result.stdout

    def sql(self, query: str, *params) -> list[tuple]:
        import psycopg

        db = self.database
        with psycopg.connect(
            host=db["HOST"] or "localhost",
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname=db["NAME"],
            autocommit=True,
        ) as connection:
            return connection.execute(query, params).fetchall()

    def pids(self) -> dict[str, int]:
        run = self.work / "var" / "run"
        return {path.stem: int(path.read_text()) for path in run.glob("*.pid")}

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-6000:] for path in sorted(self.work.glob("*.log"))
        )

    def get(self, session: requests.Session, path: str, **kwargs) -> requests.Response:
        return session.get(self.base_url + path, timeout=HTTP_TIMEOUT, **kwargs)

    def post(self, session: requests.Session, path: str, data: dict, **kwargs):
        """A form post as a browser makes it: the CSRF token from the cookie, same origin."""
        data = {"csrfmiddlewaretoken": session.cookies["csrftoken"], **data}
        headers = {"Origin": self.base_url, "Referer": self.base_url + path}
        return session.post(
            self.base_url + path,
            data=data,
            headers=headers,
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
            **kwargs,
        )


def createdb_args(database: dict) -> list[str]:
    return [
        "-h",
        database["HOST"] or "localhost",
        "-p",
        str(database["PORT"] or 5432),
        "-U",
        database["USER"],
    ]


def stop_process(process: subprocess.Popen, timeout: float = 60) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def topology(tmp_path) -> Iterator[Topology]:
    """A fresh database, migrated and with the demo data; `serve.sh` started by the test."""
    suite_db = dj_database_url.parse(DATABASE_URL)
    name = f"hitech_topology_{uuid.uuid4().hex[:10]}"
    database = {**suite_db, "NAME": name}
    pg_env = {**os.environ, "PGPASSWORD": suite_db.get("PASSWORD") or ""}
    subprocess.run(["createdb", *createdb_args(database), name], env=pg_env, check=True)
    port = free_port()
    tag = uuid.uuid4().hex[:8]
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: cookies without the Secure flag.
        "SECURE_COOKIES": "0",
        "DATABASE_URL": (
            f"postgres://{database['USER']}{password}@{database['HOST'] or 'localhost'}"
            f":{database['PORT'] or 5432}/{name}"
        ),
        "REDIS_URL": redis_url_of_its_own(),
        "CELERY_DEFAULT_QUEUE": f"topology-{tag}",
        "CELERY_PDF_QUEUE": f"topology-{tag}-pdf",
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "SERVE_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "2",
        "BEAT_HEARTBEAT_SECONDS": "2",
        # Beat fires the heartbeat; no catch-up of briefings the new database never had.
        "BRIEFING_CATCH_UP_ON_START": "0",
        "SERVE_STOP_TIMEOUT": "30",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    topology = Topology(
        base_url=f"http://127.0.0.1:{port}",
        env=env,
        database=database,
        work=tmp_path,
        default_queue=env["CELERY_DEFAULT_QUEUE"],
    )
    try:
        yield topology
    finally:
        for process in topology.extra:
            stop_process(process, timeout=30)
        if topology.serve is not None:
            stop_process(topology.serve, timeout=60)
        # Anything serve.sh left behind, by the PIDs it wrote.
        for pid in topology.pids().values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # The queues' keys in Redis (task results expire on their own within a day).
        import redis

        broker = redis.Redis.from_url(env["REDIS_URL"])
        for key in broker.scan_iter(match=f"*topology-{tag}*"):
            broker.delete(key)
        broker.close()
        subprocess.run(
            ["dropdb", *createdb_args(database), "--force", "--if-exists", name],
            env=pg_env,
            check=False,
        )
        shutil.rmtree(tmp_path / "static", ignore_errors=True)


def wait_until(predicate, *, timeout: float, interval: float = 0.5, what: str, topology):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if topology.serve is not None and topology.serve.poll() is not None:
            pytest.fail(f"serve.sh exited while waiting for {what}:\n{topology.log()}")
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what}:\n{topology.log()}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def answers(topology: Topology, path: str) -> bool:
    try:
        return requests.get(topology.base_url + path, timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet, or still booting
        return False


def form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    assert match, f"no {name} in the form"
    return match.group(1)


def api_all(topology: Topology, path: str, key: str) -> list[dict]:
    items, page = [], 1
    while True:
        response = requests.get(
            f"{topology.base_url}/api/v1{path}",
            params={"page": page, "page_size": 100},
            headers={"Authorization": f"Bearer {key}"},
            timeout=HTTP_TIMEOUT,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        if len(items) >= body["count"] or not body["items"]:
            return items
        page += 1


def test_the_production_topology_end_to_end(topology, browser):
    from celery import Celery
    from django.utils import timezone

    from hitech_zone.money import format_wan
    from reports import periods

    today = timezone.localdate()
    # The release step (`make release`), which serve.sh leaves to the deployment.
    topology.manage("migrate", "--noinput")
    topology.manage("collectstatic", "--noinput", "-v", "0")
    topology.manage("load_demo", "--force")
    api_key = topology.manage("api_token", "official", "--name", "topology test").split()[-1]

    # The four processes, as `make serve` starts them.
    log = (topology.work / "serve.log").open("wb")
    topology.serve = subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh")],
        cwd=ROOT,
        env=topology.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ready_path = "/healthz/ready"  # the database, the broker and the schema answer
    wait_until(
        lambda: answers(topology, ready_path),
        timeout=150,
        what="the web process",
        topology=topology,
    )
    pids = topology.pids()
    assert set(pids) == {"web", "worker-default", "worker-pdf", "beat"}, pids

    # Static files: hashed names, cached for ever.
    login_html = requests.get(topology.base_url + "/accounts/login/", timeout=HTTP_TIMEOUT).text
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', login_html)
    assert css, "the login page does not link a hashed stylesheet"
    static = requests.get(topology.base_url + css.group(1), timeout=HTTP_TIMEOUT)
    assert static.status_code == 200
    assert static.headers["Cache-Control"] == "max-age=315360000, public, immutable"

    # 1. The official signs in, in the browser; the rest of the session goes over HTTP.
    context = new_context(browser, topology.base_url)
    try:
        page = context.new_page()
        log_in(page, "official")
        assert "/accounts/login/" not in page.url
        official = requests.Session()
        for cookie in context.cookies():
            official.cookies.set(
                cookie["name"], cookie["value"], domain=cookie["domain"], path=cookie["path"]
            )
    finally:
        context.close()
    assert topology.get(official, "/").status_code == 200
    topology.get(official, "/alerts/")  # sets the CSRF cookie if the dashboard did not

    # 2. A milestone still within its baseline is forecast 45 days late: the project slips.
    code, milestone_pk, milestone_name, baseline = topology.sql(
        "select p.code, m.id, m.name, m.baseline_date from projects_milestone m "
        "join projects_project p on p.id = m.project_id "
        "where m.actual_date is null and m.baseline_date > %s "
        "and (m.forecast_date is null or m.forecast_date <= m.baseline_date) "
        "order by m.baseline_date, m.id limit 1",
        today + timedelta(days=7),
    )[0]
    project_html = topology.get(official, f"/projects/{code}/").text
    prefix = f"dates-{milestone_pk}"
    forecast = baseline + timedelta(days=45)
    response = topology.post(
        official,
        f"/projects/{code}/milestones/{milestone_pk}/dates/",
        {
            f"{prefix}-version": form_value(project_html, f"{prefix}-version"),
            f"{prefix}-forecast_date": forecast.isoformat(),
            f"{prefix}-actual_date": "",
        },
    )
    assert response.status_code == 302, response.text[-2000:]
    assert topology.sql(
        "select forecast_date from projects_milestone where id = %s", milestone_pk
    ) == [(forecast,)]

    # 3. The slip job, on the default worker, opens the alert.
    response = topology.post(official, "/alerts/detect/", {})
    assert response.status_code == 302
    subject = f"milestone:{milestone_pk}"
    alert = wait_until(
        lambda: next(
            (
                alert
                for alert in api_all(topology, "/alerts", api_key)
                if alert["subject_key"] == subject and alert["kind"] == "forecast_late"
            ),
            None,
        ),
        timeout=60,
        interval=1,
        what="the forecast-late alert",
        topology=topology,
    )
    assert alert["severity"] == "red"
    assert milestone_name in topology.get(official, "/alerts/").text

    # 4. The project manager files a site visit.
    pm = requests.Session()
    topology.get(pm, "/accounts/login/")
    response = topology.post(pm, "/accounts/login/", {"username": "pm", "password": "hitech-demo"})
    assert response.status_code == 302, "the project manager could not sign in"
    visit_form = topology.get(pm, "/visits/new/?new=1").text
    project_id = re.search(
        r'<select name="project"[^>]*>.*?<option value="(\d+)"', visit_form, re.S
    )
    assert project_id, "the project manager has no project to visit"
    submission_key = str(uuid.uuid4())
    response = topology.post(
        pm,
        "/visits/new/",
        {
            "submission_key": submission_key,
            "project": project_id.group(1),
            "visited_on": today.isoformat(),
            "notes": "拓扑测试：现场查看施工进度。",
        },
    )
    assert response.status_code == 302, response.text[-2000:]
    assert re.search(r"/visits/\d+/$", response.headers["Location"])
    assert topology.sql(
        "select count(*) from inspections_sitevisit where idempotency_key = %s",
        uuid.UUID(submission_key),
    ) == [(1,)]

    # 5. A monthly briefing, rendered on the PDF worker; its page polled as htmx does.
    period = periods.last_complete(periods.MONTHLY, today)
    response = topology.post(
        official, "/briefings/generate/", {"kind": "monthly", "period": period.key}
    )
    assert response.status_code == 302, response.text[-2000:]
    detail = re.search(r"/briefings/(\d+)/$", response.headers["Location"])
    assert detail
    briefing_pk = int(detail.group(1))
    download = f"/briefings/{briefing_pk}/pdf/"

    # Meanwhile: a second default worker joins, tasks flow, and it leaves (warm shutdown).
    sender = Celery("topology-test", broker=topology.env["REDIS_URL"], set_as_current=False)
    sender.conf.task_default_queue = topology.default_queue
    run = uuid.uuid4().hex[:8]
    names = [f"topo-{run}-{number}" for number in range(3 * TASKS_PER_BATCH)]

    def send(batch: list[str]) -> None:
        for name in batch:
            # The task id is the probe's name, so a worker's log says which it took.
            sender.send_task(
                "hitech_zone.tasks.heartbeat_record", kwargs={"name": name}, task_id=name
            )

    send(names[:TASKS_PER_BATCH])
    extra_log = topology.work / "worker-extra.log"
    extra = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hitech_zone", "worker", "--loglevel=INFO"]
        + ["-Q", topology.default_queue, "-n", f"extra-{run}@%h", "--concurrency", "2"],
        cwd=ROOT,
        env=topology.env,
        stdout=extra_log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    topology.extra.append(extra)
    wait_until(
        lambda: "ready." in extra_log.read_text(errors="replace"),
        timeout=60,
        what="the second default worker",
        topology=topology,
    )
    send(names[TASKS_PER_BATCH : 2 * TASKS_PER_BATCH])
    wait_until(
        lambda: "succeeded in" in extra_log.read_text(errors="replace"),
        timeout=30,
        interval=0.1,
        what="the second worker to take a task",
        topology=topology,
    )
    extra.send_signal(signal.SIGTERM)
    send(names[2 * TASKS_PER_BATCH :])
    assert extra.wait(timeout=60) == 0, extra_log.read_text(errors="replace")[-3000:]
    assert "Warm shutdown" in extra_log.read_text(errors="replace")

    def heartbeat_counts() -> dict[str, int]:
        return dict(
            topology.sql(
                "select name, count from hitech_zone_heartbeat where name like %s",
                f"topo-{run}-%",
            )
        )

    wait_until(
        lambda: len(heartbeat_counts()) == len(names),
        timeout=60,
        what=f"all {len(names)} tasks to run",
        topology=topology,
    )
    time.sleep(3)  # a task run twice would show by now
    counts = heartbeat_counts()
    assert set(counts) == set(names), "a task was lost"
    # Delivery is at least once (acks_late): a task the stopping worker had taken may be
    # handed out again as it shuts down, which is why every real task is idempotent. This
    # probe is not, so it shows that: only tasks the stopping worker received may have run
    # twice, and none more than twice.
    stopping_took = extra_log.read_text(errors="replace")
    repeated = {name: count for name, count in counts.items() if count != 1}
    assert all(count == 2 for count in repeated.values()), repeated
    assert all(f"[{name}] received" in stopping_took for name in repeated), repeated
    sender.close()

    # The briefing's progress, polled until the download link is there.
    def briefing_done() -> bool:
        status = topology.get(
            official, f"/briefings/{briefing_pk}/", headers={"HX-Request": "true"}
        )
        assert status.status_code == 200
        assert "briefing-failed" not in status.text, status.text
        return download in status.text

    wait_until(briefing_done, timeout=120, interval=1, what="the briefing", topology=topology)
    pdf = topology.get(official, download)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    # 6. The PDF's totals are the API's.
    from pypdf import PdfReader

    text = re.sub(
        r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    )
    summary = requests.get(
        f"{topology.base_url}/api/v1/summary",
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=HTTP_TIMEOUT,
    ).json()
    total = format_wan(Decimal(summary["total_investment"]))
    assert total in text, f"total investment {total} not in the PDF"
    count = summary["project_count"]
    assert re.search(rf"合计\W*{count}\W*个项目", text), f"{count} projects not in the PDF"

    # Beat fired its heartbeat every two seconds all along, and the health pages say so.
    assert topology.sql("select count from hitech_zone_heartbeat where name = 'beat'")[0][0] >= 2
    for check in ("live", "ready", "beat", "worker"):
        health = requests.get(f"{topology.base_url}/healthz/{check}", timeout=HTTP_TIMEOUT)
        assert health.status_code == 200, (check, health.text)

    # SIGTERM to serve.sh stops all four processes.
    pids = topology.pids()
    topology.serve.send_signal(signal.SIGTERM)
    assert topology.serve.wait(timeout=60) == 0
    survivors = {name: pid for name, pid in pids.items() if alive(pid)}
    assert not survivors, f"outlived serve.sh: {survivors}"
    assert not topology.pids(), "serve.sh left PID files behind"
