"""The operations metrics: who sees them, the figures, Prometheus, the bounded history."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from celery import signals
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hitech_zone import celery_signals, health, services
from hitech_zone.celery import app
from hitech_zone.models import TaskRun
from hitech_zone.services import api_token_create, heartbeat_record
from hitech_zone.tasks import heartbeat_record as heartbeat_task
from hitech_zone.tasks import task_runs_prune
from reports.models import Briefing
from tests import factories

pytestmark = pytest.mark.django_db


def runs(task_name: str, durations: list[int], *, state=TaskRun.State.SUCCESS, ago=timedelta()):
    for duration in durations:
        services.task_run_record(
            task_name=task_name,
            task_id=uuid.uuid4().hex,
            queue="default",
            state=state,
            started_at=timezone.now() - ago,
            duration_ms=duration,
            request_id="",
        )


@pytest.fixture
def figures(settings, tmp_path, today):
    settings.MEDIA_ROOT = tmp_path
    runs("reports.tasks.slip_detect", list(range(10, 191, 10)))  # 10..190 ms, 19 runs
    runs("reports.tasks.slip_detect", [1000], state=TaskRun.State.FAILURE)
    runs("reports.tasks.slip_detect", [50_000], ago=timedelta(hours=25))  # out of the window
    runs("reports.tasks.briefing_generate", [4000], state=TaskRun.State.RETRY)
    briefing = factories.published_briefing(today=today)
    Briefing.objects.filter(pk=briefing.pk).update(render_seconds=Decimal("3.25"))
    heartbeat_record(name="beat")
    return briefing


@pytest.mark.parametrize(
    ("role_fixture", "status"),
    [("official", 200), ("admin_user", 200), ("leader", 403), ("manager", 403)],
)
def test_officials_and_admins_see_the_metrics(client, request, role_fixture, status):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(reverse("metrics")).status_code == status


def test_the_header_links_the_metrics_for_operators_only(client, official, leader):
    client.force_login(official)
    assert reverse("metrics") in client.get(reverse("dashboard")).content.decode()
    client.force_login(leader)
    assert reverse("metrics") not in client.get(reverse("dashboard")).content.decode()


def test_the_figures(client, official, figures):
    client.force_login(official)
    response = client.get(reverse("metrics"))
    data = response.context["metrics"]
    by_task = {task.task_name: task for task in data.tasks}
    slip = by_task["reports.tasks.slip_detect"]
    assert slip.count == 20
    assert slip.failures == 1
    assert slip.retries == 0
    assert slip.median_ms == 105  # between 100 and 110
    assert slip.p95_ms == 190  # nearest rank: the 19th of 20
    assert slip.max_ms == 1000
    assert by_task["reports.tasks.briefing_generate"].retries == 1
    assert [(b.pk, b.render_seconds) for b in data.briefings] == [(figures.pk, Decimal("3.25"))]
    assert [beat.name for beat in data.heartbeats] == ["beat"]
    assert data.heartbeats[0].age_seconds < 5
    assert {queue.name for queue in data.queues} == set(health.queue_names())
    assert all(queue.length is not None for queue in data.queues)
    page = response.content.decode()
    assert "reports.tasks.slip_detect" in page
    assert "3.25" in page


def test_the_page_costs_the_same_queries_however_much_there_is(client, official, figures):
    client.force_login(official)
    client.get(reverse("metrics"))  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("metrics"))
    for index in range(5):
        runs(f"task.{index}", [index, index + 1], state=TaskRun.State.FAILURE)
        heartbeat_record(name=f"process-{index}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("metrics"))
    assert len(many) == len(few), "\n".join(query["sql"] for query in many)
    # session, user, groups, notifications, whether the menu offers 记录走访, then task
    # runs, briefings, heartbeats, briefings stuck past their lease or stalled (one query),
    # the group robots, and the session saved again (inactivity expiry: a savepoint, the
    # update, its release); the failure counters and beat's lock are not in the database
    assert len(few) == 13, "\n".join(query["sql"] for query in few)


@pytest.fixture
def spare_queue():
    """A queue of this test's own as the default queue, emptied afterwards."""
    name = f"test-metrics-{uuid.uuid4().hex[:8]}"
    saved = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = saved
    with health.broker_connection() as conn:
        conn.default_channel.queue_purge(name)


def test_queue_lengths_count_waiting_messages(spare_queue):
    assert health.queue_lengths()[0] == health.QueueLength(spare_queue, 0)
    for _ in range(2):
        app.send_task("hitech_zone.tasks.heartbeat_record", kwargs={"name": "x"}, queue=spare_queue)
    assert health.queue_lengths()[0] == health.QueueLength(spare_queue, 2)


def test_an_unreachable_broker_shows_no_length():
    saved = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        lengths = health.queue_lengths()
    finally:
        app.conf.broker_url = saved
    assert lengths and all(queue.length is None for queue in lengths)


