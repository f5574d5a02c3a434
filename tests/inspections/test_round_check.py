"""The monthly round seen by officials and leaders (inspections.rounds.check_views): the
rounds and their rates, the late reporters, the check queue, a report's page, accepting
and returning, the export, who may open what, and fixed query counts at scale.

Every expected figure is worked out by hand in the test's docstring or beside it. The
module runs at 2026-11-18 10:00 (Asia/Shanghai), a working Wednesday, whatever the day:
October's round (deadline Thursday 5 November) is then past its deadline."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import load_workbook

from hitech_zone.models import AuditEntry
from hitech_zone.permissions import Role, role_groups
from inspections.models import MonthlyReport, MonthlyReportStep, ReportingRound
from inspections.rounds import services
from projects.lights import Light
from projects.models import AnnualPlan, MonthlyInvestment, Project
from projects.selectors import project_list
from tests import factories
from tests.clock import ZONE, clock_pinned_to

pytestmark = pytest.mark.django_db

pinned_clock = clock_pinned_to("2026-11-18T10:00")

State = MonthlyReport.State
BEFORE_DEADLINE = datetime(2026, 11, 3, 9, 30, tzinfo=ZONE)


@pytest.fixture
def october(db) -> ReportingRound:
    return ReportingRound.objects.create(year=2026, month=10, deadline=date(2026, 11, 5))


@pytest.fixture
def dept_user(role_user):
    return role_user(Role.DEPARTMENT, username="t-dept")


@pytest.fixture
def planned(own_project):
    """甲项目: 12,000 万元 planned for 2026, evenly (1,000 a month); January to September
    accepted at 800 each (7,200)."""
    factories.AnnualPlanFactory(project=own_project, year=2026, planned_investment=12000)
    for month in range(1, 10):
        factories.MonthlyInvestmentFactory(
            project=own_project, year=2026, month=month, completed_amount=Decimal(800)
        )
    return own_project


def submitted_report(round_, project, by, amount=Decimal(2800), now=BEFORE_DEADLINE):
    """A report filled and submitted through the services, as the manager would."""
    report, _created = MonthlyReport.objects.get_or_create(round=round_, project=project)
    saved = services.report_save(
        report=report,
        by=by,
        expected_version=report.version,
        completed_amount=amount,
        physical_progress="主体结构施工，二层楼板浇筑完成",
    )
    return services.report_submit(report=saved, by=by, expected_version=saved.version, now=now)


@pytest.fixture
def report(october, planned, manager):
    return submitted_report(october, planned, manager)


def _light(project, user):
    row = project_list(user=user, as_of=date(2026, 11, 18)).get(pk=project.pk)
    return row.light, row.completed_ytd


# ------------------------------------------------------------------ counts and rates


def test_counts_and_rates_on_a_small_round(client, official, october, role_user):
    """Four reports: one not reported, one awaiting check, one returned, one accepted.
    已报 3 (submitted at least once), 未报 1; 填报率 3/4 = 75.0 %; 审核率 = accepted of
    reported = 1/3 = 33.3 % (half up)."""
    people = role_user(Role.PROJECT_MANAGER, username="t-pm-4")
    checker = role_user(Role.OFFICIAL, username="t-official-2")
    projects = [factories.ProjectFactory(code=f"T-R{index}") for index in range(4)]
    for project in projects:
        project.managers.add(people)
    MonthlyReport.objects.create(round=october, project=projects[0])
    submitted_report(october, projects[1], people)
    returned = submitted_report(october, projects[2], people)
    services.report_return(
        report=returned, by=checker, reason="金额单位有误", expected_version=returned.version
    )
    accepted = submitted_report(october, projects[3], people)
    services.report_accept(report=accepted, by=checker, expected_version=accepted.version)
    client.force_login(official)

    index = client.get(reverse("round_index"))
    detail = client.get(reverse("round_detail", args=[2026, 10]))

    (row,) = index.context["rows"]
    counts = row[1]
    assert (counts.total, counts.reported, counts.not_reported) == (4, 3, 1)
    assert (counts.submitted, counts.returned, counts.accepted) == (1, 1, 1)
    assert (counts.reported_rate, counts.checked_rate) == (Decimal("75.0"), Decimal("33.3"))
    for response in (index, detail):
        text = response.content.decode()
        assert 'data-testid="reported-rate">75.0%<' in text
        assert 'data-testid="checked-rate">33.3%<' in text
    text = detail.content.decode()
    assert 'data-testid="count-reported">3<' in text
    assert 'data-testid="count-not-reported">1<' in text
    assert 'data-testid="deadline">2026-11-05<' in text
    # The queue count on the index: one report awaits check.
    assert 'data-testid="awaiting">1<' in index.content.decode()


@pytest.mark.date_sensitive
def test_late_reporters_count_working_days_across_the_spring_festival(
    client, leader, role_user, time_machine
):
    """January 2026 is reported by Thursday 5 February. On Thursday 26 February the working
    days after the 5th are: 6, 9–13 (6), Saturday 14 (a 调休 working day: 7), the Spring
    Festival 15–23 off, 24, 25, 26: 10.
    - 甲 never reported: 10, still missing.
    - 乙 came in on Tuesday 24: 6, 9–13, 14, 24 = 8.
    - 丙 came in on Friday 20, inside the holiday: 6, 9–13, 14 = 7.
    - 丁 came in on the deadline day: not late."""
    time_machine.move_to(datetime(2026, 2, 26, 10, tzinfo=ZONE))
    january = ReportingRound.objects.create(year=2026, month=1, deadline=date(2026, 2, 5))
    site_lead = role_user(Role.PROJECT_MANAGER, username="t-chen", full_name="陈华瑞")
    came_in = {
        "T-JIA": None,
        "T-YI": datetime(2026, 2, 24, 9, tzinfo=ZONE),
        "T-BING": datetime(2026, 2, 20, 16, tzinfo=ZONE),
        "T-DING": datetime(2026, 2, 5, 17, tzinfo=ZONE),
    }
    for code, moment in came_in.items():
        project = factories.ProjectFactory(code=code)
        project.managers.add(site_lead)
        MonthlyReport.objects.create(
            round=january,
            project=project,
            state=State.SUBMITTED if moment else State.DRAFT,
            first_submitted_at=moment,
            submitted_at=moment,
            completed_amount=Decimal(500) if moment else None,
        )
    client.force_login(leader)

    response = client.get(reverse("round_detail", args=[2026, 1]))

    late = [
        (row.report.project.code, row.workdays_late, row.submitted_late)
        for row in response.context["late"]
    ]
    assert late == [("T-JIA", 10, False), ("T-YI", 8, True), ("T-BING", 7, True)]
    assert [str(manager) for manager in response.context["late"][0].managers] == ["陈华瑞"]
    text = response.content.decode()
    assert text.count('data-testid="still-missing"') == 1
    assert "陈华瑞" in text


# ------------------------------------------------------------------ accept and return


def test_accept_writes_the_figure_and_only_then_it_counts(client, official, report):
    """序时 through October: 10,000 of 12,000 (83.3 %). Accepted before: 7,200 (60.0 %, 23.3
    points behind: yellow). The submitted 2,800 changes nothing until accepted; then
    10,000 is on 序时: green, and October's MonthlyInvestment is 2,800."""
    assert _light(report.project, official) == (Light.YELLOW, Decimal("7200.00"))
    assert not MonthlyInvestment.objects.filter(project=report.project, month=10).exists()
    client.force_login(official)

    response = client.post(
        reverse("round_report_accept", args=[report.pk]),
        {"accept-version": report.version, "accept-comment": "数据核实无误"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("round_report", args=[report.pk])
    report.refresh_from_db()
    assert report.state == State.ACCEPTED and report.checked_by == official
    figure = MonthlyInvestment.objects.get(project=report.project, year=2026, month=10)
    assert figure.completed_amount == Decimal(2800)
    assert _light(report.project, official) == (Light.GREEN, Decimal("10000.00"))
    step = report.steps.get(action=MonthlyReportStep.Action.ACCEPTED)
    assert (step.actor, step.comment, step.completed_amount) == (official, "数据核实无误", 2800)
    page = client.get(response["Location"]).content.decode()
    assert "数据核实无误" in page and 'data-testid="check-error"' not in page


def test_a_returned_report_reaches_its_manager_with_the_reason(client, official, manager, report):
    client.force_login(official)
    response = client.post(
        reverse("round_report_return", args=[report.pk]),
        {"return-version": report.version, "return-reason": "本月完成额与形象进度不符，请核实"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == State.RETURNED
    assert not MonthlyInvestment.objects.filter(project=report.project, month=10).exists()

    client.force_login(manager)
    page = client.get(reverse("round_report", args=[report.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert "本月完成额与形象进度不符，请核实" in text
    assert 'data-testid="return-reason"' in text
    # The manager may fill it again; no check form for them.
    assert reverse("round_report_fill", args=[report.pk]) in text
    assert page.context["accept_form"] is None


def test_a_return_without_a_reason_is_refused_and_keeps_the_input(client, official, report):
    """A blank reason: 422 with the service's message, nothing changed. A reason over
    1,000 characters: 422, and the text typed comes back in the form."""
    client.force_login(official)
    url = reverse("round_report_return", args=[report.pk])

    blank = client.post(url, {"return-version": report.version, "return-reason": "   "})
    too_long = client.post(url, {"return-version": report.version, "return-reason": "长" * 1001})

    assert blank.status_code == 422
    message = gettext("Say why the report is returned.")
    assert blank.context["return_form"].errors["reason"] == [message]
    assert escape(message) in blank.content.decode()
    assert blank.context["opened"] == "return"
    assert too_long.status_code == 422
    assert "长" * 1001 in too_long.content.decode()
    report.refresh_from_db()
    assert report.state == State.SUBMITTED and report.steps.count() == 1


def test_the_second_of_two_officials_is_refused_with_a_message(client, official, role_user, report):
    """Both opened the report at the same version; the first accepts; the second's return
    is refused (409) with who checked it, and the report stays accepted, nothing half done."""
    second = role_user(Role.OFFICIAL, username="t-official-2", full_name="王专员")
    seen = report.version
    client.force_login(official)
    assert (
        client.post(reverse("round_report_accept", args=[report.pk]), {"accept-version": seen})
    ).status_code == 302
    client.force_login(second)

    response = client.post(
        reverse("round_report_return", args=[report.pk]),
        {"return-version": seen, "return-reason": "数据有误"},
    )

    assert response.status_code == 409
    assert str(official) in response.context["error"]
    assert 'data-testid="check-error"' in response.content.decode()
    # The report as it is now: accepted, so no check form any more.
    assert response.context["report"].state == State.ACCEPTED
    assert response.context["accept_form"] is None
    report.refresh_from_db()
    assert (report.state, report.return_reason, report.checked_by) == (
        State.ACCEPTED,
        "",
        official,
    )
    assert list(report.steps.values_list("action", flat=True)) == ["submitted", "accepted"]


def test_an_official_who_manages_the_project_cannot_check_their_own_report(
    client, october, planned, role_user
):
    """A user both official and manager of 甲项目 submits its report: no check form for
    them, and a posted acceptance is refused (409) with the reason; nothing is written."""
    both = role_user(Role.OFFICIAL, username="t-both", full_name="李兼")
    both.groups.add(role_groups()[Role.PROJECT_MANAGER])
    planned.managers.add(both)
    own = submitted_report(october, planned, both)
    client.force_login(both)

    page = client.get(reverse("round_report", args=[own.pk]))
    refused = client.post(
        reverse("round_report_accept", args=[own.pk]), {"accept-version": own.version}
    )

    assert page.context["accept_form"] is None
    assert 'data-testid="own-submission"' in page.content.decode()
    assert refused.status_code == 409
    assert refused.context["error"]
    own.refresh_from_db()
    assert own.state == State.SUBMITTED
    assert not MonthlyInvestment.objects.filter(project=planned, month=10).exists()


def test_a_stale_version_is_refused(client, official, report):
    client.force_login(official)
    response = client.post(
        reverse("round_report_accept", args=[report.pk]), {"accept-version": report.version - 1}
    )
    assert response.status_code == 409
    report.refresh_from_db()
    assert report.state == State.SUBMITTED


def test_htmx_gets_the_panel_and_the_queue_partial(client, official, report):
    client.force_login(official)
    htmx = {"HX-Request": "true"}

    panel = client.get(reverse("round_report", args=[report.pk]), headers=htmx)
    queue = client.get(reverse("round_check_queue"), headers=htmx)
    refused = client.post(
        reverse("round_report_return", args=[report.pk]),
        {"return-version": report.version, "return-reason": "", "from": "queue"},
        headers=htmx,
    )
    accepted = client.post(
        reverse("round_report_accept", args=[report.pk]),
        {"accept-version": report.version, "from": "queue"},
        headers=htmx,
    )

    assert panel.status_code == 200 and "<html" not in panel.content.decode()
    assert 'id="report-panel"' in panel.content.decode()
    assert queue.status_code == 200 and "<html" not in queue.content.decode()
    assert 'id="queue-table"' in queue.content.decode()
    assert refused.status_code == 422 and "<html" not in refused.content.decode()
    assert 'class="form-error"' in refused.content.decode()
    assert accepted.status_code == 200 and "<html" not in accepted.content.decode()
    text = accepted.content.decode()
    assert 'class="saved"' in text and f'data-report="{report.pk}"' not in text


# ------------------------------------------------------------------ the queue


def test_the_queue_oldest_first_with_plans_and_the_jump_flag(
    client, official, october, planned, manager, other_project, other_manager
):
    """甲: plan 12,000 evenly, 1,000 due in October; September accepted at 800; January
    to September 7,200. Its 2,800 is 2.8 times the month's plan: no flag (the factor is 3).
    Cumulative if accepted 10,000 of 12,000 = 83.3 %; 序时 10,000/12,000 = 83.3 %.
    乙: plan 6,000 evenly (500 a month), nothing accepted; its 1,600 is 3.2 times: flagged.
    Cumulative 1,600/6,000 = 26.7 %; 序时 5,000/6,000 = 83.3 %. 乙 was submitted first."""
    factories.AnnualPlanFactory(project=other_project, year=2026, planned_investment=6000)
    submitted_report(october, other_project, other_manager, Decimal(1600), BEFORE_DEADLINE)
    submitted_report(october, planned, manager, Decimal(2800), BEFORE_DEADLINE + timedelta(hours=2))
    client.force_login(official)

    response = client.get(reverse("round_check_queue"))

    rows = response.context["rows"]
    assert [row.report.project.code for row in rows] == ["T-OTHER", "T-OWN"]
    other, own = rows
    assert (other.previous_month, other.monthly_plan, other.annual_plan) == (None, 500, 6000)
    assert (other.cumulative_percent, other.due_percent, other.jump) == (
        Decimal("26.7"),
        Decimal("83.3"),
        True,
    )
    assert (own.previous_month, own.monthly_plan, own.annual_plan) == (800, 1000, 12000)
    assert (own.cumulative_percent, own.due_percent, own.jump) == (
        Decimal("83.3"),
        Decimal("83.3"),
        False,
    )
    text = response.content.decode()
    assert text.count('data-testid="jump"') == 1
    assert text.index("T-OTHER") < text.index("T-OWN")
    assert 'name="return-reason"' in text and 'name="accept-version"' in text


def test_accepting_from_the_queue_goes_back_to_the_queue(client, official, report):
    client.force_login(official)
    response = client.post(
        reverse("round_report_accept", args=[report.pk]),
        {"accept-version": report.version, "from": "queue"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("round_check_queue")


# ------------------------------------------------------------------ the export


def test_the_export_holds_every_report_and_is_audited(client, leader, october, report, role_user):
    """Two reports: 甲 submitted on 3 November (on time, 0 days late); 乙 not reported, late
    since Thursday 5 November: 6, 9–13, 16–18 = 9 working days on Wednesday 18."""
    other = factories.ProjectFactory(code="T-LATE", name="丙项目")
    other.managers.add(role_user(Role.PROJECT_MANAGER, username="t-pm-late", full_name="张工"))
    MonthlyReport.objects.create(round=october, project=other)
    client.force_login(leader)

    response = client.get(reverse("round_export", args=[2026, 10]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="monthly-reports-2026-10.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    late, own = rows[1], rows[2]  # by project code: T-LATE, T-OWN
    assert own[0:2] == ("T-OWN", "甲项目")
    assert own[5] == 2800
    assert own[6] == BEFORE_DEADLINE.replace(tzinfo=None)  # local time, as Excel reads it
    assert own[9] == 0
    assert late[0:2] == ("T-LATE", "丙项目")
    assert late[3] == "张工"
    assert (late[5], late[6], late[9]) == (None, None, 9)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.user == leader
    assert entry.detail["rows"] == 2
    assert entry.detail["export"] == "round_export"


# ------------------------------------------------------------------ who may open what

ROLES = ["anonymous", "official", "leader", "admin_user", "manager", "other_manager", "dept_user"]
# URL name -> method and the status for each role (302 is success for the POSTs; a
# manager asking for the rounds is sent to their own reports).
EXPECTED = {
    "round_index": ("get", {"official": 200, "leader": 200, "admin_user": 200, "manager": 302}),
    "round_detail": ("get", {"official": 200, "leader": 200, "admin_user": 200}),
    "round_export": ("get", {"official": 200, "leader": 200, "admin_user": 200}),
    "round_check_queue": ("get", {"official": 200, "admin_user": 200}),
    "round_report": (
        "get",
        {"official": 200, "leader": 200, "admin_user": 200, "manager": 200, "other_manager": 404},
    ),
    "round_report_accept": ("post", {"official": 302, "admin_user": 302}),
    "round_report_return": ("post", {"official": 302, "admin_user": 302}),
}
EXPECTED["round_index"][1]["other_manager"] = 302


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_view_for_every_role(client, request, report, name, role):
    method, allowed = EXPECTED[name]
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    args = {"round_report": [report.pk], "round_report_accept": [report.pk]}.get(name)
    if name in ("round_detail", "round_export"):
        args = [2026, 10]
    elif name == "round_report_return":
        args = [report.pk]
    url = reverse(name, args=args or [])
    data = {
        "accept-version": report.version,
        "return-version": report.version,
        "return-reason": "请补充现场照片",
    }
    response = getattr(client, method)(url, data if method == "post" else {})
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        return
    assert response.status_code == allowed.get(role, 403), f"{name} as {role}"
    if name == "round_index" and role in ("manager", "other_manager"):
        assert response["Location"] == reverse("round_my_reports")
    if response.status_code == 404:
        assert report.project.name not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("official", "nav-round-check", "nav-rounds"),
        ("admin_user", "nav-round-check", "nav-rounds"),
        ("leader", "nav-rounds", "nav-round-check"),
        ("manager", None, "nav-round"),
        ("dept_user", None, "nav-round"),
    ],
)
def test_the_navigation_shows_the_round_to_those_who_may_follow_it(
    client, request, role, shown, hidden
):
    client.force_login(request.getfixturevalue(role))
    text = client.get(reverse("notifications")).content.decode()
    if shown:
        assert f'data-testid="{shown}"' in text
    assert f'data-testid="{hidden}' not in text


# ------------------------------------------------------------------ queries at scale


def populate(round_: ReportingRound, count: int, *, start: int, manager, checker) -> None:
    """`count` projects with a plan and a September figure, and a report each in the
    round: in turn not reported, awaiting check (one in three far above its plan),
    returned, accepted; every other one reported after the deadline."""
    park = factories.ParkFactory(code="p-main", name="人工智能产业园")
    sector = factories.SectorFactory(code="s-ai", name="人工智能")
    person = factories.UserFactory(username="person-in-charge")
    projects = Project.objects.bulk_create(
        factories.ProjectFactory.build(
            code=f"Q-{index:04d}",
            name=f"规模项目{index}",
            park=park,
            sector=sector,
            responsible_person=person,
        )
        for index in range(start, start + count)
    )
    Project.managers.through.objects.bulk_create(
        Project.managers.through(project=project, user=manager) for project in projects
    )
    AnnualPlan.objects.bulk_create(
        AnnualPlan(project=project, year=2026, planned_investment=Decimal(12000))
        for project in projects
    )
    MonthlyInvestment.objects.bulk_create(
        MonthlyInvestment(project=project, year=2026, month=9, completed_amount=Decimal(800))
        for project in projects
    )
    reports = []
    for offset, project in enumerate(projects):
        state = [State.DRAFT, State.SUBMITTED, State.RETURNED, State.ACCEPTED][offset % 4]
        moment = (
            None
            if state == State.DRAFT
            else datetime(2026, 11, 4 + offset % 2 * 5, 9, tzinfo=ZONE) + timedelta(minutes=offset)
        )
        reports.append(
            MonthlyReport(
                round=round_,
                project=project,
                state=state,
                completed_amount=None
                if moment is None
                else Decimal(1000 + 3000 * (offset % 3 == 0)),
                first_submitted_at=moment,
                submitted_at=moment,
                submitted_by=None if moment is None else manager,
                checked_by=checker if state in (State.RETURNED, State.ACCEPTED) else None,
                checked_at=moment if state in (State.RETURNED, State.ACCEPTED) else None,
            )
        )
    MonthlyReport.objects.bulk_create(reports)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


# Measured with the session, the user, their roles, the unread notifications, whether the
# menu offers 记录走访 (a project the user may change) and the page's own reads: a page
# that starts to run one more query, at any scale, fails here. The queue pages its
# reports: one count, then the page.
QUERIES = {"round_detail": 15, "round_check_queue": 11}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_fixed_query_counts_at_28_and_1000_reports(client, official, october, manager, name):
    client.force_login(official)
    checker = factories.UserFactory(username="t-checker")
    url = reverse(name, args=[2026, 10] if name == "round_detail" else [])
    populate(october, 28, start=0, manager=manager, checker=checker)
    client.get(url)
    at_28 = _queries(client, url)
    populate(october, 972, start=28, manager=manager, checker=checker)
    at_1000 = _queries(client, url)
    assert MonthlyReport.objects.count() == 1000
    assert at_28 == at_1000, f"{name}: {at_28} queries at 28 reports, {at_1000} at 1,000"
    assert at_28 == QUERIES[name], f"{name}: {at_28} queries"


def test_the_rounds_index_counts_every_round_in_one_query(client, leader, october):
    """Three rounds, one report each: the index reads their counts together."""
    for month in (8, 9):
        ReportingRound.objects.create(year=2026, month=month, deadline=date(2026, month + 1, 5))
    for round_ in ReportingRound.objects.all():
        MonthlyReport.objects.create(round=round_, project=factories.ProjectFactory())
    client.force_login(leader)
    url = reverse("round_index")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert [str(round_) for round_, _counts in response.context["rows"]] == [
        "2026-10",
        "2026-09",
        "2026-08",
    ]
    assert all(counts.total == 1 for _round, counts in response.context["rows"])
    assert sum("inspections_monthlyreport" in q["sql"] for q in captured.captured_queries) == 1
    # Leaders read; they do not check: no queue link.
    assert 'data-testid="queue-link"' not in response.content.decode()
    assert Group.objects.filter(name=Role.LEADER.value).exists()
