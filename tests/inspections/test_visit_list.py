"""The list of visits (/visits/): who sees which visits, this month's by default and newest
first, the filters (project, park, dates, visitor), a thumbnail of the first photo, the
.xlsx export of the filtered list, the htmx partial and the plain GET form, the menu link
for those who may open it, and a fixed number of queries whatever the number of visits.

Dates are worked out from the test's clock (`today`), so the tests hold on any day."""

import io
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from hitech_zone.permissions import Role
from inspections.models import DepartmentMember, VisitParticipant, VisitPhoto
from tests import factories

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

HTMX = {"HX-Request": "true"}
ROW = re.compile(r'<tr data-testid="visit-row">(.*?)</tr>', re.S)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def month_start(day: date) -> date:
    return day.replace(day=1)


def rows(response) -> list[str]:
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


def projects_listed(response) -> list[str]:
    """The project names of the rows, in the list's order."""
    return [
        re.search(r'href="/projects/[^"]+/">([^<]+)</a>', row).group(1) for row in rows(response)
    ]


def visit(project, visited_on, *, visitors=()):
    made = factories.SiteVisitFactory(project=project, visited_on=visited_on)
    for order, person in enumerate(visitors):
        # "姚丽英 市政协副主席": the name, then the job title, as the visit form takes them.
        name, _space, title = person.partition(" ")
        VisitParticipant.objects.create(
            visit=made, side=VisitParticipant.Side.VISITOR, name=name, title=title, sort_order=order
        )
    return made


@pytest.fixture
def department_user(role_user):
    user = role_user(Role.DEPARTMENT, username="t-dept")
    DepartmentMember.objects.create(user=user, department=factories.DepartmentFactory())
    return user


@pytest.fixture
def world(own_project, department_user, today):
    """Three projects in two parks, a visit to each this month: 甲 (the manager's own),
    乙 (no one's), 丙 (with an issue assigned to the department)."""
    north = factories.ParkFactory(code="park-north", name="北园")
    south = factories.ParkFactory(code="park-south", name="南园")
    own_project.park = north
    own_project.save()
    other = factories.ProjectFactory(code="T-OTHER", name="乙项目", park=south)
    dept_project = factories.ProjectFactory(code="T-DEPT", name="丙项目", park=south)
    factories.IssueFactory(
        project=dept_project, department=department_user.department_membership.department
    )
    start = month_start(today)
    return {
        "own": visit(own_project, start, visitors=["姚丽英 市政协副主席"]),
        "other": visit(other, start + timedelta(days=1), visitors=["陈华瑞 管委会主任"]),
        "dept": visit(dept_project, start + timedelta(days=2), visitors=["王科长"]),
        "north": north,
        "south": south,
        "other_project": other,
    }


# ---------------------------------------------------------------- who sees what


def test_each_role_sees_the_visits_to_the_projects_it_may_see(
    world, official, leader, admin_user, manager, department_user
):
    seen = {
        user.username: sorted(projects_listed(login(user).get("/visits/")))
        for user in (official, leader, admin_user, manager, department_user)
    }
    assert seen == {
        "t-official": ["丙项目", "乙项目", "甲项目"],
        "t-leader": ["丙项目", "乙项目", "甲项目"],
        "t-admin": ["丙项目", "乙项目", "甲项目"],
        # A project manager: their own projects' visits only.
        "t-pm": ["甲项目"],
        # A department: the visits to the projects it has issues on.
        "t-dept": ["丙项目"],
    }


def test_a_department_sees_the_row_but_no_link_it_could_not_follow(
    world, official, department_user
):
    """A department follows its issues, not the visits: the visit page and its photos
    answer 404 to it (permission layer), so its row links neither."""
    dept_visit = world["dept"]
    VisitPhoto.objects.create(
        visit=dept_visit, image="visits/x.jpg", thumbnail="visits/x-t.jpg", original_name="x.jpg"
    )
    (row,) = rows(login(department_user).get("/visits/"))
    assert f"/visits/{dept_visit.pk}/" not in row
    assert "<img" not in row
    assert login(department_user).get(f"/visits/{dept_visit.pk}/").status_code == 404
    official_rows = rows(login(official).get("/visits/"))
    assert any(f'href="/visits/{dept_visit.pk}/"' in row and "<img" in row for row in official_rows)