def test_prometheus_text_for_a_session_or_an_api_key(client, official, leader, figures):
    client.force_login(official)
    response = client.get(reverse("metrics_prometheus"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert (
        'hitech_task_duration_seconds{task="reports.tasks.slip_detect",quantile="0.95"} 0.19'
        in text
    )
    assert 'hitech_task_duration_seconds_count{task="reports.tasks.slip_detect"} 20' in text
    assert 'hitech_task_failures{task="reports.tasks.slip_detect"} 1' in text
    assert 'hitech_briefing_render_seconds{kind="weekly"} 3.25' in text
    assert 'hitech_heartbeat_age_seconds{name="beat"}' in text
    assert f'hitech_queue_length{{queue="{app.conf.task_default_queue}"}}' in text

    client.logout()
    _token, key = api_token_create(user=official, name="prometheus")
    scraped = client.get(reverse("metrics_prometheus"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert scraped.status_code == 200
    assert b'hitech_task_failures{task="reports.tasks.slip_detect"} 1' in scraped.content
    _token, leader_key = api_token_create(user=leader, name="prometheus")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {leader_key}"}
    assert client.get(reverse("metrics_prometheus"), **headers).status_code == 403
    wrong = client.get(reverse("metrics_prometheus"), HTTP_AUTHORIZATION="Bearer hz_wrong")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")


def test_old_task_runs_are_forgotten(settings):
    settings.TASK_RUN_KEEP_DAYS = 30
    runs("a", [1], ago=timedelta(days=31))
    runs("a", [2], ago=timedelta(days=29))
    assert task_runs_prune() == 1
    assert list(TaskRun.objects.values_list("duration_ms", flat=True)) == [2]


def test_the_prune_job_is_scheduled():
    assert app.conf.beat_schedule["task-runs-prune"]["task"] == "hitech_zone.tasks.task_runs_prune"


# ---------------------------------------------------------------- failure counters


@app.task(bind=True, name="tests.metrics.retries_once", max_retries=1)
def retries_once(self) -> str:
    if not self.request.retries:
        raise self.retry(countdown=0)
    return "done"


def event_counts(task_name: str) -> dict:
    counts = celery_signals.task_event_counts()
    assert counts is not None, "the counters' store answers"
    return counts.get(task_name, dict.fromkeys(celery_signals.EVENTS, 0))


@pytest.mark.django_db(transaction=True)  # no test transaction for the outage to spoil
def test_failures_retries_and_redeliveries_count_with_the_database_down(
    client, official, django_db_blocker
):
    """With the database refusing every query (as in a PostgreSQL outage): the heartbeat
    task fails (it writes a row), the test task retries once then succeeds, and a message
    marked redelivered starts. Each adds one to its counter (Redis, or a file under
    VAR_DIR), counted as deltas since other tests share the counters."""
    heartbeat = "hitech_zone.tasks.heartbeat_record"
    before = {name: event_counts(name) for name in (heartbeat, retries_once.name)}

    with django_db_blocker.block():
        failed = heartbeat_task.apply(kwargs={"name": "beat"})
        retried = retries_once.apply()
        retries_once.push_request(delivery_info={"redelivered": True})
        try:
            signals.task_prerun.send(sender=retries_once, task_id="redelivered", task=retries_once)
            signals.task_postrun.send(
                sender=retries_once, task_id="redelivered", task=retries_once, state="SUCCESS"
            )
        finally:
            retries_once.pop_request()

    assert failed.failed()
    assert retried.get() == "done"
    after = {name: event_counts(name) for name in (heartbeat, retries_once.name)}
    assert after[heartbeat]["failure"] == before[heartbeat]["failure"] + 1
    assert after[retries_once.name]["retry"] == before[retries_once.name]["retry"] + 1
    assert after[retries_once.name]["redelivered"] == before[retries_once.name]["redelivered"] + 1
    assert after[retries_once.name]["failure"] == before[retries_once.name]["failure"]

    client.force_login(official)
    page = client.get(reverse("metrics")).content.decode()
    table = page.split('data-testid="task-events"')[1].split("</table>")[0]
    row = table.split(f"<code>{retries_once.name}</code>")[1].split("</tr>")[0]
    counts = after[retries_once.name]
    assert row.count('<td class="num">') == 3
    assert f'<td class="num">{counts["retry"]}</td>' in row
    text = client.get(reverse("metrics_prometheus")).content.decode()
    assert "# TYPE hitech_task_failures_total counter" in text
    assert f'hitech_task_failures_total{{task="{heartbeat}"}} {after[heartbeat]["failure"]}' in text
    assert f'hitech_task_retries_total{{task="{retries_once.name}"}} {counts["retry"]}' in text
    assert (
        f'hitech_task_redeliveries_total{{task="{retries_once.name}"}} {counts["redelivered"]}'
        in text
    )


def test_the_page_says_so_when_the_counters_cannot_be_read(client, official, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    client.force_login(official)
    response = client.get(reverse("metrics"))
    assert response.context["metrics"].task_events is None
    assert 'data-testid="task-events"' in response.content.decode()


# ---------------------------------------------------------------- broker reconnection


def test_workers_and_beat_retry_the_broker_for_ever_with_a_capped_wait():
    """Celery's default gives up after 100 tries (about 50 minutes at kombu's waits); None
    is for ever, from the first connection on; kombu's waits are 2 s, +2 s, at most 30 s."""
    from hitech_zone.celery import broker_retry_policy

    assert broker_retry_policy() == {
        "max_retries": None,
        "retry": True,
        "retry_on_startup": True,
        "first_wait_seconds": 2,
        "wait_step_seconds": 2,
        "longest_wait_seconds": 30,
    }
