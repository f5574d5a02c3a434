"""The weekly briefing (周调度) as a leader reads it: the investment strip of the reporting
period when it is made, new warnings one row per project, the most pressing first, issues
overdue in working days at the data cut-off, and every list as of the week's end.

The week is 2026-W40, Monday 28 September to Sunday 4 October 2026, around the holidays:
中秋 25–27 September (Fri–Sun), 国庆 1–8 October less the working Sunday 20 September and
Saturday 10 October (the chinesecalendar package). The briefing is made on Thursday
8 October at 09:00, the first working day after the holiday; its data cut-off is Sunday
4 October. The reporting period then is 2026年1–9月 (September's figures were due on the 5th).
"""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inspections.models import Issue
from projects.models import AnnualPlan, Milestone, MonthlyInvestment, Project
from reports import periods
from reports.briefings import html_render, snapshot_build, wording
from reports.briefings.render import _context
from reports.models import Alert
from tests import factories
from tests.clock import clock_pinned_to

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

pinned_clock = clock_pinned_to("2026-10-08T09:00:00")

WEEK = periods.parse(periods.WEEKLY, "2026-W40")


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def saved_at(obj, moment: datetime):
    """Save with its history record dated `moment`, as if the edit had been made then."""
    obj._history_date = moment
    obj.save()
    return obj


@pytest.fixture
def zone():
    """Three projects, built so that their lights on 8 October are, by the common rule:
    甲 red (suspended on 7 October, after the week), 乙 yellow (an issue due 30 September
    is one working day overdue on the 8th; its investment is 5 points behind, within the
    10 allowed), 丙 not yet assessed (no plan, nothing open against it on the 8th)."""
    official = factories.UserFactory(username="wk-official", full_name="王专员")
    park, sector = factories.ParkFactory(), factories.SectorFactory()
    department = factories.DepartmentFactory(name="建设局")
    february = at(date(2026, 2, 1))

    def project(code, name, planned_start) -> Project:
        return saved_at(
            Project(
                code=code,
                name=name,
                company="测试公司",
                park=park,
                sector=sector,
                total_investment=Decimal("100000"),
                status=Project.Status.CONSTRUCTION,
                planned_start=planned_start,
                responsible_person=official,
            ),
            february,
        )

    alpha = project("WK-A", "甲电芯项目", date(2025, 3, 1))
    beta = project("WK-B", "乙厂房项目", date(2026, 5, 10))
    gamma = project("WK-C", "丙研发中心", date(2025, 6, 1))
    alpha.status = Project.Status.SUSPENDED
    saved_at(alpha, at(date(2026, 10, 7)))

    for subject, year, amount in ((alpha, 2026, "12000"), (beta, 2026, "8000")):
        saved_at(
            AnnualPlan(project=subject, year=year, planned_investment=Decimal(amount)), february
        )
    # Last year's plan and figures count for nothing in 2026.
    saved_at(AnnualPlan(project=alpha, year=2025, planned_investment=Decimal("50000")), february)
    for subject, year, month, amount in (
        (alpha, 2026, 3, "4000"),
        (alpha, 2026, 9, "3000"),
        (beta, 2026, 6, "2000"),
        (beta, 2026, 8, "2600"),
        (alpha, 2025, 12, "9999"),
    ):
        saved_at(
            MonthlyInvestment(
                project=subject, year=year, month=month, completed_amount=Decimal(amount)
            ),
            at(date(2026, 10, 6)),
        )

    def milestone(subject, name, baseline) -> Milestone:
        return saved_at(
            Milestone(project=subject, sequence=1, name=name, baseline_date=baseline), february
        )

    milestone(beta, "主体封顶", date(2026, 10, 9))
    milestone(alpha, "设备进场", date(2026, 10, 10))

    def issue(subject, title, deadline, **changes) -> Issue:
        raised = at(date(2026, 9, 10))
        made = saved_at(
            Issue(
                project=subject,
                title=title,
                category=factories.issue_category(Issue.Category.MATERIAL_SUPPLY),
                raised_by=official,
                raised_at=raised,
                status=Issue.Status.ASSIGNED,
                department=department,
                deadline=deadline,
            ),
            raised,
        )
        if changes:
            moment = changes.pop("moment")
            for field, value in changes.items():
                setattr(made, field, value)
            saved_at(made, moment)
        return made

    issue(alpha, "钢材到货延迟", date(2026, 9, 29))
    issue(beta, "临时用电未接通", date(2026, 9, 30))
    # Closed on 6 October, after the week: open, and overdue, in the week's briefing.
    closed = at(date(2026, 10, 6))
    issue(
        beta,
        "工人宿舍不足",
        date(2026, 9, 19),
        status=Issue.Status.CLOSED,
        closed_at=closed,
        moment=closed,
    )
    issue(
        gamma,
        "环评批复未下达",
        date(2026, 9, 25),
        status=Issue.Status.RESOLVED,
        moment=at(date(2026, 10, 7)),
    )
    issue(gamma, "施工许可办理", date(2026, 10, 2))

    def alert(subject, kind, severity, first_seen, resolved=None) -> Alert:
        return Alert.objects.create(
            project=subject,
            kind=kind,
            severity=severity,
            detail={},
            first_seen_at=at(first_seen, 1),
            last_seen_at=at(resolved or date(2026, 10, 8), 1),
            resolved_at=at(resolved, 1) if resolved else None,
        )

    alert(alpha, Alert.Kind.STALE, Alert.Severity.YELLOW, date(2026, 9, 28), date(2026, 10, 3))
    alert(beta, Alert.Kind.ISSUE_OVERDUE, Alert.Severity.YELLOW, date(2026, 9, 29))
    alert(beta, Alert.Kind.INVESTMENT_BEHIND, Alert.Severity.YELLOW, date(2026, 9, 30))
    alert(gamma, Alert.Kind.MILESTONE_OVERDUE, Alert.Severity.RED, date(2026, 10, 2))
    # After the cut-off: not new in this week.
    alert(gamma, Alert.Kind.FORECAST_LATE, Alert.Severity.YELLOW, date(2026, 10, 6))
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


