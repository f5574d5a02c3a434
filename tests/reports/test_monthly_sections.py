"""The monthly briefing's sections a leader acts on: the decisions first (提请领导协调),
projects behind 序时, the 问题清单 with working days overdue, and the 红黑榜.

The zone of this module, for November 2026 (no holiday in it; weekends off), made on
Tuesday 1 December 2026 at 10:00, so the data cut-off is Monday 30 November:

- S is stopped (停工); its critical financing issue A (财政局) was due Friday 27 November:
  1 working day overdue on the 30th (the 28th and 29th are a weekend).
- Q's issue B (住建局), due Friday 20 November, is 6 working days overdue (23–27 and 30
  November): more than 5, so it is put to the leader.
- R's issue C (住建局), due Monday 23 November, is 5 working days overdue (24–27, 30): not
  more than 5, so it is only in the 问题清单.
- T has a red alert first seen Monday 2 November and escalated to the briefing on 16
  November: red for 20 working days by the 30th (3–6, 9–13, 16–20, 23–27, 30 November).
- Issue D (R, 住建局) is due 4 December: open, not overdue.
- Issue E (Q, 住建局), due Friday 20 November, was closed on Wednesday 25 November by the
  official: 3 working days late (23, 24, 25). Issue F (T, 财政局), due Friday 13 November,
  was closed on Tuesday 10 November: on time.

The answer is needed 5 working days after the cut-off: Monday 7 December (1–4 and 7).
"""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inspections.models import FollowUp, Issue
from projects.models import Project
from reports.briefings.render import html_render
from reports.briefings.snapshot import snapshot_build
from reports.models import Alert, AlertEscalation
from reports.periods import MONTHLY, parse
from tests import factories
from tests.clock import ZONE, clock_pinned_to

pytestmark = pytest.mark.django_db

pinned_clock = clock_pinned_to("2026-12-01T10:00")

D = Decimal


def at(day: int, month: int = 11, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ZONE)


@pytest.fixture
def zone(official):
    finance = factories.DepartmentFactory(name="财政局")
    housing = factories.DepartmentFactory(name="住建局")
    park = factories.ParkFactory(name="人工智能产业园")
    projects = {
        code: factories.ProjectFactory(code=code, name=f"项目{code}", park=park)
        for code in ("S", "Q", "R", "T")
    }
    projects["S"].status = Project.Status.SUSPENDED
    projects["S"].save()

    def issue(code, title, deadline, **fields):
        return factories.IssueFactory(
            project=projects[code],
            title=title,
            deadline=deadline,
            status=fields.pop("status", Issue.Status.IN_PROGRESS),
            raised_at=fields.pop("raised_at", at(2)),
            **fields,
        )

    issues = {
        "A": issue(
            "S",
            "资金缺口，项目停工",
            date(2026, 11, 27),
            department=finance,
            severity=Issue.Severity.CRITICAL,
            category=factories.issue_category(Issue.Category.FINANCING),
        ),
        "B": issue("Q", "施工许可未办结", date(2026, 11, 20), department=housing),
        "C": issue("R", "竣工验收排期", date(2026, 11, 23), department=housing),
        "D": issue("R", "临时用电增容", date(2026, 12, 4), department=housing),
        "E": issue(
            "Q",
            "渣土外运受阻",
            date(2026, 11, 20),
            department=housing,
            status=Issue.Status.CLOSED,
            closed_at=at(25),
        ),
        "F": issue(
            "T",
            "贴息资金拨付",
            date(2026, 11, 13),
            department=finance,
            status=Issue.Status.CLOSED,
            closed_at=at(10),
        ),
    }
    for key in ("E", "F"):
        FollowUp.objects.create(
            issue=issues[key],
            action="核实后销号",
            actor=official,
            acted_at=issues[key].closed_at,
            status_before=Issue.Status.RESOLVED,
            status_after=Issue.Status.CLOSED,
        )
    alert = Alert.objects.create(
        project=projects["T"],
        kind=Alert.Kind.MILESTONE_OVERDUE,
        subject_key="m1",
        severity=Alert.Severity.RED,
        detail={"milestone": "主体封顶", "baseline": "2026-10-30", "days": 3},
        first_seen_at=at(2),
        last_seen_at=at(30),
    )
    AlertEscalation.objects.create(
        alert=alert, step=AlertEscalation.Step.BRIEFING, escalated_at=at(16)
    )
    return projects


def build():
    return snapshot_build(kind=MONTHLY, period=parse(MONTHLY, "2026-11"), as_of=timezone.now())


