"""List, dashboard and project pages run a fixed number of SQL queries, whatever the
number of projects: counted at the zone's 28 and at 300."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hitech_zone.services import api_token_create
from inspections.models import Issue
from tests import factories

pytestmark = pytest.mark.django_db


def populate(count: int, *, today, managers=(), start: int = 0) -> None:
    park = factories.ParkFactory(code="p-main", name="人工智能产业园")
    sector = factories.SectorFactory(code="s-ai", name="人工智能")
    person = factories.UserFactory(username="person-in-charge")
    department = factories.DepartmentFactory(code="d-eco", name="经济发展局")
    for index in range(start, start + count):
        project = factories.ProjectFactory(
            code=f"Q-{index:04d}", park=park, sector=sector, responsible_person=person
        )
        project.managers.add(*managers)
        factories.AnnualPlanFactory(
            project=project, year=today.year, planned_investment=Decimal("3000")
        )
        factories.MonthlyInvestmentFactory(
            project=project, year=today.year, month=1, completed_amount=Decimal("100")
        )
        factories.MilestoneFactory(
            project=project, sequence=1, baseline_date=today - timedelta(days=index % 40)
        )
        factories.IssueFactory(
            project=project,
            status=Issue.Status.ASSIGNED,
            department=department,
            deadline=today - timedelta(days=index % 5),
        )


def queries(client, url: str, headers: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return len(captured)


PAGES = [
    "/",
    "/projects/",
    "/projects/?status=construction&sort=-total",
    "/projects/Q-0000/",
    "/projects/export.xlsx",
    "/issues/",
    "/api/v1/projects",
]


@pytest.mark.parametrize("role_fixture", ["official", "manager"])
@pytest.mark.parametrize("url", PAGES)
def test_fixed_query_count_at_28_and_300_projects(
    client, request, role_fixture, url, today, settings
):
    # The work itself, not the cached fragment (tests/hitech_zone/test_fragments.py).
    settings.FRAGMENT_CACHE_SECONDS = 0
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    _token, key = api_token_create(user=user, name="counts")
    headers = {"Authorization": f"Bearer {key}"} if url.startswith("/api/") else {}
    populate(28, today=today, managers=[user])
    # Once first: a token records when it was last used at most once a minute.
    client.get(url, headers=headers)
    at_28 = queries(client, url, headers)
    populate(272, today=today, managers=[user], start=28)
    at_300 = queries(client, url, headers)
    assert at_28 == at_300, f"{url}: {at_28} queries at 28 projects, {at_300} at 300"
