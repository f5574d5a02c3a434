"""The monthly round (月报填报 → 审核) in a real browser, one report around the cycle.

陈华瑞 (`pm`) fills in the current round's report for 正力新能 (GX-001) on a phone, with a
photo, and submits it; an official returns it from the queue with a reason; `pm` reads the
reason, changes the month's figure and submits again; the official accepts it on the report
page. The month's figure on the project page (and in the register, MonthlyInvestment) moves
only then, to exactly the amount reported; before that it shows as awaiting check (待审核).

The amounts are literals of the test, never worked out by the code under test. Full-page
screenshots of each step go to tests/artifacts/round-*.png; no step may break the
Content-Security-Policy.
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from inspections.models import MonthlyReport
from projects.models import MonthlyInvestment
from tests.e2e.conftest import PHONE, log_in, new_context, wait_for_fonts, wait_for_htmx
from tests.e2e.test_csp_browser import Violations

pytestmark = pytest.mark.e2e

PROJECT = "GX-001"
# What `pm` reports for the month, first and after the return, and how the pages print it.
FIRST_AMOUNT, FIRST_SHOWN = Decimal("1234.56"), "1,234.56"
SECOND_AMOUNT, SECOND_SHOWN = Decimal("1357.90"), "1,357.9"
PROGRESS = "二期厂房主体结构封顶，设备基础施工中。"
RETURN_REASON = "本月完成投资与形象进度不符，请核实设备款是否已支付后重新报送。"


def site_photo(tmp_path: Path) -> Path:
    path = tmp_path / "正力新能月报.jpg"
    image = Image.new("RGB", (480, 360), (170, 160, 140))
    for x in range(0, 480, 30):
        for y in range(200, 360):
            image.putpixel((x, y), (70, 80, 90))
    image.save(path, "JPEG", quality=85)
    return path


def the_draft() -> MonthlyReport:
    """pm's report in the current (latest) round: the demo leaves it a draft."""
    report = (
        MonthlyReport.objects.select_related("round")
        .filter(project__code=PROJECT)
        .order_by("-round__year", "-round__month")
        .first()
    )
    assert report is not None and report.state == MonthlyReport.State.DRAFT, report
    return report


def accepted_figure(report: MonthlyReport) -> Decimal | None:
    return (
        MonthlyInvestment.objects.filter(
            project__code=PROJECT, year=report.round.year, month=report.round.month
        )
        .values_list("completed_amount", flat=True)
        .first()
    )


def month_cell(page: Page, report: MonthlyReport):
    """The month's figure in the project page's investment table."""
    return page.locator(f"#investment #month-{report.round.month} td").nth(1)


def phone_fits(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url}: the page is {width}px wide on a phone"


def shoot(page: Page, artifacts: Path, name: str) -> None:
    wait_for_fonts(page)
    # caret="initial": hiding the caret leaves style="" on every input, which htmx then
    # copies when it settles a swap, and the CSP reports that as an inline style.
    page.screenshot(path=artifacts / f"{name}.png", full_page=True, caret="initial")


def wait_for_autosave(page: Page) -> None:
    """The form saves a draft as one types (htmx, 800 ms after the last change): let it
    land, so the submission carries the version it returned."""
    expect(page.locator("#draft-status")).to_contain_text("草稿已于", timeout=10_000)


def fill_and_submit(page: Page, amount: str, *, photo: Path | None = None) -> None:
    wait_for_htmx(page)
    status = page.locator("#draft-status")
    page.evaluate("() => { document.getElementById('draft-status').textContent = ''; }")
    page.locator("#id_completed_amount").fill(amount)
    page.locator("#id_physical_progress").fill(PROGRESS)
    if photo is not None:
        page.locator("#id_photos").set_input_files(photo)
    wait_for_autosave(page)
    expect(status).not_to_contain_text("需要")
    submit = page.get_by_role("button", name="提交审核")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        f"the submit button is off-screen on a phone: {box}"
    )
    submit.click()
    expect(page.locator('[data-testid="report-state"]')).to_have_text("待审核")
    expect(page.locator('[data-testid="report-read-only"]')).to_contain_text("已提交")


def official_sees_awaiting(page: Page, report: MonthlyReport, shown: str) -> None:
    """The project page: the month's figure is not the reported one yet, which shows as
    awaiting check."""
    page.goto(f"/projects/{PROJECT}/")
    awaiting = page.locator('[data-testid="awaiting-check"]')
    expect(awaiting).to_have_count(1)
    expect(awaiting).to_contain_text("待审核")
    expect(awaiting).to_contain_text(shown)
    expect(month_cell(page, report)).to_be_visible()
    assert month_cell(page, report).inner_text().strip() not in (FIRST_SHOWN, SECOND_SHOWN)


