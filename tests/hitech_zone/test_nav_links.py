"""A link shows only to those who may follow it: for each demo role, every link in the
menu, on the overview, on the issue register and on an issue page answers 200.

The links are read from the rendered pages, so a link added later is crawled too. For the
roles that see every project one URL per route is followed (their project pages differ
only in their data), which keeps the crawl to a few dozen requests per role."""

import re

import pytest
from django.urls import Resolver404, resolve

from hitech_zone import permissions
from hitech_zone.demo import load_demo
from hitech_zone.models import User
from hitech_zone.permissions import Role
from inspections.models import DepartmentMember, Issue
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("admin", "official", "leader", "pm", "dept")
HREF = re.compile(r'<a\b[^>]*\bhref="(/[^"#]*)"')
# Files to download and the language switch are not pages to open; static files are
# served by WhiteNoise, not by the views under test.
NOT_CRAWLED = ("/static/", "/i18n/")


def links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in HREF.findall(html)]


def route_of(url: str) -> str:
    try:
        match = resolve(url.split("?")[0])
    except Resolver404:
        return url  # a broken link: crawled on its own, and reported as a 404
    # Query strings of one route (?light=red, ?year=2025) are the same view with a
    # filter: one of each is followed.
    return f"{match.view_name}{'?' if '?' in url else ''}"


def pages_of(client, user: User) -> list[str]:
    """The overview, the issue register, and an issue the user may open that came from a
    site visit (the page that linked dept users to visits they may not open)."""
    pages = ["/", "/issues/"]
    from_visit = (
        permissions.scope(user, Issue.objects.filter(site_visit__isnull=False))
        .order_by("pk")
        .first()
    )
    if from_visit is not None:
        pages.append(f"/issues/{from_visit.pk}/")
    return pages


def crawl(client, user: User) -> dict[str, int]:
    """Each link on the user's pages and the status it answers: one per route for a user
    who sees every project, every link for one who sees some (a pm, a department), whose
    links to rows are the ones that could be out of reach."""
    every_link = permissions.project_reach(user) != "all"
    followed: dict[str, str] = {}
    for page in pages_of(client, user):
        response = client.get(page)
        assert response.status_code == 200, page
        for url in links(response.content.decode()):
            if not url.startswith(NOT_CRAWLED):
                followed.setdefault(url if every_link else route_of(url), url)
    return {url: client.get(url).status_code for url in followed.values()}


def test_every_link_each_role_is_shown_answers_200(client, today):
    """One demo load for the five roles (the load takes most of the time)."""
    load_demo(today=today)
    refused = {}
    for username in ROLES:
        user = User.objects.get(username=username)
        client.force_login(user)
        statuses = crawl(client, user)
        assert len(statuses) >= 8, username  # the menu alone has 6 to 11 links
        refused[username] = {url: status for url, status in statuses.items() if status != 200}
    assert refused == {username: {} for username in ROLES}


def nav_html(client) -> str:
    body = client.get("/").content.decode()
    return body[body.index('<nav class="mainnav"') : body.index("</nav>")]


@pytest.fixture
def department_user(role_user):
    user = role_user(Role.DEPARTMENT, username="t-dept")
    DepartmentMember.objects.create(user=user, department=factories.DepartmentFactory())
    return user


def test_the_menu_offers_each_role_what_it_may_open(
    client, official, leader, manager, own_project, department_user
):
    """The links the issue named: 记录走访 for leader and dept (403 before), 部门看板 for pm
    (403 before)."""
    shown = {}
    for user in (official, leader, manager, department_user):
        client.force_login(user)
        shown[user.username] = {
            "record a visit": "/visits/new/" in nav_html(client),
            "department board": "/issues/board/" in client.get("/issues/").content.decode(),
        }
    assert shown == {
        "t-official": {"record a visit": True, "department board": True},
        "t-leader": {"record a visit": False, "department board": True},
        "t-pm": {"record a visit": True, "department board": False},
        "t-dept": {"record a visit": False, "department board": True},
    }


def test_a_manager_without_projects_is_not_offered_the_visit_form(client, manager):
    client.force_login(manager)
    assert "/visits/new/" not in nav_html(client)
    assert client.get("/visits/new/").status_code == 403


def test_an_issue_links_its_visit_only_for_those_who_may_open_it(
    client, official, department_user, own_project
):
    visit = factories.SiteVisitFactory(project=own_project)
    issue = factories.IssueFactory(
        project=own_project,
        site_visit=visit,
        department=department_user.department_membership.department,
    )
    visit_link = f'href="/visits/{visit.pk}/"'
    client.force_login(department_user)
    assert visit_link not in client.get(f"/issues/{issue.pk}/").content.decode()
    assert client.get(f"/visits/{visit.pk}/").status_code == 404
    client.force_login(official)
    assert visit_link in client.get(f"/issues/{issue.pk}/").content.decode()
    assert client.get(f"/visits/{visit.pk}/").status_code == 200


def test_a_department_user_without_a_department_is_not_offered_the_board(client, department_user):
    """The board refuses a department user who belongs to no department; so does the
    link (the rule the permission layer asks: inspections.permissions)."""
    department_user.department_membership.delete()
    client.force_login(User.objects.get(pk=department_user.pk))
    assert "/issues/board/" not in client.get("/issues/").content.decode()
    assert client.get("/issues/board/").status_code == 403
