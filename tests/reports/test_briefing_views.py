"""The briefings page: list and download, "generate now" with its progress followed by
htmx polling (and by a plain page that refreshes itself), subscriptions, previews."""

from decimal import Decimal

import pytest
from django.urls import reverse

from reports import periods, services
from reports.models import Briefing, BriefingSubscription
from tests import factories

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def project(today):
    project = factories.ProjectFactory(code="V-001", name="视图测试项目")
    factories.AnnualPlanFactory(project=project, year=today.year, planned_investment=Decimal(900))
    return project


def test_generate_now_shows_progress_until_the_download_appears(client, official, project, today):
    client.force_login(official)
    period = periods.last_complete(periods.WEEKLY, today)

    response = client.post(
        reverse("briefing_generate"), {"kind": "weekly", "period": period.key}, **HTMX
    )

    assert response.status_code == 200
    briefing = Briefing.objects.get()
    page = response.content.decode()
    status_url = reverse("briefing_detail", args=[briefing.pk])
    # The status partial polls itself while the job is queued.
    assert f'hx-get="{status_url}"' in page
    assert 'hx-trigger="load delay:1s"' in page
    assert "briefing-download" not in page

    polled = client.get(status_url, **HTMX).content.decode()
    assert 'hx-trigger="load delay:1s"' in polled
    assert "<html" not in polled, "htmx gets the partial, not the page"

    services.briefing_generate(briefing_id=briefing.pk)

    done = client.get(status_url, **HTMX).content.decode()
    assert "hx-trigger" not in done, "polling stops once published"
    assert reverse("briefing_download", args=[briefing.pk]) in done


def test_pressing_generate_twice_runs_one_job(client, official, project, today):
    client.force_login(official)
    data = {"kind": "monthly", "period": periods.last_due("monthly", today).key}
    first = client.post(reverse("briefing_generate"), data)
    second = client.post(reverse("briefing_generate"), data)
    briefing = Briefing.objects.get()
    assert first["Location"] == second["Location"] == reverse("briefing_detail", args=[briefing.pk])


def test_without_javascript_the_progress_page_refreshes_itself(client, official, project, today):
    client.force_login(official)
    response = client.post(
        reverse("briefing_generate"),
        {"kind": "weekly", "period": periods.last_complete("weekly", today).key},
        follow=True,
    )
    page = response.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "<html" in page


def test_a_bad_period_is_refused_and_the_input_kept(client, official, project):
    client.force_login(official)
    response = client.post(
        reverse("briefing_generate"), {"kind": "weekly", "period": "2026-13x"}, **HTMX
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="2026-13x"' in page
    assert "2026-W44" in page, "the message shows how to write a week"
    assert not Briefing.objects.exists()


def test_a_period_that_has_not_begun_is_refused(client, official, project, today):
    client.force_login(official)
    response = client.post(
        reverse("briefing_generate"), {"kind": "monthly", "period": f"{today.year + 1}-01"}
    )
    assert response.status_code == 422
    assert not Briefing.objects.exists()


def test_the_list_offers_published_briefings_for_download(client, leader, project, today):
    briefing = factories.published_briefing(today=today)
    client.force_login(leader)
    page = client.get(reverse("briefing_list")).content.decode()
    assert reverse("briefing_download", args=[briefing.pk]) in page
    assert "generate-form" not in page, "leaders read; officials generate"

    download = client.get(reverse("briefing_download", args=[briefing.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert f"weekly-{briefing.period}-v1.pdf" in download["Content-Disposition"]


def test_the_preview_is_the_briefing_as_a_web_page(client, leader, project, today):
    briefing = factories.published_briefing(today=today)
    client.force_login(leader)
    page = client.get(reverse("briefing_preview", args=[briefing.pk])).content.decode()
    assert "视图测试项目" in page or periods.parse(briefing.kind, briefing.period).label in page
    live = client.get(reverse("briefing_preview_live", args=["monthly", "2026-10"]))
    assert live.status_code == 200
    assert (
        client.get(reverse("briefing_preview_live", args=["monthly", "26-10"])).status_code == 404
    )


def test_a_reader_subscribes_and_unsubscribes(client, leader):
    client.force_login(leader)
    client.post(reverse("briefing_subscription"), {"kind": "monthly", "subscribed": "1"})
    assert BriefingSubscription.objects.filter(user=leader, kind="monthly").exists()

    response = client.post(
        reverse("briefing_subscription"), {"kind": "monthly", "subscribed": "0"}, **HTMX
    )
    assert response.status_code == 200
    assert 'id="subscriptions"' in response.content.decode()
    assert not BriefingSubscription.objects.filter(user=leader).exists()
    assert (
        client.post(reverse("briefing_subscription"), {"kind": "daily", "subscribed": "1"})
    ).status_code == 422