@pytest.fixture
def snapshot(zone) -> dict:
    return snapshot_build(kind=periods.WEEKLY, period=WEEK, as_of=timezone.now())


def rendered(snapshot: dict) -> str:
    return html_render(
        snapshot=snapshot,
        generated_at=timezone.now() + timedelta(minutes=1),
        version=1,
        changes=[],
        preview=False,
    )


def test_lights_when_made_and_statuses_at_the_cut(snapshot):
    states = snapshot["project_states"]
    assert {code: state["light"] for code, state in states.items()} == {
        "WK-A": "red",
        "WK-B": "yellow",
        "WK-C": "unassessed",
    }
    # 甲 was suspended on 7 October: under construction at the week's end.
    assert states["WK-A"]["status"] == Project.Status.CONSTRUCTION
    assert snapshot["status_changes"] == []


def test_the_investment_strip_on_hand_computed_figures(snapshot):
    """1–8月 of 2026 on 8 October: September's figures are due that very day (the 5th fell
    in the National Day holiday, 1–7 October), so they do not count yet:

    - 甲, continuing, plans 12,000 万元 spread over 12 months: due 12,000 × 8/12 = 8,000;
      done 4,000 (Mar); its Sep 3,000 waits for the period, its 2025 figures never count.
    - 乙, a new start planned for 10 May, 8,000 over May–December (8 months): due
      8,000 × 4/8 = 4,000; done 2,000 (Jun) + 2,600 (Aug) = 4,600.
    - 丙 has no plan for 2026: nothing planned, nothing due.

    Zone: plan 20,000, done 8,600 = 43.0 % of it; due 12,000, so 序时进度 60.0 %;
    43.0 − 60.0 = 17.0 points behind. In 亿元: 0.9 done (0.86, half up), 2.0 planned."""
    assert snapshot["investment"] == {
        "period": {"year": 2026, "month": 8},
        "annual_plan": "20000.00",
        "completed_ytd": "8600.00",
        "due_ytd": "12000.00",
        "plan_percent": "43.0",
        "time_progress_percent": "60.0",
        "points_vs_pace": "-17.0",
    }
    html = rendered(snapshot)
    strip = html[html.index('id="investment"') : html.index('data-testid="figures"')]
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", strip))
    assert "2026年1–8月" in words
    # Completed, planned, 序时进度 and the gap, in that order.
    assert re.search(r"0\.9 亿元 .* 2\.0 亿元 .* 60\.0% .* 17\.0 ", words), words


