"""Opening the monthly round: by the job on the 1st, by hand with `manage.py open_round`,
and by a real worker. Twice is once: one round, the same reports."""

import os
import re
import signal
import sqlite3
import time
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from celery.schedules import crontab
from django.core.management import CommandError, call_command
from django.db import connection

from hitech_zone.celery import app
from inspections.models import MonthlyReport, ReportingRound
from inspections.rounds import services, tasks
from projects.models import Project
from tests import factories
from tests.clock import ZONE
from tests.conftest import wait_for

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

Status = Project.Status


def project(code: str, *, status=Status.CONSTRUCTION, plan_year: int | None = 2026) -> Project:
    made = factories.ProjectFactory(code=code, status=status)
    if plan_year:
        factories.AnnualPlanFactory(
            project=made, year=plan_year, planned_investment=Decimal("20000")
        )
    return made


@pytest.fixture
def register():
    """Projects that report (前期, 在建, 试生产, 停工, each with a 2026 plan) and those
    that do not: 储备, 竣工, and one with only last year's plan."""
    return {
        "reporting": [
            project("O-PREP", status=Status.PREPARATION),
            project("O-BUILD", status=Status.CONSTRUCTION),
            project("O-TRIAL", status=Status.TRIAL),
            project("O-HALT", status=Status.SUSPENDED),
        ],
        "not": [
            project("O-PIPE", status=Status.PIPELINE),
            project("O-DONE", status=Status.COMPLETED),
            project("O-OLDPLAN", plan_year=2025),
            project("O-NOPLAN", plan_year=None),
        ],
    }


def reports(year: int = 2026, month: int = 9) -> list[tuple[int, str]]:
    return sorted(
        MonthlyReport.objects.filter(round__year=year, round__month=month).values_list(
            "pk", "project__code"
        )
    )


def test_the_job_opens_last_month_s_round_once(register, time_machine):
    """On 1 October (in the National Day holiday) the September round opens, due on 8
    October: the 5th is a day off in the holiday, the 8th the first working day after it."""
    time_machine.move_to(datetime(2026, 10, 1, 6, 0, tzinfo=ZONE), tick=False)
    first = tasks.open_round()
    opened = reports()
    second = tasks.open_round()

    assert first == {"round": "2026-09", "created": True, "reports_created": 4}
    assert second == {"round": "2026-09", "created": False, "reports_created": 0}
    assert ReportingRound.objects.count() == 1
    assert ReportingRound.objects.get().deadline == date(2026, 10, 8)
    assert reports() == opened
    assert sorted(code for _pk, code in opened) == sorted(p.code for p in register["reporting"])
    assert {r.state for r in MonthlyReport.objects.all()} == {MonthlyReport.State.DRAFT}


def test_run_on_another_day_it_adds_only_what_is_missing(register, time_machine):
    """Run later in the month (a missed 1st, a retry): the same round; a project that
    began reporting meanwhile gets its report, the others keep theirs."""
    time_machine.move_to(datetime(2026, 10, 1, 6, 0, tzinfo=ZONE), tick=False)
    tasks.open_round()
    before = reports()
    latecomer = register["not"][0]
    latecomer.status = Status.PREPARATION
    latecomer.save()

    time_machine.move_to(datetime(2026, 10, 20, 9, 0, tzinfo=ZONE), tick=False)
    assert tasks.open_round()["reports_created"] == 1
    after = reports()
    assert set(before) < set(after)
    assert {code for _pk, code in after} - {code for _pk, code in before} == {"O-PIPE"}


def test_january_opens_december_of_the_year_before():
    assert services.round_month_for(date(2027, 1, 1)) == (2026, 12)
    assert services.round_month_for(date(2026, 10, 15)) == (2026, 9)


def test_the_command_opens_a_given_month_or_last_month(register, time_machine):
    time_machine.move_to(datetime(2026, 11, 18, 10, 0, tzinfo=ZONE), tick=False)
    out = StringIO()
    call_command("open_round", "--year", "2026", "--month", "9", stdout=out)
    assert "2026" in out.getvalue() and "4" in out.getvalue()
    again = StringIO()
    call_command("open_round", "--year", "2026", "--month", "9", stdout=again)
    assert "0" in again.getvalue()
    call_command("open_round", stdout=StringIO())  # 18 November: October's round
    assert sorted(ReportingRound.objects.values_list("year", "month")) == [(2026, 9), (2026, 10)]
    assert len(reports(2026, 9)) == len(reports(2026, 10)) == 4

    with pytest.raises(CommandError):
        call_command("open_round", "--year", "2026", stdout=StringIO())


