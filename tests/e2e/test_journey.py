"""An official's, then a project manager's, journey through the app in a real browser."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db.models import F, Q
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from hitech_zone import permissions
from projects import selectors
from projects.models import Milestone, Project
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


def green_project_with_future_milestone(today: date) -> tuple[Project, Milestone]:
    """A green project and one of its open milestones whose baseline is still ahead and
    whose forecast does not pass it: moving the forecast past the baseline turns it yellow."""
    green = selectors.project_list(user=permissions.SYSTEM, as_of=today).filter(light_rank=0)
    for project in green.order_by("code"):
        milestone = (
            Milestone.objects.filter(
                project=project, actual_date__isnull=True, baseline_date__gt=today
            )
            .filter(Q(forecast_date__isnull=True) | Q(forecast_date__lte=F("baseline_date")))
            .order_by("baseline_date", "sequence")
            .first()
        )
        # Step e needs a second milestone on the same project.
        if milestone and project.milestones.count() > 1:
            return project, milestone
    raise AssertionError("The demo data has no green project with a future open milestone.")


def yellow_count(page: Page) -> int:
    return int(page.locator('[data-testid="light-yellow"]').inner_text().strip())


def register_codes(page: Page) -> list[str]:
    return [
        code.strip()
        for code in page.locator("#project-table tbody tr td:nth-child(2)").all_inner_texts()
    ]


def test_official_and_project_manager_journey(page: Page, demo: date, tmp_path: Path):
    today = demo

    # a. An official signs in: the dashboard speaks Chinese although the browser asks
    #    for English, and shows the zone's total.
    log_in(page, "official")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_text("重点项目", exact=True).first).to_be_visible()
    expect(page.locator('[data-testid="total-investment"]')).to_have_text("152.5 亿元")

    # b. The number of yellow lights.
    yellow_before = yellow_count(page)

    # c. Move a green project's forecast past its baseline, inline.
    project, milestone = green_project_with_future_milestone(today)
    forecast = milestone.baseline_date + timedelta(days=10)
    page.goto(f"/projects/{project.code}/")
    wait_for_htmx(page)
    header_light = page.locator('#project-header [data-testid="project-light"] .light-badge')
    expect(header_light).to_have_class(re.compile(r"\blight-green\b"))
    mark_page(page)

    row = page.locator(f"#milestone-{milestone.pk}")
    dates = row.locator("details").first
    dates.locator("summary").click()
    expect(dates.locator("summary")).to_have_text("填报日期")
    forecast_input = page.locator(f"#id_dates-{milestone.pk}-forecast_date")
    expect(forecast_input).to_be_visible()
    forecast_input.fill(forecast.isoformat())
    dates.get_by_role("button", name="保存").click()

    expect(page.locator("#milestones .saved")).to_contain_text(milestone.name)
    expect(header_light).to_have_class(re.compile(r"\blight-yellow\b"))
    expect(page.locator(f"#milestone-{milestone.pk} td").nth(2)).to_have_text(forecast.isoformat())
    assert page_was_not_reloaded(page), "saving the dates reloaded the whole page"
    latest_change = page.locator("#history tbody tr").first
    expect(latest_change).to_contain_text(milestone.name)
    expect(latest_change).to_contain_text(forecast.isoformat())
    milestone.refresh_from_db()
    assert milestone.forecast_date == forecast

    # d. The dashboard counts one more yellow light.
    page.goto("/")
    expect(page.locator('[data-testid="light-yellow"]')).to_have_text(str(yellow_before + 1))

    # e. A wrong date is refused beside its field, the input kept, nothing saved.
    other = project.milestones.exclude(pk=milestone.pk).order_by("sequence").first()
    other_before = (other.forecast_date, other.actual_date, other.version)
    future = today + timedelta(days=5)
    page.goto(f"/projects/{project.code}/")
    wait_for_htmx(page)
    mark_page(page)
    other_dates = page.locator(f"#milestone-{other.pk} details").first
    other_dates.locator("summary").click()
    actual_input = page.locator(f"#id_dates-{other.pk}-actual_date")
    actual_input.fill(future.isoformat())
    other_dates.get_by_role("button", name="保存").click()

    # The error sits beside the actual date, in its own field, tied to the input.
    actual_field = page.locator(f"#milestone-{other.pk} .field").filter(has=actual_input)
    error = actual_field.locator(".form-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("实际日期不能晚于今天")
    expect(actual_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(actual_input).to_have_value(future.isoformat())
    expect(actual_input).to_have_attribute("aria-invalid", "true")
    error_id = error.first.get_attribute("id")
    assert error_id, "the error message has no id to describe the input with"
    expect(actual_input).to_have_attribute(
        "aria-describedby", re.compile(rf"(^|\s){re.escape(error_id)}(\s|$)")
    )
    assert page_was_not_reloaded(page), "a refused save reloaded the whole page"
    other.refresh_from_db()
    assert (other.forecast_date, other.actual_date, other.version) == other_before

    # f. The project manager sees only their own project.
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    log_in(page, "pm")
    expect(page.locator('[data-testid="project-count"]')).to_have_text("1")
    page.goto("/projects/")
    expect(page.locator("#project-table tbody tr")).to_have_count(1)
    assert register_codes(page) == ["GX-001"]
    expect(page.locator("#project-table tbody")).to_contain_text("江苏正力新能电芯项目")
    not_theirs = Project.objects.exclude(code="GX-001").order_by("code").first()
    response = page.goto(f"/projects/{not_theirs.code}/")
    assert response is not None and response.status == 404, (
        f"/projects/{not_theirs.code}/ answered {response and response.status} to pm"
    )
    response = page.goto("/")
    assert response is not None and response.status == 200
    expect(page.locator('[data-testid="project-count"]')).to_have_text("1")

    # g. Switching to English sticks across pages.
    page.locator("#language").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Key projects", exact=True)).to_be_visible()
    page.goto("/projects/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", name="Project register")).to_be_visible()

    # Back to Chinese on the sign-in page, then the official again.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("#language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    log_in(page, "official")

    # h. The register's filters and sorting go through htmx and land in the URL.
    page.goto("/projects/")
    wait_for_htmx(page)
    mark_page(page)
    expected = list(
        Project.objects.filter(status=Project.Status.CONSTRUCTION).values_list("code", flat=True)
    )
    assert 0 < len(expected) <= 25, "the check below assumes one page of projects"
    page.locator('select[name="status"]').select_option("construction")
    expect(page).to_have_url(re.compile(r"[?&]status=construction(&|$)"))
    rows = page.locator("#project-table tbody tr")
    expect(rows).to_have_count(len(expected))
    statuses = page.locator("#project-table tbody tr .status")
    expect(statuses).to_have_count(len(expected))
    assert set(statuses.all_inner_texts()) == {"在建"}
    assert sorted(register_codes(page)) == sorted(expected)

    # The 总投资 column (the 7th); its link toggles ascending / descending.
    total_header = page.locator("#project-table thead th").nth(6)
    expect(total_header.locator("a")).to_have_attribute("href", re.compile(r"sort=total"))
    total_header.locator("a").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=total(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]status=construction(&|$)"))
    expect(total_header).to_have_attribute("aria-sort", "ascending")
    assert page_was_not_reloaded(page), "filtering or sorting reloaded the whole page"
    by_total = list(
        Project.objects.filter(status=Project.Status.CONSTRUCTION)
        .order_by("total_investment", "code")
        .values_list("code", flat=True)
    )
    assert register_codes(page) == by_total

    # The URL is a bookmark: reloading it shows the same view.
    filtered_url = page.url
    page.reload()
    assert page.url == filtered_url
    expect(page.locator('select[name="status"]')).to_have_value("construction")
    expect(rows).to_have_count(len(expected))
    expect(total_header).to_have_attribute("aria-sort", "ascending")
    assert register_codes(page) == by_total

    # i. The export downloads this view.
    with page.expect_download() as download_info:
        page.locator('[data-testid="export"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    # Two header rows, Chinese then English: the columns of the import template.
    header, english, *data = list(sheet.iter_rows(values_only=True))
    assert header[0] == "项目编号" and english[0] == "Project code", header
    status_column = header.index("项目状态")
    assert [row[0] for row in data] == by_total
    assert {row[status_column] for row in data} == {"在建"}


def test_screenshots_and_phone_layout(browser: Browser, live_server, demo, artifacts: Path):
    """Full-page screenshots at desktop and phone width; on a phone the document itself
    never scrolls sideways (wide tables scroll inside their own .table-wrap)."""
    views = [
        ("dashboard", "/", ("desktop", "phone")),
        ("project", "/projects/GX-001/", ("desktop", "phone")),
        ("register", "/projects/", ("phone",)),
    ]
    contexts = {
        "desktop": new_context(browser, live_server.url),
        "phone": new_context(
            browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
        ),
    }
    try:
        overflowing = []
        for device, context in contexts.items():
            page = context.new_page()
            log_in(page, "official")
            for name, url, devices in views:
                if device not in devices:
                    continue
                page.goto(url)
                expect(page.locator("main.page")).to_be_visible()
                wait_for_fonts(page)
                page.screenshot(path=artifacts / f"{name}-{device}.png", full_page=True)
                if device == "phone":
                    width = page.evaluate("() => document.documentElement.scrollWidth")
                    if width > PHONE["width"] + 1:
                        overflowing.append(f"{url}: document is {width}px wide")
        assert not overflowing, "pages scroll sideways on a phone:\n" + "\n".join(overflowing)
    finally:
        for context in contexts.values():
            context.close()
