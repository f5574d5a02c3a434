"""The JSON API at /api/v1/: tokens, the same permission layer as the web for every role,
pagination, filters, figures, a fixed number of queries, and a valid OpenAPI schema.

The permission walk in test_permissions.py skips the API's URL names (it signs in with a
session and expects the sign-in redirect); `test_api_walk` below covers every one of
them for every role instead, and `test_every_api_url_is_in_the_api_walk` fails when an
operation is added without being listed there."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from hitech_zone import permissions, services
from hitech_zone.models import ApiToken
from hitech_zone.permissions import Role
from inspections.models import DepartmentMember, Issue, MonthlyReport, ReportingRound
from projects import progress
from projects import selectors as project_selectors
from projects.models import Project, ZoneIndustrialInvestment, ZoneTarget
from reports.models import Alert, Briefing
from tests import factories
from tests.test_query_counts import populate

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

API = "/api/v1"


def bearer(user, name: str = "测试") -> dict[str, str]:
    _token, key = services.api_token_create(user=user, name=name)
    return {"Authorization": f"Bearer {key}"}


def get(client, path: str, user=None, headers: dict | None = None, **params):
    headers = headers if headers is not None else (bearer(user) if user else {})
    return client.get(f"{API}{path}", params, headers=headers)


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def open_alert(project, *, severity=Alert.Severity.RED, subject="") -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        project=project,
        kind=Alert.Kind.SUSPENDED,
        subject_key=subject,
        severity=severity,
        first_seen_at=now,
        last_seen_at=now,
    )


@pytest.fixture
def dept_user(role_user):
    user = role_user(Role.DEPARTMENT, username="t-dept", full_name="人事科")
    DepartmentMember.objects.create(
        user=user, department=factories.DepartmentFactory(code="hr", name="组织人事劳动局")
    )
    return user


# ---------------------------------------------------------------- tokens


def test_a_token_stores_a_hash_and_a_prefix_never_the_key(official):
    token, key = services.api_token_create(user=official, name="城市平台")
    assert key.startswith("hz_") and len(key) > 40
    assert token.key_hash == ApiToken.hash_key(key) != key
    assert key.startswith(token.key_prefix) and len(token.key_prefix) == 10
    stored = ApiToken.objects.values_list("name", "key_prefix", "key_hash").get()
    assert all(key not in value for value in stored)
    _other, second = services.api_token_create(user=official, name="另一个")
    assert second != key


def test_authentication_records_the_last_use_once_a_minute(official):
    token, key = services.api_token_create(user=official, name="城市平台")
    assert token.last_used_at is None
    assert services.api_token_authenticate(key=key) == official
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    services.api_token_authenticate(key=key)
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=5))
    services.api_token_authenticate(key=key)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=5)


def test_a_revoked_token_or_an_inactive_user_authenticates_no_one(official, leader):
    token, key = services.api_token_create(user=official, name="城市平台")
    services.api_token_revoke(token=token)
    revoked_at = token.revoked_at
    services.api_token_revoke(token=token)
    assert token.revoked_at == revoked_at is not None
    assert services.api_token_authenticate(key=key) is None
    _token, leader_key = services.api_token_create(user=leader, name="领导")
    leader.is_active = False
    leader.save()
    assert services.api_token_authenticate(key=leader_key) is None
    assert services.api_token_authenticate(key="") is None
    assert services.api_token_authenticate(key="hz_" + "x" * 500) is None


def test_the_command_prints_a_working_key(official, capsys):
    call_command("api_token", official.username, "--name", "CI")
    key = capsys.readouterr().out.strip()
    assert services.api_token_authenticate(key=key) == official
    assert ApiToken.objects.get().name == "CI"


# ---------------------------------------------------------------- 401


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer hz_not-a-key",
        "Token hz_not-a-key",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_no_valid_key_answers_401_in_json_not_a_sign_in_redirect(client, own_project, header):
    headers = {"Authorization": header} if header else {}
    response = client.get(f"{API}/projects", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()
    assert own_project.name not in response.content.decode()


def test_a_revoked_key_and_an_inactive_user_answer_401(client, official, own_project):
    token, key = services.api_token_create(user=official, name="城市平台")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"{API}/projects", headers=headers).status_code == 200
    services.api_token_revoke(token=token)
    assert client.get(f"{API}/projects", headers=headers).status_code == 401
    _token, key = services.api_token_create(user=official, name="再来")
    official.is_active = False
    official.save()
    assert (
        client.get(f"{API}/projects", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    )


def test_a_session_is_not_enough(client, official, own_project):
    client.force_login(official)
    assert client.get(f"{API}/projects").status_code == 401


# ---------------------------------------------------------------- the walk


@dataclass
class ApiWorld:
    project: Project
    issue: Issue
    alert: Alert
    briefing: Briefing


@pytest.fixture
def api_world(own_project, other_project, dept_user, official, today, settings, tmp_path):
    """The walk's records belong to `manager`'s project; its issue is assigned to
    `dept_user`'s department. `other_project` belongs to `other_manager`."""
    settings.MEDIA_ROOT = tmp_path
    factories.MilestoneFactory(project=own_project, sequence=1, baseline_date=today)
    factories.MilestoneFactory(project=other_project, sequence=1, baseline_date=today)
    issue = factories.IssueFactory(
        project=own_project,
        status=Issue.Status.ASSIGNED,
        department=dept_user.department_membership.department,
        deadline=today,
        raised_by=official,
        assigned_by=official,
    )
    factories.IssueFactory(project=other_project, raised_by=official, title="乙项目的问题")
    open_alert(other_project)
    round_ = ReportingRound.objects.create(year=2025, month=10, deadline=date(2025, 11, 5))
    MonthlyReport.objects.create(round=round_, project=own_project)
    return ApiWorld(
        project=own_project,
        issue=issue,
        alert=open_alert(own_project),
        briefing=factories.published_briefing(today=today),
    )


