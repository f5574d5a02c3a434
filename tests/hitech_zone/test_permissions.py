"""Access is decided on the server, by the permission layer, for every role."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver

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


# Every URL the app serves, with the roles that may open it. A new view fails this test
# until it is listed, so no view escapes the permission walk.
COVERED = {
    "dashboard": {"official", "leader", "manager", "admin_user"},
    "lights": {"official", "leader", "manager", "admin_user"},
    "projects:list": {"official", "leader", "manager", "admin_user"},
    "projects:export": {"official", "leader", "manager", "admin_user"},
    "projects:detail": {"official", "leader", "manager", "admin_user"},
    "login": "public",
    "logout": "any",
    "set_language": "public",
}


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
    assert named_urls() == set(COVERED)