def test_the_decisions_put_the_stopped_the_overdue_and_the_escalated_first(zone, official):
    decisions = build()["decisions"]
    assert decisions["cutoff"] == "2026-11-30"
    items = decisions["items"]
    assert [item["project"]["code"] for item in items] == ["S", "Q", "T"]
    stopped, overdue, escalated = items
    assert [r["kind"] for r in stopped["reasons"]] == ["suspended", "critical"]
    assert stopped["reasons"][1]["issue"]["workdays_overdue"] == 1
    assert stopped["ask"] == "financing"
    assert stopped["responsible_unit"] == "财政局"
    assert stopped["needed_by"] == "2026-12-07"
    assert [r["kind"] for r in overdue["reasons"]] == ["overdue"]
    assert overdue["reasons"][0]["issue"]["workdays_overdue"] == 6
    assert overdue["responsible_unit"] == "住建局"
    assert escalated["reasons"][0]["alert"]["workdays_open"] == 20
    # No issue of T's is open: the unit is its park.
    assert escalated["responsible_unit"] == "人工智能产业园"
    assert decisions["unlisted"] == 0


def test_the_decisions_are_cut_to_the_setting_and_the_rest_counted(zone, settings):
    settings.BRIEFING_DECISION_ITEMS = 2
    decisions = build()["decisions"]
    assert [item["project"]["code"] for item in decisions["items"]] == ["S", "Q"]
    assert decisions["unlisted"] == 1


def test_when_nothing_qualifies_the_page_says_so_in_one_line(official):
    factories.ProjectFactory(code="G")
    snapshot = build()
    assert snapshot["decisions"]["items"] == []
    html = html_render(
        snapshot=snapshot, generated_at=timezone.now(), version=1, changes=[], preview=False
    )
    assert 'data-testid="no-decisions"' in html
    assert 'data-testid="decisions"' in html


def test_the_issue_list_counts_working_days_at_the_cut_off(zone, official):
    issue_list = build()["issue_list"]
    assert issue_list["cutoff"] == "2026-11-30"
    assert [(e["title"], e["workdays_overdue"]) for e in issue_list["open"]] == [
        ("施工许可未办结", 6),
        ("竣工验收排期", 5),
        ("资金缺口，项目停工", 1),
        ("临时用电增容", None),
    ]
    assert [e["department"] for e in issue_list["open"]] == ["住建局", "住建局", "财政局", "住建局"]
    assert issue_list["open_overdue"] == 3
    closed = issue_list["closed"]
    # Late first.
    assert [(e["title"], e["on_time"], e["workdays_late"]) for e in closed] == [
        ("渣土外运受阻", False, 3),
        ("贴息资金拨付", True, 0),
    ]
    assert {e["closed_by"] for e in closed} == {str(official)}
    assert issue_list["closed_late"] == 1


def test_the_pdf_source_prints_the_decision_first_and_the_working_days(zone):
    html = html_render(
        snapshot=build(), generated_at=timezone.now(), version=1, changes=[], preview=False
    )
    decisions = html.index('data-testid="decisions"')
    assert decisions < html.index('id="totals"') < html.index('id="behind"')
    assert html.index('id="behind"') < html.index('id="issue-list"') < html.index('id="rankings"')
    assert html.index('id="rankings"') < html.index('id="visits"') < html.index('id="projects"')
    assert "项目S" in html[decisions : html.index('id="totals"')]
    # The register is printed at this size (4 projects, at most 60).
    assert 'data-testid="projects"' in html


def test_projects_behind_are_red_then_yellow_by_gap(official):
    """The zone of "One truth" (tests/projects/test_time_progress.py) in 1–11月: P3 done 0 of
    the 5,000 due by its monthly plan (83.3 %): 0.0 − 83.3 = −83.3 points; P2 done 3,000
    of 8,000 (37.5 %), 7,000 due (87.5 %): −50.0 points; both red. P1 is on plan; P4 and
    P5 are not assessed."""
    from tests.projects.test_time_progress import build_zone

    build_zone(official)
    behind = build()["behind"]
    assert [(p["code"], p["light"], p["points"]) for p in behind["projects"]] == [
        ("P3", "red", "-83.3"),
        ("P2", "red", "-50.0"),
    ]
    assert (behind["red"], behind["yellow"], behind["green"], behind["unassessed"]) == (
        2,
        0,
        1,
        2,
    )