ROLES = ["anonymous", "official", "leader", "manager", "other_manager", "admin_user", "dept_user"]
EVERYONE = set(ROLES) - {"anonymous"}
BRIEFING_READERS = {"official", "leader", "admin_user"}


@dataclass(frozen=True)
class ApiRoute:
    allowed: set[str] | str  # roles answered 200, or "public"
    args: object = lambda world: []
    hidden: set[str] = frozenset()  # roles answered 404 (not theirs to see)
    anonymous: int = 401


API_ROUTES = {
    "project_list": ApiRoute(EVERYONE),
    "project_detail": ApiRoute(
        EVERYONE - {"other_manager"}, args=lambda w: [w.project.code], hidden={"other_manager"}
    ),
    "zone_summary": ApiRoute(EVERYONE),
    "issue_list": ApiRoute(EVERYONE),
    "alert_list": ApiRoute(EVERYONE),
    "briefing_list": ApiRoute(BRIEFING_READERS),
    "briefing_pdf": ApiRoute(BRIEFING_READERS, args=lambda w: [w.briefing.pk]),
    # Monthly reports: not for departments; a manager sees their own (the list, scoped).
    "round_list": ApiRoute(EVERYONE - {"dept_user"}),
    "round_report_list": ApiRoute(EVERYONE - {"dept_user"}, args=lambda w: [2025, 10]),
    "project_brief_pdf": ApiRoute(
        {"official", "leader", "manager", "admin_user"},
        args=lambda w: [w.project.code],
        hidden={"other_manager"},
    ),
    # The schema is public; the docs page is for signed-in people (session, see below).
    "openapi-json": ApiRoute("public", anonymous=200),
    "openapi-view": ApiRoute("public", anonymous=302),
    "api-root": ApiRoute("public", anonymous=302),
}


def api_url_names() -> set[str]:
    resolver = next(
        pattern
        for pattern in get_resolver().url_patterns
        if getattr(pattern, "namespace", None) == "api"
    )
    return {pattern.name for pattern in resolver.url_patterns if isinstance(pattern, URLPattern)}


def test_every_api_url_is_in_the_api_walk():
    assert api_url_names() == set(API_ROUTES)


def api_expected(route: ApiRoute, role: str) -> int:
    if role == "anonymous":
        return route.anonymous
    if route.allowed == "public":
        return 200 if route.anonymous == 200 else route.anonymous
    if role in route.hidden:
        return 404
    return 200 if role in route.allowed else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(n for n, r in API_ROUTES.items() if r.allowed != "public"))
