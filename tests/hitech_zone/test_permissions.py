"""Access is decided on the server, by the permission layer, for every role."""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

from hitech_zone import permissions
from hitech_zone.permissions import Action, Role
from hitech_zone.services import api_token_create, heartbeat_record
from inspections.models import (
    DepartmentMember,
    Issue,
    MonthlyReport,
    MonthlyReportPhoto,
    ReportingRound,
    SiteVisit,
    VisitPhoto,
)
from inspections.photos import attach_photos, attach_report_photos
from inspections.rounds import services as round_services
from projects.models import Milestone, Project, ProjectImport
from reports.models import Briefing
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
EVERYONE = {"official", "leader", "manager", "other_manager", "admin_user", "dept_user"}
READERS = EVERYONE
EDITORS = {"official", "manager", "other_manager", "admin_user"}
ROLES = ["anonymous", *sorted(EVERYONE)]
# Briefings cover every project: those who see every project read them; officials make them.
BRIEFING_READERS = {"official", "leader", "admin_user"}
PUBLISHERS = {"official", "admin_user"}
# The walk's records belong to `manager`'s project; its issue is assigned to dept_user's
# department. Other managers must not learn they exist (404).
NOT_THEIRS = {"other_manager"}
# Spreadsheet imports change any project: officials and admins only.
IMPORTERS = {"official", "admin_user"}
# Sign-ins, refusals, imports, exports and downloads are read by leaders and admins.
AUDIT_READERS = {"leader", "admin_user"}


def an_accepted_report(world) -> int:
    """An accepted report of the walk's project (version 4: saved, submitted, accepted)."""
    round_ = ReportingRound.objects.create(year=2020, month=6, deadline="2020-07-06")
    report = MonthlyReport.objects.create(round=round_, project=world.project)
    manager = world.project.managers.get()
    report = round_services.report_save(
        report=report, by=manager, expected_version=1, completed_amount=Decimal("10")
    )
    report = round_services.report_submit(report=report, by=manager, expected_version=2)
    round_services.report_accept(report=report, by=world.issue.raised_by, expected_version=3)
    return report.pk


def a_submitted_report(world) -> int:
    """The walk's report, saved and submitted by its manager (version 3), to be checked."""
    manager = world.project.managers.get()
    report = round_services.report_save(
        report=world.report, by=manager, expected_version=1, completed_amount=Decimal("10")
    )
    round_services.report_submit(report=report, by=manager, expected_version=2)
    return report.pk


def an_import(world) -> int:
    """A previewed import (nothing to apply): confirming it redirects with a message."""
    return ProjectImport.objects.create(
        kind=ProjectImport.Kind.REGISTER,
        status=ProjectImport.Status.PREVIEWED,
        uploaded_by=world.issue.raised_by,
        file_name="重点项目.xlsx",
        sha256="0" * 64,
        size=0,
        plan={"rows": [], "errors": []},
    ).pk


@dataclass(frozen=True)
class Route:
    method: str
    allowed: set[str] | str  # roles that succeed, or "public"
    args: Callable = lambda world: []
    data: Callable = lambda world: {}
    hidden: set[str] = frozenset()  # roles that get 404 rather than 403
    statuses: dict[str, int] = field(default_factory=dict)  # role -> status, when unusual


def project_update(name: str, args, data) -> Route:
    # Department users see the project (through its issue) but do not change it.
    return Route("post", EDITORS, args=args, data=data, hidden=NOT_THEIRS)


