"""序时进度 and the reporting period as published reports count them, on a small zone whose
every figure was worked out by hand, on four days, on every surface that shows them.

The zone (plans in 万元; thresholds: yellow from 10 points behind, red beyond 30):

- P1 续建 (started 2024): 2026 plan 12,000, 1,000 done in each month January–November
  2026; 2025 plan 10,000, 700 done in each month of 2025 (8,400).
- P2 新开工 (planned start 10 May 2026): plan 8,000 over its 8 active months May–December
  (1,000 a month); 1,500 done in June and 1,500 in August.
- P3 with a monthly plan (分月计划): 6,000, nothing January–June, 1,000 a month July–
  December; nothing done.
- P4 新开工 in December 2026: plan 5,000; nothing done.
- P5 imported with no plan and no milestones.

Milestones: P1 开工 planned 2024-05-01, done 2024-05-10, 竣工投产 planned 2027-06-30; P2
开工 planned 2026-05-10, done 2026-05-20, 竣工投产 planned 2027-12-31; P3 开工 planned
2024-01-01, done 2024-02-01, 竣工投产 planned 2026-12-20; P4 and P5 none (P4 is planned to
start on 1 December 2026).

Starts and stages (新开工 started in the year, 续建 started before it, 竣工投产 completing in
it, 前期 not started by the period's end):

- 30 June 2026 (1–5月, to 31 May): 计划开工 1 (P2, 10 May) / 已开工 1, 100.0 %; no 竣工投产
  due. 新开工 P2: 8,000 planned, 0 done; 续建 P1: 12,000, 5,000 (41.7 %); 竣工投产 P3
  (planned 20 December 2026): 6,000, 0; 前期 P4, P5: 5,000, 0.
- 31 December 2026 and 1 January 2027 (1–11月, to 30 November): 计划开工 1 / 已开工 1 (P4's
  1 December is after the period); no 竣工投产 due by 30 November. 新开工 P2: 8,000, 3,000
  (37.5 %); 续建 P1: 12,000, 11,000 (91.7 %); 竣工投产 P3: 6,000, 0; 前期 P4, P5: 5,000, 0.
- 6 February 2026 (2025年1–12月): no start or completion planned in 2025. 续建 P1 and P3
  (P3 completes in 2026, not 2025): 10,000, 8,400 (84.0 %); 前期 P2 (started after the
  period), P4, P5: no 2025 plans.

The reporting period is through the latest month whose figures were due (the 5th of the
next month), January being reported with February:

- 30 June 2026: 1–5月. P1 due 12,000 × 5/12 = 5,000, done 5,000: green. P2 due 1/8 ×
  8,000 = 1,000, done 0 (June is not in the period): 12.5 points behind, yellow. P3 due 0,
  P4 not started, P5 no plan: not assessed. Zone: due 6,000 of 31,000 = 19.4 %, done
  5,000 = 16.1 %.
- 31 December 2026, 23:59, and 1 January 2027: 1–11月 of 2026 (December's figures are due
  on 5 January). P1 due 11,000, done 11,000: green. P2 due 7/8 × 8,000 = 7,000, done
  3,000: 50 points behind, red. P3 due July–November = 5,000 (83.3 %), done 0: red. P4
  (first month December) and P5: not assessed. Zone: due 23,000 of 31,000 = 74.2 %,
  done 14,000 = 45.2 %.
- 6 February 2026: 2025年1–12月 (1–2月 are due on 5 March). Only P1 has a 2025 plan: due
  10,000, done 8,400, 16 points behind: yellow. Zone: 10,000 due of 10,000 = 100.0 %,
  done 84.0 %.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest

from projects import progress, selectors
from projects.models import AnnualPlan, Project
from reports.briefings.snapshot import snapshot_build
from reports.periods import MONTHLY, containing
from tests import factories
from tests.clock import ZONE
from tests.hitech_zone.test_api import bearer, get

pytestmark = pytest.mark.django_db

D = Decimal


def build_zone(owner) -> dict[str, Project]:
    def project(code, planned_start, status=Project.Status.CONSTRUCTION):
        made = factories.ProjectFactory(code=code, planned_start=planned_start, status=status)
        made.managers.add(owner)
        return made

    p1 = project("P1", date(2024, 5, 1))
    p2 = project("P2", date(2026, 5, 10))
    p3 = project("P3", date(2024, 1, 1))
    p4 = project("P4", date(2026, 12, 1), Project.Status.PREPARATION)
    p5 = project("P5", None, Project.Status.PIPELINE)
    factories.AnnualPlanFactory(project=p1, year=2026, planned_investment=D("12000"))
    factories.AnnualPlanFactory(project=p1, year=2025, planned_investment=D("10000"))
    for month in range(1, 13):
        factories.MonthlyInvestmentFactory(
            project=p1, year=2025, month=month, completed_amount=D("700")
        )
    for month in range(1, 12):
        factories.MonthlyInvestmentFactory(
            project=p1, year=2026, month=month, completed_amount=D("1000")
        )
    factories.AnnualPlanFactory(project=p2, year=2026, planned_investment=D("8000"))
    for month in (6, 8):
        factories.MonthlyInvestmentFactory(
            project=p2, year=2026, month=month, completed_amount=D("1500")
        )
    AnnualPlan.objects.create(
        project=p3,
        year=2026,
        planned_investment=D("6000"),
        **{f"planned_month_{m}": D(0) if m <= 6 else D("1000") for m in range(1, 13)},
    )
    factories.AnnualPlanFactory(project=p4, year=2026, planned_investment=D("5000"))
    for made, sequence, name, baseline, actual in [
        (p1, 1, "开工", date(2024, 5, 1), date(2024, 5, 10)),
        (p1, 2, "竣工投产", date(2027, 6, 30), None),
        (p2, 1, "开工", date(2026, 5, 10), date(2026, 5, 20)),
        (p2, 2, "竣工投产", date(2027, 12, 31), None),
        (p3, 1, "开工", date(2024, 1, 1), date(2024, 2, 1)),
        (p3, 2, "竣工投产", date(2026, 12, 20), None),
    ]:
        factories.MilestoneFactory(
            project=made, sequence=sequence, name=name, baseline_date=baseline, actual_date=actual
        )
    return {p.code: p for p in (p1, p2, p3, p4, p5)}


# day -> (period, zone plan, due, done, 序时 %, done %, lights by project)
EXPECTED = {
    datetime(2026, 6, 30, 10, tzinfo=ZONE): (
        (2026, 5),
        "31000.00",
        "6000.00",
        "5000.00",
        "19.4",
        "16.1",
        {"P1": "green", "P2": "yellow", "P3": "unassessed", "P4": "unassessed", "P5": "unassessed"},
    ),
    datetime(2026, 12, 31, 23, 59, tzinfo=ZONE): (
        (2026, 11),
        "31000.00",
        "23000.00",
        "14000.00",
        "74.2",
        "45.2",
        {"P1": "green", "P2": "red", "P3": "red", "P4": "unassessed", "P5": "unassessed"},
    ),
    datetime(2027, 1, 1, 0, 0, tzinfo=ZONE): (
        (2026, 11),
        "31000.00",
        "23000.00",
        "14000.00",
        "74.2",
        "45.2",
        {"P1": "green", "P2": "red", "P3": "red", "P4": "unassessed", "P5": "unassessed"},
    ),
    datetime(2026, 2, 6, 10, tzinfo=ZONE): (
        (2025, 12),
        "10000.00",
        "10000.00",
        "8400.00",
        "100.0",
        "84.0",
        {
            "P1": "yellow",
            "P2": "unassessed",
            "P3": "unassessed",
            "P4": "unassessed",
            "P5": "unassessed",
        },
    ),
}


@pytest.fixture(params=list(EXPECTED), ids=lambda moment: moment.strftime("%Y-%m-%dT%H%M"))
def moment(request, time_machine):
    time_machine.move_to(request.param, tick=False)
    return request.param


@pytest.fixture
def zone(official, moment):
    return build_zone(official)


def test_selectors_count_the_period_and_time_progress(official, moment, zone):
    period, plan, due, done, pace, share, expected_lights = EXPECTED[moment]
    summary = selectors.zone_summary(user=official, as_of=moment.date())
    assert (summary.period.year, summary.period.month) == period
    assert (summary.annual_plan, summary.due_ytd, summary.completed_ytd) == (
        D(plan),
        D(due),
        D(done),
    )
    assert summary.time_progress_percent == D(pace)
    assert summary.plan_percent_completed == D(share)
    lights = {
        p.code: p.light.value for p in selectors.project_list(user=official, as_of=moment.date())
    }
    assert lights == expected_lights


def test_the_dashboard_and_register_show_the_same(client, official, moment, zone):
    period, _plan, _due, _done, pace, _share, expected_lights = EXPECTED[moment]
    client.force_login(official)
    body = client.get("/").content.decode()
    label = f"{period[0]}年1–{period[1]}月"
    assert label in body
    assert f"序时进度 {pace}%" in body
    for light in ("green", "yellow", "red", "unassessed"):
        count = list(expected_lights.values()).count(light)
        assert f'data-testid="light-{light}">{count}<' in body, light
    for code, light in expected_lights.items():
        register = client.get(f"/projects/?light={light}").content.decode()
        assert f">{code}<" in register, (code, light)
        assert label in register
        page = client.get(f"/projects/{code}/").content.decode()
        assert f"light-badge light-{light}" in page, (code, light)
        # No nightly run yet: a warning light does not sit beside "nothing found".
        assert ('data-testid="alerts-pending"' in page) == (light in ("red", "yellow")), code


def test_the_api_answers_the_same(client, official, moment, zone):
    period, plan, due, done, pace, _share, expected_lights = EXPECTED[moment]
    headers = bearer(official)
    summary = get(client, "/summary", headers=headers).json()
    assert (summary["period"]["year"], summary["period"]["month"]) == period
    assert (summary["annual_plan"], summary["due_by_now"], summary["completed_ytd"]) == (
        plan,
        due,
        done,
    )
    assert summary["time_progress_percent"] == pace
    projects = get(client, "/projects", headers=headers, page_size=50).json()["items"]
    assert {p["code"]: p["light"] for p in projects} == expected_lights


def test_the_monthly_briefing_counts_the_same(official, moment, zone):
    """The monthly briefing of the period's month, made at this moment."""
    period, plan, due, done, pace, _share, expected_lights = EXPECTED[moment]
    briefing_period = containing(MONTHLY, date(period[0], period[1], 1))
    snapshot = snapshot_build(kind=MONTHLY, period=briefing_period, as_of=moment)
    summary = snapshot["summary"]
    assert (summary["annual_plan"], summary["due_by_period_end"], summary["completed_ytd"]) == (
        plan,
        due,
        done,
    )
    assert summary["elapsed_percent"] == pace
    assert summary["period_label"] == f"{period[0]}年1–{period[1]}月"
    # The same light as every page at the same moment (no nightly run has happened).
    assert {row["code"]: row["light"] for row in snapshot["projects"]} == expected_lights
    assert snapshot["light_counts"] == {
        light: list(expected_lights.values()).count(light)
        for light in ("green", "yellow", "red", "unassessed")
    }