def test_api_walk(client, request, api_world, name, role):
    route = API_ROUTES[name]
    headers = {} if role == "anonymous" else bearer(request.getfixturevalue(role))
    url = reverse(f"api:{name}", args=route.args(api_world))
    response = client.get(url, headers=headers)
    expected = api_expected(route, role)
    assert response.status_code == expected, f"GET {url} as {role}: {response.content[:300]}"
    if expected != 200:
        assert response["Content-Type"].startswith("application/json")
        assert api_world.project.name not in response.content.decode()


def test_the_schema_is_public_and_the_docs_ask_for_a_session(client, official):
    assert client.get(f"{API}/openapi.json").status_code == 200
    docs = client.get(f"{API}/docs")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")
    client.force_login(official)
    assert client.get(f"{API}/docs").status_code == 200


# ---------------------------------------------------------------- scoped like the web


def test_a_project_manager_sees_only_their_own_projects(
    client, manager, other_manager, api_world, other_project
):
    headers = bearer(manager)
    assert codes(get(client, "/projects", headers=headers)) == ["T-OWN"]
    assert get(client, "/projects/T-OWN", headers=headers).status_code == 200
    hidden = get(client, "/projects/T-OTHER", headers=headers)
    assert hidden.status_code == 404
    assert other_project.name not in hidden.content.decode()
    issues = get(client, "/issues", headers=headers).json()["items"]
    assert [issue["project"]["code"] for issue in issues] == ["T-OWN"]
    alerts = get(client, "/alerts", headers=headers).json()["items"]
    assert [alert["project"]["code"] for alert in alerts] == ["T-OWN"]
    theirs = bearer(other_manager)
    assert codes(get(client, "/projects", headers=theirs)) == ["T-OTHER"]
    assert get(client, "/projects/T-OWN", headers=theirs).status_code == 404


def test_a_department_sees_its_issues_and_their_projects(client, dept_user, api_world):
    headers = bearer(dept_user)
    issues = get(client, "/issues", headers=headers).json()["items"]
    assert [issue["id"] for issue in issues] == [api_world.issue.pk]
    assert codes(get(client, "/projects", headers=headers)) == ["T-OWN"]


def test_leaders_read_briefings_and_their_pdf_managers_get_403(client, leader, manager, api_world):
    headers = bearer(leader)
    briefings = get(client, "/briefings", headers=headers).json()
    assert briefings["count"] == 1
    item = briefings["items"][0]
    assert item["id"] == api_world.briefing.pk
    assert item["pdf_url"].endswith(f"{API}/briefings/{api_world.briefing.pk}/pdf")
    assert item["download_url"].endswith(reverse("briefing_download", args=[item["id"]]))
    pdf = client.get(item["pdf_url"], headers=headers)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert get(client, "/briefings/999999/pdf", headers=headers).status_code == 404
    refused = get(client, "/briefings", manager)
    assert refused.status_code == 403
    assert get(client, f"/briefings/{api_world.briefing.pk}/pdf", manager).status_code == 403


def test_a_briefing_still_rendering_has_no_pdf(client, leader, api_world):
    Briefing.objects.filter(pk=api_world.briefing.pk).update(status=Briefing.Status.RENDERING)
    headers = bearer(leader)
    item = get(client, "/briefings", headers=headers).json()["items"][0]
    assert item["pdf_url"] is None and item["download_url"] is None
    assert (
        get(client, f"/briefings/{api_world.briefing.pk}/pdf", headers=headers).status_code == 404
    )


# ---------------------------------------------------------------- content and figures


def test_a_project_with_its_milestones_and_money_in_wan_as_strings(client, official, today):
    project = factories.ProjectFactory(code="GX-900", total_investment=Decimal("100000"))
    factories.MilestoneFactory(project=project, sequence=1, name="开工", baseline_date=today)
    factories.MilestoneFactory(
        project=project, sequence=2, name="竣工", baseline_date=today + timedelta(days=90)
    )
    # The year on show: last year's until the 1–2月 figures are due.
    year = progress.reporting_period(today).year
    factories.AnnualPlanFactory(project=project, year=year, planned_investment=Decimal("20000"))
    factories.MonthlyInvestmentFactory(
        project=project, year=year, month=1, completed_amount=Decimal("5000.5")
    )
    item = get(client, "/projects", official).json()["items"][0]
    assert item["total_investment"] == "100000.00"
    assert item["annual_plan"] == "20000.00"
    assert item["completed_ytd"] == "5000.50"
    assert item["plan_percent_completed"] == "25.0"
    assert [m["name"] for m in item["milestones"]] == ["开工", "竣工"]
    assert item["milestones"][0]["baseline_date"] == today.isoformat()
    assert item["web_url"].endswith("/projects/GX-900/")
    detail = get(client, "/projects/GX-900", official).json()
    assert detail["months"] == [{"month": 1, "completed_amount": "5000.50"}]
    assert detail["light_reasons"] and {"light", "text"} <= set(detail["light_reasons"][0])


