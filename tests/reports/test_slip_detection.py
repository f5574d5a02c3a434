"""The nightly entry point: projections, then alerts, then escalation; idempotent; a fixed
number of queries whatever the number of projects."""

import json
import logging
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hitech_zone.logging import JsonFormatter
from hitech_zone.models import OutboxMessage
from inspections.models import Issue, Notification
from projects.models import Project
from reports import escalation
from reports.detection import slip_detect
from reports.models import Alert, AlertEscalation, MilestoneProjection, SlipDetectionRun
from tests import factories
from tests.clock import clock_pinned_to
from tests.reports.slip_helpers import at, open_alerts

pytestmark = pytest.mark.django_db
# Fixed dates in 2026; the records the tests make are made after them.
pinned_clock = clock_pinned_to("2026-11-18T10:00")

AS_OF = date(2026, 7, 15)


def populate(count: int, *, start: int = 0) -> None:
    """`count` projects of six kinds: on plan, projected late, overdue, suspended, behind
    on investment, with an overdue issue."""
    person = factories.UserFactory(username="zeren")
    leader = factories.UserFactory(username="lingdao")
    department = factories.DepartmentFactory(code="d-hr")
    for index in range(start, start + count):
        project = factories.ProjectFactory(
            code=f"S-{index:04d}",
            planned_start=date(2026, 3, 1),
            responsible_person=person,
            leader_in_charge=leader,
            status=Project.Status.SUSPENDED if index % 6 == 3 else Project.Status.CONSTRUCTION,
        )
        factories.AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("10000"))
        factories.MonthlyInvestmentFactory(
            project=project,
            year=2026,
            month=5,
            # Starting in March, 4 of 10 months are due on 15 July (1–6月): 4,000. 500
            # is 35 points behind: red.
            completed_amount=Decimal("500" if index % 6 == 4 else "6000"),
        )
        factories.MilestoneFactory(
            project=project,
            sequence=1,
            baseline_date=date(2026, 4, 1),
            actual_date=date(2026, 4, 11 if index % 6 == 1 else 1),
        )
        factories.MilestoneFactory(
            project=project,
            sequence=2,
            baseline_date=date(2026, 7, 10) if index % 6 == 2 else date(2026, 9, 1),
        )
        if index % 6 == 5:
            factories.IssueFactory(
                project=project,
                status=Issue.Status.ASSIGNED,
                department=department,
                deadline=date(2026, 7, 1),
            )


def every_row() -> dict[str, list]:
    return {
        model.__name__: list(model.objects.order_by("pk").values_list())
        for model in (Alert, AlertEscalation, MilestoneProjection, Notification)
    }


def test_runs_projections_before_alerts_so_a_projected_slip_is_seen_the_same_night():
    populate(6)

    counts = slip_detect(now=at(AS_OF))

    assert counts["projections_created"] == 6  # the open milestone of each project
    kinds = {kind for kind, _subject, _severity in open_alerts()}
    assert kinds == {
        Alert.Kind.PROJECTION_LATE,
        Alert.Kind.MILESTONE_OVERDUE,
        Alert.Kind.SUSPENDED,
        Alert.Kind.INVESTMENT_BEHIND,
        Alert.Kind.ISSUE_OVERDUE,
    }
    assert counts["alerts_opened"] == 5
    # Red: overdue, suspended, investment far behind, issue ten working days overdue.
    assert counts["escalated_responsible"] == 4
    assert counts["notifications"] == 4


def test_a_second_run_at_the_same_moment_changes_nothing():
    populate(6)
    slip_detect(now=at(AS_OF))
    before = every_row()

    counts = slip_detect(now=at(AS_OF))

    assert every_row() == before
    assert counts["alerts_opened"] == counts["alerts_resolved"] == 0
    assert counts["projections_created"] == counts["projections_updated"] == 0
    assert counts["notifications"] == 0


def test_the_notices_are_left_to_the_email_job_asked_for_in_the_same_transaction(
    mailoutbox, django_capture_on_commit_callbacks
):
    from inspections.tasks import notification_emails_send

    populate(6)
    for person in ("zeren", "lingdao"):
        factories.UserFactory._meta.model.objects.filter(username=person).update(
            email=f"{person}@example.org"
        )
    with django_capture_on_commit_callbacks() as after_commit:
        counts = slip_detect(now=at(AS_OF))

    # The run sends nothing itself: its last write asks for the e-mail job, which goes to
    # the broker once the run commits (hitech_zone.outbox).
    assert counts["notifications"] >= 1 and mailoutbox == []
    assert list(OutboxMessage.objects.values_list("task_name", "sent_at")) == [
        ("inspections.tasks.notification_emails_send", None)
    ]
    assert after_commit, "nothing sends the outbox after the commit"
    # Asked for once, however many runs come before it goes.
    slip_detect(now=at(AS_OF + timedelta(days=1)))
    assert OutboxMessage.objects.count() == 1

    sent = notification_emails_send()
    assert sent == len(mailoutbox) == counts["notifications"]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_defaults_to_now():
    populate(6)

    counts = slip_detect()

    assert counts["alerts_opened"] >= 1
    assert Alert.objects.filter(first_seen_at__date__gte=AS_OF).exists()


