"""A worker killed with SIGKILL mid-task, for the notification jobs and the slip-detection
job (briefing renders: tests/reports/test_briefing_worker.py). A real worker on a Redis
server of the test's own takes the job; the test stops it at a known point, kills it,
starts another, and checks the job's effect happened exactly once: one notification and
one e-mail per recipient, the alerts a clean run gives, one heartbeat. (The detection's
e-mails are sent by a job of their own, which it asks for as it commits.)

How the job is stopped at a known point, with nothing in the code for tests:
- mid-send: the mail server (`SmtpSink`) takes the second e-mail's data and never
  answers, as a hung server would. The first e-mail was accepted, the rest were not.
- mid-transaction (PostgreSQL): the test holds a lock on the notifications table, so the
  job waits inside its transaction, its projections, alerts and escalations written but
  not committed, when it comes to insert the notices.

The worker's unacknowledged message goes back to the queue after the visibility timeout
(LEASE seconds here, an hour in production), and the new worker runs it again."""

import os
import signal
import time
from datetime import timedelta

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from inspections.models import DepartmentMember, FollowUp, Issue, Notification
from projects.models import Project
from reports.detection import slip_detect
from reports.models import Alert, AlertEscalation
from tests import factories
from tests.faults.conftest import wait_until
from tests.reports.slip_helpers import open_alerts

pytestmark = pytest.mark.celery_worker

# Seconds an unacknowledged message stays with a worker presumed alive.
LEASE = 5


@pytest.fixture
def sender(private_redis):
    """Publishes to the test's Redis, as the outbox does to the deployment's."""
    app = Celery("faults-sender", broker=private_redis.url, set_as_current=False)
    yield app
    app.close()


@pytest.fixture
def workers(celery_processes, private_redis, smtp_sink):
    celery_processes.env.update(
        REDIS_URL=private_redis.url, CELERY_VISIBILITY_TIMEOUT=str(LEASE), **smtp_sink.env()
    )
    return celery_processes


def send(sender: Celery, workers, task: str, **kwargs) -> None:
    sender.send_task(task, kwargs=kwargs, queue=workers.queue, ignore_result=True)


def kill(worker) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def heartbeat_count(name: str) -> int:
    from hitech_zone.models import Heartbeat

    return Heartbeat.objects.filter(name=name).values_list("count", flat=True).first() or 0


# ---------------------------------------------------------------- notifications


@pytest.fixture
def department_staff(role_user):
    """Three people in 组织人事劳动局, each with an address."""
    from hitech_zone.permissions import Role

    department = factories.DepartmentFactory(code="hr-labour", name="组织人事劳动局")
    staff = []
    for name in ("zhang", "wang", "li"):
        user = role_user(Role.DEPARTMENT, username=name, email=f"{name}@example.org")
        DepartmentMember.objects.create(user=user, department=department)
        staff.append(user)
    return department, staff


def assigned_issue(department, today, *, title: str, deadline) -> Issue:
    official = factories.UserFactory(username="faults-official")
    return factories.IssueFactory(
        title=title,
        raised_by=official,
        assigned_by=official,
        assigned_at=timezone.now(),
        department=department,
        deadline=deadline,
        status=Issue.Status.ASSIGNED,
    )


def step_notify_job(department, today):
    """交办: the department's staff are told (inspections.tasks.issue_step_notify)."""
    title = "重塑能源：招工渠道有限"
    issue = assigned_issue(department, today, title=title, deadline=today + timedelta(days=10))
    follow_up = FollowUp.objects.create(
        issue=issue,
        action="请组织专场招聘会",
        actor=issue.assigned_by,
        acted_at=timezone.now(),
        status_before=Issue.Status.RAISED,
        status_after=Issue.Status.ASSIGNED,
    )
    return title, "inspections.tasks.issue_step_notify", {"follow_up_id": follow_up.pk}


def deadlines_notify_job(department, today):
    """The daily deadline notices: due tomorrow (inspections.tasks.issue_deadlines_notify)."""
    title = "正力新能：建材运输受阻"
    assigned_issue(department, today, title=title, deadline=today + timedelta(days=1))
    return title, "inspections.tasks.issue_deadlines_notify", {"today": today.isoformat()}


@pytest.mark.parametrize("job", [step_notify_job, deadlines_notify_job], ids=["step", "deadlines"])
def test_a_notification_job_killed_mid_send_notifies_everyone_once(
    job, workers, sender, smtp_sink, department_staff, today
):
    department, staff = department_staff
    addresses = {user.email for user in staff}
    title, task, kwargs = job(department, today)
    smtp_sink.hold_message = 2
    worker = workers.worker()

    send(sender, workers, task, **kwargs)
    wait_until(smtp_sink.holding.is_set, timeout=60, what="the second e-mail", log=workers.log_text)
    kill(worker)

    # Killed mid-send: every notice recorded, the first e-mail accepted and marked so.
    notices = Notification.objects.filter(issue__title=title)
    assert notices.count() == 3
    assert notices.filter(emailed_at__isnull=False).count() == 1
    first = smtp_sink.delivered(title)
    assert sum(first.values()) == 1

    time.sleep(LEASE + 1)
    workers.worker()
    wait_until(
        lambda: set(smtp_sink.delivered(title)) == addresses,
        timeout=60,
        what="the e-mails after the restart",
        log=workers.log_text,
    )
    time.sleep(2)  # a second e-mail to anyone would show by now

    assert smtp_sink.delivered(title) == dict.fromkeys(addresses, 1)
    assert sorted(notices.values_list("recipient__email", flat=True)) == sorted(addresses)
    assert not notices.filter(emailed_at__isnull=True).exists()


# ---------------------------------------------------------------- slip detection


