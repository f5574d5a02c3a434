"""Red alerts escalate on working days (Chinese calendar, 调休 included), each step once."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from inspections import workdays
from inspections.models import Notification
from projects.models import Project
from reports.alerts import alerts_refresh
from reports.escalation import alerts_escalate
from reports.models import Alert, AlertEscalation
from tests import factories
from tests.clock import clock_pinned_to
from tests.reports.slip_helpers import at

pytestmark = pytest.mark.django_db
# Fixed dates in 2026; the records the tests make are made after them.
pinned_clock = clock_pinned_to("2026-11-18T10:00")

Step = AlertEscalation.Step

# Red alert first seen on Monday 14 September 2026. The Sunday after, 20 September, is a
# working day (调休 before Mid-autumn and National Day); Friday 25 September (中秋) is not.
FIRST_SEEN = date(2026, 9, 14)
FIFTH_WORKDAY = date(2026, 9, 20)  # Sunday: 15, 16, 17, 18, 20
TENTH_WORKDAY = date(2026, 9, 28)  # Monday: 21, 22, 23, 24, 28


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.ALERT_ESCALATE_LEADER_WORKDAYS = 5
    settings.ALERT_ESCALATE_BRIEFING_WORKDAYS = 10


@pytest.fixture
def people():
    return {
        "responsible": factories.UserFactory(username="zeren", email="zeren@example.com"),
        "leader": factories.UserFactory(username="lingdao", email="lingdao@example.com"),
    }


@pytest.fixture
def red_project(people):
    """A suspended project (red) since FIRST_SEEN, nothing else wrong with it."""
    project = factories.ProjectFactory(
        name="正力新能电芯",
        status=Project.Status.SUSPENDED,
        responsible_person=people["responsible"],
        leader_in_charge=people["leader"],
    )
    alerts_refresh(now=at(FIRST_SEEN))
    return project


def steps() -> set[tuple[str, str | None]]:
    return set(AlertEscalation.objects.values_list("step", "recipient__username"))


def notices() -> set[tuple[str, str, str]]:
    return set(Notification.objects.values_list("kind", "recipient__username", "event_key"))


def test_the_calendar_agrees_with_the_dates_of_these_tests():
    calendar = workdays.WorkdayCalendar.for_range(FIRST_SEEN, TENTH_WORKDAY)
    assert calendar.is_workday(FIFTH_WORKDAY) and FIFTH_WORKDAY.weekday() == 6
    assert not calendar.is_workday(date(2026, 9, 25))
    assert calendar.add_workdays(FIRST_SEEN, 5) == FIFTH_WORKDAY
    assert calendar.add_workdays(FIRST_SEEN, 10) == TENTH_WORKDAY


def test_a_new_red_alert_notifies_the_responsible_person_once(red_project):
    alert = Alert.objects.get()

    first = alerts_escalate(now=at(FIRST_SEEN))
    again = alerts_escalate(now=at(FIRST_SEEN, 2))

    assert first == {"responsible": 1, "leader": 0, "briefing": 0, "notifications": 1}
    assert again == {"responsible": 0, "leader": 0, "briefing": 0, "notifications": 0}
    assert steps() == {(Step.RESPONSIBLE, "zeren")}
    notice = Notification.objects.get()
    assert (notice.kind, notice.recipient.username, notice.event_key) == (
        Notification.Kind.ALERT_RED,
        "zeren",
        f"alert-{alert.pk}",
    )
    assert (notice.issue, notice.project) == (None, red_project)
    assert "正力新能电芯" in notice.message


def test_the_leader_is_told_after_five_working_days_counting_an_adjusted_sunday(red_project):
    alerts_escalate(now=at(FIRST_SEEN))

    # Saturday 19 September: four working days so far.
    alerts_escalate(now=at(FIFTH_WORKDAY - timedelta(days=1)))
    assert steps() == {(Step.RESPONSIBLE, "zeren")}

    # Sunday 20 September is worked (调休): the fifth working day.
    counts = alerts_escalate(now=at(FIFTH_WORKDAY))
    assert counts["leader"] == 1
    assert steps() == {(Step.RESPONSIBLE, "zeren"), (Step.LEADER, "lingdao")}
    alert = Alert.objects.get()
    assert notices() == {
        (Notification.Kind.ALERT_RED, "zeren", f"alert-{alert.pk}"),
        (Notification.Kind.ALERT_ESCALATED, "lingdao", f"alert-{alert.pk}"),
    }


def test_the_briefing_step_after_ten_working_days_skipping_mid_autumn(red_project):
    alerts_escalate(now=at(FIRST_SEEN))
    alerts_escalate(now=at(FIFTH_WORKDAY))

    # Sunday 27 September: 中秋 on Friday and the weekend make it nine working days only.
    alerts_escalate(now=at(TENTH_WORKDAY - timedelta(days=1)))
    assert Step.BRIEFING not in {step for step, _who in steps()}

    counts = alerts_escalate(now=at(TENTH_WORKDAY))
    again = alerts_escalate(now=at(TENTH_WORKDAY + timedelta(days=1)))

    assert counts == {"responsible": 0, "leader": 0, "briefing": 1, "notifications": 0}
    assert not any(again.values())
    assert steps() == {
        (Step.RESPONSIBLE, "zeren"),
        (Step.LEADER, "lingdao"),
        (Step.BRIEFING, None),
    }
    assert Notification.objects.count() == 2  # the briefing step notifies nobody
    escalation = AlertEscalation.objects.get(step=Step.BRIEFING)
    assert escalation.escalated_at == at(TENTH_WORKDAY)


def test_steps_missed_while_the_job_did_not_run_are_all_taken_at_once(red_project):
    counts = alerts_escalate(now=at(TENTH_WORKDAY))

    assert counts == {"responsible": 1, "leader": 1, "briefing": 1, "notifications": 2}


def test_without_a_leader_the_step_is_recorded_with_no_one_and_not_retried(red_project):
    Project.objects.filter(pk=red_project.pk).update(leader_in_charge=None)

    alerts_escalate(now=at(FIFTH_WORKDAY))
    again = alerts_escalate(now=at(FIFTH_WORKDAY + timedelta(days=1)))

    assert steps() == {(Step.RESPONSIBLE, "zeren"), (Step.LEADER, None)}
    assert again["leader"] == 0
    assert notices() == {(Notification.Kind.ALERT_RED, "zeren", f"alert-{Alert.objects.get().pk}")}


def test_yellow_and_resolved_alerts_do_not_escalate(red_project, people):
    factories.ProjectFactory(
        status=Project.Status.CONSTRUCTION, responsible_person=people["responsible"]
    ).milestones.create(
        sequence=1, name="竣工", baseline_date=date(2026, 12, 1), forecast_date=date(2026, 12, 5)
    )
    alerts_refresh(now=at(FIRST_SEEN + timedelta(days=1)))
    assert Alert.objects.filter(severity=Alert.Severity.YELLOW, resolved_at=None).count() == 1

    # Work resumes before anyone was told: the resolved red alert is not escalated.
    Project.objects.filter(pk=red_project.pk).update(status=Project.Status.CONSTRUCTION)
    alerts_refresh(now=at(FIRST_SEEN + timedelta(days=2)))
    counts = alerts_escalate(now=at(TENTH_WORKDAY))

    assert not any(counts.values())
    assert not AlertEscalation.objects.exists()
    assert not Notification.objects.exists()


def test_notices_are_emailed_once_by_the_email_job(red_project, mailoutbox):
    from inspections.tasks import notification_emails_send

    with translation.override("en"):
        alerts_escalate(now=at(FIFTH_WORKDAY))
    alerts_escalate(now=at(FIFTH_WORKDAY + timedelta(days=1)))
    assert mailoutbox == []  # recorded; the e-mail job sends them

    assert notification_emails_send() == 2
    assert notification_emails_send() == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["lingdao@example.com", "zeren@example.com"]
    assert all("正力新能电芯" in m.subject and "正力新能电芯" in m.body for m in mailoutbox)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_the_email_job_drains_a_backlog_larger_than_a_batch(mailoutbox, monkeypatch):
    from inspections import notifications
    from inspections.tasks import notification_emails_send

    monkeypatch.setattr(notifications, "EMAIL_BATCH", 3)
    people = [factories.UserFactory(email=f"p{n}@example.com") for n in range(7)]
    project = factories.ProjectFactory()
    notifications.notify_projects(
        notifications.ProjectNotice(
            recipient_id=person.pk,
            project_id=project.pk,
            kind=Notification.Kind.ALERT_RED,
            event_key="alert-1",
            message="红灯",
        )
        for person in people
    )
    assert notification_emails_send() == 7
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_the_notifications_page_links_project_notices_to_the_project(client, red_project):
    alerts_escalate(now=at(FIRST_SEEN))
    client.force_login(red_project.responsible_person)

    page = client.get("/notifications/").content.decode()

    assert f'href="/projects/{red_project.code}/"' in page
    assert Notification.objects.get().message in page


def test_a_fixed_number_of_queries_for_any_number_of_red_alerts(people):
    def make(count):
        for _ in range(count):
            factories.ProjectFactory(
                status=Project.Status.SUSPENDED,
                responsible_person=people["responsible"],
                leader_in_charge=people["leader"],
            )
        alerts_refresh(now=at(FIRST_SEEN))

    def escalate() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            counts = alerts_escalate(now=at(TENTH_WORKDAY))
        return len(captured), counts

    make(2)
    at_2, counts_2 = escalate()
    make(20)
    at_22, counts_22 = escalate()

    assert counts_2 == {"responsible": 2, "leader": 2, "briefing": 2, "notifications": 4}
    assert counts_22 == {"responsible": 20, "leader": 20, "briefing": 20, "notifications": 40}
    # Savepoint, calendar, alerts, steps taken, steps, existing notices, notices, the
    # group robots' channels (none here), release; on PostgreSQL also the advisory lock,
    # and each insert is a staging table filled by COPY (not counted) and one INSERT from
    # it (hitech_zone.bulk).
    assert at_2 == at_22 <= (12 if connection.vendor == "postgresql" else 9)