@pytest.mark.parametrize(
    ("day", "period"),
    [
        # The deadline day itself still shows the month before; the day after, the new one.
        (date(2026, 11, 5), (2026, 9)),
        (date(2026, 11, 6), (2026, 10)),
        # 5 December 2026 is a Saturday: November's figures are due on Monday the 7th.
        (date(2026, 12, 2), (2026, 10)),
        (date(2026, 12, 6), (2026, 10)),
        (date(2026, 12, 7), (2026, 10)),
        (date(2026, 12, 8), (2026, 11)),
        # 5 October 2026 falls in the National Day holiday (1–7 October): September's
        # figures are due on Thursday the 8th.
        (date(2026, 10, 8), (2026, 8)),
        (date(2026, 10, 9), (2026, 9)),
        (date(2027, 1, 1), (2026, 11)),
        (date(2027, 1, 6), (2026, 12)),
        # January is reported with February: last year's whole year until 5 March.
        (date(2027, 2, 6), (2026, 12)),
        (date(2027, 3, 5), (2026, 12)),
        (date(2027, 3, 6), (2027, 2)),
        (date(2028, 2, 29), (2027, 12)),
        (date(2026, 6, 30), (2026, 5)),
        (date(2026, 12, 31), (2026, 11)),
    ],
)
def test_the_reporting_period_of_a_day(day, period):
    found = progress.reporting_period(day)
    assert (found.year, found.month) == period