def test_report_filled_on_a_phone_returned_resubmitted_and_accepted(
    browser: Browser, live_server, demo, artifacts: Path, tmp_path: Path
):
    report = the_draft()
    before = accepted_figure(report)
    assert before not in (FIRST_AMOUNT, SECOND_AMOUNT), "pick other literals"

    contexts: list[BrowserContext] = []
    try:
        phone = new_context(
            browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
        )
        desktop = new_context(browser, live_server.url)
        contexts += [phone, desktop]
        # The form's script, its autosave and the check forms run under the CSP.
        phone_violations, desktop_violations = Violations(phone), Violations(desktop)
        pm = phone_violations.watch(phone.new_page())
        official = desktop_violations.watch(desktop.new_page())

        # Before anything: the project page shows the register's figure, not ours.
        log_in(official, "official")
        official.goto(f"/projects/{PROJECT}/")
        expect(month_cell(official, report)).to_be_visible()
        shown_before = month_cell(official, report).inner_text().strip()
        assert shown_before not in (FIRST_SHOWN, SECOND_SHOWN)
        expect(official.locator('[data-testid="awaiting-check"]')).to_have_count(0)

        # 1. pm, on a phone: the report to fill, the form, a photo, 提交审核.
        log_in(pm, "pm")
        pm.goto("/rounds/mine/")
        card = pm.locator(f'[data-testid="open-reports"] .report-card[data-report="{report.pk}"]')
        expect(card).to_be_visible()
        expect(card).to_contain_text("正力新能")
        shoot(pm, artifacts, "round-my-reports-phone")
        phone_fits(pm)
        card.get_by_role("link", name="填报").click()
        expect(pm).to_have_url(re.compile(rf"/rounds/reports/{report.pk}/fill/$"))
        expect(pm.locator('[data-testid="report-state"]')).to_have_text("未报")
        shoot(pm, artifacts, "round-fill-phone")
        phone_fits(pm)
        fill_and_submit(pm, str(FIRST_AMOUNT), photo=site_photo(tmp_path))
        expect(pm.locator('[data-testid="report-read-only"] .photos img')).to_have_count(1)
        shoot(pm, artifacts, "round-submitted-phone")
        phone_fits(pm)

        report.refresh_from_db()
        assert report.state == MonthlyReport.State.SUBMITTED
        assert report.completed_amount == FIRST_AMOUNT
        assert report.photos.count() == 1
        assert accepted_figure(report) == before, "a submitted figure counted before its check"
        official_sees_awaiting(official, report, FIRST_SHOWN)
        shoot(official, artifacts, "round-project-awaiting-desktop")

        # 2. The official returns it from the queue, with a reason.
        official.goto("/rounds/queue/")
        wait_for_htmx(official)
        row = official.locator(f'[data-testid="queue"] tr[data-report="{report.pk}"]')
        expect(row).to_contain_text(FIRST_SHOWN)
        row.locator("summary", has_text="退回").click()
        official.locator(f"#return-reason-{report.pk}").fill(RETURN_REASON)
        row.get_by_role("button", name="退回填报人").click()
        expect(official.locator("#queue-table .saved")).to_contain_text("已退回填报人")
        expect(official.locator(f'tr[data-report="{report.pk}"]')).to_have_count(0)
        shoot(official, artifacts, "round-queue-returned-desktop")
        report.refresh_from_db()
        assert report.state == MonthlyReport.State.RETURNED
        assert report.return_reason == RETURN_REASON
        assert accepted_figure(report) == before

        # 3. pm sees the reason, changes the figure and submits again.
        pm.goto("/rounds/mine/")
        card = pm.locator(f'[data-testid="open-reports"] .report-card[data-report="{report.pk}"]')
        expect(card.locator(".return-reason-short")).to_contain_text(RETURN_REASON)
        shoot(pm, artifacts, "round-my-reports-returned-phone")
        phone_fits(pm)
        card.get_by_role("link", name="更正后重新提交").click()
        expect(pm.locator('[data-testid="return-reason"]')).to_contain_text(RETURN_REASON)
        expect(pm.locator("#id_completed_amount")).to_have_value(re.compile(r"^1234\.56$"))
        shoot(pm, artifacts, "round-fill-returned-phone")
        phone_fits(pm)
        fill_and_submit(pm, str(SECOND_AMOUNT))
        report.refresh_from_db()
        assert report.state == MonthlyReport.State.SUBMITTED
        assert report.completed_amount == SECOND_AMOUNT
        assert accepted_figure(report) == before
        official_sees_awaiting(official, report, SECOND_SHOWN)

        # 4. The official accepts it on the report page: now the figure counts.
        official.goto(f"/rounds/reports/{report.pk}/")
        wait_for_htmx(official)
        expect(official.locator('[data-testid="completed-amount"]')).to_contain_text(SECOND_SHOWN)
        expect(official.locator('[data-testid="report-steps"] li')).to_have_count(3)
        official.locator("#report-panel summary", has_text="通过").click()
        official.get_by_role("button", name="确认通过").click()
        expect(official.locator("#report-panel .saved")).to_contain_text("已审核通过")
        expect(official.locator('[data-testid="report-state"]')).to_have_text("已审")
        shoot(official, artifacts, "round-report-accepted-desktop")

        assert accepted_figure(report) == SECOND_AMOUNT
        official.goto(f"/projects/{PROJECT}/")
        expect(month_cell(official, report)).to_have_text(SECOND_SHOWN)
        expect(official.locator('[data-testid="awaiting-check"]')).to_have_count(0)
        shoot(official, artifacts, "round-project-accepted-desktop")

        # pm's own view: reported lately, accepted.
        pm.goto("/rounds/mine/")
        recent = pm.locator(f'[data-testid="recent-reports"] [data-report="{report.pk}"]')
        expect(recent).to_contain_text("已审")
        expect(recent).to_contain_text(SECOND_SHOWN)
        phone_fits(pm)

        for violations in (phone_violations, desktop_violations):
            assert not violations.events and not violations.console, violations.summary()
    finally:
        for context in contexts:
            context.close()
