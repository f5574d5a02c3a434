"""Reminders of the monthly round: each notice once per event, on the right day.

The days, worked out by hand from the 2026 calendar the package ships (the State
Council's schedule): 中秋 is Friday 25 to Sunday 27 September, 国庆 Thursday 1 to
Wednesday 7 October; Sunday 20 September and Saturday 10 October are worked (调休).

- The September round opens on Thursday 1 October. Its reporting day, Monday 5 October,
  is in the holiday, so it is due on the next working day: Thursday 8 October.
- Due soon (2 working days before): counting back from the 8th over the holiday, the
  working days before it are Wednesday 30 and Tuesday 29 September, so the day is the
  29th (on the 29th only the 30th and the 8th are left). A round opened by the job on the
  1st (a holiday) is after that day, so its managers are told on the 1st, as it opens.
- Late: the first working day after the 8th, Friday 9 October.
- Escalated (3 working days after the day it fell late): Saturday 10 (调休, worked),
  Monday 12, Tuesday 13 October; so the 13th, not the 12th as ordinary weeks would give.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from hitech_zone.models import OutboxMessage
from hitech_zone.permissions import Role
from inspections.models import MonthlyReport, Notification
from inspections.rounds import reminders, services, tasks
from tests import factories
from tests.clock import ZONE

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

Kind = Notification.Kind
State = MonthlyReport.State

DUE_SOON_DAY = date(2026, 9, 29)
OPENING_DAY = date(2026, 10, 1)
DEADLINE = date(2026, 10, 8)
LATE_DAY = date(2026, 10, 9)
ESCALATION_DAY = date(2026, 10, 13)


@pytest.fixture
def people(role_user):
    return {
        "pm": role_user(Role.PROJECT_MANAGER, username="pm-chen", email="chen@example.cn"),
        "pm2": role_user(Role.PROJECT_MANAGER, username="pm-wang", email="wang@example.cn"),
        "official": role_user(Role.OFFICIAL, username="zhou", email="zhou@example.cn"),
        "leader": role_user(Role.LEADER, username="yao", email="yao@example.cn"),
    }


def reporting_project(code: str, name: str, people, *, managers=("pm",)):
    project = factories.ProjectFactory(
        code=code,
        name=name,
        responsible_person=people["official"],
        leader_in_charge=people["leader"],
    )
    factories.AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("10000"))
    project.managers.add(*(people[m] for m in managers))
    return project


@pytest.fixture
def projects(people):
    """Four projects whose reports end up in each state that matters."""
    return {
        "draft": reporting_project("R-DRAFT", "正力新能电芯项目", people, managers=("pm", "pm2")),
        "returned": reporting_project("R-BACK", "重塑能源科技项目", people),
        "submitted": reporting_project("R-DONE", "人工智能产业园", people),
        "corrected": reporting_project("R-CORR", "昆承湖日航国际中心", people),
    }


def set_states(projects) -> None:
    """A returned report, a submitted one, and one accepted then opened for correction (a
    draft that was submitted once: its figures stand, nobody is chased)."""
    once = datetime(2026, 9, 30, 9, tzinfo=ZONE)
    reports = MonthlyReport.objects.filter(round__year=2026, round__month=9)
    reports.filter(project=projects["returned"]).update(
        state=State.RETURNED, first_submitted_at=once, return_reason="数字有误"
    )
    reports.filter(project=projects["submitted"]).update(
        state=State.SUBMITTED, first_submitted_at=once, submitted_at=once
    )
    reports.filter(project=projects["corrected"]).update(
        state=State.DRAFT, first_submitted_at=once, corrections=1
    )


def at(time_machine, day: date, hour: int = 8, minute: int = 10) -> None:
    time_machine.move_to(datetime.combine(day, time(hour, minute), tzinfo=ZONE), tick=False)


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def notices() -> set[tuple]:
    """(day sent, kind, project code, recipient) of every notice of the round."""
    return {
        (n.created_at.astimezone(ZONE).date(), n.kind, n.project.code, n.recipient.username)
        for n in Notification.objects.select_related("project", "recipient")
    }


def run_daily(time_machine, first: date, last: date, *, opening=None, skip=()) -> None:
    """The beat schedule, day by day: the round opens at 06:00 on `opening`, and the
    reminder job runs at 08:10 and, as a retry or a second beat would, again at once and
    at 15:00, every day, holidays too (except the days in `skip`)."""
    for day in days(first, last):
        if day == opening:
            at(time_machine, day, 6, 0)
            tasks.open_round()
        if day in skip:
            continue
        at(time_machine, day)
        tasks.report_reminders_send()
        tasks.report_reminders_send()
        at(time_machine, day, 15, 0)
        tasks.report_reminders_send()


def expected(day_soon: date, projects_chased=("R-DRAFT", "R-BACK"), late_day=LATE_DAY) -> set:
    managers = {"R-DRAFT": ("pm-chen", "pm-wang"), "R-BACK": ("pm-chen",)}
    result = set()
    for code in projects_chased:
        for manager in managers[code]:
            result.add((day_soon, Kind.REPORT_DUE_SOON, code, manager))
            result.add((late_day, Kind.REPORT_LATE, code, manager))
        result.add((late_day, Kind.REPORT_LATE, code, "zhou"))
        result.add((ESCALATION_DAY, Kind.REPORT_ESCALATED, code, "yao"))
    return result


def test_the_round_s_days_across_the_national_day_holiday():
    from inspections import workdays

    assert services.round_deadline(2026, 9) == DEADLINE
    calendar = workdays.WorkdayCalendar.for_range(date(2026, 9, 1), date(2026, 10, 31))
    assert reminders.round_days(DEADLINE, calendar) == reminders.RoundDays(
        due_soon=DUE_SOON_DAY, deadline=DEADLINE, late=LATE_DAY, escalated=ESCALATION_DAY
    )


def test_each_reminder_goes_once_on_its_day_as_the_job_runs_every_day(
    time_machine, projects, people
):
    """The round opens on the 1st, after its due-soon day: its managers are told as it
    opens. Late on the 9th (not on the 8th, the deadline), escalated on the 13th (not on
    the 10th or 12th). Three runs a day, nothing twice."""
    at(time_machine, date(2026, 9, 28))
    run_daily(time_machine, date(2026, 9, 28), OPENING_DAY - timedelta(days=1))
    assert not Notification.objects.exists()  # no round yet

    at(time_machine, OPENING_DAY, 6, 0)
    tasks.open_round()
    set_states(projects)
    run_daily(time_machine, OPENING_DAY, date(2026, 10, 20))

    assert notices() == expected(OPENING_DAY)
    assert Notification.objects.count() == 10


def test_a_round_open_before_its_due_soon_day_is_reminded_of_on_that_day(time_machine, projects):
    """Opened by hand a week early: nothing on Monday the 28th (3 working days left), the
    due-soon notices on Tuesday the 29th."""
    services.round_open(2026, 9)
    set_states(projects)
    run_daily(time_machine, date(2026, 9, 21), date(2026, 10, 20))

    assert notices() == expected(DUE_SOON_DAY)


def test_days_the_job_missed_are_made_up_by_its_next_run(time_machine, projects):
    """No run from the 9th to the 13th (the late and escalation days): the run of the 14th
    sends both; no due-soon notice after the deadline."""
    skipped = set(days(date(2026, 10, 1), date(2026, 10, 7))) | set(days(LATE_DAY, ESCALATION_DAY))
    at(time_machine, OPENING_DAY, 6, 0)
    tasks.open_round()
    set_states(projects)
    run_daily(time_machine, OPENING_DAY, date(2026, 10, 16), skip=skipped)

    sent = notices()
    assert {(day, kind) for day, kind, _code, _who in sent} == {
        (DEADLINE, Kind.REPORT_DUE_SOON),
        (date(2026, 10, 14), Kind.REPORT_LATE),
        (date(2026, 10, 14), Kind.REPORT_ESCALATED),
    }
    assert len(sent) == 10


def test_a_report_submitted_in_time_is_not_chased(time_machine, projects):
    services.round_open(2026, 9)
    set_states(projects)
    MonthlyReport.objects.filter(project=projects["draft"]).update(
        state=State.SUBMITTED, first_submitted_at=datetime(2026, 10, 8, 9, tzinfo=ZONE)
    )
    run_daily(time_machine, date(2026, 9, 28), date(2026, 10, 16))

    chased = {code for _day, kind, code, _who in notices() if kind != Kind.REPORT_DUE_SOON}
    assert chased == {"R-BACK"}


def test_the_messages_name_the_project_the_round_and_the_deadline_in_chinese(
    time_machine, projects, mailoutbox
):
    services.round_open(2026, 9)
    at(time_machine, DUE_SOON_DAY)
    tasks.report_reminders_send()
    message = Notification.objects.filter(project=projects["draft"]).first().message
    # The site's language whoever runs the job (the catalog's words: locale/zh_Hans).
    with translation.override("zh-hans"):
        chinese = gettext(
            "%(project)s: the %(round)s is due on %(deadline)s. Please fill it in and "
            "submit it in time."
        ) % {
            "project": "正力新能电芯项目",
            "round": gettext("%(month)s monthly report") % {"month": "2026年9月"},
            "deadline": "2026年10月8日",
        }
    with translation.override("en"):
        tasks.report_reminders_send()  # nothing new, whatever the language
    assert message == chinese
    assert "正力新能电芯项目" in message and "2026年9月" in message and "2026年10月8日" in message
    at(time_machine, ESCALATION_DAY)
    tasks.report_reminders_send()
    escalated = Notification.objects.get(
        project=projects["draft"], kind=Kind.REPORT_ESCALATED
    ).message
    assert "2026年9月" in escalated and "2026年10月8日" in escalated
    # The e-mail job is asked for in the same transaction.
    assert OutboxMessage.objects.filter(task_name="inspections.tasks.notification_emails_send")


def test_inactive_people_and_a_project_without_a_leader_are_skipped(time_machine, projects, people):
    people["pm2"].is_active = False
    people["pm2"].save()
    projects["returned"].leader_in_charge = None
    projects["returned"].save()
    services.round_open(2026, 9)
    set_states(projects)
    run_daily(time_machine, DUE_SOON_DAY, ESCALATION_DAY)

    sent = notices()
    assert not {n for n in sent if n[3] == "pm-wang"}
    assert (ESCALATION_DAY, Kind.REPORT_ESCALATED, "R-BACK", "yao") not in sent
    assert (ESCALATION_DAY, Kind.REPORT_ESCALATED, "R-DRAFT", "yao") in sent


def test_the_job_s_queries_do_not_grow_with_the_projects(time_machine, people):
    def queries_with(count: int) -> int:
        MonthlyReport.objects.all().delete()
        for n in range(count):
            reporting_project(f"Q-{count}-{n}", f"项目{n}", people, managers=("pm", "pm2"))
        services.round_open(2026, 9)
        Notification.objects.all().delete()
        OutboxMessage.objects.all().delete()
        at(time_machine, ESCALATION_DAY)
        with CaptureQueriesContext(connection) as captured:
            created = reminders.reminders_send(today=ESCALATION_DAY)
        assert created == MonthlyReport.objects.count() * 4  # 2 managers, official, leader
        return len(captured)

    assert queries_with(2) == queries_with(12)


def test_a_returned_report_tells_its_submitter_and_managers_once_with_the_reason(
    time_machine, projects, people, mailoutbox
):
    at(time_machine, date(2026, 10, 8), 9, 0)
    services.round_open(2026, 9)
    report = MonthlyReport.objects.get(project=projects["draft"])
    report = services.report_save(
        report=report, by=people["pm"], expected_version=None, completed_amount=Decimal("800")
    )
    report = services.report_submit(report=report, by=people["pm"], expected_version=None)
    services.report_return(
        report=report, by=people["official"], reason="本月投资额与发票不符", expected_version=None
    )
    # Asked for in the return's transaction; a worker runs it once that commits.
    message = OutboxMessage.objects.get(task_name=reminders.RETURNED_TASK)
    assert tasks.report_returned_notify(**message.kwargs) == 2
    assert tasks.report_returned_notify(**message.kwargs) == 0  # delivered again: nothing new

    returned = Notification.objects.filter(kind=Kind.REPORT_RETURNED)
    assert sorted(returned.values_list("recipient__username", flat=True)) == ["pm-chen", "pm-wang"]
    text = returned.first().message
    for part in ("正力新能电芯项目", "2026年9月", "2026年10月8日", "本月投资额与发票不符"):
        assert part in text
    assert sorted(m.to[0] for m in mailoutbox) == ["chen@example.cn", "wang@example.cn"]

    # Returned again after a second submission: a new event, told again.
    report.refresh_from_db()
    report = services.report_submit(report=report, by=people["pm"], expected_version=None)
    services.report_return(
        report=report, by=people["official"], reason="照片缺失", expected_version=None
    )
    second = OutboxMessage.objects.filter(task_name=reminders.RETURNED_TASK).latest("pk")
    assert tasks.report_returned_notify(**second.kwargs) == 2
    assert returned.count() == 4