def run_queries(day: date) -> int:
    with CaptureQueriesContext(connection) as captured:
        slip_detect(now=at(day))
    return len(captured)


def test_a_fixed_number_of_queries_at_12_and_60_projects():
    """A first night (everything new) and a next night (facts brought up to date), at
    each size. (On SQLite, bulk writes split past ~100 rows; these sizes stay within.)"""

    def two_nights() -> tuple[int, int]:
        for model in (AlertEscalation, Alert, MilestoneProjection, Notification, OutboxMessage):
            model.objects.all().delete()
        return run_queries(AS_OF), run_queries(AS_OF + timedelta(days=1))

    populate(12)
    at_12 = two_nights()
    populate(48, start=12)
    at_60 = two_nights()

    assert Alert.objects.filter(resolved_at__isnull=True).count() == 50
    assert at_12 == at_60, (at_12, at_60)
    # Measured on each database: (a first night, a next night). A night that notifies
    # also reads the group robots' channels once.
    assert at_12 == ((41, 31) if connection.vendor == "postgresql" else (34, 27))


def test_a_late_project_with_a_milestone_in_2099_does_not_stop_the_night():
    """Project T-2099 was planned to reach its first node one day after its start
    (2026-01-01 → 01-02) and reached it on 2026-07-10, 190 days after the start (181 days
    to 1 July, then 9): pace 190. Its second node is planned for 2099-12-31, about 27,000
    days after the first, and 190 × 27,000 days lies past the end of Python's calendar
    (year 9999). The projection stops at 2100-12-31, the last day the product accepts,
    and the rest of the zone is detected as on any night."""
    populate(6)
    late = factories.ProjectFactory(code="T-2099", planned_start=date(2026, 1, 1))
    factories.MilestoneFactory(
        project=late, sequence=1, baseline_date=date(2026, 1, 2), actual_date=date(2026, 7, 10)
    )
    far = factories.MilestoneFactory(project=late, sequence=2, baseline_date=date(2099, 12, 31))

    slip_detect(now=at(AS_OF))

    assert MilestoneProjection.objects.get(milestone=far).projected_date == date(2100, 12, 31)
    # The same five alerts as on a night without T-2099 (populate(): one kind a project).
    others = Alert.objects.filter(resolved_at__isnull=True).exclude(project=late)
    assert set(others.values_list("project__code", "kind")) == {
        ("S-0001", Alert.Kind.PROJECTION_LATE),
        ("S-0002", Alert.Kind.MILESTONE_OVERDUE),
        ("S-0003", Alert.Kind.SUSPENDED),
        ("S-0004", Alert.Kind.INVESTMENT_BEHIND),
        ("S-0005", Alert.Kind.ISSUE_OVERDUE),
    }


