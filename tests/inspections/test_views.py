"""Site visits and issues through the web: bad input refused with input kept, one visit
per submission, steps through htmx, 办结率, text shown as text."""

import io
import re
import uuid
from datetime import date, timedelta

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from hitech_zone.permissions import Role
from inspections import deadlines, selectors, services, workdays
from inspections.models import DepartmentMember, Issue, Notification, SiteVisit
from tests import factories
from tests.conftest import wait_for

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

HTMX = {"HX-Request": "true"}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def jpeg(name: str = "site.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "#1a7f37").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def visit_data(project, **overrides) -> dict:
    return {
        "submission_key": str(uuid.uuid4()),
        "project": project.pk,
        "visited_on": timezone.localdate().isoformat(),
        "visitors": "姚丽英 市政协副主席、高新区管委会副主任",
        "contacts": "陈华瑞 项目现场负责人",
        "notes": "部分建材来自湖北，供应不足，施工进度放缓。",
        "issue-0-title": "建材供应不足",
        "issue-0-category": Issue.Category.MATERIAL_SUPPLY,
        "issue-0-severity": Issue.Severity.SERIOUS,
        **overrides,
    }


def test_a_manager_records_a_visit_with_an_issue_and_a_photo(manager, own_project):
    response = login(manager).post("/visits/new/", {**visit_data(own_project), "photos": [jpeg()]})
    assert response.status_code == 302
    visit = SiteVisit.objects.get()
    assert response["Location"] == f"/visits/{visit.pk}/"
    assert [(p.side, p.name) for p in visit.participants.all()] == [
        ("site_contact", "陈华瑞"),
        ("visitor", "姚丽英"),
    ]
    assert visit.issues.get().status == Issue.Status.RAISED
    photo = visit.photos.get()
    page = login(manager).get(f"/visits/{visit.pk}/").content.decode()
    assert f"/media/photos/{photo.pk}/thumb/" in page


def test_a_double_submission_records_one_visit(manager, own_project):
    client = login(manager)
    data = visit_data(own_project)
    first = client.post("/visits/new/", data)
    second = client.post("/visits/new/", data)
    assert SiteVisit.objects.count() == 1
    assert Issue.objects.count() == 1
    assert first["Location"] == second["Location"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"notes": "", "issue-0-title": "", "issue-0-category": ""}, "空白走访不予记录"),
        ({"visited_on": "tomorrow"}, "走访日期不能晚于今天"),
    ],
)
def test_bad_visits_are_refused_and_the_input_is_kept(manager, own_project, overrides, message):
    if overrides.get("visited_on") == "tomorrow":
        overrides = {"visited_on": (timezone.localdate() + timedelta(days=1)).isoformat()}
    response = login(manager).post("/visits/new/", visit_data(own_project, **overrides))
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert "姚丽英 市政协副主席" in body  # what was typed comes back
    assert SiteVisit.objects.count() == 0


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("fake.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
            "fake.jpg 不是 JPEG",
        ),
        (
            SimpleUploadedFile("huge.jpg", b"\xff\xd8" + b"0" * (50 * 1024 * 1024), "image/jpeg"),
            "huge.jpg 大小为",
        ),
    ],
)
def test_forged_and_oversized_photos_are_refused_by_name(manager, own_project, upload, message):
    response = login(manager).post(
        "/visits/new/", {**visit_data(own_project), "photos": [jpeg("good.jpg"), upload]}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert "部分建材来自湖北" in body
    assert SiteVisit.objects.count() == 0 and Issue.objects.count() == 0


def test_another_managers_project_cannot_be_chosen(manager, own_project, other_project):
    response = login(manager).post("/visits/new/", visit_data(other_project))
    assert response.status_code == 422
    assert SiteVisit.objects.count() == 0


@pytest.fixture
def department_user(role_user):
    user = role_user(Role.DEPARTMENT, username="hr-clerk", full_name="人事科")
    DepartmentMember.objects.create(
        user=user, department=factories.DepartmentFactory(code="hr", name="组织人事劳动局")
    )
    return user


def test_steps_through_htmx(official, department_user, own_project, today):
    issue = services.issue_raise(
        project=own_project, title="招工难", category=Issue.Category.HIRING, by=official
    )
    department = department_user.department_membership.department
    response = login(official).post(
        f"/issues/{issue.pk}/assign/",
        {
            "assign-department": department.pk,
            "assign-deadline": (today + timedelta(days=7)).isoformat(),
            "assign-comment": "请组织招聘",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert 'data-testid="issue-status">交办' in response.content.decode()
    refused = login(official).post(f"/issues/{issue.pk}/start/", {}, headers=HTMX)
    assert refused.status_code == 403
    assert "只有承办部门" in refused.content.decode()
    started = login(department_user).post(f"/issues/{issue.pk}/start/", {}, headers=HTMX)
    assert started.status_code == 200
    issue.refresh_from_db()
    assert issue.status == Issue.Status.IN_PROGRESS


def test_a_step_out_of_order_and_a_bad_deadline_are_explained(
    official, department_user, own_project, today
):
    issue = services.issue_raise(
        project=own_project, title="用地指标", category=Issue.Category.LAND, by=official
    )
    out_of_order = login(official).post(f"/issues/{issue.pk}/close/", {})
    assert out_of_order.status_code == 409
    assert "不能" in out_of_order.content.decode()
    bad_deadline = login(official).post(
        f"/issues/{issue.pk}/assign/",
        {
            "assign-department": department_user.department_membership.department.pk,
            "assign-deadline": (today - timedelta(days=3)).isoformat(),
        },
        headers=HTMX,
    )
    assert bad_deadline.status_code == 422
    assert "办理时限不能早于交办当天" in bad_deadline.content.decode()


def test_script_in_text_is_shown_as_text(official, own_project):
    issue = services.issue_raise(
        project=own_project,
        title="<script>alert(1)</script>",
        category=Issue.Category.OTHER,
        by=official,
    )
    for url in (f"/issues/{issue.pk}/", "/issues/", f"/projects/{own_project.code}/"):
        body = login(official).get(url).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_closure_rates_by_department(
    official, department_user, own_project, today, django_assert_num_queries
):
    department = department_user.department_membership.department
    for index in range(4):
        issue = services.issue_raise(
            project=own_project, title=f"问题{index}", category=Issue.Category.HIRING, by=official
        )
        if index < 3:
            services.issue_transition(
                issue=issue, name="assign", by=official, department=department, deadline=today
            )
        if index < 2:
            services.issue_transition(issue=issue, name="start", by=department_user)
            services.issue_transition(
                issue=issue, name="resolve", by=department_user, result="已处理"
            )
        if index == 0:
            services.issue_transition(issue=issue, name="close", by=official)
    rates = {
        rate.label: rate for rate in selectors.closure_rates(Issue.objects.all(), by="department")
    }
    assert (
        rates["组织人事劳动局"].total,
        rates["组织人事劳动局"].resolved,
        rates["组织人事劳动局"].closed,
    ) == (3, 1, 1)
    assert str(rates["组织人事劳动局"].rate) == "33.3"
    assert rates["—"].total == 1
    # Both of the issue list's tables come from one pass over the issues (and their names).
    with django_assert_num_queries(3):
        tables = selectors.closure_rate_tables(Issue.objects.all(), by=("department", "category"))
    by_label = sorted(rates.values(), key=lambda rate: rate.label)
    assert sorted(tables["department"], key=lambda rate: rate.label) == by_label
    assert [
        (rate.label, rate.total, rate.resolved, rate.closed) for rate in tables["category"]
    ] == [("招工用工", 4, 1, 1)]


def test_deadline_colours_in_working_days():
    """Against a fixed today, Friday 9 October 2026: National Day ran 1-7 October, the
    Saturday after (10th) is an adjusted working day, and 25 September was Mid-Autumn."""
    today = date(2026, 10, 9)
    expected = {
        date(2026, 10, 14): None,  # Sat 10, Mon 12, Tue 13, Wed 14: four working days away
        date(2026, 10, 12): "due_soon",  # Sat 10 (adjusted) and Mon 12: two working days
        date(2026, 10, 9): "due_soon",  # due today
        date(2026, 9, 30): "overdue",  # 8 and 9 Oct: two working days late
        date(2026, 9, 24): "overdue",  # 28, 29, 30 Sep, 8, 9 Oct: five working days late
        date(2026, 9, 23): "late",  # and the 24th: six, more than five
    }
    department = factories.DepartmentFactory()
    issues = [
        factories.IssueFactory(
            status=Issue.Status.IN_PROGRESS, department=department, deadline=deadline
        )
        for deadline in expected
    ]
    states = {
        issue.deadline: issue.deadline_state
        for issue in deadlines.with_deadline_states(issues, today=today)
    }
    assert states == expected


def test_issues_waiting_on_nobody_in_the_department_have_no_deadline_colour():
    department = factories.DepartmentFactory()
    resolved = factories.IssueFactory(
        status=Issue.Status.RESOLVED, department=department, deadline=date(2026, 9, 1)
    )
    assert (
        deadlines.with_deadline_states([resolved], today=date(2026, 10, 9))[0].deadline_state
        is None
    )


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_assignment_is_notified_once_through_a_real_worker(
    celery_processes, official, department_user, own_project, today, settings
):
    celery_processes.worker(queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    issue = services.issue_raise(
        project=own_project, title="招工渠道有限", category=Issue.Category.HIRING, by=official
    )
    department = department_user.department_membership.department
    services.issue_transition(
        issue=issue,
        name="assign",
        by=official,
        department=department,
        deadline=today + timedelta(days=5),
    )

    notified = wait_for(
        lambda: Notification.objects.filter(recipient=department_user).exists(), timeout=60
    )
    assert notified, celery_processes.log_text()
    # A second run of the same step (a redelivered task) adds nothing.
    from inspections.tasks import issue_step_notify

    result = issue_step_notify.apply_async(
        kwargs={"follow_up_id": issue.follow_ups.get(status_after=Issue.Status.ASSIGNED).pk},
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
    )
    assert result.get(timeout=60) == 0
    assert Notification.objects.filter(recipient=department_user).count() == 1
    connection.close()


def test_overdue_issues_feed_the_project_light(official, own_project, today):
    from projects import lights, progress
    from projects import selectors as project_selectors

    def light():
        project = project_selectors.project_list(user=official, as_of=today).get(pk=own_project.pk)
        reasons = lights.light_reasons(
            project, as_of=today, period=progress.reporting_period(today)
        )
        return project.light, reasons[0].text

    assert light()[0] == "unassessed"  # no plan and no warning: not yet assessed
    department = factories.DepartmentFactory()
    # The last working day before today: a deadline on a day off would be due today.
    deadline = workdays.WorkdayCalendar().workday_before(today)
    issue = factories.IssueFactory(
        project=own_project,
        status=Issue.Status.ASSIGNED,
        department=department,
        deadline=deadline,
    )
    assert light() == ("yellow", f"问题“{issue.title}”已超期。")
    Issue.objects.filter(pk=issue.pk).update(deadline=today - timedelta(days=30))
    assert light()[0] == "red"
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.RESOLVED)
    assert light()[0] == "unassessed"  # done by the department: waiting on the official, not late


def test_a_draft_is_kept_on_the_server_and_restored(manager, own_project):
    client = login(manager)
    data = visit_data(own_project, notes="信号不好，先存草稿：钢筋到货延迟")
    saved = client.post("/visits/draft/", data, headers=HTMX)
    assert saved.status_code == 200 and "草稿已于" in saved.content.decode()
    restored = client.get("/visits/new/").content.decode()
    assert "信号不好，先存草稿：钢筋到货延迟" in restored
    assert data["submission_key"] in restored  # the same key: submitting it later records one visit
    assert "/visits/new/?new=1" in restored
    client.post("/visits/new/", data)
    assert SiteVisit.objects.count() == 1
    assert "信号不好" not in client.get("/visits/new/").content.decode()  # the draft is gone


def test_the_board_takes_a_step_in_one_click_and_stays_on_the_board(
    official, department_user, own_project, today
):
    department = department_user.department_membership.department
    issue = services.issue_raise(
        project=own_project, title="招工难", category=Issue.Category.HIRING, by=official
    )
    services.issue_transition(
        issue=issue, name="assign", by=official, department=department, deadline=today
    )
    client = login(department_user)
    board = client.get("/issues/board/").content.decode()
    assert f'hx-post="/issues/{issue.pk}/start/"' in board
    response = client.post(
        f"/issues/{issue.pk}/start/", {"next": "/issues/board/"}, headers=HTMX, follow=True
    )
    assert response.redirect_chain[-1][0] == "/issues/board/"
    issue.refresh_from_db()
    assert issue.status == Issue.Status.IN_PROGRESS
    offsite = client.post(
        f"/issues/{issue.pk}/resolve/", {"next": "https://evil.example/", "resolve-result": "已办"}
    )
    assert offsite["Location"] == f"/issues/{issue.pk}/"  # never redirected off the site


def test_a_member_whose_department_role_was_removed_no_longer_sees_the_board(
    official, department_user, own_project, today
):
    """The permission layer reads the role, not the membership row alone."""
    from django.contrib.auth.models import Group

    department = department_user.department_membership.department
    issue = services.issue_raise(
        project=own_project, title="招工难", category=Issue.Category.HIRING, by=official
    )
    services.issue_transition(
        issue=issue, name="assign", by=official, department=department, deadline=today
    )
    assert "招工难" in login(department_user).get("/issues/board/").content.decode()
    department_user.groups.remove(Group.objects.get(name=Role.DEPARTMENT))
    department_user = type(department_user).objects.get(pk=department_user.pk)
    response = login(department_user).get("/issues/board/")
    assert response.status_code == 403
    assert "招工难" not in response.content.decode()
    assert login(department_user).get(f"/issues/{issue.pk}/").status_code == 404


def test_the_project_page_shows_each_issues_timeline(official, own_project, department_user, today):
    issue = services.issue_raise(
        project=own_project, title="招工难", category=Issue.Category.HIRING, by=official
    )
    services.issue_transition(
        issue=issue,
        name="assign",
        by=official,
        department=department_user.department_membership.department,
        deadline=today,
        comment="请组织招聘会",
    )
    body = login(official).get(f"/projects/{own_project.code}/").content.decode()
    assert "提出问题。" in body and "请组织招聘会" in body


def test_the_issue_list_finds_issues_by_title_project_name_or_code(official, own_project):
    other = factories.ProjectFactory(code="Z-900", name="氢能源汽车产业园项目")
    for project, title in ((own_project, "钢材到货延迟"), (other, "招工渠道受限")):
        services.issue_raise(
            project=project, title=title, category=Issue.Category.OTHER, by=official
        )
    client = login(official)

    def titles(search: str) -> list[str]:
        page = client.get("/issues/", {"search": search}).content.decode()
        return [title for title in ("钢材到货延迟", "招工渠道受限") if title in page]

    assert titles("钢材") == ["钢材到货延迟"]
    assert titles("z-900") == ["招工渠道受限"]
    assert titles("氢能源") == ["招工渠道受限"]
    assert titles("  ") == ["钢材到货延迟", "招工渠道受限"]


def test_with_many_projects_the_list_offers_search_not_a_list_of_every_project(
    official, own_project, monkeypatch
):
    from inspections.filters import IssueFilterSet

    other = factories.ProjectFactory(code="Z-901")
    services.issue_raise(
        project=other, title="临时用电未接通", category=Issue.Category.OTHER, by=official
    )
    client = login(official)
    project_select = re.compile(r'<select[^>]* name="project"')
    with CaptureQueriesContext(connection) as with_select:
        page = client.get("/issues/").content.decode()
    assert project_select.search(page)
    assert f'<option value="{other.pk}">' in page

    monkeypatch.setattr(IssueFilterSet, "PROJECT_SELECT_MAX", 1)
    caches["fragments"].clear()  # the content above is cached until the data changes
    with CaptureQueriesContext(connection) as with_search:
        page = client.get("/issues/").content.decode()
    assert not project_select.search(page)
    # The same queries either way: the page's count does not depend on the projects.
    assert len(with_search) == len(with_select)
    assert 'type="search" name="search"' in page
    # A project already chosen (a link) stays chosen, in a hidden field.
    page = client.get("/issues/", {"project": other.pk}).content.decode()
    assert f'<input type="hidden" name="project" value="{other.pk}"' in page
    assert "临时用电未接通" in page


INSTRUCTION = "请建设局本周内协调供电部门排定外线工期，月底前送电。"


def test_the_leader_s_instruction_is_recorded_and_shown(manager, own_project):
    client = login(manager)
    response = client.post(
        "/visits/new/", visit_data(own_project, leader_instruction=f"  {INSTRUCTION}\n")
    )
    assert response.status_code == 302
    visit = SiteVisit.objects.get()
    assert visit.leader_instruction == INSTRUCTION
    page = client.get(f"/visits/{visit.pk}/").content.decode()
    assert 'data-testid="leader-instruction"' in page and INSTRUCTION in page


def test_the_leader_s_instruction_is_kept_when_the_visit_is_refused(manager, own_project):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = login(manager).post(
        "/visits/new/",
        visit_data(own_project, visited_on=tomorrow, leader_instruction=INSTRUCTION),
    )
    assert response.status_code == 422
    assert INSTRUCTION in response.content.decode()
    assert SiteVisit.objects.count() == 0


def test_the_leader_s_instruction_alone_is_a_visit_worth_recording(manager, own_project):
    data = visit_data(
        own_project, notes="", leader_instruction=INSTRUCTION, **{"issue-0-title": ""}
    )
    data.pop("issue-0-category")
    assert login(manager).post("/visits/new/", data).status_code == 302
    assert SiteVisit.objects.get().leader_instruction == INSTRUCTION


def test_a_draft_keeps_the_leader_s_instruction(manager, own_project):
    client = login(manager)
    data = visit_data(own_project, leader_instruction=INSTRUCTION)
    assert client.post("/visits/draft/", data, headers=HTMX).status_code == 200
    assert INSTRUCTION in client.get("/visits/new/").content.decode()
    client.post("/visits/new/", data)
    assert SiteVisit.objects.get().leader_instruction == INSTRUCTION
