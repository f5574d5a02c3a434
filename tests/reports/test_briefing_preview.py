""" "Generate now" for a period that has not ended makes a preview: watermarked 预览 on
every page, version 0, never delivered, never in the way of the scheduled briefing of the
period, labelled as such on the briefings page, absent from the API."""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext
from pypdf import PdfReader

from hitech_zone.models import OutboxMessage
from hitech_zone.permissions import Role
from reports import briefings, periods, selectors, services
from reports.models import Briefing, BriefingDelivery
from reports.tasks import briefing_generate_task, briefing_scheduled_task
from tests import factories
from tests.conftest import wait_for

Status = Briefing.Status
Trigger = Briefing.Trigger


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def project(today):
    project = factories.ProjectFactory(code="P-001", name="预览测试项目")
    factories.AnnualPlanFactory(project=project, year=today.year, planned_investment=Decimal(900))
    return project


def this_week(today) -> periods.Period:
    return periods.containing(periods.WEEKLY, today)


def monday_after(period: periods.Period) -> datetime:
    """07:00 on the day after the period's last: when beat runs the weekly job."""
    return timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time(7)))


def watermark() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return pgettext("briefing watermark", "Preview")


@pytest.mark.date_sensitive
@pytest.mark.django_db
def test_generate_now_mid_week_is_a_preview_and_the_schedule_still_publishes_v1(
    project, official, role_user, media, today
):
    reader = role_user(Role.LEADER, username="yao", email="yao@example.cn")
    services.subscription_set(user=reader, kind="weekly", subscribed=True)
    week = this_week(today)

    asked = services.briefing_request(
        kind="weekly", period=week, trigger=Trigger.MANUAL, by=official
    )
    # Pressed twice: one preview job.
    again = services.briefing_request(
        kind="weekly", period=week, trigger=Trigger.MANUAL, by=official
    )
    assert asked.created and not again.created and again.briefing.pk == asked.briefing.pk
    preview = services.briefing_generate(briefing_id=asked.briefing.pk)

    assert preview.is_preview
    assert preview.version == 0
    assert preview.status == Status.PUBLISHED
    assert preview.file.name == f"briefings/weekly/{week.key}-preview-{preview.pk}.pdf"
    assert not OutboxMessage.objects.filter(task_name="reports.tasks.briefing_deliver").exists()

    scheduled = services.briefing_scheduled(kind="weekly", now=monday_after(week))

    assert scheduled.created, "the preview does not stand in for the week's briefing"
    assert scheduled.briefing.pk != preview.pk
    assert (scheduled.briefing.version, scheduled.briefing.is_preview) == (1, False)
    published = services.briefing_generate(briefing_id=scheduled.briefing.pk)
    assert published.changes == [], "a preview is not a previous version"
    assert services.briefing_deliver(briefing_id=published.pk) == 1
    assert [m.to for m in mail.outbox] == [["yao@example.cn"]]
    assert mail.outbox[0].attachments[0][1] == published.file.open("rb").read()
    with pytest.raises(Briefing.DoesNotExist):
        services.briefing_deliver(briefing_id=preview.pk)
    assert list(BriefingDelivery.objects.values_list("briefing_id", flat=True)) == [published.pk]


@pytest.mark.date_sensitive
@pytest.mark.django_db
def test_a_preview_in_flight_does_not_hold_up_the_schedule_or_the_catch_up(
    project, official, settings, today, time_machine
):
    settings.BRIEFING_CATCH_UP_WEEKS, settings.BRIEFING_CATCH_UP_MONTHS = 1, 0
    week = this_week(today)
    preview = services.briefing_request(
        kind="weekly", period=week, trigger=Trigger.MANUAL, by=official
    ).briefing
    after = monday_after(week)
    time_machine.move_to(after)

    # The catch-up the next Monday finds no briefing of the week: the preview is none.
    # (The preview, queued days ago with no worker to take it, is queued again.)
    queued = services.briefings_catch_up()

    catch_up = Briefing.objects.get(kind="weekly", period=week.key, is_preview=False)
    assert queued == [catch_up.pk, preview.pk]
    assert (catch_up.version, catch_up.status) == (1, Status.QUEUED)
    preview.refresh_from_db()
    assert preview.status == Status.QUEUED, "both in flight at once"
    # Asked for by a person once the week is over: the week's briefing, joined.
    manual = services.briefing_request(
        kind="weekly", period=week, trigger=Trigger.MANUAL, by=official, now=after
    )
    assert not manual.created and manual.briefing.pk == catch_up.pk


