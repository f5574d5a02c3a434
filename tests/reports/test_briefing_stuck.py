"""A render stuck past its lease (BRIEFING_RENDER_LEASE_SECONDS), or stalled past its
expected time (BRIEFING_RENDER_STALLED_SECONDS): shown as stuck or stalled, with how long,
on the briefings page and in the metrics; queued again by an official, once, and published
once even when the stalled render was alive after all."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hitech_zone.models import OutboxMessage
from hitech_zone.permissions import Role
from reports import periods, selectors, services
from reports.models import Briefing

pytestmark = pytest.mark.django_db

Status = Briefing.Status
HTMX = {"HTTP_HX_REQUEST": "true"}
ROLES = {
    Role.OFFICIAL: 302,
    Role.ADMIN: 302,
    Role.LEADER: 403,
    Role.PROJECT_MANAGER: 403,
    Role.DEPARTMENT: 403,
}


@pytest.fixture(autouse=True)
def lease(settings):
    settings.BRIEFING_RENDER_LEASE_SECONDS = 900
    settings.BRIEFING_RENDER_STALLED_SECONDS = 120
    settings.BRIEFING_CATCH_UP_WEEKS = settings.BRIEFING_CATCH_UP_MONTHS = 0


def a_briefing(*, status: str, minutes_ago: int, kind: str = "weekly") -> Briefing:
    """A briefing of last week, in `status` since `minutes_ago` minutes."""
    period = periods.last_due(kind, timezone.localdate())
    briefing = services.briefing_request(
        kind=kind, period=period, trigger=Briefing.Trigger.SCHEDULE, enqueue=False
    ).briefing
    since = timezone.now() - timedelta(minutes=minutes_ago)
    Briefing.objects.filter(pk=briefing.pk).update(
        status=status,
        queued_at=since if status == Status.QUEUED else since - timedelta(minutes=1),
        started_at=since if status == Status.RENDERING else None,
    )
    return Briefing.objects.get(pk=briefing.pk)


def render_messages(briefing: Briefing) -> int:
    return OutboxMessage.objects.filter(
        task_name="reports.tasks.briefing_generate", kwargs__briefing_id=briefing.pk
    ).count()


def test_the_stuck_rule_is_the_lease():
    queued = a_briefing(status=Status.QUEUED, minutes_ago=16)
    monthly = a_briefing(status=Status.RENDERING, minutes_ago=14, kind="monthly")
    assert list(Briefing.objects.stuck(now=timezone.now())) == [queued]
    later = timezone.now() + timedelta(minutes=2)
    assert set(Briefing.objects.stuck(now=later)) == {monthly, queued}


def test_the_list_shows_a_stuck_render_and_how_long(client, official):
    briefing = a_briefing(status=Status.RENDERING, minutes_ago=25)
    client.force_login(official)

    page = client.get(reverse("briefing_list")).content.decode()

    assert 'data-testid="briefing-stuck"' in page
    assert "25 min" in page or "25分钟" in page
    assert f'action="{reverse("briefing_retry", args=[briefing.pk])}"' in page


def test_a_render_within_its_expected_time_is_neither_stuck_nor_stalled(client, official):
    briefing = a_briefing(status=Status.RENDERING, minutes_ago=1)
    client.force_login(official)
    assert (
        'data-testid="briefing-stuck"' not in client.get(reverse("briefing_list")).content.decode()
    )
    detail = client.get(reverse("briefing_detail", args=[briefing.pk])).content.decode()
    assert 'data-testid="briefing-retry"' not in detail
    assert 'data-testid="briefing-stalled"' not in detail


def test_the_metrics_count_stuck_briefings_per_type(client, official):
    a_briefing(status=Status.QUEUED, minutes_ago=40)
    a_briefing(status=Status.RENDERING, minutes_ago=5, kind="monthly")
    client.force_login(official)

    text = client.get(reverse("metrics_prometheus")).content.decode()

    assert "# TYPE hitech_briefings_stuck gauge" in text
    assert 'hitech_briefings_stuck{kind="weekly"} 1' in text
    assert 'hitech_briefings_stuck{kind="monthly"} 0' in text
    page = client.get(reverse("metrics")).content.decode()
    table = page.split('data-testid="briefings-stuck"')[1].split("</table>")[0]
    assert table.count("<tr>") == 2, "the header and one stuck briefing"
    assert ">40<" in table, "minutes waiting"
    # The monthly has rendered 5 minutes, past its expected 2: stalled, not yet stuck.
    assert 'hitech_briefings_stalled{kind="monthly"} 1' in text
    assert 'hitech_briefings_stalled{kind="weekly"} 0' in text
    stalled = page.split('data-testid="briefings-stalled"')[1].split("</table>")[0]
    assert stalled.count("<tr>") == 2, "the header and one stalled render"
    assert ">5<" in stalled, "minutes rendering"


def test_retry_queues_a_stuck_render_again_once(client, official):
    briefing = a_briefing(status=Status.RENDERING, minutes_ago=30)
    client.force_login(official)
    url = reverse("briefing_retry", args=[briefing.pk])

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("briefing_detail", args=[briefing.pk])
    briefing.refresh_from_db()
    assert briefing.status == Status.QUEUED
    assert abs((briefing.queued_at - timezone.now()).total_seconds()) < 5
    assert render_messages(briefing) == 1
    # Pressed again: the job is no longer stuck, so nothing is queued twice.
    refused = client.post(url, follow=True)
    assert render_messages(briefing) == 1
    page = refused.content.decode()
    assert "not stuck" in page or "没有卡住" in page or "未卡住" in page

    # Then the render happens once.
    done = services.briefing_generate(briefing_id=briefing.pk)
    assert done.status == Status.PUBLISHED


def test_retry_is_refused_for_a_published_briefing(client, official, today):
    briefing = a_briefing(status=Status.PUBLISHED, minutes_ago=60)
    client.force_login(official)

    response = client.post(reverse("briefing_retry", args=[briefing.pk]), **HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="briefing-retry-refused"' in page
    assert "<html" not in page, "htmx gets the status partial"
    briefing.refresh_from_db()
    assert briefing.status == Status.PUBLISHED
    assert render_messages(briefing) == 0


def test_retry_over_htmx_answers_the_status_partial_which_polls(client, official):
    briefing = a_briefing(status=Status.QUEUED, minutes_ago=20)
    client.force_login(official)

    page = client.post(reverse("briefing_retry", args=[briefing.pk]), **HTMX).content.decode()

    assert 'id="briefing-status"' in page and 'hx-trigger="load delay:1s"' in page
    assert 'data-testid="briefing-stuck"' not in page
    assert render_messages(briefing) == 1


@pytest.mark.parametrize("role", list(ROLES))
def test_who_may_retry(client, role_user, role):
    briefing = a_briefing(status=Status.QUEUED, minutes_ago=20)
    client.force_login(role_user(role, username=f"t-{role}"))

    response = client.post(reverse("briefing_retry", args=[briefing.pk]))

    assert response.status_code == ROLES[role]
    assert render_messages(briefing) == (1 if ROLES[role] == 302 else 0)
    detail = client.get(reverse("briefing_detail", args=[briefing.pk]))
    if role in (Role.PROJECT_MANAGER, Role.DEPARTMENT):
        assert detail.status_code == 403
    elif role == Role.LEADER:
        # Leaders read briefings, see that one is stuck, and are not offered the button.
        assert 'data-testid="briefing-stuck"' in detail.content.decode()
        assert 'data-testid="briefing-retry"' not in detail.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    briefing = a_briefing(status=Status.QUEUED, minutes_ago=20)
    response = client.post(reverse("briefing_retry", args=[briefing.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert render_messages(briefing) == 0


def test_the_catch_up_queues_a_stuck_job_once_and_restarts_its_lease():
    briefing = a_briefing(status=Status.QUEUED, minutes_ago=20)
    assert services.briefings_catch_up() == [briefing.pk]
    assert services.briefings_catch_up() == [], "its lease runs from the retry"
    assert render_messages(briefing) == 1


# ---------------------------------------------------------------- stalled renders


def test_the_stalled_rule_is_the_expected_time_up_to_the_lease():
    """Expected 120 s, lease 900 s: rendering 1 min is neither, 3 min is stalled, 16 min
    is stuck (and no longer stalled); a queued job is never stalled (its worker may be
    busy): only the lease makes it stuck."""
    recent = a_briefing(status=Status.RENDERING, minutes_ago=1)
    stalled = a_briefing(status=Status.RENDERING, minutes_ago=3, kind="monthly")
    now = timezone.now()
    assert list(Briefing.objects.stalled(now=now)) == [stalled]
    assert selectors.briefing_stalled_for(briefing=stalled, now=now) // timedelta(minutes=1) == 3
    assert selectors.briefing_stalled_for(briefing=recent, now=now) is None
    # 13 minutes on: 14 and 16 minutes of rendering.
    later = now + timedelta(minutes=13)
    assert list(Briefing.objects.stalled(now=later)) == [recent]
    assert list(Briefing.objects.stuck(now=later)) == [stalled]
    assert selectors.briefing_stalled_for(briefing=stalled, now=later) is None
    Briefing.objects.update(status=Status.QUEUED, queued_at=now - timedelta(minutes=10))
    assert list(Briefing.objects.stalled(now=now)) == []


def test_the_list_and_the_detail_show_a_stalled_render_with_the_retry(client, official):
    briefing = a_briefing(status=Status.RENDERING, minutes_ago=7)
    client.force_login(official)

    page = client.get(reverse("briefing_list")).content.decode()
    row = page.split('data-testid="briefing-stalled"')[1].split("</tr>")[0]
    label = page.split('data-testid="briefing-stalled"')[1][:40]
    assert "停滞" in label or "Stalled" in label, "停滞 once the catalogue has it"
    assert "7 min" in row or "7分钟" in row
    assert f'action="{reverse("briefing_retry", args=[briefing.pk])}"' in row
    assert 'data-testid="briefing-stuck"' not in page

    detail = client.get(reverse("briefing_detail", args=[briefing.pk])).content.decode()
    assert 'data-testid="briefing-stalled"' in detail
    assert 'data-testid="briefing-retry"' in detail


def test_generate_now_on_a_stalled_render_offers_the_retry(client, official):
    briefing = a_briefing(status=Status.RENDERING, minutes_ago=5)
    client.force_login(official)
    data = {"kind": briefing.kind, "period": briefing.period}

    response = client.post(reverse("briefing_generate"), data, follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("briefing_detail", args=[briefing.pk])
    assert "stalled" in page or "停滞" in page
    assert 'data-testid="briefing-retry"' in page
    htmx = client.post(reverse("briefing_generate"), data, **HTMX).content.decode()
    assert 'data-testid="briefing-stalled"' in htmx and 'data-testid="briefing-retry"' in htmx
    assert render_messages(briefing) == 0, "joining queues nothing"


def test_retry_takes_a_stalled_render_over_and_one_version_is_published(
    client, official, settings, tmp_path, monkeypatch
):
    """The stalled render was alive after all: while it renders, the official retries and
    the retried job renders and publishes (attempt 2); when the first render comes to
    publish it finds itself superseded. One published row, one PDF, attempt 2's."""
    settings.MEDIA_ROOT = tmp_path
    briefing = a_briefing(status=Status.RENDERING, minutes_ago=0)
    real_render = services.briefing_render
    calls = []

    def render_while_retried(*, briefing, generated_at):
        calls.append(briefing.attempts)
        if len(calls) == 1:
            # The first render is slow: three minutes later the official retries, and the
            # retried job runs to the end before this render returns.
            later = timezone.now() + timedelta(minutes=3)
            client.force_login(official)
            Briefing.objects.filter(pk=briefing.pk).update(
                started_at=timezone.now() - timedelta(minutes=3)
            )
            assert client.post(reverse("briefing_retry", args=[briefing.pk])).status_code == 302
            assert Briefing.objects.get(pk=briefing.pk).status == Status.QUEUED
            assert later > timezone.now()
            retried = services.briefing_generate(briefing_id=briefing.pk)
            assert retried.status == Status.PUBLISHED
        return real_render(briefing=briefing, generated_at=generated_at)

    monkeypatch.setattr(services, "briefing_render", render_while_retried)
    Briefing.objects.filter(pk=briefing.pk).update(status=Status.QUEUED)

    first = services.briefing_generate(briefing_id=briefing.pk)

    assert calls == [1, 2], "attempt 1 (the stalled one), then the retry's attempt 2"
    assert first.status == Status.PUBLISHED and first.attempts == 2
    published = Briefing.objects.get(pk=briefing.pk)
    assert published.pdf_sha256 == first.pdf_sha256
    assert Briefing.objects.filter(kind=briefing.kind, period=briefing.period).count() == 1
    assert render_messages(briefing) == 1, "the retry's message, once"
    assert len(list((tmp_path).rglob("*.pdf"))) == 1