def test_working_days_overdue_at_the_cut_off_across_the_holidays(snapshot):
    """At Sunday 4 October, in working days after the due day:

    - due Sat 19 Sep, a day off: due on the working Sunday 20 Sep; then 21–24 and 28–30
      Sep: 7 (15 calendar days);
    - due Fri 25 Sep, 中秋: due Mon 28 Sep; then 29, 30 Sep: 2 (9 calendar days) — but it
      was resolved on 7 October, after the week: at the cut it still waited on its
      department, so it is listed;
    - due Tue 29 Sep: 30 Sep: 1;
    - due Wed 30 Sep: overdue, with no working day lost yet (1–4 Oct are 国庆): 0;
    - due Fri 2 Oct, 国庆: due Thu 8 Oct, not overdue at the cut."""
    overdue = {i["title"]: i["workdays_overdue"] for i in snapshot["issues_overdue"]}
    assert overdue == {
        "工人宿舍不足": 7,
        "环评批复未下达": 2,
        "钢材到货延迟": 1,
        "临时用电未接通": 0,
    }


def test_a_week_not_over_is_cut_off_on_the_day_the_briefing_is_made(zone):
    """The week of 5–11 October made on Thursday the 8th counts to the 8th, not to the
    week's end: due 30 Sep is 1 working day overdue (the 8th), not 3 (8, 9 and the
    working Saturday 10th); due 29 Sep, 2. Due 2 Oct (holiday) is due on the 8th itself:
    not overdue yet. The issue closed on the 6th is closed this week, and the one resolved
    on the 7th no longer waits on its department."""
    snapshot = snapshot_build(
        kind=periods.WEEKLY,
        period=periods.parse(periods.WEEKLY, "2026-W41"),
        as_of=timezone.now(),
    )
    overdue = {i["title"]: i["workdays_overdue"] for i in snapshot["issues_overdue"]}
    assert overdue == {"钢材到货延迟": 2, "临时用电未接通": 1}
    assert [i["title"] for i in snapshot["issues_closed"]] == ["工人宿舍不足"]


def test_an_issue_closed_after_the_week_shows_open_in_it(snapshot):
    [late] = [i for i in snapshot["issues_overdue"] if i["title"] == "工人宿舍不足"]
    assert (late["status"], late["closed"]) == (Issue.Status.ASSIGNED, None)
    [resolved] = [i for i in snapshot["issues_overdue"] if i["title"] == "环评批复未下达"]
    assert resolved["status"] == Issue.Status.ASSIGNED
    assert snapshot["issues_closed"] == []
    # Open at the week's end: all five (none closed by Sunday).
    assert snapshot["figures"]["issues_open"] == 5


def test_overdue_issues_most_pressing_first(snapshot):
    """Worst light first, then the most working days overdue: 甲's (red) 1 day before
    乙's (yellow) 7 and 0, and 丙's (not yet assessed) 2 last."""
    assert [(i["project"]["code"], i["workdays_overdue"]) for i in snapshot["issues_overdue"]] == [
        ("WK-A", 1),
        ("WK-B", 7),
        ("WK-B", 0),
        ("WK-C", 2),
    ]