@pytest.fixture
def suspended_projects():
    """Three suspended projects (red at once), each with a responsible person to tell."""
    projects = []
    for code in ("ZL", "CS", "ST"):
        person = factories.UserFactory(username=f"zeren-{code}", email=f"zeren-{code}@example.org")
        projects.append(
            factories.ProjectFactory(
                code=f"T-{code}",
                name=f"停工项目{code}",
                status=Project.Status.SUSPENDED,
                responsible_person=person,
            )
        )
    return projects


def escalation_state() -> dict:
    return {
        "alerts": open_alerts(),
        "alert rows": Alert.objects.count(),
        "escalations": set(
            AlertEscalation.objects.values_list("alert__project__code", "step", "recipient__email")
        ),
        "notices": sorted(
            Notification.objects.filter(issue__isnull=True).values_list(
                "recipient__email", "kind", "event_key"
            )
        ),
    }


def assert_as_a_clean_run_leaves_it(projects) -> None:
    """One red alert, one escalation and one notice per project, and running the job
    again (as a clean run after this one would) changes nothing."""
    state = escalation_state()
    assert state["alert rows"] == 3
    assert {(kind, severity) for kind, _subject, severity in state["alerts"]} == {
        ("suspended", "red")
    }
    assert len(state["escalations"]) == 3 and len(state["notices"]) == 3
    counts = slip_detect()
    assert counts["alerts_opened"] == counts["alerts_resolved"] == 0
    assert counts["notifications"] == 0
    assert not any(counts[key] for key in counts if key.startswith("escalated_"))
    assert escalation_state() == state


def test_slip_detection_s_email_job_killed_mid_send_sends_the_rest_once(
    workers, sender, smtp_sink, suspended_projects
):
    from reports.detection import HEARTBEAT_NAME

    addresses = {project.responsible_person.email for project in suspended_projects}
    smtp_sink.hold_message = 2
    worker = workers.worker()

    send(sender, workers, "reports.tasks.slip_detect")
    wait_until(smtp_sink.holding.is_set, timeout=60, what="the second e-mail", log=workers.log_text)
    # The detection finished before its e-mails: they are a job of their own, asked for
    # with the run's writes.
    wait_until(
        lambda: heartbeat_count(HEARTBEAT_NAME) == 1,
        timeout=30,
        what="the detection's heartbeat",
        log=workers.log_text,
    )
    kill(worker)

    # Killed mid-send: the alerts and notices are there, one e-mail went.
    assert Alert.objects.count() == 3
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 1

    time.sleep(LEASE + 1)
    workers.worker()
    wait_until(
        lambda: set(smtp_sink.delivered()) == addresses,
        timeout=60,
        what="the rest of the e-mails",
        log=workers.log_text,
    )
    time.sleep(2)  # a second e-mail to anyone would show by now

    # The e-mail job ran again and sent only what the killed one had not; the detection
    # did not run again.
    assert smtp_sink.delivered() == dict.fromkeys(addresses, 1)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert heartbeat_count(HEARTBEAT_NAME) == 1
    assert_as_a_clean_run_leaves_it(suspended_projects)


def test_slip_detection_killed_mid_transaction_leaves_nothing_and_reruns_whole(
    workers, sender, smtp_sink, suspended_projects
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "stops the job inside its transaction with a PostgreSQL table lock: runs on "
            "PostgreSQL (DATABASE_URL=postgres://...), the suite's services run"
        )
    import psycopg

    from reports.detection import HEARTBEAT_NAME

    addresses = {project.responsible_person.email for project in suspended_projects}
    worker = workers.worker()
    settings_dict = connection.settings_dict
    locker = psycopg.connect(
        host=settings_dict["HOST"] or "localhost",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
    )
    try:
        # Reads pass; the job's insert of its notices waits, inside its transaction.
        locker.execute("LOCK TABLE inspections_notification IN SHARE ROW EXCLUSIVE MODE")
        send(sender, workers, "reports.tasks.slip_detect")

        def job_waiting_on_the_lock() -> int | None:
            # Asked outside the locking transaction, which sees one snapshot of the view.
            with connection.cursor() as cursor:
                cursor.execute(
                    "select pid, query from pg_stat_activity "
                    "where datname = current_database() and wait_event_type = 'Lock'"
                )
                rows = cursor.fetchall()
            return rows[0] if rows else None

        backend, statement = wait_until(
            job_waiting_on_the_lock, timeout=60, what="the job", log=workers.log_text
        )
        # Its projections, alerts and escalations are written; its notices wait.
        assert statement.startswith('INSERT INTO "inspections_notification"'), statement
        kill(worker)
    finally:
        locker.rollback()  # the killed job's session may go on, and finds its client gone
        locker.close()

    def session_ended() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_stat_activity where pid = %s", [backend])
            return not cursor.fetchall()

    wait_until(session_ended, timeout=30, what="the killed job's session to end")
    # Nothing of the killed run is visible: its transaction never committed.
    assert Alert.objects.count() == 0
    assert not AlertEscalation.objects.exists() and not Notification.objects.exists()
    assert heartbeat_count(HEARTBEAT_NAME) == 0

    time.sleep(LEASE + 1)
    workers.worker()
    wait_until(
        lambda: heartbeat_count(HEARTBEAT_NAME) == 1,
        timeout=60,
        what="the rerun to finish",
        log=workers.log_text,
    )
    wait_until(
        lambda: set(smtp_sink.delivered()) == addresses,
        timeout=30,
        what="the e-mails",
        log=workers.log_text,
    )
    time.sleep(2)

    assert smtp_sink.delivered() == dict.fromkeys(addresses, 1)
    assert heartbeat_count(HEARTBEAT_NAME) == 1
    assert_as_a_clean_run_leaves_it(suspended_projects)