@pytest.mark.parametrize("role_fixture", ["official", "manager"])
def test_the_summary_is_zone_summary(
    client, request, role_fixture, own_project, other_project, today
):
    """The zone's industrial figure, 275,000 万元, is 50.0 % of the 确保 line of 550,000 and
    39.3 % of the 力争 line of 700,000 (275 / 700 = 0.39286)."""
    user = request.getfixturevalue(role_fixture)
    period = progress.reporting_period(today)
    year = period.year
    for project, plan, done in ((own_project, "40000", "12000"), (other_project, "10000", "900")):
        factories.AnnualPlanFactory(project=project, year=year, planned_investment=Decimal(plan))
        factories.MonthlyInvestmentFactory(
            project=project, year=year, month=1, completed_amount=Decimal(done)
        )
    ZoneIndustrialInvestment.objects.create(
        year=year, month=period.month, completed_amount=Decimal("275000")
    )
    ZoneTarget.objects.create(
        year=year,
        project_count=28,
        total_investment=Decimal("1525000"),
        planned_investment=Decimal("500000"),
        industrial_ensure=Decimal("550000"),
        industrial_strive=Decimal("700000"),
    )
    body = get(client, "/summary", user).json()
    summary = project_selectors.zone_summary(user=user, as_of=today)
    assert body["project_count"] == summary.project_count
    assert Decimal(body["total_investment"]) == summary.total_investment
    assert Decimal(body["annual_plan"]) == summary.annual_plan
    assert Decimal(body["completed_ytd"]) == summary.completed_ytd
    assert Decimal(body["industrial_completed_ytd"]) == summary.industrial_completed_ytd
    assert Decimal(body["due_by_now"]) == summary.due_by_now
    assert Decimal(body["plan_percent_completed"]) == summary.plan_percent_completed
    assert body["ahead_of_schedule"] == summary.ahead_of_schedule
    assert Decimal(body["time_progress_percent"]) == summary.time_progress_percent
    assert body["period"]["year"] == summary.period.year
    assert body["period"]["month"] == summary.period.month
    if permissions.sees_all_projects(user):
        assert body["target"]["industrial_ensure"] == "550000.00"
        assert body["target"]["industrial_strive"] == "700000.00"
        assert body["zone_industrial_ytd"] == "275000.00"
        assert (body["industrial_ensure_percent"], body["industrial_strive_percent"]) == (
            "50.0",
            "39.3",
        )
    else:
        assert body["project_count"] == 1
        assert body["target"] is None
        assert body["zone_industrial_ytd"] is None
        assert body["industrial_ensure_percent"] is None


def test_an_alert_comes_with_its_message(client, official, own_project):
    open_alert(own_project)
    item = get(client, "/alerts", official).json()["items"][0]
    assert item["kind"] == "suspended" and item["severity"] == "red"
    assert item["message"]


# ---------------------------------------------------------------- pagination and filters


def test_pages_are_bounded_ordered_and_counted(client, official):
    for index in range(7):
        factories.ProjectFactory(code=f"P-{index:02d}")
    headers = bearer(official)
    first = get(client, "/projects", headers=headers, page_size=3).json()
    assert first["count"] == 7 and first["page"] == 1 and first["page_size"] == 3
    pages = [
        codes(get(client, "/projects", headers=headers, page_size=3, page=n)) for n in (1, 2, 3)
    ]
    assert sum(pages, []) == [f"P-{index:02d}" for index in range(7)]
    assert codes(get(client, "/projects", headers=headers, page_size=3, page=9)) == []
    for bad in ({"page": 0}, {"page_size": 101}, {"page_size": 0}, {"page": "x"}):
        assert get(client, "/projects", headers=headers, **bad).status_code == 422, bad