@pytest.mark.django_db
def test_a_preview_is_watermarked_on_every_page(project, media, today):
    month = periods.containing(periods.MONTHLY, today)
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        snapshot = briefings.snapshot_build(kind="monthly", period=month, as_of=now)
        preview_pdf = briefings.pdf_render(
            snapshot=snapshot, generated_at=now, version=0, changes=[], preview_document=True
        )
        html = briefings.html_render(
            snapshot=snapshot, generated_at=now, version=1, changes=[], preview=True
        )
    assert 'data-testid="preview-watermark"' not in html, "a published one has no watermark"

    pages = PdfReader(io.BytesIO(preview_pdf)).pages
    assert len(pages) >= 2
    mark = watermark()
    for number, page in enumerate(pages, start=1):
        assert mark in page.extract_text().replace("\n", ""), f"page {number}"


@pytest.mark.django_db
def test_the_list_labels_previews_and_the_api_leaves_them_out(
    client, official, project, media, today
):
    client.force_login(official)
    response = client.post(
        reverse("briefing_generate"), {"kind": "weekly", "period": this_week(today).key}
    )
    preview = Briefing.objects.get()
    assert response["Location"] == reverse("briefing_detail", args=[preview.pk])
    assert preview.is_preview and preview.requested_by == official
    services.briefing_generate(briefing_id=preview.pk)
    published = factories.published_briefing(today=today)

    page = client.get(reverse("briefing_list")).content.decode()
    assert page.count('data-testid="briefing-preview-row"') == 1
    detail = client.get(reverse("briefing_detail", args=[preview.pk])).content.decode()
    assert 'data-testid="briefing-preview-label"' in detail
    download = client.get(reverse("briefing_download", args=[preview.pk]))
    assert f"weekly-{preview.period}-preview-{preview.pk}.pdf" in download["Content-Disposition"]
    web = client.get(reverse("briefing_preview", args=[preview.pk])).content.decode()
    assert 'data-testid="preview-watermark"' in web

    # The API lists the periods' briefings (and serves their PDFs) through this read.
    assert list(selectors.briefing_list_all()) == [published]


@pytest.mark.celery_worker
def test_through_real_workers_subscribers_get_v1_not_the_preview(
    celery_processes, tmp_path, settings, role_user, today
):
    settings.MEDIA_ROOT = tmp_path
    celery_processes.env["MEDIA_ROOT"] = str(tmp_path)
    factories.AnnualPlanFactory(
        project=factories.ProjectFactory(code="P-002", name="真实进程项目"),
        year=today.year,
        planned_investment=Decimal(900),
    )
    official = role_user(Role.OFFICIAL, username="t-official")
    reader = role_user(Role.LEADER, username="yao", email="yao@example.cn")
    services.subscription_set(user=reader, kind="weekly", subscribed=True)
    celery_processes.worker()
    week = this_week(today)

    # "Generate now" on the worker, mid-week.
    preview_pk = services.briefing_request(
        kind="weekly", period=week, trigger=Trigger.MANUAL, by=official, enqueue=False
    ).briefing.pk
    briefing_generate_task.apply_async(
        kwargs={"briefing_id": preview_pk}, queue=celery_processes.queue
    )
    done = wait_for(
        lambda: Briefing.objects.get(pk=preview_pk).status == Status.PUBLISHED,
        timeout=120,
        interval=0.5,
    )
    assert done, f"no preview; logs:\n{celery_processes.log_text()}"

    # Beat's Monday job for the week, once it is over.
    briefing_scheduled_task.apply_async(
        kwargs={"kind": "weekly", "now": monday_after(week).isoformat()},
        queue=celery_processes.queue,
    )
    delivered = wait_for(
        lambda: BriefingDelivery.objects.filter(user=reader).exists(), timeout=120, interval=0.5
    )
    assert delivered, f"no delivery; logs:\n{celery_processes.log_text()}"

    preview = Briefing.objects.get(pk=preview_pk)
    published = Briefing.objects.get(kind="weekly", period=week.key, is_preview=False)
    assert (published.version, published.status, published.trigger) == (
        1,
        Status.PUBLISHED,
        Trigger.SCHEDULE,
    )
    assert preview.is_preview and preview.file.name != published.file.name
    assert list(BriefingDelivery.objects.values_list("briefing_id", "user_id")) == [
        (published.pk, reader.pk)
    ]