def test_january_alone_when_the_setting_says_so(settings):
    """With January reported on its own, 6 February shows 2027年1月 (share 1/12)."""
    settings.REPORTING_JANUARY_WITH_FEBRUARY = False
    found = progress.reporting_period(date(2027, 2, 6))
    assert (found.year, found.month) == (2027, 1)
    assert progress.even_share(found, None) == Decimal("0.083333333333")


def test_a_later_deadline_day_moves_the_period(settings):
    settings.REPORTING_DEADLINE_DAY = 10
    assert progress.reporting_period(date(2026, 12, 9)).month == 10
    assert progress.reporting_period(date(2026, 12, 11)).month == 11


@pytest.mark.parametrize(
    ("planned_start", "month", "share"),
    [
        # Continuing: N/12. 10/12 = 0.833333333333 (twelve places, rounded half-even).
        (None, 10, "0.833333333333"),
        (date(2024, 5, 1), 12, "1"),
        # A new start in May is active May–December (8 months): June is 2/8.
        (date(2026, 5, 10), 6, "0.25"),
        (date(2026, 5, 10), 4, "0"),
        # Starting after the year: nothing due in it.
        (date(2027, 1, 1), 12, "0"),
    ],
)
def test_the_even_share(planned_start, month, share):
    assert progress.even_share(progress.through(2026, month), planned_start) == Decimal(share)


