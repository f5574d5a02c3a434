"""The briefing life cycle: asked for once, rendered once, published and frozen, re-issued
as a new version, caught up when a slot was missed, delivered once to each subscriber.
The renders here are real WeasyPrint renders of small data."""

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from hitech_zone.permissions import Role
from projects import services as project_services
from reports import periods, services
from reports.models import Briefing, BriefingSubscription
from tests import factories

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

Status = Briefing.Status
Trigger = Briefing.Trigger


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def project(official, today):
    project = factories.ProjectFactory(
        code="B-001", name="简报测试项目", total_investment=Decimal("50000")
    )
    factories.AnnualPlanFactory(
        project=project, year=today.year, planned_investment=Decimal("12000")
    )
    return project


def last_week(today: date) -> periods.Period:
    return periods.last_complete(periods.WEEKLY, today)


def test_asking_twice_joins_the_job_already_queued(project, official, today):
    first = services.briefing_request(
        kind="weekly", period=last_week(today), trigger=Trigger.MANUAL, by=official
    )
    second = services.briefing_request(
        kind="weekly", period=last_week(today), trigger=Trigger.MANUAL, by=official
    )
    assert first.created and not second.created
    assert second.briefing.pk == first.briefing.pk
    assert Briefing.objects.count() == 1
    assert first.briefing.status == Status.QUEUED
    assert first.briefing.requested_by == official


def test_a_render_publishes_a_whole_pdf_with_its_hashes(project, official, today):
    requested = services.briefing_request(
        kind="monthly",
        period=periods.last_due(periods.MONTHLY, today),
        trigger=Trigger.MANUAL,
        by=official,
    )
    briefing = services.briefing_generate(briefing_id=requested.briefing.pk)

    assert briefing.status == Status.PUBLISHED
    pdf = briefing.file.read()
    assert pdf.startswith(b"%PDF")
    assert briefing.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert len(briefing.snapshot_sha256) == 64
    assert briefing.attempts == 1
    assert briefing.render_seconds > 0
    assert briefing.started_at <= briefing.finished_at
    text = "".join(page.extract_text() for page in PdfReader(briefing.file.path).pages)
    assert "简报测试项目" in text


def test_a_published_briefing_is_frozen(project, official, today):
    period = last_week(today)
    requested = services.briefing_request(kind="weekly", period=period, trigger=Trigger.SCHEDULE)
    briefing = services.briefing_generate(briefing_id=requested.briefing.pk)
    pdf_hash, data_hash = briefing.pdf_sha256, briefing.snapshot_sha256

    project_services.project_set_status(
        project=project, status="suspended", expected_version=project.version, by=official
    )
    # The job delivered again, the schedule firing again: nothing changes.
    again = services.briefing_generate(briefing_id=briefing.pk)
    scheduled = services.briefing_request(kind="weekly", period=period, trigger=Trigger.SCHEDULE)

    assert not scheduled.created
    assert scheduled.briefing.pk == briefing.pk
    assert (again.pdf_sha256, again.snapshot_sha256) == (pdf_hash, data_hash)
    assert again.attempts == 1
    assert Briefing.objects.count() == 1


def test_a_reissue_is_a_new_version_that_says_what_changed(project, official, today):
    period = periods.last_due(periods.MONTHLY, today)
    first = services.briefing_generate(
        briefing_id=services.briefing_request(
            kind="monthly", period=period, trigger=Trigger.SCHEDULE
        ).briefing.pk
    )
    project_services.monthly_investment_set(
        project=project,
        year=period.start.year,
        month=period.start.month,
        completed_amount=Decimal("3456"),
        expected_version=None,
        by=official,
    )
    reissue = services.briefing_request(
        kind="monthly",
        period=period,
        trigger=Trigger.MANUAL,
        by=official,
        reissue_reason="补报十月投资额",
    )
    assert reissue.created
    assert reissue.briefing.version == 2
    second = services.briefing_generate(briefing_id=reissue.briefing.pk)

    assert second.status == Status.PUBLISHED
    assert second.snapshot_sha256 != first.snapshot_sha256
    assert second.changes[0].endswith("补报十月投资额")
    assert len(second.changes) > 1, "the figures that moved are listed"
    first.refresh_from_db()
    assert first.status == Status.PUBLISHED, "the first version stays as it was"
    assert first.file.name != second.file.name


def test_two_beats_give_one_briefing_per_period(project, today):
    monday_morning = timezone.make_aware(
        datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time())
    ) + timedelta(hours=7)
    first = services.briefing_scheduled(kind="weekly", now=monday_morning)
    second = services.briefing_scheduled(kind="weekly", now=monday_morning + timedelta(seconds=2))
    assert first.created and not second.created
    assert Briefing.objects.filter(kind="weekly").count() == 1
    assert first.briefing.period == last_week(today).key


def test_catch_up_produces_each_missing_period_once(project, settings, today):
    settings.BRIEFING_CATCH_UP_WEEKS = 3
    settings.BRIEFING_CATCH_UP_MONTHS = 2
    now = timezone.now()
    present = last_week(today)
    services.briefing_generate(
        briefing_id=services.briefing_request(
            kind="weekly", period=present, trigger=Trigger.SCHEDULE
        ).briefing.pk
    )

    queued = services.briefings_catch_up(now=now)

    weekly = set(
        Briefing.objects.filter(kind="weekly", trigger=Trigger.CATCH_UP).values_list(
            "period", flat=True
        )
    )
    expected_weeks = {p.key for p in periods.recent_complete("weekly", today, 3)} - {present.key}
    assert weekly == expected_weeks
    assert Briefing.objects.filter(kind="monthly").count() == 2
    assert len(queued) == 4
    assert services.briefings_catch_up(now=now) == [], "a second run finds nothing missing"


