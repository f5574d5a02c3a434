"""The news article's two site visits replayed through the UI, each issue followed from
提出 through 交办, 办理 and 办结 to 销号 (see /work/shared/seed/article.txt).

1. 正力新能 (GX-001): the site lead 陈华瑞 (`pm`) records the visit with the Hubei
   material shortage and a photo; an official assigns it to 经济发展局, whose user starts
   it from the department board and reports it done; the official closes it.
2. 重塑能源: not `pm`'s project, so the official records that visit with the hiring gap;
   组织人事劳动局 (`dept`) handles it; the official closes it.

Notifications are made by a Celery task after commit and no worker runs here, so the
steps are checked on the issue's follow-ups, not in the header's unread count.
"""

import re
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from hitech_zone import permissions
from hitech_zone.demo import DEMO_PASSWORD
from hitech_zone.models import User
from hitech_zone.permissions import Role
from inspections.models import Department, DepartmentMember, FollowUp, Issue, SiteVisit
from projects.models import Project
from tests.e2e.conftest import (
    PHONE,
    log_in,
    mark_page,
    new_context,
    page_was_not_reloaded,
    wait_for_fonts,
    wait_for_htmx,
)

pytestmark = pytest.mark.e2e

YAO = "姚丽英 市政协副主席、高新区管委会副主任"
ECON_USER = "econ"
ECON_NAME = "经发局项目科（测试）"
OFFICIAL_NAME = "周明（演示）"
PM_NAME = "陈华瑞"
DEPT_NAME = "人事科（演示）"


def economic_development_user() -> User:
    """经济发展局 has no demo user: one for this test, in the department role."""
    user = User(username=ECON_USER, full_name=ECON_NAME, job_title="经济发展局")
    user.set_password(DEMO_PASSWORD)
    user.save()
    user.groups.add(permissions.role_groups()[Role.DEPARTMENT])
    DepartmentMember.objects.create(
        user=user, department=Department.objects.get(code="economic-development")
    )
    return user


def sign_in_as(page: Page, username: str) -> None:
    """Drop the current session, then sign in as someone else."""
    page.context.clear_cookies()
    log_in(page, username)


def site_photo(tmp_path: Path) -> Path:
    path = tmp_path / "正力新能工地.jpg"
    image = Image.new("RGB", (640, 480), (180, 150, 110))
    for x in range(0, 640, 40):
        for y in range(300, 480):
            image.putpixel((x, y), (90, 90, 90))
    image.save(path, "JPEG", quality=85)
    return path


def fill_visit_form(
    page: Page,
    *,
    day: date,
    contacts: str,
    notes: str,
    title: str,
    category: str,
    severity: str,
    project: Project | None = None,
) -> str:
    """Fill the visit form with one issue; return the form's submission key."""
    if project is not None:
        page.locator("#id_project").select_option(str(project.pk))
    page.locator("#id_visited_on").fill(day.isoformat())
    page.locator("#id_visitors").fill(YAO)
    page.locator("#id_contacts").fill(contacts)
    page.locator("#id_notes").fill(notes)
    page.locator("#id_issue-0-title").fill(title)
    page.locator("#id_issue-0-category").select_option(category)
    page.locator("#id_issue-0-severity").select_option(severity)
    key = page.locator("#id_submission_key").input_value()
    uuid.UUID(key)
    return key


