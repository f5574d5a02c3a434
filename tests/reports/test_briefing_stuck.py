"""A render stuck past its lease (BRIEFING_RENDER_LEASE_SECONDS): shown as stuck, with how
long, on the briefings page and in the metrics; queued again by an official, once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hitech_zone.models import OutboxMessage
from hitech_zone.permissions import Role
from reports import periods, services
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
    settings.BRIEFING_CATCH_UP_WEEKS = settings.BRIEFING_CATCH_UP_MONTHS = 0


def a_briefing(*, status: str, minutes_ago: int, kind: str = "weekly") -> Briefing:
    """A briefing of last week, in `status` since `minutes_ago` minutes."""
    period = periods.last_complete(kind, timezone.localdate())
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


def test_a_render_within_its_lease_is_not_stuck(client, official):
    briefing = a_briefing(status=Status.RENDERING, minutes_ago=10)
    client.force_login(official)
    assert (
        'data-testid="briefing-stuck"' not in client.get(reverse("briefing_list")).content.decode()
    )
    detail = client.get(reverse("briefing_detail", args=[briefing.pk])).content.decode()
    assert 'data-testid="briefing-retry"' not in detail


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