def test_a_user_with_no_role_is_refused_and_not_offered_the_link():
    nobody = factories.UserFactory(username="t-nobody")
    client = login(nobody)
    assert client.get("/visits/").status_code == 403
    assert client.get("/visits/export.xlsx").status_code == 403
    assert 'data-testid="nav-visits"' not in client.get("/").content.decode()


def test_the_menu_links_the_list_for_each_role_that_may_open_it(
    world, official, leader, manager, department_user
):
    for user in (official, leader, manager, department_user):
        page = login(user).get("/").content.decode()
        assert 'data-testid="nav-visits"' in page, user.username
        assert 'href="/visits/"' in page, user.username


# ---------------------------------------------------------------- default, order, filters


def test_this_months_visits_newest_first_by_default(official, own_project, today):
    """This month's three visits, the latest date first; last month's last day and next
    month's first day are left out, and the form shows the month's dates."""
    start = month_start(today)
    next_month = (start + timedelta(days=32)).replace(day=1)
    for day, name in [
        (start - timedelta(days=1), "上月"),
        (start, "月初"),
        (start + timedelta(days=5), "月中"),
        (next_month - timedelta(days=1), "月末"),
        (next_month, "下月"),
    ]:
        visit(own_project, day, visitors=[name])
    response = login(official).get("/visits/")
    listed = [
        re.search(r"<td>([^<]*?)</td>\s*<td class=\"hide-phone\">\d", row).group(1)
        for row in rows(response)
    ]
    assert listed == ["月末", "月中", "月初"]
    page = response.content.decode()
    assert f'value="{start.isoformat()}"' in page
    assert f'value="{(next_month - timedelta(days=1)).isoformat()}"' in page


def test_empty_dates_list_every_date(official, own_project, today):
    start = month_start(today)
    visit(own_project, start - timedelta(days=400))
    visit(own_project, start)
    response = login(official).get("/visits/", {"visited_from": "", "visited_to": ""})
    assert len(rows(response)) == 2


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"project": "own"}, ["甲项目"]),
        ({"park": "south"}, ["丙项目", "乙项目"]),
        ({"park": "north"}, ["甲项目"]),
        ({"visitor": "姚丽英"}, ["甲项目"]),
        ({"visitor": "管委会"}, []),  # a visitor's name, not their title
        ({"visitor": "王"}, ["丙项目"]),
        # From the 2nd to the 2nd of the month: the visit on the month's second day.
        ({"visited_from": 1, "visited_to": 1}, ["乙项目"]),
        ({"visited_from": 1}, ["丙项目", "乙项目"]),
        ({"park": "south", "visitor": "陈"}, ["乙项目"]),
    ],
)
def test_the_filters(world, official, today, params, expected):
    query = {}
    for name, value in params.items():
        if name == "project":
            query[name] = world["own"].project_id
        elif name == "park":
            query[name] = world[value].pk
        elif name.startswith("visited_"):
            query[name] = (month_start(today) + timedelta(days=value)).isoformat()
        else:
            query[name] = value
    assert projects_listed(login(official).get("/visits/", query)) == expected


def test_a_manager_cannot_filter_their_way_to_another_project(world, manager):
    """Another's project is no choice of theirs: the filter is ignored, their own listed."""
    response = login(manager).get("/visits/", {"project": world["other_project"].pk})
    assert projects_listed(response) == ["甲项目"]
    assert "乙项目" not in response.content.decode()


def test_nul_and_far_dates_are_ignored_not_an_error(world, official):
    response = login(official).get(
        "/visits/", {"visitor": "王\x00", "visited_from": "9999-12-31", "project": "\x00"}
    )
    assert response.status_code == 200


# ---------------------------------------------------------------- thumbnail, paging, htmx


def test_the_first_photo_is_the_thumbnail(world, official):
    own = world["own"]
    first = VisitPhoto.objects.create(
        visit=own, image="visits/1.jpg", thumbnail="visits/1-t.jpg", original_name="1.jpg"
    )
    VisitPhoto.objects.create(
        visit=own, image="visits/2.jpg", thumbnail="visits/2-t.jpg", original_name="2.jpg"
    )
    response = login(official).get("/visits/", {"project": own.project_id})
    (row,) = rows(response)
    assert re.findall(r'<img src="([^"]+)"', row) == [f"/media/photos/{first.pk}/thumb/"]


def test_thirty_visits_a_page(official, own_project, today):
    for _ in range(31):
        visit(own_project, today)
    client = login(official)
    assert len(rows(client.get("/visits/"))) == 30
    assert len(rows(client.get("/visits/", {"page": 2}))) == 1


