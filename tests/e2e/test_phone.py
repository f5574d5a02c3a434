"""The app at 375 px, as a phone shows it: the menu folds into one button that opens
without JavaScript, the language switch and the sign-out stay in the bar, and no element
is wider than the screen (a wide table scrolls inside its own box). At 1280 px the menu's
links sit in the bar. Screenshots of the main pages at both widths go to tests/artifacts/
(phone-*.png, desk-*.png)."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from inspections.models import Issue
from tests.e2e.conftest import PHONE, log_in, new_context, wait_for_fonts

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 900}
PROJECT = "GX-001"

# Elements whose right edge passes the viewport, other than those inside a box that
# scrolls sideways on its own (a .table-wrap, or a table that is its own scroll box).
TOO_WIDE = """(width) => {
  const scrolls = (element) => {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return true;
    }
    return false;
  };
  const wide = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // Not drawn: inside the closed menu (content-visibility: hidden) or hidden.
    if (!element.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})) continue;
    if ((box.right > width + 1 || box.left < -1) && !scrolls(element)) {
      const name = element.tagName.toLowerCase()
        + (element.id ? '#' + element.id : '')
        + (element.className && typeof element.className === 'string'
           ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
      wide.push(`${name} [${Math.round(box.left)}..${Math.round(box.right)}]`);
    }
  }
  return wide;
}"""

# Each table's scrolling box (its .table-wrap, or itself) fits in the viewport.
TABLES_OVERFLOWING = """(width) => [...document.querySelectorAll('main table')]
  .map((table) => table.closest('.table-wrap') || table)
  .filter((box) => box.getBoundingClientRect().right > width + 1)
  .map((box) => box.outerHTML.slice(0, 80))"""


def main_pages() -> list[tuple[str, str]]:
    issue = Issue.objects.filter(site_visit__isnull=False).order_by("pk").first()
    return [
        ("dashboard", "/"),
        ("register", "/projects/"),
        ("project", f"/projects/{PROJECT}/"),
        ("issues", "/issues/"),
        ("issue", f"/issues/{issue.pk}/"),
        ("visits", "/visits/?visited_from=&visited_to="),
        ("not-found", "/no-such-page/"),
    ]


def shoot(page: Page, artifacts: Path, name: str) -> None:
    wait_for_fonts(page)
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


def test_the_phone_menu_opens_without_javascript(browser: Browser, live_server, demo):
    """JavaScript off: a <details> menu still opens with a tap; the language switch and
    the sign-out are in the bar from the start."""
    context = new_context(
        browser,
        live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        log_in(page, "official")
        menu = page.locator('[data-testid="menu"]')
        expect(menu.locator("summary")).to_be_visible()
        expect(page.locator(".mainnav")).to_be_hidden()
        expect(page.locator("#language")).to_be_in_viewport()
        expect(page.get_by_role("button", name="退出")).to_be_in_viewport()
        menu.locator("summary").tap()
        expect(page.locator(".mainnav")).to_be_visible()
        for link in page.locator(".mainnav a").all():
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link
            assert box["height"] >= 40, f"{link.inner_text()} is {box['height']}px tall"
        page.locator(".mainnav a", has_text="项目库").tap()
        expect(page).to_have_url(f"{live_server.url}/projects/")
    finally:
        context.close()


def test_no_page_is_wider_than_a_phone(browser: Browser, live_server, demo, artifacts: Path):
    context = new_context(browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, "official")
        problems = {}
        for name, url in main_pages():
            page.goto(url)
            expect(page.locator("main.page")).to_be_visible()
            shoot(page, artifacts, f"phone-{name}")
            found = {
                "document width": max(
                    0, page.evaluate("() => document.documentElement.scrollWidth") - PHONE["width"]
                ),
                "wider than the screen": page.evaluate(TOO_WIDE, PHONE["width"]),
                "tables overflowing": page.evaluate(TABLES_OVERFLOWING, PHONE["width"]),
            }
            found = {key: value for key, value in found.items() if value}
            if found:
                problems[url] = found
        page.goto("/")
        page.locator('[data-testid="menu"] summary').tap()
        expect(page.locator(".mainnav")).to_be_visible()
        shoot(page, artifacts, "phone-menu-open")
        # English labels are longer: the bar still fits.
        page.locator("#language").select_option("en")
        page.get_by_role("button", name="切换").tap()
        expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
        shoot(page, artifacts, "phone-dashboard-en")
        wide = page.evaluate(TOO_WIDE, PHONE["width"])
        if wide:
            problems["/ (English)"] = wide
        assert problems == {}
    finally:
        context.close()


def test_the_desk_shows_the_menu_in_the_bar(browser: Browser, live_server, demo, artifacts):
    context = new_context(browser, live_server.url, viewport=DESK)
    try:
        page = context.new_page()
        log_in(page, "official")
        expect(page.locator('[data-testid="menu"] summary')).to_be_hidden()
        expect(page.locator(".mainnav a").first).to_be_visible()
        # One row: every link of the menu at the height of the first.
        tops = {round(link.bounding_box()["y"]) for link in page.locator(".mainnav a").all()}
        assert len(tops) == 1, tops
        for name, url in main_pages():
            page.goto(url)
            expect(page.locator("main.page")).to_be_visible()
            shoot(page, artifacts, f"desk-{name}")
        for username in ("pm", "dept"):
            page.get_by_role("button", name="退出").click()
            log_in(page, username)
            page.goto("/")
            shoot(page, artifacts, f"desk-dashboard-{username}")
    finally:
        context.close()
