"""Briefing snapshots: the figures as of a moment, reproducible after later edits, and the
weekly events on data with known dates."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import chinese_calendar
import pytest
from django.utils import timezone

from hitech_zone.demo.loader import load_demo
from hitech_zone.models import User
from inspections.models import Issue, SiteVisit
from inspections.services import issue_transition
from projects.models import AnnualPlan, Milestone, MonthlyInvestment, Project
from projects.services import monthly_investment_set, project_set_status
from reports import periods
from reports.briefings import (
    html_render,
    snapshot_build,
    snapshot_changes,
    snapshot_digest,
)
from reports.models import Alert, AlertEscalation
from tests import factories

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

# The reads (13 for a weekly: its investment strip's plans and monthly figures, and the
# issues as they stood at the week's end; 13 for a monthly with the zone's industrial
# figure), then the lights by the common rule: the working-day calendar of the issue
# signal and the projects' lights, 2 more. Both read the calendar of the data cut-off
# for the leader's decisions (working days overdue), 1 more, which the weekly's overdue
# issues share; a monthly reads who closed the month's closed issues for its 问题清单,
# 1 more. With visits in the period, their photos, 1 more (`with_visits`). A monthly
# looks up its month's reporting round (月报), 1 more; the demo's current month has none
# open yet (its round opens on the 1st of the next month), so its counts and late reporters
# (2 or 3 more, tests/reports/test_briefing_round.py) are not read here.
MONTHLY_QUERIES = 18
WEEKLY_QUERIES = 17


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def demo():
    load_demo()
    return timezone.localdate()


def current_month() -> periods.Period:
    return periods.containing(periods.MONTHLY, timezone.localdate())


# ---------------------------------------------------------------- monthly, on the demo data


def test_monthly_totals_are_the_database_totals(demo, django_assert_num_queries):
    period = current_month()
    year = period.start.year
    # A year the holiday package does not ship costs one more query: is it marked complete?
    # So does the next year when the leader's answer (5 working days after the cut-off,
    # today) falls in it: on 31 December.
    uncovered = 0
    for day in (period.start, min(period.end, timezone.localdate()) + timedelta(days=14)):
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            uncovered = 1
    # On the 1st the demo's visits of the month may not have happened yet.
    with_visits = int(
        SiteVisit.objects.filter(visited_on__range=(period.start, period.end)).exists()
    )
    with django_assert_num_queries(MONTHLY_QUERIES + uncovered + with_visits):
        snapshot = snapshot_build(kind=periods.MONTHLY, period=period, as_of=timezone.now())

    summary = snapshot["summary"]
    assert summary["project_count"] == 28
    assert summary["total_investment"] == "1525000.00"
    assert summary["annual_plan"] == "500000.00"
    # Summed in Python: SQLite sums decimal columns as floating point (…689999999).
    completed = MonthlyInvestment.objects.filter(year=year, month__lte=period.start.month)
    assert Decimal(summary["completed_ytd"]) == sum(
        completed.values_list("completed_amount", flat=True), Decimal(0)
    )
    industrial = completed.filter(project__category=Project.Category.INDUSTRIAL)
    assert Decimal(summary["industrial_ytd"]) == sum(
        industrial.values_list("completed_amount", flat=True), Decimal(0)
    )
    assert summary["target"]["industrial_ensure"] == "550000.00"
    assert summary["target"]["industrial_strive"] == "700000.00"
    assert [row["code"] for row in snapshot["projects"]] == [f"GX-{n:03d}" for n in range(1, 29)]
    plans = dict(
        AnnualPlan.objects.filter(year=year).values_list("project__code", "planned_investment")
    )
    assert all(Decimal(row["annual_plan"]) == plans[row["code"]] for row in snapshot["projects"])
    assert sum(p["project_count"] for p in snapshot["parks"]) == 28
    assert sum(snapshot["light_counts"].values()) == 28
    physical = snapshot["physical"]
    completed_projects = Project.objects.filter(status=Project.Status.COMPLETED).count()
    assert physical["completed"] == completed_projects
    assert physical["completed"] <= physical["past_halfway"] <= physical["started"] <= 28
    issues = snapshot["issues_by_category"]
    assert issues["raised"] == Issue.objects.filter(raised_at__year=year).count()
    # JSON types only: what goes in comes out.
    assert json.loads(json.dumps(snapshot)) == snapshot


def test_the_same_moment_gives_the_same_snapshot_after_later_edits(time_machine):
    """On an ordinary day of the year, so that issues raised this year are open to close
    (the 办结率 counts the year's issues only)."""
    time_machine.move_to(datetime(2026, 11, 18, 10, tzinfo=timezone.get_current_timezone()))
    load_demo()
    period = current_month()
    admin = User.objects.get(username="admin")
    moment = timezone.now()
    before = snapshot_build(kind=periods.MONTHLY, period=period, as_of=moment)

    project = Project.objects.get(code="GX-001")
    monthly_investment_set(
        project=project,
        year=period.start.year,
        month=period.start.month,
        completed_amount=Decimal("12345.67"),
        by=admin,
    )
    project_set_status(
        project=project, status=Project.Status.TRIAL, by=admin, expected_version=None
    )
    issue = Issue.objects.filter(status=Issue.Status.IN_PROGRESS).order_by("pk").first()
    issue = issue_transition(issue=issue, name="resolve", by=admin, result="已协调解决。")
    issue_transition(issue=issue, name="close", by=admin)

    again = snapshot_build(kind=periods.MONTHLY, period=period, as_of=moment)
    assert again == before
    assert snapshot_digest(again) == snapshot_digest(before)

    now = snapshot_build(kind=periods.MONTHLY, period=period, as_of=timezone.now())
    assert snapshot_digest(now) != snapshot_digest(before)
    assert Decimal(now["summary"]["completed_ytd"]) - Decimal(
        before["summary"]["completed_ytd"]
    ) == Decimal("12345.67") - Decimal(before["projects"][0]["completed_month"])
    assert now["projects"][0]["status"] == Project.Status.TRIAL
    assert now["issues_by_category"]["closed"] == before["issues_by_category"]["closed"] + 1

    changes = snapshot_changes(before, now)
    text = "\n".join(changes)
    assert project.name in text
    assert any("→" in change and project.name in change for change in changes)
    assert len(changes) >= 4  # totals, the project's status and amounts, the closure rate
    assert snapshot_changes(before, again) == []


def test_the_digest_is_of_the_canonical_json():
    one = {"b": [1, 2], "a": "亿元"}
    other = {"a": "亿元", "b": [1, 2]}
    assert snapshot_digest(one) == snapshot_digest(other)
    assert len(snapshot_digest(one)) == 64
    assert snapshot_digest(one) != snapshot_digest({"a": "亿元", "b": [2, 1]})


def test_the_html_is_rendered_from_the_snapshot_alone(demo, django_assert_num_queries):
    snapshot = snapshot_build(kind=periods.MONTHLY, period=current_month(), as_of=timezone.now())
    with django_assert_num_queries(0):
        html = html_render(
            snapshot=snapshot,
            generated_at=timezone.now(),
            version=2,
            changes=["总投资: 150.0 → 152.5 亿元"],
            preview=True,
        )
    assert html.startswith("<!doctype html>") or "<html" in html
    assert "152.5" in html
    assert "总投资: 150.0 → 152.5 亿元" in html
    for name in Project.objects.values_list("name", flat=True):
        assert name in html


# ---------------------------------------------------------------- weekly, on constructed data

WEEK = periods.parse(periods.WEEKLY, "2026-W10")  # Monday 2 March to Sunday 8 March 2026
BEFORE = date(2026, 2, 1)
AS_OF = at(date(2026, 3, 9), 9)  # Monday morning, when the briefing is made


def saved_at(obj, moment: datetime):
    """Save with its history record dated `moment`, as if the edit had been made then."""
    obj._history_date = moment
    obj.save()
    return obj


@pytest.fixture
def week():
    """A project whose week had a bit of everything, with the dates the records were made."""
    official = factories.UserFactory(username="w-official", full_name="王专员")
    leader = factories.UserFactory(username="w-leader", full_name="姚主任")
    park, sector = factories.ParkFactory(), factories.SectorFactory()
    department = factories.DepartmentFactory(name="建设局")

    def project(code: str, name: str) -> Project:
        return saved_at(
            Project(
                code=code,
                name=name,
                company="测试公司",
                park=park,
                sector=sector,
                total_investment=Decimal("100000"),
                status=Project.Status.PREPARATION,
                responsible_person=official,
                leader_in_charge=leader,
            ),
            at(BEFORE),
        )

    alpha = project("W-001", "甲电芯项目")
    beta = project("W-002", "乙厂房项目")
    alpha.status = Project.Status.CONSTRUCTION
    saved_at(alpha, at(date(2026, 3, 4)))
    # After the briefing was made: not in it.
    alpha.status = Project.Status.SUSPENDED
    saved_at(alpha, at(date(2026, 3, 20)))
    alpha.status = Project.Status.CONSTRUCTION
    saved_at(alpha, at(date(2026, 3, 21)))
    beta.name = "乙厂房项目"  # an edit that changes no status
    saved_at(beta, at(date(2026, 3, 5)))

    def milestone(sequence, name, baseline) -> Milestone:
        return saved_at(
            Milestone(project=alpha, sequence=sequence, name=name, baseline_date=baseline),
            at(BEFORE),
        )

    started = milestone(1, "开工", date(2026, 3, 3))
    started.actual_date = date(2026, 3, 5)
    saved_at(started, at(date(2026, 3, 5), 18))
    milestone(2, "桩基完成", date(2026, 3, 6))
    late_entry = milestone(3, "基础完成", date(2026, 3, 7))
    late_entry.actual_date = date(2026, 3, 7)
    saved_at(late_entry, at(date(2026, 3, 10)))  # reached in the week, entered after
    milestone(4, "主体封顶", date(2026, 3, 11))
    milestone(5, "设备进场", date(2026, 3, 20))

    def issue(title, raised, **fields) -> Issue:
        return saved_at(
            Issue(
                project=alpha,
                title=title,
                category=factories.issue_category(Issue.Category.MATERIAL_SUPPLY),
                raised_by=official,
                raised_at=at(raised),
                **fields,
            ),
            at(raised),
        )

    issue(
        "钢材到货延迟",
        date(2026, 3, 3),
        status=Issue.Status.ASSIGNED,
        department=department,
        deadline=date(2026, 3, 5),
    )
    closed = issue(
        "临时用电未接通",
        date(2026, 2, 20),
        status=Issue.Status.ASSIGNED,
        department=department,
        deadline=date(2026, 3, 10),
    )
    closed.status, closed.closed_at = Issue.Status.CLOSED, at(date(2026, 3, 6), 16)
    saved_at(closed, closed.closed_at)
    later = issue("工人宿舍不足", date(2026, 3, 4))
    later.status, later.closed_at = Issue.Status.CLOSED, at(date(2026, 3, 10))
    later.department, later.deadline = department, date(2026, 3, 9)
    saved_at(later, later.closed_at)

    saved_at(
        SiteVisit(
            project=alpha,
            visited_on=date(2026, 3, 4),
            notes="现场督查钢材供应\n详情",
            created_by=official,
        ),
        at(date(2026, 3, 4), 17),
    )

    def alert(kind, severity, first_seen, resolved=None, subject="") -> Alert:
        return Alert.objects.create(
            project=alpha,
            kind=kind,
            subject_key=subject,
            severity=severity,
            detail={},
            first_seen_at=at(first_seen, 1),
            last_seen_at=at(resolved or date(2026, 3, 21), 1),
            resolved_at=at(resolved, 1) if resolved else None,
        )

    alert(Alert.Kind.STALE, Alert.Severity.YELLOW, date(2026, 3, 3), resolved=date(2026, 3, 6))
    escalated = alert(Alert.Kind.SUSPENDED, Alert.Severity.RED, date(2026, 2, 15))
    AlertEscalation.objects.create(
        alert=escalated, step=AlertEscalation.Step.BRIEFING, escalated_at=at(date(2026, 3, 1), 1)
    )
    alert(Alert.Kind.INVESTMENT_BEHIND, Alert.Severity.YELLOW, date(2026, 3, 12))
    return {"alpha": alpha, "beta": beta}


def test_weekly_contents(week, django_assert_num_queries):
    with django_assert_num_queries(WEEKLY_QUERIES):
        snapshot = snapshot_build(kind=periods.WEEKLY, period=WEEK, as_of=AS_OF)

    assert snapshot["period"] == {"key": "2026-W10", "start": "2026-03-02", "end": "2026-03-08"}
    assert [
        (c["project"]["name"], c["from"], c["to"], c["at"]) for c in snapshot["status_changes"]
    ] == [("甲电芯项目", "preparation", "construction", "2026-03-04")]
    reached = [
        (m["milestone"], m["actual"], m["days_late"]) for m in snapshot["milestones_reached"]
    ]
    assert reached == [("开工", "2026-03-05", 2)]
    # The milestone reached on Saturday but entered on Tuesday is not known on Monday.
    missed = [(m["milestone"], m["days_late"]) for m in snapshot["milestones_missed"]]
    assert missed == [("桩基完成", 3), ("基础完成", 2)]
    assert [m["milestone"] for m in snapshot["next_week"]["milestones"]] == ["主体封顶"]
    assert snapshot["next_week"]["start"] == "2026-03-09"

    assert [i["title"] for i in snapshot["issues_raised"]] == ["钢材到货延迟", "工人宿舍不足"]
    assert [(i["title"], i["closed"], i["days_to_close"]) for i in snapshot["issues_closed"]] == [
        ("临时用电未接通", "2026-03-06", 14)
    ]
    overdue = snapshot["issues_overdue"]
    # Due Thursday 5 March; by Sunday the 8th one working day (Friday) is lost.
    assert [(i["title"], i["department"], i["workdays_overdue"]) for i in overdue] == [
        ("钢材到货延迟", "建设局", 1)
    ]
    assert snapshot["figures"]["issues_open"] == 2

    assert [a["kind"] for a in snapshot["alerts_new"]] == [Alert.Kind.STALE]
    assert [a["resolved"] for a in snapshot["alerts_resolved"]] == ["2026-03-06"]
    [escalated] = snapshot["escalated"]
    assert escalated["kind"] == Alert.Kind.SUSPENDED
    assert (escalated["responsible"], escalated["leader"]) == ("王专员", "姚主任")
    assert escalated["days_open"] == 22
    # The common rule at the moment the briefing is made, as every page shows it: 甲 red
    # (桩基完成 was due on 6 March and is not reached), 乙 not yet assessed (no plan, no
    # milestone, no warning).
    assert snapshot["light_counts"] == {"green": 0, "yellow": 0, "red": 1, "unassessed": 1}
    assert snapshot["visits"]["count"] == 1
    assert snapshot["visits"]["items"][0]["headline"] == "现场督查钢材供应"


def test_weekly_snapshot_as_of_a_later_moment_shows_late_entries_and_says_what_changed(week):
    first = snapshot_build(kind=periods.WEEKLY, period=WEEK, as_of=AS_OF)
    again = snapshot_build(kind=periods.WEEKLY, period=WEEK, as_of=AS_OF)
    assert snapshot_digest(first) == snapshot_digest(again)

    later = snapshot_build(kind=periods.WEEKLY, period=WEEK, as_of=at(date(2026, 3, 25)))
    assert [m["milestone"] for m in later["milestones_reached"]] == ["开工", "基础完成"]
    assert [m["milestone"] for m in later["milestones_missed"]] == ["桩基完成"]
    # What happened after the week stays out of the week's lists.
    assert later["status_changes"] == first["status_changes"]
    assert later["issues_closed"] == first["issues_closed"]

    changes = snapshot_changes(first, later)
    assert any("1 → 2" in change for change in changes), changes
    assert any("基础完成" in change for change in changes), changes
    assert len(changes) == 4  # reached 1 → 2, missed 2 → 1, one added, one removed


def test_a_period_of_the_other_kind_is_refused():
    with pytest.raises(periods.PeriodError):
        snapshot_build(kind=periods.MONTHLY, period=WEEK, as_of=AS_OF)


def test_weekly_html_shows_the_events(week):
    snapshot = snapshot_build(kind=periods.WEEKLY, period=WEEK, as_of=AS_OF)
    html = html_render(
        snapshot=snapshot,
        generated_at=AS_OF + timedelta(minutes=5),
        version=1,
        changes=[],
        preview=False,
    )
    for text in (
        "甲电芯项目",
        "钢材到货延迟",
        "临时用电未接通",
        "开工",
        "桩基完成",
        "主体封顶",
        "王专员",
    ):
        assert text in html
    assert "counter(pages)" in html


def test_weekly_lists_print_up_to_the_limit_and_say_how_many_more(week, settings):
    snapshot = snapshot_build(kind=periods.WEEKLY, period=WEEK, as_of=AS_OF)

    def rendered() -> str:
        return html_render(
            snapshot=snapshot,
            generated_at=AS_OF + timedelta(minutes=5),
            version=1,
            changes=[],
            preview=False,
        )

    settings.BRIEFING_LIST_ROWS = 1
    html = rendered()
    # Two issues raised and two milestones missed: the first of each is printed.
    assert "桩基完成" in html and "基础完成" not in html
    assert "工人宿舍不足" not in html
    assert html.count("另有 1 条未在此列出") == 2
    # The snapshot, which versions are compared by, keeps every row.
    assert [i["title"] for i in snapshot["issues_raised"]] == ["钢材到货延迟", "工人宿舍不足"]
    assert len(snapshot["milestones_missed"]) == 2

    settings.BRIEFING_LIST_ROWS = 0
    html = rendered()
    assert "基础完成" in html and "工人宿舍不足" in html
    assert "未在此列出" not in html