def test_htmx_gets_the_table_alone_and_a_plain_get_the_page(world, official):
    client = login(official)
    partial = client.get("/visits/", {"park": world["north"].pk}, headers=HTMX)
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="visit-table"')
    assert "<html" not in body and "甲项目" in body and "乙项目" not in body
    page = client.get("/visits/", {"park": world["north"].pk}).content.decode()
    assert "<html" in page
    assert re.search(r'<form[^>]*id="visit-filters"[^>]*method="get"[^>]*action="/visits/"', page)
    assert 'hx-get="/visits/"' in page


# ---------------------------------------------------------------- export


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_export_holds_the_filtered_list(world, official, today):
    own = world["own"]
    own.notes = "=HYPERLINK(1)"
    own.save()
    VisitParticipant.objects.create(
        visit=own, side=VisitParticipant.Side.SITE_CONTACT, name="陈华瑞", title="现场负责人"
    )
    factories.IssueFactory(project=own.project, site_visit=own)
    VisitPhoto.objects.create(visit=own, image="v/1.jpg", thumbnail="v/1t.jpg")
    VisitPhoto.objects.create(visit=own, image="v/2.jpg", thumbnail="v/2t.jpg")
    client = login(official)
    header, *body = sheet_rows(client.get("/visits/export.xlsx", {"park": world["north"].pk}))
    assert len(header) == 11
    assert len(body) == 1
    # A date cell (openpyxl reads it back as midnight of that day).
    assert body[0][0].date() == own.visited_on
    assert body[0][1:] == (
        "T-OWN",
        "甲项目",
        "北园",
        "姚丽英（市政协副主席）",
        "陈华瑞（现场负责人）",
        "'=HYPERLINK(1)",  # text that would be a formula, made inert
        None,
        1,
        2,
        str(own.created_by),
    )
    # The whole month, newest first, as the page shows it by default.
    _header, *month = sheet_rows(client.get("/visits/export.xlsx"))
    assert [row[2] for row in month] == ["丙项目", "乙项目", "甲项目"]


def test_a_managers_export_holds_only_their_projects(world, manager):
    _header, *body = sheet_rows(login(manager).get("/visits/export.xlsx"))
    assert [row[1] for row in body] == ["T-OWN"]


def test_the_page_links_the_export_of_what_it_shows(world, official, today):
    page = login(official).get("/visits/", {"park": world["south"].pk}).content.decode()
    link = re.search(r'href="(/visits/export\.xlsx\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert f"park={world['south'].pk}" in link
    assert f"visited_from={month_start(today).isoformat()}" in link


# ---------------------------------------------------------------- queries


def add_visits(count: int, *, project, today, park) -> None:
    for index in range(count):
        made = visit(project, today, visitors=[f"走访人{index}", "王科长"])
        VisitParticipant.objects.create(
            visit=made, side=VisitParticipant.Side.SITE_CONTACT, name=f"联系人{index}"
        )
        VisitPhoto.objects.create(visit=made, image=f"v/{index}.jpg", thumbnail=f"v/{index}t.jpg")
        factories.IssueFactory(project=project, site_visit=made)


@pytest.mark.parametrize(
    ("role_fixture", "expected"), [("official", (15, 10)), ("manager", (15, 10))]
)
def test_a_fixed_number_of_queries_at_3_and_40_visits(
    request, own_project, today, settings, role_fixture, expected
):
    """Page and export, at 3 visits and at 40 (more than a page): the same count, pinned.

    The page, 15: session, user, roles; the project options; the count; the visits; their
    visitors; their contacts; the park options; the unread notifications and the menu's
    visit-form check, once for the cached fragment and once for the page around it; and
    the session's save (savepoint, update, release). The export, 10: session, user, roles;
    the visits, visitors, contacts; the audit entry; the session's save (3)."""
    settings.FRAGMENT_CACHE_SECONDS = 0  # the work itself, not the cached fragment
    user = request.getfixturevalue(role_fixture)
    own_project.managers.add(user)
    park = own_project.park
    client = login(user)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured)

    add_visits(3, project=own_project, today=today, park=park)
    small = (count("/visits/"), count("/visits/export.xlsx"))
    add_visits(37, project=own_project, today=today, park=park)
    large = (count("/visits/"), count("/visits/export.xlsx"))
    assert small == large
    assert small == expected