def test_catch_up_queues_again_a_job_whose_worker_died(project, settings, today):
    settings.BRIEFING_CATCH_UP_WEEKS = 0
    settings.BRIEFING_CATCH_UP_MONTHS = 0
    requested = services.briefing_request(
        kind="weekly", period=last_week(today), trigger=Trigger.MANUAL
    )
    # A worker took it and died mid-render.
    claimed = services._claim(requested.briefing.pk)
    assert claimed.status == Status.RENDERING
    lease = timedelta(seconds=settings.BRIEFING_RENDER_LEASE_SECONDS)

    assert services.briefings_catch_up(now=timezone.now()) == [], "still within its lease"
    assert services.briefings_catch_up(now=timezone.now() + lease * 2) == [claimed.pk]

    done = services.briefing_generate(briefing_id=claimed.pk)
    assert done.status == Status.PUBLISHED
    assert done.attempts == 2
    assert Briefing.objects.count() == 1


def test_subscribers_get_the_pdf_by_email_once(project, role_user, today):
    reader = role_user(Role.LEADER, username="yao", email="yao@example.cn", full_name="姚丽英")
    role_user(Role.LEADER, username="no-mail", email="")
    services.subscription_set(user=reader, kind="weekly", subscribed=True)
    services.subscription_set(user=reader, kind="weekly", subscribed=True)
    assert BriefingSubscription.objects.filter(user=reader).count() == 1
    briefing = services.briefing_generate(
        briefing_id=services.briefing_request(
            kind="weekly", period=last_week(today), trigger=Trigger.SCHEDULE
        ).briefing.pk
    )

    assert services.briefing_deliver(briefing_id=briefing.pk) == 1
    assert services.briefing_deliver(briefing_id=briefing.pk) == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["yao@example.cn"]
    (name, content, mimetype) = message.attachments[0]
    assert mimetype == "application/pdf"
    assert content == briefing.file.open("rb").read()
    assert name.endswith(".pdf")


def test_an_unsubscribed_reader_gets_nothing(project, role_user, today):
    reader = role_user(Role.LEADER, username="yao", email="yao@example.cn")
    services.subscription_set(user=reader, kind="weekly", subscribed=True)
    services.subscription_set(user=reader, kind="weekly", subscribed=False)
    briefing = services.briefing_generate(
        briefing_id=services.briefing_request(
            kind="weekly", period=last_week(today), trigger=Trigger.SCHEDULE
        ).briefing.pk
    )
    assert services.briefing_deliver(briefing_id=briefing.pk) == 0
    assert mail.outbox == []


def test_the_command_renders_with_the_same_code_and_stores_it(project, tmp_path, today):
    period = periods.last_due(periods.MONTHLY, today)
    out = tmp_path / "monthly.pdf"

    call_command("briefing", "monthly", period.key, "-o", str(out))

    briefing = Briefing.objects.get(kind="monthly", period=period.key)
    assert briefing.status == Status.PUBLISHED
    assert briefing.trigger == Trigger.COMMAND
    assert hashlib.sha256(out.read_bytes()).hexdigest() == briefing.pdf_sha256
    # Asked again: the published briefing is written out, not rendered again.
    call_command("briefing", "monthly", period.key, "-o", str(out))
    assert Briefing.objects.filter(kind="monthly").count() == 1


def test_the_command_refuses_a_malformed_period(project):
    with pytest.raises(CommandError, match="2026-W44"):
        call_command("briefing", "weekly", "2026-44")


def test_a_transient_fault_is_retried_and_the_briefing_still_comes_out(project, today, monkeypatch):
    from django.db import OperationalError

    from reports.tasks import briefing_generate_task

    real_render = services.briefing_render
    faults = iter([OperationalError("the database restarted")])

    def render_after_a_fault(**kwargs):
        fault = next(faults, None)
        if fault:
            raise fault
        return real_render(**kwargs)

    monkeypatch.setattr(services, "briefing_render", render_after_a_fault)
    pk = services.briefing_request(
        kind="weekly", period=last_week(today), trigger=Trigger.SCHEDULE, enqueue=False
    ).briefing.pk

    # Run in this process; the retry it schedules runs here too.
    briefing_generate_task.apply(kwargs={"briefing_id": pk})

    briefing = Briefing.objects.get(pk=pk)
    assert briefing.status == Status.PUBLISHED
    assert briefing.attempts == 2


def test_a_fault_retrying_cannot_mend_marks_the_briefing_failed(project, today, monkeypatch):
    from reports.tasks import briefing_generate_task

    def broken_template(**kwargs):
        raise ValueError("a template error")

    monkeypatch.setattr(services, "briefing_render", broken_template)
    pk = services.briefing_request(
        kind="weekly", period=last_week(today), trigger=Trigger.SCHEDULE, enqueue=False
    ).briefing.pk

    result = briefing_generate_task.apply(kwargs={"briefing_id": pk})

    assert result.failed()
    briefing = Briefing.objects.get(pk=pk)
    assert briefing.status == Status.FAILED
    assert "a template error" in briefing.error
    # Asked for again, the failed period is tried again in place.
    again = services.briefing_request(
        kind="weekly", period=last_week(today), trigger=Trigger.CATCH_UP, enqueue=False
    )
    assert again.created and again.briefing.pk == pk
    assert again.briefing.status == Status.QUEUED