ROUTES = {
    "dashboard": Route("get", READERS),
    "lights": Route("get", READERS),
    "projects:list": Route("get", READERS),
    "projects:export": Route("get", READERS),
    "projects:export_csv": Route("get", READERS),
    "projects:milestone_export": Route("get", READERS),
    "projects:milestone_export_csv": Route("get", READERS),
    "projects:investment_export": Route("get", READERS),
    "projects:investment_export_csv": Route("get", READERS),
    "projects:import": Route("get", IMPORTERS),
    "projects:import_template": Route("get", IMPORTERS, args=lambda w: ["register"]),
    "projects:import_preview": Route("get", IMPORTERS, args=lambda w: [an_import(w)]),
    "projects:import_confirm": Route("post", IMPORTERS, args=lambda w: [an_import(w)]),
    "project_detail": Route(
        "get", READERS - NOT_THEIRS, args=lambda w: [w.project.code], hidden=NOT_THEIRS
    ),
    "projects:status": project_update(
        "status",
        lambda w: [w.project.code],
        lambda w: {"status-status": "trial", "status-version": 1},
    ),
    "projects:milestone_dates": project_update(
        "dates",
        lambda w: [w.project.code, w.milestone.pk],
        lambda w: {
            f"dates-{w.milestone.pk}-version": 1,
            f"dates-{w.milestone.pk}-forecast_date": "2030-01-01",
        },
    ),
    "projects:milestone_rebaseline": project_update(
        "rebaseline",
        lambda w: [w.project.code, w.milestone.pk],
        lambda w: {
            f"rebaseline-{w.milestone.pk}-version": 1,
            f"rebaseline-{w.milestone.pk}-baseline_date": "2030-01-01",
            f"rebaseline-{w.milestone.pk}-reason": "计划调整获批",
        },
    ),
    # Managers report monthly figures in the monthly round (月报); officials enter them here.
    "projects:investment": Route(
        "post",
        {"official", "admin_user"},
        args=lambda w: [w.project.code, 1],
        data=lambda w: {"month-1-version": 0, "month-1-month": 1, "month-1-completed_amount": "10"},
        hidden=NOT_THEIRS,
    ),
    "projects:note": project_update(
        "note", lambda w: [w.project.code], lambda w: {"note-body": "进展顺利"}
    ),
    "issue_list": Route("get", READERS),
    "issue_export": Route("get", READERS),
    "issue_export_csv": Route("get", READERS),
    "department_board": Route("get", {"official", "leader", "admin_user", "dept_user"}),
    "issue_detail": Route(
        "get", READERS - NOT_THEIRS, args=lambda w: [w.issue.pk], hidden=NOT_THEIRS
    ),
    # 办理 is the department's step: officials, leaders and managers see the issue, may not take it.
    "issue_transition": Route(
        "post", {"dept_user", "admin_user"}, args=lambda w: [w.issue.pk, "start"], hidden=NOT_THEIRS
    ),
    # The list of visits: every role that sees projects (the rows are each one's own).
    "visit_list": Route("get", READERS),
    "visit_export": Route("get", READERS),
    "visit_create": Route("get", EDITORS),
    "visit_draft": Route(
        "post",
        EDITORS,
        data=lambda w: {"submission_key": "6f1c1f7e-3c39-4f7e-9a59-2b8f4c1d9e01", "notes": "草稿"},
    ),
    "visit_detail": Route(
        "get",
        READERS - NOT_THEIRS - {"dept_user"},
        args=lambda w: [w.visit.pk],
        hidden=NOT_THEIRS | {"dept_user"},
    ),
    "photo_file": Route(
        "get",
        READERS - NOT_THEIRS - {"dept_user"},
        args=lambda w: [w.photo.pk, "thumb"],
        hidden=NOT_THEIRS | {"dept_user"},
    ),
    # The monthly round, the manager's side: their reports, the form (for those who may
    # change the project: a leader reads it on the report's page), the 更正 of an accepted
    # report, and its photos (as visit photos: not a department's).
    "round_my_reports": Route("get", READERS),
    "round_report_fill": Route(
        "get",
        {"official", "manager", "admin_user"},
        args=lambda w: [w.report.pk],
        hidden=NOT_THEIRS | {"dept_user"},
    ),
    "round_report_correct": Route(
        "post",
        {"official", "manager", "admin_user"},
        args=lambda w: [an_accepted_report(w)],
        data=lambda w: {"version": 4, "reason": "统计口径更正"},
        hidden=NOT_THEIRS | {"dept_user"},
    ),
    "round_report_photo": Route(
        "get",
        READERS - NOT_THEIRS - {"dept_user"},
        args=lambda w: [w.report_photo.pk, "thumb"],
        hidden=NOT_THEIRS | {"dept_user"},
    ),
    # The monthly round, the officials' and leaders' side: the rounds (a manager is sent
    # to their own reports), a round and its export, the check queue (officials), a report
    # (its manager too), and the two checks (officials).
    "round_index": Route(
        "get",
        {"official", "leader", "admin_user"},
        statuses={"manager": 302, "other_manager": 302},
    ),
    "round_detail": Route(
        "get",
        {"official", "leader", "admin_user"},
        args=lambda w: [w.report.round.year, w.report.round.month],
    ),
    "round_export": Route(
        "get",
        {"official", "leader", "admin_user"},
        args=lambda w: [w.report.round.year, w.report.round.month],
    ),
    "round_check_queue": Route("get", {"official", "admin_user"}),
    "round_report": Route(
        "get",
        {"official", "leader", "admin_user", "manager"},
        args=lambda w: [w.report.pk],
        hidden=NOT_THEIRS,
    ),
    "round_report_accept": Route(
        "post",
        {"official", "admin_user"},
        args=lambda w: [a_submitted_report(w)],
        data=lambda w: {"accept-version": 3},
    ),
    "round_report_return": Route(
        "post",
        {"official", "admin_user"},
        args=lambda w: [a_submitted_report(w)],
        data=lambda w: {"return-version": 3, "return-reason": "请补充现场照片"},
    ),
    "alert_list": Route("get", READERS),
    "alert_export": Route("get", READERS),
    "alert_export_csv": Route("get", READERS),
    "slip_detect_now": Route("post", PUBLISHERS),
    "briefing_list": Route("get", BRIEFING_READERS),
    "briefing_generate": Route(
        "post", PUBLISHERS, data=lambda w: {"kind": "weekly", "period": w.briefing.period}
    ),
    "briefing_subscription": Route(
        "post", BRIEFING_READERS, data=lambda w: {"kind": "weekly", "subscribed": "1"}
    ),
    "briefing_preview_live": Route(
        "get", BRIEFING_READERS, args=lambda w: ["weekly", w.briefing.period]
    ),
    "briefing_detail": Route("get", BRIEFING_READERS, args=lambda w: [w.briefing.pk]),
    "briefing_preview": Route("get", BRIEFING_READERS, args=lambda w: [w.briefing.pk]),
    "briefing_download": Route("get", BRIEFING_READERS, args=lambda w: [w.briefing.pk]),
    # The walk's briefing is a weekly: it has no register, which its readers learn (404).
    "briefing_register_download": Route(
        "get",
        BRIEFING_READERS,
        args=lambda w: [w.briefing.pk],
        statuses=dict.fromkeys(BRIEFING_READERS, 404),
    ),
    # Officials may queue a stuck render again; the walk's, published, is refused (back
    # to its page with the reason).
    "briefing_retry": Route("post", PUBLISHERS, args=lambda w: [w.briefing.pk]),
    # A project's one-page brief: whoever sees the whole project (not a department, 403).
    "project_brief": Route(
        "get",
        {"official", "leader", "manager", "admin_user"},
        args=lambda w: [w.project.code],
        hidden=NOT_THEIRS,
    ),
    "notifications": Route("get", READERS),
    "notifications_read": Route("post", READERS),
    "login": Route("get", "public"),
    "logout": Route("post", "public"),
    "set_language": Route("post", "public", data=lambda w: {"language": "en", "next": "/"}),
    # Everyone signed in keeps their own API tokens; another user's token is not theirs (404).
    "api_token_list": Route("get", READERS),
    "api_token_create": Route("post", READERS, data=lambda w: {"name": "城市平台"}),
    "api_token_revoke": Route(
        "post",
        {"manager"},
        args=lambda w: [api_token_create(user=w.project.managers.get(), name="城市平台")[0].pk],
        hidden=EVERYONE - {"manager"},
    ),
    # Health checks are public (the world has fresh beat and worker heartbeats).
    "healthz_live": Route("get", "public"),
    "healthz_ready": Route("get", "public"),
    "healthz_beat": Route("get", "public"),
    "healthz_worker": Route("get", "public"),
    # Operations metrics: officials and admins; a scraper without a session or key gets 401.
    "metrics": Route("get", {"official", "admin_user"}),
    "metrics_prometheus": Route("get", {"official", "admin_user"}, statuses={"anonymous": 401}),
    # The audit log and its CSV: leaders and admins only.
    "audit_log": Route("get", AUDIT_READERS),
    "audit_log_export": Route("get", AUDIT_READERS),
}


