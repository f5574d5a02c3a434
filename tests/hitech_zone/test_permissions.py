"""Access is decided on the server, by the permission layer, for every role."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from hitech_zone import permissions
from hitech_zone.permissions import Action, Role
from inspections.models import Issue
from projects.models import Milestone, Project
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_manager_reaches_only_their_own_projects(manager, own_project, other_project):
    visible = permissions.scope(manager, Project.objects.all())
    assert list(visible) == [own_project]
    assert permissions.can(manager, Action.EDIT, own_project)
    assert not permissions.can(manager, Action.VIEW, other_project)


def test_project_bound_rows_follow_their_project(manager, own_project, other_project):
    mine = factories.MilestoneFactory(project=own_project)
    factories.MilestoneFactory(project=other_project)
    issue = factories.IssueFactory(project=own_project)
    factories.IssueFactory(project=other_project)
    assert list(permissions.scope(manager, Milestone.objects.all())) == [mine]
    assert list(permissions.scope(manager, Issue.objects.all())) == [issue]


def test_leaders_read_everything_and_change_nothing(leader, own_project, other_project):
    assert set(permissions.scope(leader, Project.objects.all())) == {own_project, other_project}
    assert not permissions.scope(leader, Project.objects.all(), Action.EDIT).exists()
    with pytest.raises(PermissionDenied):
        permissions.get_for(leader, Project.objects.all(), Action.EDIT, pk=own_project.pk)


def test_officials_and_admins_change_every_project(
    official, admin_user, own_project, other_project
):
    for user in (official, admin_user):
        assert permissions.scope(user, Project.objects.all(), Action.EDIT).count() == 2


def test_a_user_without_a_role_reaches_nothing(role_user, own_project):
    nobody = factories.UserFactory(username="no-role")
    assert not permissions.scope(nobody, Project.objects.all()).exists()


def test_out_of_reach_rows_answer_404_not_403(manager, other_project):
    with pytest.raises(Http404):
        permissions.get_for(manager, Project.objects.all(), pk=other_project.pk)


def test_an_inactive_user_has_no_role(role_user):
    user = role_user(Role.OFFICIAL, username="gone", is_active=False)
    assert permissions.roles_of(user) == frozenset()


ROLE_FIXTURES = ["official", "leader", "manager", "admin_user"]


@pytest.mark.parametrize("role_fixture", ROLE_FIXTURES)
def test_the_first_page_for_every_role(client, request, role_fixture, own_project, other_project):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    summary = response.context["dashboard"].summary
    if role_fixture == "manager":
        assert summary.project_count == 1
        assert summary.total_investment == Decimal("120000")
        assert "乙项目" not in response.content.decode()
    else:
        assert summary.project_count == 2


def test_anonymous_visitors_are_sent_to_sign_in(client, own_project):
    for url in ("/", f"/projects/{own_project.code}/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
        assert "甲项目" not in response.content.decode()


@pytest.mark.parametrize(
    ("role_fixture", "own", "other"),
    [
        ("manager", 200, 404),
        ("other_manager", 404, 200),
        ("official", 200, 200),
        ("leader", 200, 200),
        ("admin_user", 200, 200),
    ],
)
def test_project_pages_by_role(
    client, request, role_fixture, own, other, own_project, other_project
):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(f"/projects/{own_project.code}/").status_code == own
    assert client.get(f"/projects/{other_project.code}/").status_code == other


def test_only_admins_reach_the_admin_site(client, official, leader, manager, admin_user):
    for user in (official, leader, manager):
        client.force_login(user)
        assert client.get("/admin/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


# The permission walk: every named URL, for every role, anonymous included. A new view
# fails `test_every_named_url_is_in_the_permission_walk` until it is listed here.
READERS = {"official", "leader", "manager", "other_manager", "admin_user"}
EDITORS = {"official", "manager", "other_manager", "admin_user"}
ROLES = ["anonymous", "official", "leader", "manager", "other_manager", "admin_user"]


@dataclass(frozen=True)
class Route:
    method: str
    allowed: set[str] | str  # roles, or "public"
    args: Callable = lambda world: []
    data: Callable = lambda world: {}
    project_bound: bool = False  # other managers get 404, not 403


ROUTES = {
    "dashboard": Route("get", READERS),
    "lights": Route("get", READERS),
    "projects:list": Route("get", READERS),
    "projects:export": Route("get", READERS),
    "project_detail": Route("get", READERS, args=lambda w: [w.project.code], project_bound=True),
    "projects:status": Route(
        "post",
        EDITORS,
        args=lambda w: [w.project.code],
        data=lambda w: {"status-status": "trial", "status-version": 1},
        project_bound=True,
    ),
    "projects:milestone_dates": Route(
        "post",
        EDITORS,
        args=lambda w: [w.project.code, w.milestone.pk],
        data=lambda w: {
            f"dates-{w.milestone.pk}-version": 1,
            f"dates-{w.milestone.pk}-forecast_date": "2030-01-01",
        },
        project_bound=True,
    ),
    "projects:milestone_rebaseline": Route(
        "post",
        EDITORS,
        args=lambda w: [w.project.code, w.milestone.pk],
        data=lambda w: {
            f"rebaseline-{w.milestone.pk}-version": 1,
            f"rebaseline-{w.milestone.pk}-baseline_date": "2030-01-01",
            f"rebaseline-{w.milestone.pk}-reason": "计划调整获批",
        },
        project_bound=True,
    ),
    "projects:investment": Route(
        "post",
        EDITORS,
        args=lambda w: [w.project.code, 1],
        data=lambda w: {"month-1-version": 0, "month-1-month": 1, "month-1-completed_amount": "10"},
        project_bound=True,
    ),
    "projects:note": Route(
        "post",
        EDITORS,
        args=lambda w: [w.project.code],
        data=lambda w: {"note-body": "进展顺利"},
        project_bound=True,
    ),
    "login": Route("get", "public"),
    "logout": Route("post", "public"),
    "set_language": Route("post", "public", data=lambda w: {"language": "en", "next": "/"}),
}


@dataclass
class World:
    project: Project
    milestone: Milestone


@pytest.fixture
def world(own_project, other_project, today) -> World:
    milestone = factories.MilestoneFactory(project=own_project, sequence=1, baseline_date=today)
    return World(project=own_project, milestone=milestone)


def named_urls(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's admin checks is_staff itself; see the test above.
            names |= named_urls(
                pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_named_url_is_in_the_permission_walk():
    assert named_urls() == set(ROUTES)


def expected_status(route: Route, role: str) -> int:
    success = 200 if route.method == "get" else 302
    if route.allowed == "public":
        return success
    if role == "anonymous":
        return 302  # to the sign-in page
    if route.project_bound and role == "other_manager":
        return 404  # the walk's project is not theirs: it does not exist for them
    if role in route.allowed:
        return success
    return 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_permission_walk(client, request, world, name, role):
    route = ROUTES[name]
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url = reverse(name, args=route.args(world))
    response = getattr(client, route.method)(url, route.data(world))
    expected = expected_status(route, role)
    assert response.status_code == expected, f"{route.method.upper()} {url} as {role}"
    if role == "anonymous" and route.allowed != "public":
        assert response["Location"].startswith("/accounts/login/")
        assert world.project.name not in response.content.decode()
    if expected in (403, 404):
        assert world.project.name not in response.content.decode()