def transition_form(page: Page, label: str) -> Locator:
    """Open the step's <details> on the issue page and return its form."""
    details = page.locator("#issue-panel details").filter(
        has=page.locator("summary", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )
    expect(details).to_have_count(1)
    details.locator("summary").click()
    form = details.locator("form")
    expect(form).to_be_visible()
    return form


def take_step(page: Page, label: str, status: str, **fields: str) -> None:
    """One life-cycle step on the issue page, through htmx: the panel swaps in place."""
    wait_for_htmx(page)
    mark_page(page)
    form = transition_form(page, label)
    for name, value in fields.items():
        control = form.locator(f'[name$="-{name}"]')  # each step's form has its own prefix
        if name == "department":
            control.select_option(label=value)
        else:
            control.fill(value)
    form.get_by_role("button", name=label, exact=True).click()
    expect(page.locator('[data-testid="issue-status"]')).to_have_text(status)
    assert page_was_not_reloaded(page), f"{label} reloaded the whole page"


def start_from_board(page: Page, issue: Issue) -> None:
    """The department's one-click 开始办理 on its board; the card moves to 办理."""
    page.goto("/issues/board/")
    card = page.locator(f"#board-issue-{issue.pk}")
    column = page.locator(".board-column").filter(has=card)
    expect(column.locator("h2")).to_contain_text("交办")
    card.get_by_role("button", name="开始办理").click()
    expect(page).to_have_url(re.compile(r"/issues/board/$"))
    # htmx swaps the board in place: the card moves to the 办理 column.
    column = page.locator(".board-column").filter(has=page.locator(f"#board-issue-{issue.pk}"))
    expect(column.locator("h2")).to_contain_text("办理")
    expect(page.locator(f"#board-issue-{issue.pk}")).not_to_contain_text("开始办理")
    issue.refresh_from_db()
    assert issue.status == Issue.Status.IN_PROGRESS


def expect_timeline(page: Page, steps: list[tuple[str, str]]) -> None:
    """The timeline lists these (who, status change) in this order, and nothing else."""
    items = page.locator('ol[data-testid="issue-timeline"] > li')
    expect(items).to_have_count(len(steps))
    for index, (who, change) in enumerate(steps):
        expect(items.nth(index).locator(".muted")).to_contain_text(f" · {who} · {change}")


def category_code(issue: Issue) -> str:
    """The issue's category code, whether the category is a choice or reference data."""
    return getattr(issue.category, "code", issue.category)


def follow_ups(issue: Issue) -> list[tuple[str, str, str]]:
    return [
        (row.status_before, row.status_after, str(row.actor))
        for row in FollowUp.objects.filter(issue=issue).select_related("actor")
    ]


def test_article_site_visits_replayed(
    browser: Browser, page: Page, live_server, demo: date, tmp_path: Path, settings, artifacts
):
    settings.MEDIA_ROOT = tmp_path / "media"
    today = demo
    deadline = today + timedelta(days=5)
    economic_development_user()
    zhengli = Project.objects.get(code="GX-001")
    refire = Project.objects.get(name="重塑能源科技项目")
    assert not refire.managers.filter(username="pm").exists()
    S = Issue.Status

    # The visit form on a phone, as the site lead sees it.
    phone = new_context(browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone_page = phone.new_page()
        log_in(phone_page, "pm")
        phone_page.goto("/visits/new/")
        expect(phone_page.locator("form.visit-form")).to_be_visible()
        wait_for_fonts(phone_page)
        phone_page.screenshot(path=artifacts / "visit-form-phone.png", full_page=True)
        width = phone_page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"the visit form is {width}px wide on a phone"
    finally:
        phone.close()

    # ---------------------------------------------------------------- 1. 正力新能, by pm
    log_in(page, "pm")
    page.get_by_role("link", name="记录走访").click()
    expect(page).to_have_url(re.compile(r"/visits/new/$"))
    expect(page.get_by_role("heading", name="记录现场走访")).to_be_visible()
    # Their only project is preselected; the other project is not offered.
    expect(page.locator("#id_project")).to_have_value(str(zhengli.pk))
    options = page.locator("#id_project option").all_inner_texts()
    assert "江苏正力新能电芯项目" in options
    assert not any("重塑能源" in option for option in options), options

    title_1 = "湖北建材供应不足，施工进度放缓"
    key_1 = fill_visit_form(
        page,
        day=today,
        contacts="陈华瑞 项目现场负责人",
        notes="2月24日复工以来，部分建筑原材料来自湖北，供应不足，施工进度有所迟缓。"
        "企业通过总部加快调度原材料；运输如因来自疫情重点地区受阻，由高新区协调。",
        title=title_1,
        category="material_supply",
        severity="serious",
    )
    page.locator("#id_photos").set_input_files(site_photo(tmp_path))
    visits_before = SiteVisit.objects.count()
    # A double tap on the submit button records one visit. (Chromium folds a double click
    # into one request; the racing copies are the next test's.)
    page.get_by_role("button", name="提交走访记录").dblclick()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))
    expect(page.get_by_role("heading", name=f"{today:%Y-%m-%d}")).to_be_visible()
    assert SiteVisit.objects.filter(idempotency_key=key_1).count() == 1
    assert SiteVisit.objects.count() == visits_before + 1
    visit_1 = SiteVisit.objects.get(idempotency_key=key_1)
    assert page.url.endswith(f"/visits/{visit_1.pk}/")
    assert visit_1.project == zhengli and visit_1.created_by.username == "pm"
    assert visit_1.photos.count() == 1

    expect(page.locator("main")).to_contain_text("姚丽英（市政协副主席、高新区管委会副主任）")
    expect(page.locator("main")).to_contain_text("陈华瑞（项目现场负责人）")
    issue_link = page.locator("ul.notes a", has_text=title_1)
    expect(issue_link).to_have_count(1)
    issue_row = page.locator("ul.notes li").filter(has=page.locator("a", has_text=title_1))
    expect(issue_row.locator(".status")).to_have_text("提出")
    thumbnail = page.locator(".photos img")
    expect(thumbnail).to_have_count(1)
    thumbnail.scroll_into_view_if_needed()
    # Lazy-loaded: in view, it loads (or fails) within the timeout.
    page.wait_for_function("img => img.complete", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("img => img.naturalWidth") > 0, "the thumbnail did not load"
    issue_1 = Issue.objects.get(site_visit=visit_1)
    assert (issue_1.title, category_code(issue_1), issue_1.severity, issue_1.status) == (
        title_1,
        "material_supply",
        Issue.Severity.SERIOUS,
        S.RAISED,
    )

    # The official opens the issue from the visit page and assigns it to 经济发展局.
    sign_in_as(page, "official")
    page.goto(f"/visits/{visit_1.pk}/")
    page.locator("ul.notes a", has_text=title_1).click()
    expect(page).to_have_url(re.compile(rf"/issues/{issue_1.pk}/$"))
    expect(page.locator('[data-testid="issue-status"]')).to_have_text("提出")
    take_step(
        page,
        "交办",
        "交办",
        department="经济发展局",
        deadline=deadline.isoformat(),
        comment="交办经济发展局：企业总部加快调度原材料；来自疫情重点地区的运输由园区协调。",
    )
    panel = page.locator("#issue-panel")
    expect(panel).to_contain_text("经济发展局")
    expect(panel).to_contain_text(deadline.isoformat())

    # 经济发展局 starts it from its board, then reports it done on the issue page.
    sign_in_as(page, ECON_USER)
    start_from_board(page, issue_1)
    page.locator(f"#board-issue-{issue_1.pk} a", has_text=title_1).click()
    expect(page).to_have_url(re.compile(rf"/issues/{issue_1.pk}/$"))
    take_step(page, "办结", "办结", result="总部加快调度原材料，园区协调运输")
    expect(page.locator("#issue-panel")).to_contain_text("总部加快调度原材料，园区协调运输")

    # The official checks and closes it.
    sign_in_as(page, "official")
    page.goto(f"/issues/{issue_1.pk}/")
    take_step(page, "销号", "销号", comment="现场核实建材到场、施工恢复，销号。")
    expect_timeline(
        page,
        [
            (PM_NAME, "提出"),
            (OFFICIAL_NAME, "提出 → 交办"),
            (ECON_NAME, "交办 → 办理"),
            (ECON_NAME, "办理 → 办结"),
            (OFFICIAL_NAME, "办结 → 销号"),
        ],
    )
    expect(page.locator("#issue-panel .transitions summary")).to_have_text(["重新打开"])
    wait_for_fonts(page)
    page.screenshot(path=artifacts / "issue-closed.png", full_page=True)
    issue_1.refresh_from_db()
    assert issue_1.status == S.CLOSED and issue_1.closed_at is not None
    assert issue_1.department.code == "economic-development" and issue_1.deadline == deadline
    assert follow_ups(issue_1) == [
        ("", S.RAISED, PM_NAME),
        (S.RAISED, S.ASSIGNED, OFFICIAL_NAME),
        (S.ASSIGNED, S.IN_PROGRESS, ECON_NAME),
        (S.IN_PROGRESS, S.RESOLVED, ECON_NAME),
        (S.RESOLVED, S.CLOSED, OFFICIAL_NAME),
    ]

    # ---------------------------------------------------------------- 2. 重塑能源
    # Not pm's project: not offered on the form, and its page does not exist for them.
    sign_in_as(page, "pm")
    page.goto("/visits/new/")
    options = page.locator("#id_project option")
    expect(options.filter(has_text="重塑能源科技项目")).to_have_count(0)
    expect(page.locator(f'#id_project option[value="{refire.pk}"]')).to_have_count(0)
    response = page.goto(f"/projects/{refire.code}/")
    assert response is not None and response.status == 404, (
        f"/projects/{refire.code}/ answered {response and response.status} to pm"
    )

    sign_in_as(page, "official")
    page.goto("/visits/new/")
    title_2 = "招聘渠道有限、院校未复课"
    key_2 = fill_visit_form(
        page,
        project=refire,
        day=today,
        contacts="刘志强（演示） 江苏重塑能源科技有限公司总经理",
        notes="一期生产设备已安装到位，正在调试，预计6月试生产。"
        "企业反映招聘渠道、资源有限，大专院校尚未复课，校企定向合作无法开展。",
        title=title_2,
        category="hiring",
        severity="normal",
    )
    page.get_by_role("button", name="提交走访记录").click()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))
    visit_2 = SiteVisit.objects.get(idempotency_key=key_2)
    assert visit_2.project == refire
    page.locator("ul.notes a", has_text=title_2).click()
    issue_2 = Issue.objects.get(site_visit=visit_2)
    expect(page).to_have_url(re.compile(rf"/issues/{issue_2.pk}/$"))
    take_step(
        page,
        "交办",
        "交办",
        department="组织人事劳动局",
        deadline=deadline.isoformat(),
        comment="交办组织人事劳动局：协助企业组织招聘，对接大专院校毕业生。",
    )

    sign_in_as(page, "dept")
    start_from_board(page, issue_2)
    page.goto(f"/issues/{issue_2.pk}/")
    take_step(page, "办结", "办结", result="组织专场招聘会，联系院校毕业生")

    sign_in_as(page, "official")
    page.goto(f"/issues/{issue_2.pk}/")
    take_step(page, "销号", "销号")
    expect_timeline(
        page,
        [
            (OFFICIAL_NAME, "提出"),
            (OFFICIAL_NAME, "提出 → 交办"),
            (DEPT_NAME, "交办 → 办理"),
            (DEPT_NAME, "办理 → 办结"),
            (OFFICIAL_NAME, "办结 → 销号"),
        ],
    )
    issue_2.refresh_from_db()
    assert issue_2.status == S.CLOSED
    assert issue_2.department.code == "hr-labour" and category_code(issue_2) == "hiring"
    assert issue_2.result == "组织专场招聘会，联系院校毕业生"
    assert follow_ups(issue_2) == [
        ("", S.RAISED, OFFICIAL_NAME),
        (S.RAISED, S.ASSIGNED, OFFICIAL_NAME),
        (S.ASSIGNED, S.IN_PROGRESS, DEPT_NAME),
        (S.IN_PROGRESS, S.RESOLVED, DEPT_NAME),
        (S.RESOLVED, S.CLOSED, OFFICIAL_NAME),
    ]

    # Both visits' issues now read 销号 on their visit pages.
    for visit, title in ((visit_1, title_1), (visit_2, title_2)):
        page.goto(f"/visits/{visit.pk}/")
        row = page.locator("ul.notes li").filter(has=page.locator("a", has_text=title))
        expect(row.locator(".status")).to_have_text("销号")