def test_a_monthly_plan_must_have_every_month_and_add_up():
    from django.core.exceptions import ValidationError

    project = factories.ProjectFactory()
    plan = AnnualPlan(
        project=project, year=2026, planned_investment=D("1200"), planned_month_1=D("100")
    )
    with pytest.raises(ValidationError, match="十二个月|all twelve"):
        plan.clean()
    for month in range(1, 13):
        setattr(plan, f"planned_month_{month}", D("90"))
    with pytest.raises(ValidationError, match="1080"):
        plan.clean()
    for month in range(1, 13):
        setattr(plan, f"planned_month_{month}", D("100"))
    plan.clean()


# day -> (计划开工, 已开工, 开工率, 计划竣工投产, 已竣工投产, {stage: (projects, plan, done, %)})
STARTS = {
    datetime(2026, 6, 30, 10, tzinfo=ZONE): (
        1,
        1,
        "100.0",
        0,
        0,
        {
            "new": (1, "8000.00", "0.00", "0.0"),
            "continuing": (1, "12000.00", "5000.00", "41.7"),
            "completing": (1, "6000.00", "0.00", "0.0"),
            "preparatory": (2, "5000.00", "0.00", "0.0"),
        },
    ),
    datetime(2026, 12, 31, 23, 59, tzinfo=ZONE): (
        1,
        1,
        "100.0",
        0,
        0,
        {
            "new": (1, "8000.00", "3000.00", "37.5"),
            "continuing": (1, "12000.00", "11000.00", "91.7"),
            "completing": (1, "6000.00", "0.00", "0.0"),
            "preparatory": (2, "5000.00", "0.00", "0.0"),
        },
    ),
    datetime(2026, 2, 6, 10, tzinfo=ZONE): (
        0,
        0,
        None,
        0,
        0,
        {
            "new": (0, "0.00", "0.00", None),
            "continuing": (2, "10000.00", "8400.00", "84.0"),
            "completing": (0, "0.00", "0.00", None),
            "preparatory": (3, "0.00", "0.00", None),
        },
    ),
}
STARTS[datetime(2027, 1, 1, 0, 0, tzinfo=ZONE)] = STARTS[
    datetime(2026, 12, 31, 23, 59, tzinfo=ZONE)
]


def test_starts_and_stages_on_the_dashboard(client, official, moment, zone):
    from reports.selectors import dashboard

    planned, done, rate, c_planned, c_done, stages = STARTS[moment]
    starts = dashboard(user=official, as_of=moment.date()).starts
    assert (starts.starts.planned, starts.starts.done) == (planned, done)
    assert starts.starts.percent == (None if rate is None else D(rate))
    assert (starts.completions.planned, starts.completions.done) == (c_planned, c_done)
    assert {
        row.stage.value: (
            row.project_count,
            str(row.annual_plan),
            str(row.completed_ytd),
            None if row.percent_of_plan is None else str(row.percent_of_plan),
        )
        for row in starts.stages
    } == stages
    client.force_login(official)
    body = client.get("/").content.decode()
    assert f"计划开工 {planned} / 已开工 {done}" in body