def test_new_warnings_one_row_per_project_worst_first(snapshot):
    """丙 has a red alert: first. 甲 and 乙 only yellow ones: 甲's light (red) before
    乙's (yellow), though 乙 has two. 丙's alert of 6 October came after the cut-off."""
    assert [(a["project"]["code"], a["kind"]) for a in snapshot["alerts_new"]] == [
        ("WK-C", Alert.Kind.MILESTONE_OVERDUE),
        ("WK-A", Alert.Kind.STALE),
        ("WK-B", Alert.Kind.ISSUE_OVERDUE),
        ("WK-B", Alert.Kind.INVESTMENT_BEHIND),
    ]
    figures = snapshot["figures"]
    assert (figures["alerts_new"], figures["alerts_new_projects"], figures["alerts_new_red"]) == (
        4,
        3,
        1,
    )

    context = _context(
        snapshot=snapshot, generated_at=timezone.now(), version=1, changes=[], preview=False
    )
    rows = context["s"]["warnings_new"]
    assert [(r["project"]["code"], r["light"], r["count"]) for r in rows] == [
        ("WK-C", "unassessed", 1),
        ("WK-A", "red", 1),
        ("WK-B", "yellow", 2),
    ]
    # The alerts here carry no facts: each says its kind, red first, then the earliest.
    assert rows[2]["texts"] == [
        wording.alert_kind_label(Alert.Kind.ISSUE_OVERDUE),
        wording.alert_kind_label(Alert.Kind.INVESTMENT_BEHIND),
    ]
    assert [r["project"]["code"] for r in context["s"]["warnings_cleared"]] == ["WK-A"]

    html = rendered(snapshot)
    table = html[html.index('id="warnings"') : html.index('id="next-week"')]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    project_rows = re.findall(r"<tr[ >].*?</tr>", body, re.S)
    assert len(project_rows) == 3
    assert "乙厂房项目" in project_rows[2] and project_rows[2].count('class="signal"') == 2
    # Counts say what they count: the card's 4 are alerts, with their unit, on 3 projects.
    card = html[html.index('data-testid="alerts-new"') :]
    card = card[: card.index("</div>", card.index('class="sub"'))]
    assert re.match(r'data-testid="alerts-new">4<span class="unit">', card)
    assert re.search(r'class="sub">\D*3\D', card)


def test_next_week_milestones_worst_light_first(snapshot):
    assert [(m["project"]["code"], m["baseline"]) for m in snapshot["next_week"]["milestones"]] == [
        ("WK-A", "2026-10-10"),
        ("WK-B", "2026-10-09"),
    ]


def test_the_cut_lists_print_the_most_pressing_rows(snapshot, settings):
    settings.BRIEFING_LIST_ROWS = 1
    html = rendered(snapshot)
    issues = html[html.index('id="issues"') :]
    overdue = issues[: issues.index("</table>")]
    assert "钢材到货延迟" in overdue and "工人宿舍不足" not in overdue
    warnings = html[html.index('id="warnings"') : html.index('id="next-week"')]
    assert "丙研发中心" in warnings and "乙厂房项目" not in warnings
    # Three project rows of new warnings: two not printed.
    assert "另有 2 条未在此列出" in warnings


def test_an_old_snapshot_without_the_new_keys_still_renders(snapshot):
    old = {
        key: value
        for key, value in snapshot.items()
        if key not in ("investment", "project_states", "decisions")
    }
    old["figures"] = {
        k: v
        for k, v in snapshot["figures"].items()
        if k not in ("alerts_new_projects", "milestones_next_week")
    }
    old["issues_overdue"] = [
        {
            **{k: v for k, v in i.items() if k != "workdays_overdue"},
            "days_overdue": 9,
        }
        for i in snapshot["issues_overdue"]
    ]
    html = rendered(old)
    assert 'id="investment"' not in html
    assert "丙研发中心" in html
    assert "超期天数" in html