def test_project_filters_mirror_the_register(client, official, today):
    park = factories.ParkFactory(code="ai-park", name="人工智能产业园")
    sector = factories.SectorFactory(code="hydrogen", name="氢能汽车")
    person = factories.UserFactory(username="person-a", full_name="陈华瑞")
    factories.ProjectFactory(
        code="F-1", name="正力新能电芯", park=park, responsible_person=person, total_investment=10
    )
    factories.ProjectFactory(
        code="F-2",
        name="重塑能源",
        sector=sector,
        status=Project.Status.TRIAL,
        category=Project.Category.SERVICE,
        total_investment=30,
    )
    factories.ProjectFactory(code="F-3", name="日航国际中心", total_investment=20)
    headers = bearer(official)

    def match(**params) -> list[str]:
        return codes(get(client, "/projects", headers=headers, **params))

    assert match(park=park.pk) == ["F-1"]
    assert match(sector=sector.pk) == ["F-2"]
    assert match(status="trial") == ["F-2"]
    assert match(category="service") == ["F-2"]
    assert match(responsible_person=person.pk) == ["F-1"]
    assert match(q="重塑") == ["F-2"]
    assert match(q="f-3") == ["F-3"]
    # None has a plan: not yet assessed (未到考核期), so none is green.
    assert match(light="unassessed") == ["F-1", "F-2", "F-3"]
    assert match(light="green") == []
    assert match(light="red") == []
    assert match(sort="-total") == ["F-2", "F-3", "F-1"]
    assert match(sort="total", status="construction") == ["F-1", "F-3"]
    # Values the register's filterset refuses match nothing (the web form ignores them).
    assert match(park=999999) == []
    assert match(responsible_person=official.pk) == []
    # Values outside the schema are refused.
    for bad in ({"status": "bogus"}, {"light": "blue"}, {"sort": "-secret"}, {"park": "x"}):
        assert get(client, "/projects", headers=headers, **bad).status_code == 422, bad


def test_issue_filters_mirror_the_issue_list(client, official, own_project, other_project, today):
    department = factories.DepartmentFactory(code="eco", name="经济发展局")
    late = factories.IssueFactory(
        project=own_project,
        status=Issue.Status.ASSIGNED,
        department=department,
        # Long enough ago to be overdue whatever the day: a deadline on a holiday is due
        # on the next working day, and no holiday run is longer than nine days.
        deadline=today - timedelta(days=15),
        category=factories.issue_category(Issue.Category.HIRING),
    )
    raised = factories.IssueFactory(project=other_project)
    headers = bearer(official)

    def match(**params) -> list[int]:
        response = get(client, "/issues", headers=headers, **params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert match() == [late.pk, raised.pk]
    assert match(project=other_project.pk) == [raised.pk]
    assert match(department=department.pk) == [late.pk]
    assert match(status="raised") == [raised.pk]
    assert match(category="hiring") == [late.pk]
    assert match(overdue="true") == [late.pk]
    assert get(client, "/issues", headers=headers).json()["items"][0]["overdue"] is True
    assert match(category="no-such-category") == []
    assert match(project=999999) == []
    assert get(client, "/issues", headers=headers, status="bogus").status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/projects/" + "x" * 31,
        "/projects/%00",
        "/briefings/0/pdf",
        "/briefings/-1/pdf",
        f"/briefings/{2**64}/pdf",
    ],
)
def test_impossible_path_values_answer_422_or_404(client, official, path):
    response = get(client, path, official)
    assert response.status_code in (404, 422)
    assert response["Content-Type"].startswith("application/json")


# ---------------------------------------------------------------- a fixed number of queries


def list_queries(client, headers: dict, path: str) -> int:
    client.get(f"{API}{path}", headers=headers)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 200, response.content
    return len(captured)


def more_briefings(count: int, *, start: int) -> None:
    now = timezone.now()
    for index in range(start, start + count):
        day = now.date() - timedelta(days=7 * (index + 10))
        Briefing.objects.create(
            kind=Briefing.Kind.WEEKLY,
            period=f"T-{index:04d}",
            period_start=day,
            period_end=day + timedelta(days=6),
            status=Briefing.Status.PUBLISHED,
            trigger=Briefing.Trigger.SCHEDULE,
            as_of=now,
            file=f"briefings/weekly/T-{index:04d}-v1.pdf",
        )