def alerts_page(client, user) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    response = client.get("/alerts/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite keeps whatever text is written to a date column; PostgreSQL refuses it",
)
def test_a_project_whose_milestone_the_forecast_cannot_read_is_skipped_logged_and_shown(
    client, official, caplog
):
    """C-BAD started on 2026-03-01 and reached its first node (planned 04-01) on 04-11:
    pace 41 / 31 = 1.323, so its second node (planned 09-01, 153 days after the first) is
    projected 1.323 × 153 = 202 days after 04-11, on 2026-10-30: a projection alert on the
    night of 14 July. Then someone writes that node's date into the database by hand as
    "2026/09/01", which SQLite keeps and Django reads back as no date, so on 15 July the
    forecast cannot subtract it. C-BAD is skipped: its projection and its alert stay as 14
    July left them (the alert last seen that night), the error is logged with its code, the
    alerts page names it, and the six other projects get their five alerts as every night."""
    populate(6)
    bad = factories.ProjectFactory(code="C-BAD", planned_start=date(2026, 3, 1))
    factories.MilestoneFactory(
        project=bad, sequence=1, baseline_date=date(2026, 4, 1), actual_date=date(2026, 4, 11)
    )
    node = factories.MilestoneFactory(project=bad, sequence=2, baseline_date=date(2026, 9, 1))
    night_before = at(AS_OF - timedelta(days=1))
    slip_detect(now=night_before)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projects_milestone SET baseline_date = %s WHERE id = %s",
            ["2026/09/01", node.pk],
        )

    with caplog.at_level(logging.ERROR, logger="reports.detection"):
        counts = slip_detect(now=at(AS_OF))

    [failure] = counts["detection_failures"]
    assert (failure["project"], failure["step"]) == ("C-BAD", "projections")
    assert failure["error"].startswith("TypeError: ")
    assert MilestoneProjection.objects.get(milestone=node).projected_date == date(2026, 10, 30)
    assert list(Alert.objects.filter(project=bad).values_list("kind", "last_seen_at")) == [
        (Alert.Kind.PROJECTION_LATE, night_before)
    ]
    others = Alert.objects.filter(resolved_at__isnull=True).exclude(project=bad)
    assert set(others.values_list("project__code", "kind", "last_seen_at")) == {
        ("S-0001", Alert.Kind.PROJECTION_LATE, at(AS_OF)),
        ("S-0002", Alert.Kind.MILESTONE_OVERDUE, at(AS_OF)),
        ("S-0003", Alert.Kind.SUSPENDED, at(AS_OF)),
        ("S-0004", Alert.Kind.INVESTMENT_BEHIND, at(AS_OF)),
        ("S-0005", Alert.Kind.ISSUE_OVERDUE, at(AS_OF)),
    }
    # One JSON log line with the project's code and the traceback.
    [record] = [r for r in caplog.records if r.name == "reports.detection"]
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["project"], line["step"]) == ("ERROR", "C-BAD", "projections")
    assert "TypeError" in line["exc_info"]
    run = SlipDetectionRun.objects.get(as_of=at(AS_OF))
    assert [skip["project_id"] for skip in run.skipped] == [bad.pk]
    # The run finished at the suite's pinned clock, 2026-11-18 10:00.
    assert (
        "Slip detection at 2026-11-18 10:00 skipped 1 project whose data it could not process: "
        "C-BAD." in alerts_page(client, official)
    )


def test_a_project_whose_escalation_raises_waits_and_the_others_escalate(monkeypatch):
    """Four of populate()'s projects have a red alert, each escalated to its responsible
    person on its first night: S-0002 (node overdue), S-0003 (suspended), S-0004
    (investment 35 points behind), S-0005 (issue overdue). Writing S-0003's notice is made
    to raise: with the forecast clamped, no data makes a step raise by itself on
    PostgreSQL, so one pure function is patched for that project. S-0003 is skipped: its
    alert is open but not escalated, the three others are escalated and notified. The
    night after, mended, S-0003 catches up."""
    populate(6)
    suspended = Project.objects.get(code="S-0003")
    real_notice_text = escalation._notice_text

    def notice_text(alert, step, open_for):
        if alert.project_id == suspended.pk:
            raise ValueError("no notice for this one")
        return real_notice_text(alert, step, open_for)

    monkeypatch.setattr(escalation, "_notice_text", notice_text)
    counts = slip_detect(now=at(AS_OF))

    assert counts["detection_failures"] == [
        {"project": "S-0003", "step": "escalation", "error": "ValueError: no notice for this one"}
    ]
    assert (counts["escalated_responsible"], counts["notifications"]) == (3, 3)
    assert set(AlertEscalation.objects.values_list("alert__project__code", flat=True)) == {
        "S-0002",
        "S-0004",
        "S-0005",
    }
    assert Alert.objects.filter(project=suspended, resolved_at__isnull=True).count() == 1

    monkeypatch.undo()
    counts = slip_detect(now=at(AS_OF + timedelta(days=1)))

    assert counts["detection_failures"] == []
    assert (counts["escalated_responsible"], counts["notifications"]) == (1, 1)


def test_the_alerts_page_names_only_the_skipped_projects_the_reader_may_see(
    client, official, manager, own_project, other_project
):
    """The last run skipped T-OTHER: the official sees the notice, the manager of T-OWN
    alone does not; after a run that skipped none, nobody does."""
    skip = {"project_id": other_project.pk, "project": "T-OTHER", "step": "alerts", "error": "E"}
    SlipDetectionRun.objects.create(as_of=at(AS_OF), finished_at=at(AS_OF, hour=2), skipped=[skip])

    assert "skipped 1 project whose data" in alerts_page(client, official)
    assert "detection-skipped" not in alerts_page(client, manager)

    SlipDetectionRun.objects.create(as_of=at(AS_OF), finished_at=at(AS_OF, hour=3))
    assert "detection-skipped" not in alerts_page(client, official)
