"""Charts legible on a phone: at 375 px every text of every chart drawn on the dashboard
and a project page is at least 10 px high as the screen shows it (its computed font size
times the SVG's scale on screen), and no chart is wider than the screen. At 1280 px the
charts are the ones drawn for a desk, as before. Screenshots go to tests/artifacts/
(charts-phone-*.png, charts-desk-*.png)."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, log_in, new_context, wait_for_fonts

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 900}
PAGES = [("dashboard", "/"), ("project", "/projects/GX-001/")]
MIN_PX = 10

# Every <text> of every chart shown (display not none): its size on screen in CSS px, the
# computed font size (user units) scaled by the SVG's current transformation matrix.
TEXT_SIZES = """() => [...document.querySelectorAll('svg.chart, svg.chart-narrow')]
  .filter((svg) => svg.checkVisibility())
  .flatMap((svg) => [...svg.querySelectorAll('text')].map((text) => ({
    chart: svg.getAttribute('aria-labelledby').split(' ')[0],
    viewBox: svg.getAttribute('viewBox'),
    text: text.textContent,
    px: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a,
    right: svg.getBoundingClientRect().right,
  })))"""


def shoot(page: Page, artifacts: Path, name: str) -> None:
    wait_for_fonts(page)
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


def chart_texts(page: Page, url: str) -> list[dict]:
    page.goto(url)
    expect(page.locator("main.page")).to_be_visible()
    return page.evaluate(TEXT_SIZES)


def test_chart_text_is_legible_at_375_px(browser: Browser, live_server, demo, artifacts):
    context = new_context(browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, "official")
        for name, url in PAGES:
            texts = chart_texts(page, url)
            shoot(page, artifacts, f"charts-phone-{name}")
            assert texts, f"no chart text on {url}"
            small = sorted(
                {(t["chart"], t["text"], round(t["px"], 1)) for t in texts if t["px"] < MIN_PX}
            )
            assert small == [], f"{url}: text under {MIN_PX}px: {small}"
            wide = {t["chart"] for t in texts if t["right"] > PHONE["width"] + 1}
            assert wide == set(), f"{url}: charts wider than the screen: {wide}"
    finally:
        context.close()


def test_the_desk_keeps_its_charts(browser: Browser, live_server, demo, artifacts):
    """At 1280 px the charts are drawn 640 units wide, as they always were, and read at
    least as large as they are drawn (the column is wider than 640 px)."""
    context = new_context(browser, live_server.url, viewport=DESK)
    try:
        page = context.new_page()
        log_in(page, "official")
        for name, url in PAGES:
            texts = chart_texts(page, url)
            shoot(page, artifacts, f"charts-desk-{name}")
            assert texts
            assert {t["viewBox"].split()[2] for t in texts} == {"640"}
    finally:
        context.close()