def test_racing_copies_of_a_visit_form_record_one_visit(page: Page, demo: date, tmp_path, settings):
    """Two copies of one submission racing, as a flaky network's retries send them: one
    visit, one photo, and both answered with that visit rather than an error."""
    settings.MEDIA_ROOT = tmp_path / "media"
    log_in(page, "pm")
    page.goto("/visits/new/")
    key = fill_visit_form(
        page,
        day=demo,
        contacts="陈华瑞 项目现场负责人",
        notes="部分建筑原材料来自湖北，供应不足。",
        title="湖北建材供应不足",
        category="material_supply",
        severity="serious",
    )
    page.locator("#id_photos").set_input_files(site_photo(tmp_path))
    visits_before = SiteVisit.objects.count()
    answers = page.locator("form.visit-form").evaluate(
        """async form => {
            const send = async () => {
                const response = await fetch(form.action, {method: "POST", body: new FormData(form)});
                const page = new DOMParser().parseFromString(await response.text(), "text/html");
                const errors = [...page.querySelectorAll(".form-error")].map(e => e.textContent.trim());
                return [response.status, new URL(response.url).pathname, errors.join(" | ")];
            };
            return Promise.all([send(), send()]);
        }"""
    )
    assert SiteVisit.objects.filter(idempotency_key=key).count() == 1
    assert SiteVisit.objects.count() == visits_before + 1
    visit = SiteVisit.objects.get(idempotency_key=key)
    assert visit.photos.count() == 1
    assert visit.issues.count() == 1
    assert answers == [[200, f"/visits/{visit.pk}/", ""]] * 2, (
        f"a copy of a recorded submission was answered with an error: {answers}"
    )