def test_the_red_and_black_lists(official):
    """Three parks, each with one continuing project planning 12,000 for 2026, so 序时 for
    1–11月 is 11,000 (91.7 %):

    - 丙 done 12,000: 100.0 %, +8.3 points; 1 issue raised, 1 closed: 100.0 %.
    - 甲 done 11,000: 91.7 %, 0.0 points; 2 raised, 1 closed: 50.0 %.
    - 乙 done 5,500: 45.8 %, −45.9 points; 2 raised, 1 closed: 50.0 %.

    Ranked by points: 丙, 甲, 乙. 丙 is at least 0 points and 80 % closed: red list. 乙 is
    more than 10 points behind: black list.

    Departments: 财政局 was assigned 3 issues and closed 3 (100.0 %): red list. 住建局 was
    assigned 2 and closed none (0.0 %, below 60 %): black list; one of its issues (due
    Friday 20 November) is overdue at the cut-off."""
    finance = factories.DepartmentFactory(name="财政局")
    housing = factories.DepartmentFactory(name="住建局")
    parks = {}
    for name, done in (("甲", "11000"), ("乙", "5500"), ("丙", "12000")):
        park = factories.ParkFactory(name=name)
        project = factories.ProjectFactory(park=park)
        factories.AnnualPlanFactory(project=project, year=2026, planned_investment=D("12000"))
        factories.MonthlyInvestmentFactory(
            project=project, year=2026, month=5, completed_amount=D(done)
        )
        parks[name] = project

    def issue(name, department, *, closed=False, deadline=date(2026, 11, 20)):
        factories.IssueFactory(
            project=parks[name],
            department=department,
            deadline=deadline,
            raised_at=at(2),
            status=Issue.Status.CLOSED if closed else Issue.Status.ASSIGNED,
            closed_at=at(10) if closed else None,
        )

    issue("丙", finance, closed=True)
    issue("甲", finance, closed=True)
    issue("甲", housing)
    issue("乙", finance, closed=True)
    issue("乙", housing, deadline=date(2026, 12, 10))

    rankings = build()["rankings"]
    assert [
        (r["rank"], r["name"], r["plan_percent"], r["points"], r["closure_rate"], r["list"])
        for r in rankings["parks"]
    ] == [
        (1, "丙", "100.0", "8.3", "100.0", "red"),
        (2, "甲", "91.7", "0.0", "50.0", None),
        (3, "乙", "45.8", "-45.9", "50.0", "black"),
    ]
    assert [
        (
            r["rank"],
            r["name"],
            r["assigned"],
            r["closed"],
            r["closure_rate"],
            r["overdue"],
            r["list"],
        )
        for r in rankings["departments"]
    ] == [
        (1, "财政局", 3, 3, "100.0", 0, "red"),
        (2, "住建局", 2, 0, "0.0", 1, "black"),
    ]


def _scaled(snapshot: dict, projects: int) -> dict:
    """The module's snapshot grown to a city's or a province's size: `projects` register
    rows, a third of them behind, three open issues and one closed per ten projects, a
    park per 20 projects, 40 departments, a visit per 5 projects, and more than enough
    decision items."""
    import copy

    scaled = copy.deepcopy(snapshot)
    row = scaled["projects"][0]
    scaled["projects"] = [
        {**row, "code": f"C-{n:05d}", "name": f"规模测试项目{n}"} for n in range(projects)
    ]
    scaled["summary"]["project_count"] = projects
    behind = scaled["behind"]["projects"][0]
    scaled["behind"]["projects"] = [
        {**behind, "code": f"C-{n:05d}", "name": f"规模测试项目{n}"} for n in range(projects // 3)
    ]
    issue_list = scaled["issue_list"]
    open_issue = issue_list["open"][0]
    closed_issue = {
        **open_issue,
        "closed": "2026-11-25",
        "closed_by": "王明",
        "on_time": False,
        "workdays_late": 3,
    }
    issue_list["open"] = [{**open_issue, "id": n} for n in range(projects * 3 // 10)]
    issue_list["closed"] = [{**closed_issue, "id": n} for n in range(projects // 10)]
    park = scaled["rankings"]["parks"][0]
    scaled["rankings"]["parks"] = [
        {**park, "name": f"园区{n}", "rank": n + 1} for n in range(projects // 20)
    ]
    department = scaled["rankings"]["departments"][0]
    scaled["rankings"]["departments"] = [
        {**department, "name": f"部门{n}", "rank": n + 1} for n in range(40)
    ]
    visit = {
        "date": "2026-11-05",
        "project": {"code": "C-00001", "name": "规模测试项目1"},
        "headline": "现场施工正常，塔吊三台在用，钢结构吊装过半。",
        "id": 1,
    }
    scaled["visits"] = {
        "count": projects // 5,
        "project_count": projects // 5,
        "items": [{**visit, "id": n} for n in range(projects // 5)],
    }
    item = scaled["decisions"]["items"][0]
    scaled["decisions"]["items"] = [
        {**item, "project": {"code": f"C-{n:05d}", "name": f"规模测试项目{n}"}} for n in range(7)
    ]
    scaled["decisions"]["unlisted"] = projects // 50
    return scaled


@pytest.mark.parametrize("projects", [1_000, 10_000])
def test_the_monthly_stays_within_eight_pages_at_any_scale(zone, projects):
    """Every list is cut to its setting and the register goes to the .xlsx above 60
    projects, so a city (1,000) or a province (10,000) prints at most 8 A4 pages."""
    import io

    from pypdf import PdfReader

    from reports.briefings.render import pdf_render

    pdf = pdf_render(
        snapshot=_scaled(build(), projects), generated_at=timezone.now(), version=1, changes=[]
    )
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages <= 8, pages