def test_starts_and_stages_in_the_monthly_briefing(official, moment, zone):
    planned, done, rate, c_planned, c_done, stages = STARTS[moment]
    period = EXPECTED[moment][0]
    snapshot = snapshot_build(
        kind=MONTHLY, period=containing(MONTHLY, date(period[0], period[1], 1)), as_of=moment
    )
    physical = snapshot["physical"]
    assert physical["starts"] == {"planned": planned, "done": done, "percent": rate}
    assert (physical["completions"]["planned"], physical["completions"]["done"]) == (
        c_planned,
        c_done,
    )
    assert {
        row["stage"]: (
            row["project_count"],
            row["annual_plan"],
            row["completed_ytd"],
            row["plan_percent"],
        )
        for row in physical["stages"]
    } == stages
    # 已开工 counts the 开工 milestones done by the period's end: P1, P3 (and P2 from May).
    assert physical["started"] == (2 if period == (2025, 12) else 3)


@pytest.mark.parametrize(
    ("baseline", "forecast", "actual", "light"),
    [
        # On 18 November 2026; red beyond 30 days of forecast slip.
        (date(2026, 11, 10), None, None, "red"),  # baseline passed, not reached
        (date(2026, 12, 1), date(2026, 12, 20), None, "yellow"),  # 19 days late
        (date(2026, 12, 1), date(2027, 1, 5), None, "red"),  # 35 days late
        (date(2026, 12, 1), date(2026, 12, 31), None, "yellow"),  # 30 days: not beyond
        (date(2026, 12, 1), None, None, None),
        (date(2026, 11, 10), None, date(2026, 11, 12), None),  # reached
    ],
)
def test_one_milestones_light_is_the_schedule_rule(baseline, forecast, actual, light):
    from projects.lights import milestone_light
    from projects.models import Milestone

    milestone = Milestone(baseline_date=baseline, forecast_date=forecast, actual_date=actual)
    found = milestone_light(milestone, date(2026, 11, 18))
    assert (found.value if found else None) == light


def test_the_year_on_show_can_be_switched(client, official, time_machine):
    """On 31 December 2026 the dashboard shows 2026年1–11月; ?year=2025 shows 2025's whole
    year: P1's 8,400 done of 10,000 due (84.0 % against 序时进度 100.0 %). A year not
    yet reported falls back to the current one."""
    time_machine.move_to(datetime(2026, 12, 31, 23, 59, tzinfo=ZONE), tick=False)
    build_zone(official)
    client.force_login(official)
    current = client.get("/").content.decode()
    assert "2026年1–11月" in current and 'href="?year=2025"' in current
    last_year = client.get("/?year=2025").content.decode()
    assert "2025年1–12月" in last_year
    assert "序时进度 100.0%" in last_year and "84.0%" in last_year
    assert "2026年1–11月" in client.get("/?year=2031").content.decode()
    assert "2026年1–11月" in client.get("/?year=abc").content.decode()


def test_one_rounding_rule_half_up_and_a_note_when_rows_do_not_add_up(client, official):
    """Two parks of 12.65 亿 and 0.05 亿 completed (126,500 and 500 万元): each prints
    rounded half-up, 12.7 and 0.1 (not 12.6 and 0.0 as half-even would), 12.8 together,
    while the total 12.70 prints 12.7: the table says its rows are rounded apart. The
    chart beside it prints 12.7 too."""
    from hitech_zone.money import round_half_up, rounding_shows
    from reports.charts import parks_chart

    assert round_half_up(D("12.65"), 1) == D("12.7")
    assert rounding_shows([D("126500"), D("500")], D("127000")) is True
    assert rounding_shows([D("126000"), D("1000")], D("127000")) is False
    chart = parks_chart([("北园", D("200000"), D("126500"))])
    assert "12.7" in str(chart.__dict__) and "12.6" not in str(chart.__dict__)
    for park, done in (("北园", "126500"), ("南园", "500")):
        made = factories.ProjectFactory(park=factories.ParkFactory(name=park))
        made.managers.add(official)
        factories.AnnualPlanFactory(project=made, year=2026, planned_investment=D("200000"))
        factories.MonthlyInvestmentFactory(
            project=made, year=2026, month=1, completed_amount=D(done)
        )
    client.force_login(official)
    body = client.get("/").content.decode()
    assert 'data-testid="rounding-note"' in body
