"""The monthly round in the JSON API (inspections/rounds/api.py): /rounds with 填报率 and
审核率, /rounds/{year}-{month}/reports with each report's state, scoped per role through
the permission layer, in the schema, in a fixed number of queries."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hitech_zone import services
from hitech_zone.permissions import Role
from inspections.models import DepartmentMember, MonthlyReport, ReportingRound
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/v1"
State = MonthlyReport.State
# A round long past its deadline, whatever the suite's clock (2026 at the earliest).
YEAR, MONTH = 2025, 10
DEADLINE = date(2025, 11, 5)


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {services.api_token_create(user=user, name='t')[1]}"}


def get(client, path: str, headers: dict, **params):
    return client.get(f"{API}{path}", params, headers=headers)


@pytest.fixture
def dept_user(role_user):
    user = role_user(Role.DEPARTMENT, username="t-dept")
    DepartmentMember.objects.create(
        user=user, department=factories.DepartmentFactory(code="hr", name="组织人事劳动局")
    )
    return user


@pytest.fixture
def round_(own_project, other_project, official):
    """Round 2025-10 (due 5 November 2025): 甲项目 (the manager's) accepted on time at
    1,234.50 万元; 乙项目 (the other manager's) submitted two days late, awaiting check at
    800 万元; 丙项目 (no manager) returned; 丁项目 never reported; and round 2025-09 with
    甲项目 accepted."""
    round_ = ReportingRound.objects.create(year=YEAR, month=MONTH, deadline=DEADLINE)
    MonthlyReport.objects.create(
        round=round_,
        project=own_project,
        state=State.ACCEPTED,
        completed_amount=Decimal("1234.5"),
        in_statistics=True,
        in_statistics_on=date(2025, 3, 20),
        first_submitted_at=at(date(2025, 11, 3)),
        submitted_at=at(date(2025, 11, 3)),
        checked_at=at(date(2025, 11, 4), 15),
        checked_by=official,
    )
    MonthlyReport.objects.create(
        round=round_,
        project=other_project,
        state=State.SUBMITTED,
        completed_amount=Decimal("800"),
        first_submitted_at=at(date(2025, 11, 7)),
        submitted_at=at(date(2025, 11, 7)),
    )
    MonthlyReport.objects.create(
        round=round_,
        project=factories.ProjectFactory(code="T-THIRD", name="丙项目"),
        state=State.RETURNED,
        completed_amount=Decimal("50"),
        first_submitted_at=at(date(2025, 11, 4)),
        submitted_at=at(date(2025, 11, 4)),
        checked_at=at(date(2025, 11, 5)),
        checked_by=official,
        return_reason="缺少形象进度照片",
    )
    MonthlyReport.objects.create(
        round=round_,
        project=factories.ProjectFactory(code="T-FOURTH", name="丁项目"),
        completed_amount=Decimal("99"),  # a draft's figure is not shown
    )
    earlier = ReportingRound.objects.create(year=YEAR, month=9, deadline=date(2025, 10, 9))
    MonthlyReport.objects.create(
        round=earlier,
        project=own_project,
        state=State.ACCEPTED,
        completed_amount=Decimal("1000"),
        first_submitted_at=at(date(2025, 10, 8)),
    )
    return round_


def reports(client, headers, **params) -> dict[str, dict]:
    response = get(client, f"/rounds/{YEAR}-{MONTH}/reports", headers, **params)
    assert response.status_code == 200, response.content
    return {item["project"]["code"]: item for item in response.json()["items"]}


# ---------------------------------------------------------------- per role


@pytest.mark.parametrize("role", ["official", "leader", "admin_user"])
def test_those_who_see_every_project_see_every_report(client, request, round_, role):
    headers = bearer(request.getfixturevalue(role))
    items = reports(client, headers)
    assert list(items) == ["T-FOURTH", "T-OTHER", "T-OWN", "T-THIRD"]
    rounds = get(client, "/rounds", headers).json()
    assert rounds["count"] == 2
    latest = rounds["items"][0]
    assert (latest["year"], latest["month"], latest["label"]) == (2025, 10, "2025-10")
    # 4 due, 3 reported (the returned one was reported), 1 accepted: 填报率 3/4 = 75.0 %,
    # 审核率 1/3 = 33.3 %.
    assert {
        key: latest[key]
        for key in (
            "total",
            "not_reported",
            "submitted",
            "returned",
            "accepted",
            "reported",
            "reported_rate",
            "checked_rate",
        )
    } == {
        "total": 4,
        "not_reported": 1,
        "submitted": 1,
        "returned": 1,
        "accepted": 1,
        "reported": 3,
        "reported_rate": "75.0",
        "checked_rate": "33.3",
    }
    assert latest["deadline"] == "2025-11-05" and latest["past_deadline"] is True
    assert latest["reports_url"].endswith(f"{API}/rounds/2025-10/reports")


def test_a_project_manager_sees_only_their_own_projects_reports_and_counts(
    client, manager, other_manager, round_
):
    headers = bearer(manager)
    assert list(reports(client, headers)) == ["T-OWN"]
    latest, earlier = get(client, "/rounds", headers).json()["items"]
    assert (latest["total"], latest["accepted"], latest["reported_rate"]) == (1, 1, "100.0")
    assert (earlier["month"], earlier["total"]) == (9, 1)
    theirs = bearer(other_manager)
    assert list(reports(client, theirs)) == ["T-OTHER"]
    latest, earlier = get(client, "/rounds", theirs).json()["items"]
    # Submitted, not checked yet: reported, 审核率 0.0 %; nothing due in September.
    assert (latest["total"], latest["submitted"], latest["checked_rate"]) == (1, 1, "0.0")
    assert (earlier["total"], earlier["reported_rate"], earlier["checked_rate"]) == (0, None, None)


def test_a_department_gets_403_and_no_key_401(client, dept_user, round_):
    headers = bearer(dept_user)
    for path in ("/rounds", f"/rounds/{YEAR}-{MONTH}/reports"):
        response = get(client, path, headers)
        assert response.status_code == 403, path
        assert "甲项目" not in response.content.decode()
        assert get(client, path, {}).status_code == 401


# ---------------------------------------------------------------- what a report says


def test_a_report_says_its_state_and_only_a_reported_figure(client, official, round_):
    items = reports(client, bearer(official))
    own = items["T-OWN"]
    assert (own["state"], own["completed_amount"], own["late"]) == ("accepted", "1234.50", False)
    assert own["in_statistics_on"] == "2025-03-20"
    assert own["checked_by"]["name"] == str(official)
    # 10:00 in Asia/Shanghai, in UTC as the API gives every moment.
    assert own["submitted_at"] == "2025-11-03T02:00:00Z"
    # Submitted after the deadline, awaiting check (待审核): the figure with its state.
    other = items["T-OTHER"]
    assert (other["state"], other["completed_amount"], other["late"]) == (
        "submitted",
        "800.00",
        True,
    )
    assert other["checked_at"] is None and other["checked_by"] is None
    third = items["T-THIRD"]
    assert (third["state"], third["return_reason"], third["late"]) == (
        "returned",
        "缺少形象进度照片",
        False,
    )
    # Never reported, past the deadline: late, and a draft's figure is not shown.
    fourth = items["T-FOURTH"]
    assert (fourth["state"], fourth["completed_amount"], fourth["late"]) == ("draft", None, True)
    assert fourth["state_label"]


def test_filter_by_state_missing_round_and_bad_values(client, official, round_):
    headers = bearer(official)
    assert list(reports(client, headers, state="returned")) == ["T-THIRD"]
    assert list(reports(client, headers, state="accepted")) == ["T-OWN"]
    missing = get(client, "/rounds/2025-11/reports", headers)
    assert missing.status_code == 404 and missing.json()["detail"]
    for path, params in (
        ("/rounds/2025-13/reports", {}),
        ("/rounds/1999-10/reports", {}),
        ("/rounds/2025-x/reports", {}),
        (f"/rounds/{YEAR}-{MONTH}/reports", {"state": "bogus"}),
        ("/rounds", {"page_size": 101}),
    ):
        response = get(client, path, headers, **params)
        assert response.status_code == 422, (path, params, response.content)


# ---------------------------------------------------------------- schema and queries


def test_the_schema_lists_both_operations(client):
    schema = client.get(f"{API}/openapi.json").json()
    rounds = schema["paths"]["/api/v1/rounds"]["get"]
    assert rounds["operationId"] == "round_list"
    listing = schema["paths"]["/api/v1/rounds/{year}-{month}/reports"]["get"]
    assert listing["operationId"] == "round_report_list"
    assert {p["name"] for p in listing["parameters"]} == {
        "year",
        "month",
        "state",
        "page",
        "page_size",
    }
    assert {"200", "401", "403", "404", "422"} <= set(listing["responses"])
    out = schema["components"]["schemas"]["ReportOut"]["properties"]
    assert set(out["state"]["enum"]) == set(State.values)
    assert "accepted" in out["completed_amount"]["description"]


def populate_round(count: int, *, start: int, managers) -> None:
    round_ = ReportingRound.objects.get_or_create(
        year=YEAR, month=MONTH, defaults={"deadline": DEADLINE}
    )[0]
    checker = factories.UserFactory()
    for index in range(start, start + count):
        project = factories.ProjectFactory(code=f"Q-{index:04d}")
        project.managers.add(*managers)
        state = [State.DRAFT, State.SUBMITTED, State.RETURNED, State.ACCEPTED][index % 4]
        MonthlyReport.objects.create(
            round=round_,
            project=project,
            state=state,
            completed_amount=Decimal(index),
            first_submitted_at=None if state == State.DRAFT else at(date(2025, 11, 1 + index % 9)),
            checked_by=checker if state in (State.RETURNED, State.ACCEPTED) else None,
        )
    # One more round per batch, each with a report or two.
    earlier = ReportingRound.objects.create(
        year=2024 - start, month=MONTH, deadline=date(2024 - start, 11, 5)
    )
    MonthlyReport.objects.create(round=earlier, project=project, state=State.ACCEPTED)


def queries(client, headers, path: str) -> int:
    client.get(f"{API}{path}", headers=headers)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize("role", ["official", "manager"])
@pytest.mark.parametrize(
    "path", ["/rounds?page_size=100", f"/rounds/{YEAR}-{MONTH}/reports?page_size=100"]
)
def test_fixed_query_count_at_two_sizes(client, request, role, path):
    user = request.getfixturevalue(role)
    headers = bearer(user)
    populate_round(8, start=0, managers=[user])
    small = queries(client, headers, path)
    populate_round(60, start=8, managers=[user])
    large = queries(client, headers, path)
    assert small == large, f"{path}: {small} queries at 8 rows, {large} at 68"
