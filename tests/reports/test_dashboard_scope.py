"""The overview says when it covers only the user's own projects: a project manager's
(the projects they manage) and a department's (those with issues assigned to it)."""

import pytest
from django.conf import settings

from hitech_zone.permissions import Role
from inspections.models import DepartmentMember
from tests import factories

pytestmark = pytest.mark.django_db


def title_and_scope(client) -> tuple[str, str]:
    body = client.get("/").content.decode()
    title = body.split('data-testid="dashboard-title">')[1].split("</h1>")[0]
    scope = ""
    if 'data-testid="dashboard-scope">' in body:
        scope = body.split('data-testid="dashboard-scope">')[1].split("</p>")[0]
    return title, scope


def test_the_title_says_whose_projects_are_shown(client, role_user, official, manager, today):
    department_user = role_user(Role.DEPARTMENT, username="t-dept")
    DepartmentMember.objects.create(user=department_user, department=factories.DepartmentFactory())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    year = today.year
    seen = {}
    for user in (official, manager, department_user):
        client.force_login(user)
        seen[user.username] = title_and_scope(client)
    assert seen == {
        "t-official": (f"Key projects, {year}", ""),
        "t-pm": (
            f"My projects, {year}",
            "Only the projects you manage are shown, not the whole zone.",
        ),
        "t-dept": (
            f"My department's projects, {year}",
            "Only the projects with issues assigned to your department are shown, "
            "not the whole zone.",
        ),
    }