LISTS = [
    "/projects?page_size=100",
    "/projects?page_size=100&status=construction&sort=-total&q=Q-",
    "/issues?page_size=100",
    "/issues?page_size=100&overdue=1",
    "/alerts?page_size=100",
    "/briefings?page_size=100",
    "/summary",
]


@pytest.mark.parametrize(
    ("role_fixture", "path"),
    [
        (role, path)
        for role in ("official", "manager")
        for path in LISTS
        # Briefings are for those who see every project.
        if not (role == "manager" and path.startswith("/briefings"))
    ],
)
def test_fixed_query_count_at_two_sizes(client, request, role_fixture, path, today):
    user = request.getfixturevalue(role_fixture)
    headers = bearer(user)
    populate(12, today=today, managers=[user])
    more_briefings(12, start=0)
    for project in Project.objects.all():
        open_alert(project)
    at_12 = list_queries(client, headers, path)
    populate(88, today=today, managers=[user], start=12)
    more_briefings(88, start=12)
    for project in Project.objects.filter(alerts__isnull=True):
        open_alert(project)
    at_100 = list_queries(client, headers, path)
    assert at_12 == at_100, f"{path}: {at_12} queries at 12 rows, {at_100} at 100"


# ---------------------------------------------------------------- the schema


def test_the_schema_is_valid_openapi_3_that_schemathesis_loads(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    raw = response.json()
    assert raw["openapi"].startswith("3.")
    schema = schemathesis.openapi.from_dict(raw)
    schema.validate()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} == {
        "/api/v1/projects",
        "/api/v1/projects/{code}",
        "/api/v1/summary",
        "/api/v1/issues",
        "/api/v1/alerts",
        "/api/v1/briefings",
        "/api/v1/briefings/{briefing_id}/pdf",
        "/api/v1/projects/{code}/brief.pdf",
        "/api/v1/rounds",
        "/api/v1/rounds/{year}-{month}/reports",
    }
    for operation in operations:
        assert operation.method == "get"
        assert {"200", "401"} <= set(operation.definition.raw["responses"])
    money = raw["components"]["schemas"]["ProjectOut"]["properties"]["total_investment"]
    assert money["type"] == "string" and "万元" in money["description"]


# ---------------------------------------------------------------- the token pages


def test_a_user_creates_sees_once_and_revokes_a_token(client, manager, own_project):
    client.force_login(manager)
    page = client.get(reverse("api_token_list"))
    assert page.status_code == 200
    created = client.post(reverse("api_token_create"), {"name": "城市平台"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    key = created.context["new_key"]
    assert key in created.content.decode()
    token = ApiToken.objects.get(user=manager)
    assert token.key_prefix in created.content.decode()
    again = client.get(reverse("api_token_list")).content.decode()
    assert key not in again and token.key_prefix in again
    # The key works, as the manager.
    assert codes(get(client, "/projects", headers={"Authorization": f"Bearer {key}"})) == ["T-OWN"]
    revoked = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert get(client, "/projects", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_a_token_needs_a_name(client, manager):
    client.force_login(manager)
    response = client.post(reverse("api_token_create"), {"name": ""})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_another_users_token_cannot_be_revoked(client, manager, official):
    token, _key = services.api_token_create(user=official, name="城市平台")
    client.force_login(manager)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_header_links_to_the_token_page(client, leader):
    client.force_login(leader)
    assert reverse("api_token_list") in client.get("/").content.decode()


def test_the_admin_shows_a_new_key_once_and_revokes(client, admin_user, official):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:hitech_zone_apitoken_add"), {"user": official.pk, "name": "城市平台"}
    )
    assert response.status_code == 200
    key = response.context["key"]
    assert key in response.content.decode()
    token = ApiToken.objects.get()
    assert token.user == official and token.key_hash == ApiToken.hash_key(key)
    change = client.get(reverse("admin:hitech_zone_apitoken_change", args=[token.pk]))
    assert key not in change.content.decode()
    client.post(
        reverse("admin:hitech_zone_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.api_token_authenticate(key=key) is None