@dataclass
class World:
    project: Project
    milestone: Milestone
    issue: Issue
    visit: SiteVisit
    photo: VisitPhoto
    briefing: Briefing
    report: MonthlyReport
    report_photo: MonthlyReportPhoto


@pytest.fixture
def dept_user(role_user):
    user = role_user(Role.DEPARTMENT, username="t-dept", full_name="人事科")
    DepartmentMember.objects.create(
        user=user, department=factories.DepartmentFactory(code="hr", name="组织人事劳动局")
    )
    return user


@pytest.fixture
def world(own_project, other_project, dept_user, official, today, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    heartbeat_record(name="beat")
    heartbeat_record(name="worker")
    milestone = factories.MilestoneFactory(project=own_project, sequence=1, baseline_date=today)
    visit = factories.SiteVisitFactory(project=own_project, created_by=official, notes="现场走访")
    issue = factories.IssueFactory(
        project=own_project,
        site_visit=visit,
        status=Issue.Status.ASSIGNED,
        department=dept_user.department_membership.department,
        deadline=today,
        raised_by=official,
        assigned_by=official,
    )
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "#0b5cab").save(image, "JPEG")
    upload = SimpleUploadedFile("site.jpg", image.getvalue(), content_type="image/jpeg")
    saved, _rejected = attach_photos(visit, [upload], keep_location=False)
    year, month = round_services.round_month_for(today)
    report = MonthlyReport.objects.create(
        round=ReportingRound.objects.create(year=year, month=month, deadline=today),
        project=own_project,
    )
    upload.seek(0)
    report_photos, _rejected = attach_report_photos(report, [upload], keep_location=False)
    return World(
        project=own_project,
        milestone=milestone,
        issue=issue,
        visit=visit,
        photo=saved[0],
        briefing=factories.published_briefing(today=today),
        report=report,
        report_photo=report_photos[0],
    )