def test_a_stalled_render_finishing_before_the_retry_runs_publishes_nothing(settings, tmp_path):
    """Retried while queued again, the first render's result is dropped; the queued retry
    then renders and publishes: still one version, attempt 2."""
    settings.MEDIA_ROOT = tmp_path
    briefing = a_briefing(status=Status.QUEUED, minutes_ago=0)
    claimed = services._claim(briefing.pk)
    assert claimed.attempts == 1
    Briefing.objects.filter(pk=briefing.pk).update(started_at=timezone.now() - timedelta(minutes=3))
    services.briefing_retry(briefing_id=briefing.pk)

    # The first render's publish step, as briefing_generate runs it for attempt 1.
    assert services._superseded(briefing.pk, 1).status == Status.QUEUED
    done = services.briefing_generate(briefing_id=briefing.pk)
    assert done.status == Status.PUBLISHED and done.attempts == 2
    assert services._superseded(briefing.pk, 1).status == Status.PUBLISHED


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_shows_stalled_and_the_retry_publishes_once(
    client, official, celery_processes, settings, tmp_path, today
):
    """A real worker is SIGKILLed while it renders. With 1 s as a render's expected time
    the briefing shows stalled 2 s later (not after the 900 s lease); the official's retry
    goes to a new worker, which publishes it: one row, attempt 2, a whole PDF."""
    import os
    import signal
    import time

    from hitech_zone.celery import app
    from hitech_zone.demo import load_demo
    from reports.tasks import briefing_generate_task
    from tests.conftest import wait_for

    settings.MEDIA_ROOT = tmp_path
    settings.BRIEFING_RENDER_STALLED_SECONDS = 1
    celery_processes.env.update(MEDIA_ROOT=str(tmp_path), BRIEFING_RENDER_STALLED_SECONDS="1")
    load_demo(today=today)
    worker = celery_processes.worker()
    period = periods.last_due(periods.MONTHLY, today)
    pk = services.briefing_request(
        kind="monthly", period=period, trigger=Briefing.Trigger.MANUAL, enqueue=False
    ).briefing.pk
    briefing_generate_task.apply_async(kwargs={"briefing_id": pk}, queue=celery_processes.queue)

    def status() -> str:
        return Briefing.objects.get(pk=pk).status

    rendering = wait_for(lambda: status() == Status.RENDERING, timeout=60, interval=0.02)
    assert rendering, f"the worker never started; logs:\n{celery_processes.log_text()}"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert status() == Status.RENDERING, "the kill came before the render ended"

    # The retry, asked for in this process, goes to the briefing renders' queue (emptied
    # when the new worker starts on it, so it starts before the retry).
    celery_processes.worker(queue=app.conf.task_routes[briefing_generate_task.name]["queue"])
    time.sleep(2)
    client.force_login(official)
    listed = client.get(reverse("briefing_list")).content.decode()
    assert 'data-testid="briefing-stalled"' in listed
    assert client.post(reverse("briefing_retry", args=[pk])).status_code == 302
    published = wait_for(lambda: status() == Status.PUBLISHED, timeout=120, interval=0.5)
    assert published, f"no briefing after the retry; logs:\n{celery_processes.log_text()}"

    rows = Briefing.objects.filter(kind="monthly", period=period.key)
    assert rows.count() == 1
    briefing = rows.get()
    assert briefing.attempts == 2
    assert briefing.file.read().startswith(b"%PDF")
