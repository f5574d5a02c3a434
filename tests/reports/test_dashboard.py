from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import progress, selectors
from projects.models import Project
from tests import factories

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]


def add_projects(count: int, year: int, managers=()) -> None:
    for _ in range(count):
        project = factories.ProjectFactory(total_investment=Decimal("10000"))
        project.managers.add(*managers)
        factories.AnnualPlanFactory(project=project, year=year, planned_investment=Decimal("3000"))
        for month in (1, 2):
            factories.MonthlyInvestmentFactory(
                project=project, year=year, month=month, completed_amount=Decimal("250.50")
            )


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role_fixture", ["official", "manager"])
def test_the_first_page_runs_a_fixed_number_of_queries(client, request, role_fixture, today):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    add_projects(2, today.year, managers=[user])
    few = dashboard_queries(client)
    add_projects(25, today.year, managers=[user])
    many = dashboard_queries(client)
    assert few == many, f"{few} queries for 2 projects, {many} for 27"


def test_zone_summary_sums_exactly(official):
    """Three continuing projects, each with a plan of 3,000 and 250.50 in each of January
    and February. On 6 March the 1–2月 figures are due (the 5th has passed): the period
    is 1–2月 and 序时进度 is 2/12 of the plans, 9,000 × 2 / 12 = 1,500 (16.7 %); done is
    3 × 501 = 1,503, 1,503 / 9,000 = 16.7 %."""
    add_projects(3, 2026)
    summary = selectors.zone_summary(user=official, as_of=date(2026, 3, 6))
    assert (summary.period.year, summary.period.month) == (2026, 2)
    assert summary.project_count == 3
    assert summary.total_investment == Decimal("30000")
    assert summary.annual_plan == Decimal("9000")
    assert summary.completed_ytd == Decimal("1503.00")
    assert summary.due_by_now == Decimal("1500.00")
    assert summary.time_progress_percent == Decimal("16.7")
    assert summary.plan_percent_completed == Decimal("16.7")


def test_until_the_first_months_are_due_the_summary_is_last_years(official):
    """January is reported with February; until the 1–2月 figures are due on 5 March the
    period is last year's whole year, 2025年1–12月, which has no plans here."""
    add_projects(3, 2026)
    for day in (date(2026, 2, 28), date(2026, 3, 5)):
        summary = selectors.zone_summary(user=official, as_of=day)
        assert (summary.period.year, summary.period.month) == (2025, 12)
        assert (summary.annual_plan, summary.completed_ytd) == (Decimal("0"), Decimal("0"))


def test_summary_counts_only_months_of_the_period(official):
    """A March figure (1,000) entered early does not count until March's deadline has
    passed. 5 April 2026 is a Sunday and 6 April the 清明 holiday, so it is due on Tuesday
    7 April: 501.00 through 1–2月 on the 7th, 1,501.00 through 1–3月 on the 8th."""
    add_projects(1, 2026)
    project = Project.objects.get()
    factories.MonthlyInvestmentFactory(
        project=project, year=2026, month=3, completed_amount=Decimal("1000")
    )
    on_deadline = selectors.zone_summary(user=official, as_of=date(2026, 4, 7))
    day_after = selectors.zone_summary(user=official, as_of=date(2026, 4, 8))
    assert on_deadline.completed_ytd == Decimal("501.00")
    assert day_after.completed_ytd == Decimal("1501.00")


def test_the_first_page_shows_totals_in_yi_yuan(client, official, today):
    factories.ProjectFactory(total_investment=Decimal("1525000"))
    client.force_login(official)
    body = client.get("/").content.decode()
    assert "152.5 亿元" in body


def test_zone_targets_show_only_beside_the_whole_zone(
    client, official, manager, own_project, today
):
    from projects.models import ZoneTarget

    ZoneTarget.objects.create(
        year=progress.reporting_period(today).year,
        project_count=28,
        total_investment=Decimal("1525000"),
        planned_investment=Decimal("500000"),
        industrial_ensure=Decimal("550000"),
        industrial_strive=Decimal("700000"),
    )
    assert selectors.zone_summary(user=official, as_of=today).target is not None
    assert selectors.zone_summary(user=manager, as_of=today).target is None
    client.force_login(manager)
    assert "力争" not in client.get("/").content.decode()


def test_counts_by_status_and_totals_by_park_and_sector_add_up(official, manager):
    from projects.models import Project
    from reports.selectors import dashboard

    north, south = factories.ParkFactory(name="北园"), factories.ParkFactory(name="南园")
    chips = factories.SectorFactory(name="集成电路")
    for park, status, total in [
        (north, Project.Status.CONSTRUCTION, "10000"),
        (north, Project.Status.PREPARATION, "5000.50"),
        (south, Project.Status.CONSTRUCTION, "30000"),
    ]:
        project = factories.ProjectFactory(
            park=park, sector=chips, status=status, total_investment=Decimal(total)
        )
        project.managers.add(manager)
        factories.AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("3000"))
        factories.MonthlyInvestmentFactory(
            project=project, year=2026, month=1, completed_amount=Decimal("250.25")
        )

    seen = dashboard(user=official, as_of=date(2026, 3, 10))
    assert seen.status_counts == {"construction": 2, "preparation": 1}
    assert [(p.label, p.project_count, p.total_investment) for p in seen.parks] == [
        ("南园", 1, Decimal("30000.00")),
        ("北园", 2, Decimal("15000.50")),
    ]
    [sector] = seen.sectors
    assert (sector.label, sector.project_count) == ("集成电路", 3)
    assert (sector.annual_plan, sector.completed_ytd) == (Decimal("9000.00"), Decimal("750.75"))
    assert sum(seen.light_counts.values()) == 3