def named_urls(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's admin checks is_staff itself; see the test above.
            if pattern.namespace == "api":
                # The JSON API authenticates by token, not session, and answers 401 rather
                # than redirecting: tests/hitech_zone/test_api.py walks every one of its
                # URL names for every role (test_every_api_url_is_in_the_api_walk).
                continue
            names |= named_urls(
                pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_named_url_is_in_the_permission_walk():
    assert named_urls() == set(ROUTES)


# POSTs answered in place (htmx fragments) rather than redirected.
ANSWERED_IN_PLACE = {"visit_draft", "api_token_create"}


def expected_status(route: Route, role: str, name: str = "") -> int:
    if role in route.statuses:
        return route.statuses[role]
    success = 200 if route.method == "get" or name in ANSWERED_IN_PLACE else 302
    if route.allowed == "public":
        return success
    if role == "anonymous":
        return 302  # to the sign-in page
    if role in route.hidden:
        return 404  # the walk's records are not theirs: they do not exist for them
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
    expected = expected_status(route, role, name)
    assert response.status_code == expected, f"{route.method.upper()} {url} as {role}"
    if role == "anonymous" and route.allowed != "public" and expected == 302:
        assert response["Location"].startswith("/accounts/login/")
        assert world.project.name not in response.content.decode()
    if expected == 404:
        assert world.project.name not in response.content.decode()


# Who sees which project: 甲项目 is `manager`'s, with an issue assigned to dept_user's
# department; 乙项目 is `other_manager`'s.
SEES = {
    "official": {"甲项目", "乙项目"},
    "leader": {"甲项目", "乙项目"},
    "admin_user": {"甲项目", "乙项目"},
    "manager": {"甲项目"},
    "other_manager": {"乙项目"},
    "dept_user": {"甲项目"},
}


@pytest.mark.parametrize("role", sorted(SEES))
@pytest.mark.parametrize("name", ["projects:list", "projects:export_csv", "issue_list"])
def test_the_walk_on_content_the_allowed_project_shows_the_forbidden_one_does_not(
    client, request, world, name, role
):
    """Status codes are not enough: the page must hold what the role may see and nothing
    else (the issue list names the projects one may see in its project filter)."""
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    for project in ("甲项目", "乙项目"):
        assert (project in text) == (project in SEES[role]), f"{project} on {name} as {role}"