def test_beat_opens_the_round_on_the_1st_early_and_reminds_daily():
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert schedule["inspections.rounds.tasks.open_round"] == crontab(hour=6, minute=0)
    reminders = schedule["inspections.rounds.tasks.report_reminders_send"]
    assert isinstance(reminders, crontab) and reminders.day_of_month == set(range(1, 32))


def test_the_round_s_jobs_survive_a_killed_worker():
    """Acknowledged only once done, and put back when the worker dies: the next worker runs
    them again, and each run adds only what is missing (see the tests above)."""
    for name in (
        "inspections.rounds.tasks.open_round",
        "inspections.rounds.tasks.report_reminders_send",
        "inspections.rounds.tasks.report_returned_notify",
    ):
        task = app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost, name


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_opens_the_round_and_a_second_run_changes_nothing(celery_processes, register):
    """A real worker process (on Redis when REDIS_URL is set) registers and runs the job."""
    celery_processes.worker()

    def run() -> dict:
        result = tasks.open_round.apply_async(
            kwargs={"today": "2026-10-01"}, queue=celery_processes.queue
        )
        try:
            return result.get(timeout=60)
        except Exception:
            pytest.fail(f"no answer from the worker; its log:\n{celery_processes.log_text()}")

    assert run()["created"] is True
    opened = reports()
    assert run() == {"round": "2026-09", "created": False, "reports_created": 0}
    assert wait_for(lambda: ReportingRound.objects.count() == 1, timeout=5)
    assert reports() == opened and len(opened) == 4


# Seconds an unacknowledged message stays with a worker presumed alive (an hour in
# production): the kill test waits this long for the message to come back.
LEASE = 5


@contextmanager
def writes_held():
    """Hold the database's write lock from another connection, so the job waits inside
    its transaction when it comes to insert the round (SQLite's lock, or a PostgreSQL
    table lock as tests/faults/test_worker_kill.py takes)."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        locker = sqlite3.connect(settings_dict["NAME"], isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        locker = psycopg.connect(
            host=settings_dict["HOST"] or "localhost",
            port=settings_dict["PORT"] or 5432,
            user=settings_dict["USER"],
            password=settings_dict["PASSWORD"] or None,
            dbname=settings_dict["NAME"],
        )
        locker.execute("LOCK TABLE inspections_reportinground IN SHARE ROW EXCLUSIVE MODE")
    try:
        yield
    finally:
        locker.rollback()
        locker.close()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_opening_the_round_loses_nothing(celery_processes, register):
    """Killed with SIGKILL while its insert of the round waits on a lock: nothing of the
    run is committed, the message goes back to the queue (acknowledged late), and the next
    worker opens the round, once."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("redelivery after a lease: runs on Redis (REDIS_URL=redis://...)")
    celery_processes.env["CELERY_VISIBILITY_TIMEOUT"] = str(LEASE)
    with writes_held():
        worker = celery_processes.worker()
        tasks.open_round.apply_async(
            kwargs={"today": "2026-10-01"}, queue=celery_processes.queue, ignore_result=True
        )
        assert wait_for(
            lambda: re.search(r"open_round\[[-0-9a-f]+\] received", celery_processes.log_text()),
            timeout=60,
        ), celery_processes.log_text()
        time.sleep(2)  # the job reads, then waits for the lock to insert
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    assert not ReportingRound.objects.exists()
    assert not MonthlyReport.objects.exists()

    time.sleep(LEASE + 1)
    celery_processes.worker()
    assert wait_for(lambda: len(reports()) == 4, timeout=60), celery_processes.log_text()
    assert ReportingRound.objects.count() == 1
    opened = reports()
    assert tasks.open_round(today="2026-10-01")["reports_created"] == 0
    assert reports() == opened
